/* Talking to the server from the phone (window.Wuzha.net).
   - Every request has a time limit, so a hung connection never blocks syncing.
   - Only an answer from this app counts: it carries X-Wuzha-App and, from the API, JSON. A captive
     portal's page, a proxy's error page or a maintenance page is treated like no network at all.
   - Every good answer carries the server's clock (X-Server-Time): the offset to the phone's clock is
     kept, and used to correct the times of records made offline (see clockNow / trust). */
(function () {
  "use strict";
  const W = (window.Wuzha = window.Wuzha || {});
  const API = "/api/v1";
  const CLOCK_JUMP_MS = 60 * 1000;  // a clock that moved this much against the page's own timer was changed

  class NetError extends Error {
    /* kind: offline | timeout | not_app | server | login */
    constructor(kind, status) { super(kind); this.kind = kind; this.status = status || 0; }
  }

  // The phone clock's distance from the page's monotonic timer: it changes only when the clock is set.
  const drift = () => Date.now() - (performance.timeOrigin + performance.now());
  let pageClock = null;  // {offset_ms, drift} measured in this page's life

  async function noteClock(response, sentAt, elapsed) {
    const server = Number(response.headers.get("X-Server-Time"));
    if (!Number.isFinite(server) || server <= 0) return;
    const offset = Math.round(server - (sentAt + elapsed / 2));
    pageClock = { offset_ms: offset, drift: drift() };
    await W.store.metaPut("clock", { offset_ms: offset, local_at: Date.now() }).catch(() => {});
  }

  async function request(path, { method = "GET", body, token, timeout = 10000 } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["X-CSRFToken"] = token;
    const sentAt = Date.now(), started = performance.now();
    try {
      let response;
      try {
        response = await fetch(API + path, {
          method, headers, credentials: "same-origin", cache: "no-store", signal: controller.signal,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new NetError(controller.signal.aborted ? "timeout" : "offline");
      }
      if (response.headers.get("X-Wuzha-App") !== "1") throw new NetError("not_app", response.status);
      await noteClock(response, sentAt, performance.now() - started);
      if (response.status === 401) throw new NetError("login", 401);
      if (response.status >= 500) throw new NetError("server", response.status);
      if (!(response.headers.get("Content-Type") || "").includes("application/json")) {
        throw new NetError("not_app", response.status);
      }
      let data;
      try { data = await response.json(); } catch (error) {
        throw new NetError(controller.signal.aborted ? "timeout" : "not_app", response.status);
      }
      return { status: response.status, data };
    } finally {
      clearTimeout(timer);
    }
  }

  /* The phone's clock now, with what is known about its distance from the server's:
     {phone_ms, offset_ms (null: never measured), source: "page" | "stored" | null, trusted}.
     A measurement from this page is trusted while the clock has not moved against the page's timer;
     one stored by an earlier page is trusted unless the clock has since gone back before it. */
  async function clockNow() {
    const phone = Date.now();
    if (pageClock) {
      const moved = Math.abs(drift() - pageClock.drift) > CLOCK_JUMP_MS;
      return { phone_ms: phone, offset_ms: pageClock.offset_ms, source: "page", trusted: !moved };
    }
    const stored = await W.store.metaGet("clock").catch(() => null);
    if (stored) {
      return { phone_ms: phone, offset_ms: stored.offset_ms, source: "stored",
               trusted: phone >= stored.local_at - CLOCK_JUMP_MS };
    }
    return { phone_ms: phone, offset_ms: null, source: null, trusted: true };
  }

  /* The offset measured by this page, if any: a record made with another offset is checked against it. */
  const currentOffset = () => (pageClock ? pageClock.offset_ms : null);
  /* The server's time now, as well as the phone can tell. */
  async function serverNow() {
    const clock = await clockNow();
    return clock.phone_ms + (clock.offset_ms || 0);
  }

  W.net = { request, NetError, clockNow, currentOffset, serverNow, CLOCK_JUMP_MS };
})();
