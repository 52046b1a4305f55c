/* The grid worker's phone page: walk list, visit form, the queue and syncing, offline first.
   - The page belongs to one worker, its owner: the worker the server names (a served page), or the
     phone's last holder (the offline shell). Nobody holds the phone → the signed-out panel.
   - Records (visits, warning actions) go into the IndexedDB queue first with a UUID made here, then
     are sent. Only the server's answer removes one ("created" or "duplicate"), so a closed browser,
     a lost connection or a server error never loses one; re-sending is harmless.
   - A queued record is sent only while the server's session belongs to its owner, whoever holds the
     phone or opened the tab.
   - Refused records stay listed with the server's reason; those that can be mended are corrected
     here and sent again. */
(function () {
  "use strict";
  const W = window.Wuzha;
  const config = JSON.parse(document.getElementById("visit-config").textContent);
  const T = config.text;
  const BATCH = 50;
  const POLL_MS = 20000;
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);

  /* ---------- state ---------- */
  let owner = null;        // {id, name}: the worker this page belongs to
  let session = null;      // the owner's cached /session answer (areas)
  const lists = {};        // grid code -> walk list
  let gridCode = null;
  let gridChosen = false;  // the worker picked a grid tab: the fix no longer picks one
  let queue = [];          // the owner's queued records
  let fix = null;          // latest GPS fix {lat, lon, accuracy, at}
  let editing = null;      // household being logged
  let mending = null;      // queued record being corrected
  let syncing = null;      // the running sync, if any
  let retryDelay = 2000;   // after a failed sync while online: 2 s, 4 s, … up to 30 s
  let retryTimer = null;
  let locked = false;

  /* ---------- small helpers ---------- */
  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  /* ISO 8601 in the phone's time zone, e.g. 2026-11-21T15:04:05+08:00. */
  function localIso(ms) {
    const date = new Date(ms);
    const offset = -date.getTimezoneOffset();
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      (offset >= 0 ? "+" : "-") + pad(offset / 60) + ":" + pad(offset % 60);
  }
  /* The value of a datetime-local input for a moment. */
  const inputValue = (ms) => localIso(ms).slice(0, 16);

  function metres(aLat, aLon, bLat, bLon) {
    const r = 6371000, rad = Math.PI / 180;
    const dLat = (bLat - aLat) * rad, dLon = (bLon - aLon) * rad;
    const a = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  const freshFix = () => (fix && Date.now() - fix.at < 120000 ? fix : null);
  const coarse = (f) => f && f.accuracy > 100;

  function toast(text, { sticky = false } = {}) {
    const area = $("toast");
    area.textContent = text;
    area.hidden = false;
    clearTimeout(toast.timer);
    if (!sticky) toast.timer = setTimeout(() => { area.hidden = true; }, 4000);
  }

  /* ---------- ownership ---------- */
  function showSignedOut() {
    $("walk").hidden = true;
    $("signed-out").hidden = false;
    $("offline-login").hidden = navigator.onLine;
    W.device.showWaiting().catch(() => {});
  }

  function lock() {
    if (locked) return;
    locked = true;
    $("visit-form").hidden = true;
    $("mend-form").hidden = true;
    $("warning-form").hidden = true;
    $("walk").hidden = true;
    toast(T.not_yours, { sticky: true });
    setTimeout(() => window.location.reload(), 300);
  }

  /* The page may write only while the phone is still held by its owner. */
  async function stillMine() {
    const who = await W.device.owner();
    if (!owner || !who || who.id !== owner.id) { lock(); return false; }
    return true;
  }

  /* ---------- loading: the phone's own copy first, then the network ---------- */
  async function cached(path) { return W.store.cacheGet(owner.id, path); }

  async function fetchJson(path) {
    const { status, data } = await W.net.request(path);
    if (status !== 200) throw new W.net.NetError("answer", status);
    await W.store.cachePut(owner.id, path, data);
    return data;
  }

  async function loadCached() {
    session = await cached("/session");
    if (!session) return;
    for (const grid of grids()) lists[grid.code] = (await cached(walkPath(grid.code))) || null;
    if (W.phoneWarnings) await W.phoneWarnings.loadCached();
  }

  const grids = () => (session ? session.areas.filter((a) => a.level === "grid") : []);
  const walkPath = (code) => "/walklist?grid=" + encodeURIComponent(code);

  /* Checks who the server's session belongs to; refreshes the cached session. Throws NetError. */
  async function checkSession() {
    const { data } = await W.net.request("/session", { timeout: 8000 });
    if (data.user.id !== owner.id) {
      // Someone else is logged in on this phone now: the page is theirs to open, not this one.
      await W.device.setOwner({ id: data.user.id, name: data.user.display_name });
      lock();
      throw new W.net.NetError("not_owner");
    }
    session = data;
    await W.store.cachePut(owner.id, "/session", { user: data.user, areas: data.areas });
    return data;
  }

  /* The walk lists and warnings, fetched side by side (the session was checked just before). */
  async function loadNetwork() {
    const warnings = W.phoneWarnings ? W.phoneWarnings.loadNetwork() : Promise.resolve();
    await Promise.all([warnings, ...grids().map(async (grid) => {
      try { lists[grid.code] = await fetchJson(walkPath(grid.code)); } catch (error) {
        if (error.kind !== "answer" || error.status !== 404) throw error;
        lists[grid.code] = null;  // no round in progress in this grid
        await W.store.cachePut(owner.id, walkPath(grid.code), null);
      }
    })]);
  }

  async function refreshQueue() {
    queue = (await W.store.queueFor(owner.id)).sort((a, b) => a.saved_at - b.saved_at);
    const waiting = queue.filter((item) => !item.problem).length;
    $("pending").hidden = waiting === 0;
    $("pending").textContent = String(waiting);
  }

  /* ---------- the list ---------- */
  function effectiveStatus(household) {
    let status = household.status;
    let pending = false;
    for (const item of queue) {
      if (item.kind !== "visit" || item.payload.household_id !== household.id || item.problem) continue;
      const outcome = item.payload.outcome;
      pending = true;
      if (status === null || outcome === "reached") status = outcome;
      else if (status !== "reached") status = outcome;
    }
    return { status, pending };
  }

  function distanceTo(household) {
    const f = freshFix();
    if (!f || household.lat === null || household.lon === null) return Infinity;
    return metres(f.lat, f.lon, household.lat, household.lon);
  }

  function distanceText(d) {
    if (coarse(freshFix())) return fmt(T.away_km, { km: (Math.max(d, 100) / 1000).toFixed(1) });
    return fmt(T.away_m, { m: Math.round(d) });
  }

  /* The grid the worker is standing in: the one with the household nearest to the fix. */
  function chooseGridByFix() {
    const f = freshFix();
    if (!f || gridChosen) return;
    let best = null, bestDistance = Infinity;
    for (const grid of grids()) {
      for (const household of (lists[grid.code] || { households: [] }).households) {
        const d = distanceTo(household);
        if (d < bestDistance) { best = grid.code; bestDistance = d; }
      }
    }
    if (best) gridCode = best;
  }

  function render() {
    if (locked) return;
    $("owner-name").textContent = owner.name;
    const tabs = $("grids");
    tabs.innerHTML = "";
    if (!gridCode || !grids().some((g) => g.code === gridCode)) gridCode = grids()[0] ? grids()[0].code : null;
    grids().forEach((grid) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "nav-link text-nowrap" + (grid.code === gridCode ? " active" : "");
      tab.dataset.grid = grid.code;
      tab.textContent = grid.name;
      tab.onclick = () => { gridCode = grid.code; gridChosen = true; render(); };
      tabs.appendChild(tab);
    });
    if (W.phoneWarnings) W.phoneWarnings.render();
    renderProblems();
    const list = lists[gridCode];
    const sections = $("sections");
    sections.innerHTML = "";
    if (!session) { $("round-name").textContent = T.no_data; return; }
    if (!list) { $("round-name").textContent = T.no_round; $("round-dates").textContent = ""; return; }
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
      if (freshFix()) rows.sort((a, b) => distanceTo(a.household) - distanceTo(b.household));
      const folded = name === "done" || name === "refused";
      const wrapper = document.createElement(folded ? "details" : "section");
      wrapper.className = "mb-3";
      wrapper.dataset.section = name;
      const title = document.createElement(folded ? "summary" : "h2");
      title.className = "h6 mt-3 mb-2";
      title.textContent = T[name] + " (" + rows.length + ")";
      wrapper.appendChild(title);
      const group = document.createElement("div");
      group.className = "list-group";
      rows.forEach((row) => group.appendChild(householdRow(row)));
      wrapper.appendChild(group);
      sections.appendChild(wrapper);
    }
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
    who.className = "small text-body-secondary";
    who.textContent = [household.head, fmt(T.members, { n: household.members })].filter(Boolean).join(" · ");
    left.append(label, who);
    const right = document.createElement("span");
    right.className = "text-end small";
    const d = distanceTo(household);
    if (d !== Infinity) {
      const distance = document.createElement("div");
      distance.className = "distance";
      distance.textContent = distanceText(d);
      right.appendChild(distance);
    }
    if (status) {
      const badge = document.createElement("span");
      badge.className = "badge status-" + status;
      badge.textContent = T[status] || status;
      right.appendChild(badge);
    }
    if (pending) {
      const mark = document.createElement("div");
      mark.className = "pending-mark";
      mark.textContent = "⟳ " + T.waiting;
      right.appendChild(mark);
    }
    row.append(left, right);
    row.onclick = () => openForm(household);
    return row;
  }

  /* ---------- refused records: the reason, mend, discard (after a second tap) ---------- */
  function renderProblems() {
    const problems = queue.filter((item) => item.problem);
    $("problems").hidden = problems.length === 0;
    const list = $("problem-list");
    list.innerHTML = "";
    for (const item of problems) {
      const entry = document.createElement("div");
      entry.className = "list-group-item problem";
      entry.dataset.uuid = item.uuid;
      const title = document.createElement("div");
      title.className = "fw-bold";
      title.textContent = item.label;
      const reason = document.createElement("div");
      reason.className = "problem-reason small mb-2";
      reason.textContent = item.problem.reason;
      const buttons = document.createElement("div");
      buttons.className = "d-flex gap-2 flex-wrap";
      const button = (action, text, style, handler) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn " + style;
        b.dataset.action = action;
        b.textContent = text;
        b.onclick = handler;
        buttons.appendChild(b);
        return b;
      };
      if (item.problem.mendable) button("mend", T.mend, "btn-primary", () => openMend(item));
      button("discard", T.discard, "btn-outline-danger", () => {
        buttons.innerHTML = "";
        button("confirm-discard", T.confirm_discard, "btn-danger", async () => {
          await W.store.queueDelete(item.uuid);
          await refreshQueue();
          render();
        });
        button("cancel-discard", T.cancel, "btn-outline-secondary", () => renderProblems());
      });
      entry.append(title, reason, buttons);
      list.appendChild(entry);
    }
  }

  function allHouseholds() {
    const found = [];
    for (const grid of grids()) {
      for (const household of (lists[grid.code] || { households: [] }).households) {
        found.push({ grid, household, round: lists[grid.code].round });
      }
    }
    return found;
  }

  function openMend(item) {
    mending = item;
    const problem = item.problem;
    const payload = item.sealed || item.payload;
    $("mend-door").textContent = item.label;
    $("mend-reason").textContent = problem.reason;
    const byTime = problem.code === "outside_round" || problem.code === "bad_time";
    const byHousehold = problem.code === "household_unknown" || problem.code === "round_mismatch";
    $("mend-time-field").hidden = !byTime;
    $("mend-household-field").hidden = !byHousehold;
    const time = $("mend-time");
    time.min = problem.round ? problem.round.starts_on + "T00:00" : "";
    time.max = problem.round ? problem.round.ends_on + "T23:59" : inputValue(Date.now());
    time.value = inputValue(Date.parse(payload.visited_at || payload.at) || Date.now());
    const select = $("mend-household");
    select.innerHTML = "";
    const blank = document.createElement("option");
    blank.value = "";
    blank.textContent = T.pick_household;
    select.appendChild(blank);
    for (const { grid, household } of allHouseholds()) {
      const option = document.createElement("option");
      option.value = household.id;
      option.textContent = grid.name + " · " + household.door_label;
      select.appendChild(option);
    }
    $("mend-form").hidden = false;
  }

  $("mend-close").onclick = () => { $("mend-form").hidden = true; mending = null; };
  $("mend-save").addEventListener("click", async () => {
    if (!mending || !(await stillMine())) return;
    const item = mending;
    const sealed = { ...(item.sealed || item.payload) };
    if (!$("mend-time-field").hidden) {
      const chosen = Date.parse($("mend-time").value);
      const time = $("mend-time");
      if (!chosen || (time.min && $("mend-time").value < time.min) || (time.max && $("mend-time").value > time.max)) {
        toast(item.problem.round ? fmt(T.mend_time_bounds, { start: item.problem.round.starts_on,
                                                              end: item.problem.round.ends_on }) : T.mend);
        return;
      }
      // A time set by hand is the worker's word, not the clock's: it is sent as not vouched for.
      sealed[item.kind === "visit" ? "visited_at" : "at"] = localIso(chosen);
      if ("time_trusted" in sealed) sealed.time_trusted = false;
    }
    if (!$("mend-household-field").hidden) {
      const chosen = allHouseholds().find((h) => String(h.household.id) === $("mend-household").value);
      if (!chosen) { toast(T.pick_household); return; }
      sealed.household_id = chosen.household.id;
      sealed.round_id = chosen.round.id;
      item.label = chosen.grid.name + " · " + chosen.household.door_label;
    }
    item.sealed = sealed;
    item.payload = { ...item.payload, household_id: sealed.household_id, round_id: sealed.round_id };
    item.problem = null;
    await W.store.queuePut(item);
    $("mend-form").hidden = true;
    mending = null;
    await refreshQueue();
    render();
    sync();
  });

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
    const f = freshFix();
    $("form-gps").textContent = f ? fmt(T.gps, { m: Math.round(f.accuracy) }) : T.no_gps;
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

  const stepValue = (field) => Number(form.querySelector(`.stepper[data-field="${field}"] output`).value);

  /* Puts a record in the owner's queue with the clock as it stands; its time is settled when sent. */
  async function enqueue(kind, label, payload) {
    const clock = await W.net.clockNow();
    await W.store.queuePut({ uuid: payload.uuid, kind, owner: owner.id, owner_name: owner.name, label,
                             saved_at: Date.now(), clock, payload, sealed: null, problem: null });
    await refreshQueue();
    render();
    toast(navigator.onLine ? T.saved : T.saved_offline);
    sync({ quiet: true });
  }

  $("save").addEventListener("click", async () => {
    if (!editing || !outcome || !(await stillMine())) return;
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
    };
    const f = freshFix();
    if (f) visit.gps = { lat: f.lat, lon: f.lon, accuracy: Math.round(f.accuracy * 10) / 10 };
    form.hidden = true;
    await enqueue("visit", editing.door_label, visit);
  });

  /* ---------- sync ---------- */
  /* Settles a record's time once, at its first sending, and keeps it: a re-sent record is the same record.
     The phone's time is corrected by the offset known when it was saved. That offset is vouched for if
     this page measured it and the clock has not moved since, or if the server's clock is still as far
     away now; otherwise the record goes with time_trusted false. */
  async function seal(item) {
    if (item.sealed) return item.sealed;
    const clock = item.clock;
    const now = W.net.currentOffset();
    const offset = clock.offset_ms ?? now ?? 0;
    let trusted = clock.trusted;
    if (clock.source !== "page") trusted = trusted && now !== null && Math.abs(now - offset) <= W.net.CLOCK_JUMP_MS;
    const time = localIso(clock.phone_ms + offset);
    const sealed = { ...item.payload };
    if (item.kind === "visit") {
      Object.assign(sealed, { visited_at: time, phone_time: localIso(clock.phone_ms),
                              clock_offset_ms: clock.offset_ms ?? now, time_trusted: trusted });
    } else {
      sealed.at = time;
      if (sealed.type === "attempt") {
        Object.assign(sealed, { phone_time: localIso(clock.phone_ms), clock_offset_ms: clock.offset_ms ?? now,
                                time_trusted: trusted });
      }
    }
    item.sealed = sealed;
    await W.store.queuePut(item);
    return sealed;
  }

  const SENDERS = {
    visit: { path: "/visits", key: "visits" },
    warning: { path: "/warnings/actions", key: "actions" },
  };

  /* Sends one kind of record in batches; returns {sent, refused}. */
  async function send(kind, token) {
    const waiting = queue.filter((item) => item.kind === kind && !item.problem);
    let sent = 0, refused = 0;
    for (let start = 0; start < waiting.length; start += BATCH) {
      const chunk = waiting.slice(start, start + BATCH);
      const body = { [SENDERS[kind].key]: await Promise.all(chunk.map(seal)) };
      const { status, data } = await W.net.request(SENDERS[kind].path, { method: "POST", body, token, timeout: 20000 });
      if (![200, 400, 409].includes(status) || !Array.isArray(data.results)) throw new W.net.NetError("server", status);
      for (let i = 0; i < chunk.length; i += 1) {
        const result = data.results[i] || {};
        if (result.status === "created" || result.status === "duplicate") {
          await W.store.queueDelete(chunk[i].uuid);
          sent += 1;
        } else {
          refused += 1;
          await W.store.queuePut({ ...chunk[i], problem: {
            code: result.code || result.status || "invalid", mendable: Boolean(result.mendable),
            reason: result.reason || result.status || "", round: result.round || null } });
        }
      }
    }
    return { sent, refused };
  }

  async function runSync({ quiet }) {
    await refreshQueue();
    const waiting = queue.filter((item) => !item.problem);
    const data = await checkSession();
    let sent = 0, refused = 0;
    if (waiting.length) {
      for (const kind of Object.keys(SENDERS)) {
        const result = await send(kind, data.csrf_token);
        sent += result.sent;
        refused += result.refused;
      }
    }
    retryDelay = 2000;
    await loadNetwork();
    await refreshQueue();
    if (refused) toast(fmt(T.partial, { sent, refused }), { sticky: true });
    else if (sent || !quiet) toast(T.synced);
  }

  function sync({ quiet = false } = {}) {
    if (locked || !owner) return Promise.resolve();
    if (syncing) return syncing;
    $("sync").disabled = true;
    syncing = runSync({ quiet }).catch((error) => {
      if (error.kind === "not_owner") return;
      if (error.kind === "login") { toast(T.login, { sticky: true }); return; }
      const waiting = queue.some((item) => !item.problem);
      if (!navigator.onLine) {
        if (!quiet) toast(T.offline_wait);
        return;  // the "online" event starts the next sync at once
      }
      // Online, yet no answer (a refused or dropped connection, a time-out, a bad answer): no "online"
      // event will come, so try again soon.
      if (error.kind === "offline") { if (!quiet) toast(T.offline_wait); } else if (waiting || !quiet) toast(T.server);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => sync({ quiet: true }), retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }).finally(async () => {
      syncing = null;
      $("sync").disabled = false;
      if (!locked) { await refreshQueue(); render(); }
    });
    return syncing;
  }

  /* ---------- status, location, triggers ---------- */
  function showNetwork() {
    const online = navigator.onLine;
    $("net").textContent = online ? T.online : T.offline;
    $("net").className = "badge " + (online ? "text-bg-success" : "text-bg-secondary");
  }

  function watchLocation() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition((position) => {
      fix = { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy, at: Date.now() };
      $("location").textContent = fmt(T.gps, { m: Math.round(fix.accuracy) });
      chooseGridByFix();
      if (form.hidden) render(); else showFix();
    }, () => { $("location").textContent = T.no_gps; }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  $("search").addEventListener("input", render);
  $("sync").addEventListener("click", () => sync());
  window.addEventListener("online", () => {
    showNetwork();
    clearTimeout(retryTimer);
    retryDelay = 2000;
    sync({ quiet: true });
  });
  window.addEventListener("offline", showNetwork);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && owner) stillMine().then((mine) => mine && sync({ quiet: true }));
  });
  W.device.onChange((who) => { if (owner && (!who || who.id !== owner.id)) lock(); });

  async function start() {
    await W.device.ready;
    showNetwork();
    owner = await W.device.owner();
    if (!owner) { showSignedOut(); return; }
    $("walk").hidden = false;
    await loadCached();
    await refreshQueue();
    render();
    watchLocation();
    await sync({ quiet: true });
    chooseGridByFix();
    render();
    setInterval(() => {
      if (navigator.onLine && document.visibilityState === "visible") sync({ quiet: true });
    }, POLL_MS);
  }

  /* What the warnings module needs from the page. */
  W.phone = {
    T, fmt, toast, uuid4, localIso, enqueue, stillMine, render,
    owner: () => owner, queue: () => queue, cached, fetchJson,
  };
  window.wuzhaPhone = {
    ready: start(),
    sync: () => sync(),
    owner: () => W.device.owner(),
    queue: () => W.store.queueAll(),
    clock: () => W.net.clockNow(),
  };
})();
