"""Issue 13: a roster of 100,000 households checked and shown as a preview in under 60 s, both as a new
file (every row new) and as the same file again (every row matched and compared, none written). Beside
it, the floor: reading the same CSV and fetching the keys it is matched against, in plain Python and SQL."""
from __future__ import annotations

import csv
import io
import os
import statistics
import time

import sqlalchemy as sa

from campaign.core.import_plan import apply_plan
from campaign.households.importer import plan_households

from .common import db, fresh_database, make_app, row
from .exports import _insert_areas

ROWS, RUNS, TARGET_SECONDS = 100_000, 3, 60
HEADER = "网格编码,门牌/地址,户主姓名,联系电话,家庭人口,独居老人,重点关注,纬度,经度\n"


def roster(grids: list[str]) -> bytes:
    per_grid = -(-ROWS // len(grids))
    lines = [HEADER]
    for n in range(ROWS):
        grid = grids[n // per_grid]
        lines.append(f"{grid},{n % per_grid + 1}组{n % 7 + 1}号,住户{n},1{3 + n % 6}{n:09d},{1 + n % 5},"
                     f"{'是' if n % 13 == 0 else '否'},否,33.{n % 1000:03d},108.{n % 997:03d}\n")
    return "".join(lines).encode()


def _times(fn) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _show(label: str, times: list[float], floor: float | None = None) -> None:
    worst = max(times)
    text = f"{min(times):.1f}/{statistics.median(times):.1f}/{worst:.1f} s"
    extra = f"floor {floor:.1f} s · " if floor is not None else ""
    row(label, text, f"min/median/max · {extra}target < {TARGET_SECONDS} s", worst < TARGET_SECONDS)


def _floor(data: bytes) -> float:
    """Read every row and fetch the keys of the households already there: what any check must do."""
    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    keys = set(db.session.execute(sa.text("SELECT grid_id, door_label FROM household")).all())
    assert rows and keys is not None
    return time.perf_counter() - started


def run(kinds: list[str]) -> None:
    for kind in kinds:
        print(f"\n[import preview · {ROWS:,} households · {kind}]  load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        url = fresh_database(kind, "imports")
        app = make_app(url)
        with app.app_context():
            grids = _insert_areas(0)
            db.session.commit()
            data = roster(sorted(grids))

            def preview(data: bytes = data) -> None:
                report = plan_households(data)
                assert report.ok and report.rows + report.unchanged == ROWS, report.errors[:3]
                db.session.rollback()

            _show("preview of a new roster (all rows new)", _times(preview), _floor(data))
            started = time.perf_counter()
            apply_plan(plan_households(data))
            db.session.commit()
            row("  import it (check and write)", f"{time.perf_counter() - started:.1f} s", "once")
            _show("preview of the same roster again (all unchanged)", _times(preview), _floor(data))
        print("  load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    run(["sqlite"])
