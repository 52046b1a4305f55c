/* Service worker of the phone pages: keeps them and the worker's data usable with no network.
   Pages and API reads are network-first with the cache as fallback; static files are cache-first.
   Writes (POST) are never cached: the page queues them in IndexedDB. */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = "wuzha-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wuzha-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

async function networkFirst(request, fallbackUrl) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) cache.put(fallbackUrl || request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(fallbackUrl || request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/v1/")) {
    event.respondWith(networkFirst(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/visits/")) {
    event.respondWith(networkFirst(request, SHELL[0]));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});
