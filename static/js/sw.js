/* Service worker of the app, scope "/": keeps the phone page usable with no network, or a sick one.
   - The home page, the log-in page and the phone page are fetched from the network with a time limit.
     Only a proper answer from this app is shown (it carries X-Wuzha-App, is HTML and is not a 5xx);
     anything else (no answer, a timeout, a captive portal's page, a proxy's error) shows the cached
     phone shell instead, which shows the phone's own records.
   - Static files are cache-first (their URLs carry a content hash).
   - API calls and writes are never cached here: the page keeps its data per user in IndexedDB. */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_URL = SHELL[0];
const CACHE = "wuzha-" + VERSION;
// How long a page may take before the cached shell is shown: short for the phone page, longer for the
// home and log-in pages, which officials' desks open too.
const PAGE_TIMEOUT_MS = (path) => (path.startsWith("/visits") ? 6000 : 10000);
const OFFLINE_PAGES = new Set(["/", "/login", "/visits", "/visits/", "/visits/shell"]);

/* A static file is good unless it came back as a page (a portal or an error page answering for it). */
function goodStatic(response) {
  return response.ok && !(response.headers.get("Content-Type") || "").startsWith("text/html");
}

/* Install only from good answers: a portal answering during installation must not become the shell. */
async function install() {
  const cache = await caches.open(CACHE);
  await Promise.all(SHELL.map(async (url) => {
    const response = await fetch(new Request(url, { credentials: "omit", cache: "no-cache" }));
    if (!(url === SHELL_URL ? response.ok && fromThisApp(response) : goodStatic(response))) {
      throw new Error("bad answer for " + url);
    }
    await cache.put(url, response);
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(install().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wuzha-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

function timed(promise, ms, controller) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => { controller.abort(); reject(new Error("timeout")); }, ms); }),
  ]).finally(() => clearTimeout(timer));
}

function fromThisApp(response) {
  return response.status < 500 && response.headers.get("X-Wuzha-App") === "1" &&
    (response.headers.get("Content-Type") || "").startsWith("text/html") &&
    new URL(response.url).origin === self.location.origin;
}

async function page(request) {
  const controller = new AbortController();
  try {
    const response = await timed(fetch(request.url, {
      credentials: "same-origin", redirect: "follow", signal: controller.signal, headers: { Accept: "text/html" },
    }), PAGE_TIMEOUT_MS(new URL(request.url).pathname), controller);
    if (fromThisApp(response)) {
      // A page reached through a redirect (to the log-in page, say) is shown at its own address.
      return response.redirected ? Response.redirect(response.url, 303) : response;
    }
  } catch (error) { /* no network, or no answer in time */ }
  const cache = await caches.open(CACHE);
  return (await cache.match(SHELL_URL)) || Response.error();
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (goodStatic(response)) cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && OFFLINE_PAGES.has(url.pathname)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});
