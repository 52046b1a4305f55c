"""Import of the official statistical division list (统计用区划代码) in the CSV layout of the
``china-division`` package: ``cities.csv``, ``areas.csv``, ``streets.csv``, ``villages.csv``
(``code,name,<parent code>,...``). All or nothing; existing codes are renamed, never duplicated.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.core.imports import CHECKING, WRITING
from campaign.core.inputs import is_digits
from campaign.core.tabular import Column, ImportReport, read_table
from campaign.extensions import db
from campaign.jobs import runner

from .models import Area, AreaLevel, parent_code

COLUMNS = [
    Column("code", "代码", aliases=("区划代码", "统计用区划代码"), required=True, example="610923100001"),
    Column("name", "名称", required=True, as_typed=True, example="城南社区居委会"),
    Column("parent", "上级代码",
           aliases=("streetCode", "areaCode", "cityCode"), example="610923100"),
]
HEADER = {column.key: column.header for column in COLUMNS}

# Committee names shortened to what people say: 老城村委会 → 老城村, 城南社区居委会 → 城南社区.
_NAME_SUFFIXES = [
    ("社区居民委员会", "社区"), ("社区居委会", "社区"), ("社区村委会", "社区"),
    ("村村民委员会", "村"), ("村民委员会", "村"), ("村委会", "村"),
    ("居民委员会", "社区"), ("居委会", "社区"),
]


def short_name(name: str) -> str:
    for suffix, replacement in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def import_divisions(data: bytes, *, under: str | None = None) -> ImportReport:
    """Check every row, then write all of them or none. ``under`` keeps only codes below a prefix."""
    rows = read_table(data, COLUMNS)
    report = ImportReport()
    pending: dict[str, tuple[str, AreaLevel]] = {}
    accepted: list[tuple[int, str, AreaLevel]] = []
    for row in runner.track(rows, CHECKING):
        code, name, parent = row.values["code"], row.values["name"], row.values.get("parent", "")
        level = AreaLevel.from_code(code) if is_digits(code) else None
        if not code:
            report.add(row.line, _l("The code is empty."), HEADER["code"])
        elif level is None or level is AreaLevel.GRID:
            report.add(row.line, _l("%(code)s is not a 4, 6, 9 or 12 digit division code.", code=code),
                       HEADER["code"])
        elif under and not code.startswith(under):
            continue  # a well-formed code outside the office's area: the national list holds many
        elif not name:
            report.add(row.line, _l("The name is empty."), HEADER["name"])
        elif parent and level is not AreaLevel.CITY and parent != parent_code(code):
            report.add(row.line, _l("The parent code %(parent)s does not match the code %(code)s.",
                                    parent=parent, code=code), HEADER["parent"])
        elif code in pending:
            report.add(row.line, _l("The code %(code)s appears twice.", code=code), HEADER["code"])
        else:
            pending[code] = (short_name(name), level)
            accepted.append((row.line, code, level))
    existing = {
        code: area for code, area in
        ((a.code, a) for a in db.session.scalars(sa.select(Area).where(Area.code.in_(
            {c for c in pending} | {parent_code(c) for c in pending if parent_code(c)}))))
    }
    for line, code, level in accepted:
        if level in (AreaLevel.CITY, AreaLevel.COUNTY):
            continue  # a county may stand at the top when its city is not loaded
        wanted = parent_code(code)
        if wanted not in pending and wanted not in existing:
            report.add(line, _l("The parent area %(parent)s is unknown.", parent=wanted), HEADER["parent"])
    report.errors.sort(key=lambda e: e.line)
    report.rows = len(pending)
    if not report.ok:
        return report
    for code in runner.track(sorted(pending, key=lambda c: (len(c), c)), WRITING):
        name, level = pending[code]
        area = existing.get(code)
        if area is None:
            area = Area(code=code, name=name, level=level, parent=existing.get(parent_code(code) or ""))
            db.session.add(area)
            existing[code] = area
        else:
            area.name = name
    db.session.flush()
    return report
