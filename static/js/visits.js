/* The grid worker's walk list and visit form, offline first.
   - Walk lists and the session are fetched from /api/v1 and kept in IndexedDB for offline use.
   - A saved visit goes into the IndexedDB queue first (with a UUID made here), then is sent.
   - Only the server's answer ("created" or "duplicate") removes a visit from the queue, so a closed
     browser, a lost connection or a server error never loses one; re-sending is harmless. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("visit-config").textContent);
  const T = config.text;
  const API = "/api/v1";
  const BATCH = 50;
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);

  /* ---------- IndexedDB: queue (visits waiting) and store (cached API answers) ---------- */
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open("wuzha", 1);
        open.onupgradeneeded = () => {
          open.result.createObjectStore("queue", { keyPath: "uuid" });
          open.result.createObjectStore("store");
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }
  async function tx(store, mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const t = database.transaction(store, mode);
      const result = work(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }
  const queueAll = () => tx("queue", "readonly", (s) => s.getAll());
  const queuePut = (item) => tx("queue", "readwrite", (s) => s.put(item));
  const queueDelete = (uuid) => tx("queue", "readwrite", (s) => s.delete(uuid));
  const storeGet = (key) => tx("store", "readonly", (s) => s.get(key));
  const storePut = (key, value) => tx("store", "readwrite", (s) => s.put(value, key));

  /* ---------- state ---------- */
  let session = null;
  let lists = {};          // grid code -> walk list
  let gridCode = null;
  let queue = [];          // this user's queued visits
  let fix = null;          // latest GPS fix {lat, lon, accuracy, at}
  let editing = null;      // household being logged
  let syncing = false;
  let retryDelay = 2000;   // after a failed sync: 2 s, 4 s, … up to 30 s
  let retryTimer = null;

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function localIso(date) {
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" + pad(date.getHours()) +
      ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + sign + pad(offset / 60) + ":" + pad(offset % 60);
  }

  function metres(aLat, aLon, bLat, bLon) {
    const r = 6371000, rad = Math.PI / 180;
    const dLat = (bLat - aLat) * rad, dLon = (bLon - aLon) * rad;
    const a = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  /* ---------- loading: network first, IndexedDB when offline ---------- */
  async function getJson(path) {
    const key = "GET " + path;
    try {
      const response = await fetch(API + path, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 401) { showMessage(T.login); throw new Error("401"); }
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      await storePut(key, data);
      return data;
    } catch (error) {
      const cached = await storeGet(key);
      if (cached !== undefined) return cached;
      throw error;
    }
  }

  async function load() {
    try {
      session = await getJson("/session");
    } catch (error) {
      showMessage(T.no_data);
      return;
    }
    const grids = session.areas.filter((a) => a.level === "grid");
    gridCode = gridCode || (grids[0] && grids[0].code);
    await Promise.all(grids.map(async (grid) => {
      try { lists[grid.code] = await getJson("/walklist?grid=" + encodeURIComponent(grid.code)); }
      catch (error) { if (!lists[grid.code]) lists[grid.code] = null; }
    }));
    await refreshQueue();
    render();
  }

  async function refreshQueue() {
    queue = (await queueAll()).filter((item) => item.user_id === config.user_id);
    queue.sort((a, b) => a.visit.visited_at.localeCompare(b.visit.visited_at));
    const waiting = queue.filter((item) => !item.problem).length;
    $("pending").hidden = waiting === 0;
    $("pending").textContent = String(waiting);
  }

  /* ---------- the list ---------- */
  function effectiveStatus(household) {
    let status = household.status;
    let pending = false;
    for (const item of queue) {
      if (item.visit.household_id !== household.id || item.problem) continue;
      const outcome = item.visit.outcome;
      pending = true;
      if (status === null || outcome === "reached") status = outcome;
      else if (status !== "reached") status = outcome;
    }
    return { status, pending };
  }

  function render() {
    const grids = session ? session.areas.filter((a) => a.level === "grid") : [];
    $("grids").innerHTML = "";
    grids.forEach((grid) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "nav-link text-nowrap" + (grid.code === gridCode ? " active" : "");
      tab.textContent = grid.name;
      tab.onclick = () => { gridCode = grid.code; render(); };
      $("grids").appendChild(tab);
    });
    const list = lists[gridCode];
    const sections = $("sections");
    sections.innerHTML = "";
    if (!list) { $("round-name").textContent = T.no_round; return; }
    $("round-name").textContent = list.round.name;
    $("round-dates").textContent = list.round.starts_on + " – " + list.round.ends_on;
    const query = $("search").value.trim();
    const groups = { never: [], revisit: [], refused: [], done: [] };
    let reached = 0, inScope = 0;
    for (const household of list.households) {
      const { status, pending } = effectiveStatus(household);
      if (status !== "vacant") inScope += 1;
      if (status === "reached") reached += 1;
      if (query && !household.door_label.includes(query)) continue;
      const group = status === null ? "never" : status === "not_home" ? "revisit" : status === "refused" ? "refused" : "done";
      groups[group].push({ household, status, pending });
    }
    $("progress-text").textContent = fmt(T.progress, { reached, total: inScope });
    $("progress-bar").style.width = (inScope ? (100 * reached) / inScope : 0) + "%";
    for (const [name, rows] of Object.entries(groups)) {
      if (!rows.length) continue;
      if (fix) rows.sort((a, b) => distanceTo(a.household) - distanceTo(b.household));
      const wrapper = document.createElement(name === "done" || name === "refused" ? "details" : "section");
      wrapper.className = "mb-3";
      wrapper.dataset.section = name;
      const title = document.createElement(name === "done" || name === "refused" ? "summary" : "h2");
      title.className = "h6 mt-3 mb-2";
      title.textContent = T[name] + " (" + rows.length + ")";
      wrapper.appendChild(title);
      const group = document.createElement("div");
      group.className = "list-group";
      rows.forEach((row) => group.appendChild(householdRow(row)));
      wrapper.appendChild(group);
      sections.appendChild(wrapper);
    }
    renderProblems();
  }

  function distanceTo(household) {
    if (!fix || household.lat === null) return Infinity;
    return metres(fix.lat, fix.lon, household.lat, household.lon);
  }

  function householdRow({ household, status, pending }) {
    const row = document.createElement("button");
    row.type = "button";
    row.className = "list-group-item list-group-item-action household d-flex justify-content-between align-items-center";
    row.dataset.household = household.id;
    const left = document.createElement("span");
    const label = document.createElement("strong");
    label.className = "fs-5";
    label.textContent = household.door_label;
    const who = document.createElement("div");
    who.className = "small text-muted";
    who.textContent = [household.head, fmt(T.members, { n: household.members })].filter(Boolean).join(" · ");
    left.append(label, who);
    const right = document.createElement("span");
    right.className = "text-end small";
    const d = distanceTo(household);
    if (d !== Infinity) right.innerHTML = `<div class="distance">${fmt(T.away, { m: Math.round(d) })}</div>`;
    if (status) right.insertAdjacentHTML("beforeend", `<span class="badge status-${status}">${T[status] || status}</span>`);
    if (pending) right.insertAdjacentHTML("beforeend", `<div class="pending-mark">⟳ ${T.waiting}</div>`);
    row.append(left, right);
    row.onclick = () => openForm(household);
    return row;
  }

  function renderProblems() {
    const problems = queue.filter((item) => item.problem);
    $("problems").hidden = problems.length === 0;
    const list = $("problem-list");
    list.innerHTML = "";
    for (const item of problems) {
      const entry = document.createElement("div");
      entry.className = "list-group-item list-group-item-danger";
      entry.textContent = `${item.door_label}: ${item.problem} `;
      const discard = document.createElement("button");
      discard.className = "btn btn-sm btn-outline-danger";
      discard.textContent = T.discard;
      discard.onclick = async () => { await queueDelete(item.uuid); await refreshQueue(); render(); };
      entry.appendChild(discard);
      list.appendChild(entry);
    }
  }

  /* ---------- the visit form ---------- */
  const form = $("visit-form");
  let outcome = null;

  function openForm(household) {
    editing = household;
    outcome = null;
    $("form-door").textContent = household.door_label;
    $("form-who").textContent = household.head || "";
    form.querySelectorAll("[data-outcome]").forEach((b) => b.classList.remove("active"));
    form.querySelectorAll(".stepper output").forEach((o) => { o.value = "0"; });
    form.querySelectorAll("[data-risk]").forEach((c) => { c.checked = c.dataset.risk === "elderly_alone" && household.elderly_alone; });
    $("note").value = "";
    $("save").disabled = true;
    $("reached-fields").hidden = false;
    showFix();
    form.hidden = false;
    form.scrollTop = 0;
  }

  function showFix() {
    $("form-gps").textContent = fix && Date.now() - fix.at < 120000 ? fmt(T.gps, { m: Math.round(fix.accuracy) }) : T.no_gps;
  }

  form.querySelectorAll("[data-outcome]").forEach((button) => {
    button.addEventListener("click", () => {
      outcome = button.dataset.outcome;
      form.querySelectorAll("[data-outcome]").forEach((b) => b.classList.toggle("active", b === button));
      $("reached-fields").hidden = outcome !== "reached";
      $("save").disabled = false;
    });
  });
  form.querySelectorAll(".stepper").forEach((stepper) => {
    const output = stepper.querySelector("output");
    stepper.querySelectorAll(".step").forEach((button) => button.addEventListener("click", () => {
      output.value = String(Math.max(0, Math.min(99, Number(output.value) + Number(button.dataset.step))));
    }));
  });
  $("form-close").onclick = () => { form.hidden = true; };

  function stepValue(field) {
    return Number(form.querySelector(`.stepper[data-field="${field}"] output`).value);
  }

  $("save").addEventListener("click", async () => {
    if (!editing || !outcome) return;
    const reached = outcome === "reached";
    const people = reached ? stepValue("people_briefed") : 0;
    const visit = {
      uuid: uuid4(),
      round_id: lists[gridCode].round.id,
      household_id: editing.id,
      outcome,
      people_briefed: people,
      app_installs: reached ? Math.min(stepValue("app_installs"), people) : 0,
      materials: stepValue("materials"),
      risk_flags: [...form.querySelectorAll("[data-risk]:checked")].map((c) => c.dataset.risk),
      note: $("note").value.trim(),
      visited_at: localIso(new Date()),
    };
    if (fix && Date.now() - fix.at < 120000) {
      visit.gps = { lat: fix.lat, lon: fix.lon, accuracy: Math.round(fix.accuracy * 10) / 10 };
    }
    await queuePut({ uuid: visit.uuid, user_id: config.user_id, door_label: editing.door_label, visit });
    form.hidden = true;
    await refreshQueue();
    render();
    flash(T.saved);
    sync();
  });

  /* ---------- sync ---------- */
  async function csrfToken() {
    const response = await fetch(API + "/session", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) throw Object.assign(new Error("401"), { login: true });
    if (!response.ok) throw new Error(String(response.status));
    return (await response.json()).csrf_token;
  }

  async function sync() {
    if (syncing) return;
    await refreshQueue();
    const waiting = queue.filter((item) => !item.problem);
    if (!waiting.length) return;
    syncing = true;
    $("sync").disabled = true;
    try {
      const token = await csrfToken();
      for (let start = 0; start < waiting.length; start += BATCH) {
        const chunk = waiting.slice(start, start + BATCH);
        const response = await fetch(API + "/visits", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token },
          body: JSON.stringify({ visits: chunk.map((item) => item.visit) }),
        });
        if (response.status === 401) throw Object.assign(new Error("401"), { login: true });
        if (![200, 400, 409].includes(response.status)) throw new Error(String(response.status));
        const body = await response.json();
        if (!body.results) throw new Error(body.error || String(response.status));
        for (let i = 0; i < chunk.length; i += 1) {
          const result = body.results[i];
          if (result.status === "created" || result.status === "duplicate") await queueDelete(chunk[i].uuid);
          else await queuePut({ ...chunk[i], problem: result.reason || result.status });
        }
      }
      retryDelay = 2000;
      await load();
      flash(T.synced);
    } catch (error) {
      showMessage(error.login ? T.login : T.server);
      if (!error.login) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => { if (navigator.onLine) sync(); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    } finally {
      syncing = false;
      $("sync").disabled = false;
      await refreshQueue();
      render();
    }
  }

  /* ---------- status, location, triggers ---------- */
  function showMessage(text) { const m = $("message"); m.textContent = text; m.hidden = false; }
  function flash(text) { const m = $("message"); m.textContent = text; m.hidden = false; setTimeout(() => { m.hidden = true; }, 2500); }
  function showNetwork() {
    const online = navigator.onLine;
    $("net").textContent = online ? T.online : T.offline;
    $("net").className = "badge " + (online ? "text-bg-success" : "text-bg-secondary");
  }

  if (navigator.geolocation) {
    navigator.geolocation.watchPosition((position) => {
      fix = { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy, at: Date.now() };
      $("location").textContent = fmt(T.gps, { m: Math.round(fix.accuracy) });
      if (form.hidden) render(); else showFix();
    }, () => {}, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  $("search").addEventListener("input", render);
  $("sync").addEventListener("click", () => { $("message").hidden = true; sync(); });
  window.addEventListener("online", () => { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);
  setInterval(() => { if (navigator.onLine) sync(); }, 30000);
  showNetwork();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.sw, { scope: "/visits/" }).catch(() => {});
  }
  window.wuzhaVisits = { sync, queueAll, ready: load().then(() => sync()) };
})();
