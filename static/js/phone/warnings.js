/* Warnings (预警劝阻) on the grid worker's phone: the ones assigned to the worker sit at the top of
   the phone page with the time left to the face-to-face deadline counting down. Attempts and closing
   are logged here, offline too: they go through the same queue as visits (UUID, owner, sealed time).
   The list is cached per worker for offline use and refreshed with every sync (about every 20 s). */
(function () {
  "use strict";
  const W = window.Wuzha;
  const $ = (id) => document.getElementById(id);
  const PATH = "/warnings";
  let warnings = [];
  let known = null;        // ids seen so far, to announce new ones
  let acting = null;       // {warning, type, kind}
  let serverNowMs = Date.now();

  const time = (iso) => new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN",
    { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

  function span(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  async function loadCached() {
    warnings = (await W.phone.cached(PATH) || { warnings: [] }).warnings;
    known = known || new Set(warnings.map((w) => w.id));
  }

  async function loadNetwork() {
    let data;
    try { data = await W.phone.fetchJson(PATH); } catch (error) {
      if (error.kind === "answer") return;  // not available to this account: keep what is shown
      throw error;
    }
    warnings = data.warnings;
    const fresh = warnings.filter((w) => !w.closed_at && known && !known.has(w.id));
    known = new Set(warnings.map((w) => w.id));
    if (fresh.length) {
      W.phone.toast(W.phone.fmt(W.phone.T.new_warning, { resident: fresh.map((w) => w.resident).join("、") }));
      if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    }
  }

  const pendingFor = (id) => W.phone.queue().filter((item) => item.kind === "warning" && item.payload.warning_id === id);

  function button(text, style, data, handler) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn " + style;
    Object.assign(b.dataset, data);
    b.textContent = text;
    b.onclick = handler;
    return b;
  }

  function card(warning) {
    const T = W.phone.T;
    const pending = pendingFor(warning.id);
    const closing = pending.some((item) => item.payload.type === "close" && !item.problem);
    const faceQueued = pending.find((item) => item.payload.type === "attempt" && item.payload.kind === "face" && !item.problem);
    const faced = warning.first_face_at || (faceQueued ? new Date(faceQueued.saved_at).toISOString() : null);
    const closed = Boolean(warning.closed_at) || closing;

    const element = document.createElement("div");
    element.className = "card warning-card border-" + (warning.level === "high" ? "danger" : "warning") + (closed ? " opacity-75" : "");
    element.dataset.warning = warning.id;
    const body = document.createElement("div");
    body.className = "card-body p-3";

    const head = document.createElement("div");
    head.className = "d-flex justify-content-between align-items-start gap-2";
    const who = document.createElement("strong");
    who.className = "fs-5";
    who.textContent = warning.resident;
    const level = document.createElement("span");
    level.className = "badge " + (warning.level === "high" ? "text-bg-danger" : "text-bg-warning");
    level.textContent = warning.level_label || T["level_" + warning.level] || warning.level;
    head.append(who, level);
    body.appendChild(head);

    const where = document.createElement("div");
    where.className = "warning-household small text-body-secondary";
    where.textContent = warning.household
      ? [warning.household.grid_name, warning.household.door_label, warning.household.head].filter(Boolean).join(" · ")
      : warning.area_name || "";
    body.appendChild(where);

    const countdown = document.createElement("div");
    countdown.className = "countdown fw-bold my-1";
    countdown.dataset.deadline = warning.deadline_at;
    if (closed) {
      countdown.textContent = warning.closed_at ? T.closed : "⟳ " + T.close_waiting;
    } else if (faced) {
      countdown.textContent = W.phone.fmt(T.faced, { time: time(faced) });
    } else {
      countdown.dataset.live = "1";
    }
    body.appendChild(countdown);

    if (warning.phone && !closed) {
      const call = document.createElement("a");
      call.className = "btn btn-outline-primary w-100 mb-2";
      call.href = "tel:" + warning.phone;
      call.textContent = T.call + " " + warning.phone;
      body.appendChild(call);
    }

    const attempts = document.createElement("ul");
    attempts.className = "small mb-2 ps-3";
    const lines = warning.attempts.map((a) => ({ at: a.at, kind: a.kind, result: a.result, waiting: false }))
      .concat(pending.filter((item) => item.payload.type === "attempt").map((item) => ({
        at: new Date(item.saved_at).toISOString(), kind: item.payload.kind, result: item.payload.result, waiting: true })));
    for (const line of lines) {
      const li = document.createElement("li");
      li.textContent = time(line.at) + " " + (line.kind === "face" ? T.attempt_face : T.attempt_phone) +
        (line.result ? "：" + line.result : "") + (line.waiting ? " ⟳" : "");
      attempts.appendChild(li);
    }
    if (lines.length) body.appendChild(attempts);

    if (!closed) {
      const actions = document.createElement("div");
      actions.className = "d-flex gap-2 flex-wrap";
      actions.append(
        button(T.attempt_face, "btn-success", { attempt: "face" }, () => open(warning, "attempt", "face")),
        button(T.attempt_phone, "btn-outline-primary", { attempt: "phone" }, () => open(warning, "attempt", "phone")),
        button(T.close, "btn-outline-secondary", { close: "1" }, () => open(warning, "close")));
      body.appendChild(actions);
    }
    if (pending.some((item) => !item.problem)) {
      const mark = document.createElement("div");
      mark.className = "pending-mark small mt-1";
      mark.textContent = "⟳ " + T.waiting;
      body.appendChild(mark);
    }
    element.appendChild(body);
    return element;
  }

  function render() {
    const cards = $("warning-cards");
    cards.innerHTML = "";
    const shown = warnings.slice().sort((a, b) => Boolean(a.closed_at) - Boolean(b.closed_at) ||
      a.deadline_at.localeCompare(b.deadline_at));
    shown.forEach((warning) => cards.appendChild(card(warning)));
    $("warnings").hidden = shown.length === 0;
    tick();
  }

  async function tick() {
    serverNowMs = await W.net.serverNow();
    const T = W.phone.T;
    document.querySelectorAll("#warning-cards .countdown[data-live]").forEach((element) => {
      const left = Date.parse(element.dataset.deadline) - serverNowMs;
      element.textContent = left >= 0 ? W.phone.fmt(T.deadline_in, { time: span(left) })
        : W.phone.fmt(T.deadline_over, { time: span(left) });
      element.classList.toggle("text-danger", left < 0 || left < 30 * 60 * 1000);
    });
  }
  setInterval(tick, 1000);

  function open(warning, type, kind) {
    const T = W.phone.T;
    acting = { warning, type, kind };
    $("warning-form-title").textContent = type === "close" ? T.close : kind === "face" ? T.attempt_face : T.attempt_phone;
    $("warning-form-who").textContent = warning.resident;
    $("warning-outcome-field").hidden = type !== "close";
    // Only a false alarm closes a warning nobody has tried to reach yet (the server refuses the rest).
    const tried = warning.attempts.length > 0 ||
      pendingFor(warning.id).some((item) => item.payload.type === "attempt" && !item.problem);
    for (const option of $("warning-outcome").options) option.disabled = !tried && option.value !== "false_alarm";
    $("warning-outcome").value = tried ? "dissuaded" : "false_alarm";
    $("warning-loss").value = "";
    $("warning-result").value = "";
    $("warning-form").hidden = false;
  }

  $("warning-form-close").onclick = () => { $("warning-form").hidden = true; acting = null; };
  $("warning-save").addEventListener("click", async () => {
    if (!acting || !(await W.phone.stillMine())) return;
    const { warning, type, kind } = acting;
    const action = { uuid: W.phone.uuid4(), warning_id: warning.id, type, result: $("warning-result").value.trim() };
    if (type === "attempt") action.kind = kind;
    else {
      action.outcome = $("warning-outcome").value;
      const loss = $("warning-loss").value.trim();
      if (loss) action.loss_prevented = loss;
    }
    $("warning-form").hidden = true;
    acting = null;
    await W.phone.enqueue("warning", warning.reference + " " + warning.resident, action);
  });

  W.phoneWarnings = { loadCached, loadNetwork, render };
})();
