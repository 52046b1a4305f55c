"""python -m bench [--db sqlite|postgres|all] [--scale county|city|all] [phone_network]"""
from __future__ import annotations

import argparse
import os
import platform

from . import (
    base,
    certificates,
    dashboard,
    exports,
    imports,
    maps,
    phone,
    phone_network,
    reports,
    risk,
    visit_table,
    visits,
)
from .common import OUT, postgres_reachable


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all",
                        help="all: SQLite, and PostgreSQL when 127.0.0.1:5432 answers")
    parser.add_argument("--scale", choices=["county", "city", "all"], default="all")
    parser.add_argument("only", nargs="?", choices=["phone_network"], help="run this benchmark alone")
    args = parser.parse_args()
    if args.only == "phone_network":
        phone_network.run()
        return
    kinds = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    if "postgres" in kinds and not postgres_reachable():
        if args.db == "postgres":
            raise SystemExit("PostgreSQL at 127.0.0.1:5432 is not reachable")
        kinds.remove("postgres")
        print("PostgreSQL not reachable: SQLite only")
    scales = ["county", "city"] if args.scale == "all" else [args.scale]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    city_urls = base.run(kinds, scales)
    if "county" in scales and "sqlite" in kinds:
        phone.run(f"sqlite:///{OUT / 'county.sqlite'}")
        phone_network.run()
    if "county" in scales:
        for kind in kinds:
            certificates.run(kind)
    visits.run(city_urls)
    dashboard.run(city_urls)
    exports.run(kinds)
    visit_table.run(kinds)
    if "sqlite" in city_urls:  # the same cases on the city demo's 6 million visits
        visit_table.run_demo_city(city_urls["sqlite"], 5)
    if "sqlite" in kinds:
        risk.run()
    imports.run(kinds)
    if "sqlite" in kinds:
        places = {"county": ("county (宁陕县, 80 villages)", "610923"),
                  "city": ("city (周口市, 5,113 villages)", "4116")}
        maps.run([(label, f"sqlite:///{OUT / f'{scale}.sqlite'}", code)
                  for scale, (label, code) in places.items() if scale in scales])
        if "county" in scales:
            city = f"sqlite:///{OUT / 'city.sqlite'}" if "city" in scales else None
            reports.run(reports.places_in(f"sqlite:///{OUT / 'county.sqlite'}", city))


if __name__ == "__main__":
    main()
