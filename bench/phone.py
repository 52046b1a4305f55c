"""Issue 3: a phone's queue of 200 offline visits syncing, in real Chromium against gunicorn."""
from __future__ import annotations

import time

from .common import row
from .http import gunicorn

PORT = 5124
CHROMIUM = "/usr/bin/chromium"

WALK_LISTS = """async () => {
  const session = await (await fetch('/api/v1/session')).json();
  const households = [];
  let round = null;
  for (const area of session.areas) {
    const list = await (await fetch('/api/v1/walklist?grid=' + area.code)).json();
    round = list.round.id;
    households.push(...list.households);
  }
  return [round, households];
}"""

QUEUE_200 = """async ([userId, round, households]) => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('wuzha', 1); r.onsuccess = () => ok(r.result);
                                             r.onerror = () => no(r.error); });
  const t = db.transaction('queue', 'readwrite');
  const start = Date.now() - 3 * 3600 * 1000;
  for (let i = 0; i < 200; i++) {
    const h = households[i % households.length];
    const visit = { uuid: crypto.randomUUID(), round_id: round, household_id: h.id, outcome: 'reached',
                    people_briefed: 2, app_installs: 1, materials: 1, risk_flags: [], note: '',
                    visited_at: new Date(start + i * 45000).toISOString() };
    t.objectStore('queue').put({ uuid: visit.uuid, user_id: userId, door_label: h.door_label, visit });
  }
  await new Promise((ok) => { t.oncomplete = ok; });
  return 200;
}"""


def run(url: str) -> None:
    from playwright.sync_api import sync_playwright

    print("\n[phone sync in Chromium · sqlite county demo]")
    with gunicorn(url, PORT), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        base = f"http://127.0.0.1:{PORT}"
        page.goto(base + "/login")
        page.fill("#username", "worker")
        page.fill("#password", "Wuzha@2026")
        page.click("main button[type=submit]")
        page.goto(base + "/visits/")
        page.wait_for_selector("[data-household]")
        user_id = page.evaluate("JSON.parse(document.getElementById('visit-config').textContent).user_id")
        round_id, households = page.evaluate(WALK_LISTS)
        context.set_offline(True)
        page.evaluate(QUEUE_200, [user_id, round_id, households])
        page.reload()
        page.wait_for_function("document.getElementById('pending').textContent === '200'")
        began = time.perf_counter()
        context.set_offline(False)
        page.wait_for_selector("#pending", state="hidden", timeout=120_000)
        seconds = time.perf_counter() - began
        row("queue of 200 offline visits synced", f"{seconds:.1f} s", "target < 10 s", seconds < 10)
        browser.close()
