/* Who holds this phone (window.Wuzha.device), on every page of the app.
   A page served by the server says who is logged in (<body data-user>); the offline copy of the phone
   page (the shell) says nothing, and goes by what the last served page said. When the holder changes
   (log-out, another worker logging in), the previous holder's cached lists are forgotten (their queue
   stays, to be sent when they log in again) and every open tab is told, so that none of them shows or
   saves into another worker's page. */
(function () {
  "use strict";
  const W = (window.Wuzha = window.Wuzha || {});
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("wuzha-device") : null;
  const listeners = [];

  async function owner() {
    return (await W.store.metaGet("who").catch(() => null)) || null;
  }

  async function setOwner(who) {
    const before = await owner();
    if (before && who && before.id === who.id) {
      if (before.name !== who.name) await W.store.metaPut("who", who);
      return;
    }
    if (!before && !who) return;
    if (before) await W.store.cacheForget(before.id);
    await W.store.metaPut("who", who);
    if (channel) channel.postMessage({ who });
  }

  /* Records waiting on this phone, counted per owner: [{id, name, count}]. */
  async function waiting() {
    const counts = new Map();
    for (const item of await W.store.queueAll()) {
      const entry = counts.get(item.owner) || { id: item.owner, name: item.owner_name || "", count: 0 };
      entry.count += 1;
      entry.name = entry.name || item.owner_name || "";
      counts.set(item.owner, entry);
    }
    return [...counts.values()];
  }

  /* Fills #waiting-note (the log-in page and the signed-out phone page) with what waits, and for whom. */
  async function showWaiting(template) {
    const note = document.getElementById("waiting-note");
    if (!note) return;
    const text = template || note.dataset.template;
    const parts = (await waiting()).map((w) =>
      text.replaceAll("{count}", w.count).replaceAll("{name}", w.name || "#" + w.id));
    note.textContent = parts.join(" ");
    note.hidden = parts.length === 0;
  }

  const ready = (async () => {
    const body = document.body;
    if ("user" in body.dataset) {
      const id = body.dataset.user ? Number(body.dataset.user) : null;
      await setOwner(id ? { id, name: body.dataset.userName || "" } : null);
      // A grid worker back on the home page with records waiting goes to the phone page, which sends them.
      if (id && body.dataset.phone && window.location.pathname === "/" &&
          (await W.store.queueFor(id)).some((item) => !item.problem)) {
        window.location.replace(body.dataset.phone);
      }
    }
    await showWaiting().catch(() => {});
  })().catch(() => {});

  if (channel) channel.onmessage = (event) => listeners.forEach((listener) => listener(event.data.who));

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.getRegistrations().then((registrations) => registrations
      .filter((r) => new URL(r.scope).pathname !== "/").forEach((r) => r.unregister())).catch(() => {});
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  W.device = { ready, owner, setOwner, waiting, showWaiting, onChange: (listener) => listeners.push(listener) };
})();
