"""Coverage tables as XLSX: the sub-areas of a page, the rankings, a grid's households, and every
visit of an area in a round, streamed from the database."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy.orm as so
from flask_babel import gettext as _

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.exports import ExportColumn, Sheet
from campaign.core.text import mask_name
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import GEO_LABELS, OUTCOME_LABELS, RISK_FLAGS, RISK_LABELS, Visit

from .services import Figures, grid_households, visits_query

RANK = ExportColumn("排名", "int", width=6)
FIGURE_COLUMNS = [
    ExportColumn("在册户数", "int"), ExportColumn("应走访户数", "int"), ExportColumn("已入户", "int"),
    ExportColumn("不在家", "int"), ExportColumn("拒绝", "int"), ExportColumn("未走访", "int"),
    ExportColumn("空置/搬离", "int"), ExportColumn("覆盖率", "percent"), ExportColumn("宣传人数", "int"),
    ExportColumn("安装反诈APP", "int"), ExportColumn("走访次数", "int"), ExportColumn("存疑走访", "int"),
    ExportColumn("存疑比例", "percent"),
]
VISIT_COLUMNS = [
    ExportColumn("走访时间", "datetime"), ExportColumn("村(社区)", width=16), ExportColumn("网格", width=20),
    ExportColumn("门牌/地址", width=16), ExportColumn("户主"), ExportColumn("走访结果", width=14),
    ExportColumn("宣传人数", "int"), ExportColumn("安装反诈APP", "int"), ExportColumn("风险", width=24),
    ExportColumn("定位", width=16), ExportColumn("距门(米)", "int"), ExportColumn("定位精度(米)", "int"),
    ExportColumn("过快"), ExportColumn("时间存疑"), ExportColumn("手机时间", "datetime"),
    ExportColumn("手机时钟偏差(秒，正数为慢)", "int"), ExportColumn("网格员"), ExportColumn("备注", width=30),
]


def _figures(f: Figures) -> list:
    return [f.households, f.in_scope, f.reached, f.not_home, f.refused, f.never_visited, f.vacant, f.coverage,
            f.people_briefed, f.app_installs, f.visits, f.flagged, f.flagged_share]


def areas_sheet(title: str, rows: Sequence[tuple[Area, Figures]]) -> Sheet:
    """Ranked areas (as ``services.ranked`` orders them) with their figures."""
    columns = [RANK, ExportColumn("区划代码", width=17), ExportColumn("名称", width=20), *FIGURE_COLUMNS]
    return Sheet(title, columns, ([n, area.code, area.name, *_figures(f)] for n, (area, f) in enumerate(rows, 1)))


def workers_sheet(title: str, rows: Sequence[tuple[User, Figures]]) -> Sheet:
    """Ranked grid workers: the figures of their grids, then their own visits."""
    columns = [RANK, ExportColumn("网格员"), ExportColumn("用户名"), *FIGURE_COLUMNS,
               ExportColumn("本人入户", "int")]
    return Sheet(title, columns, ([n, user.display_name, user.username, *_figures(f),
                                   f.extra.get("reached_by_worker", 0)] for n, (user, f) in enumerate(rows, 1)))


def households_sheet(title: str, round_: Round, grid: Area) -> Sheet:
    """A grid's households with where each stands in the round; names masked as on the page."""
    never = _("Never visited")
    columns = [ExportColumn("门牌/地址", width=16), ExportColumn("户主"), ExportColumn("家庭人口", "int"),
               ExportColumn("状态", width=14), ExportColumn("走访次数", "int")]
    return Sheet(title, columns, ([h.door_label, h.masked_name, h.members, status.label if status else never,
                                   visits or 0] for h, status, visits in grid_households(round_.id, grid)))


def _risks(flags: tuple[bool, ...]) -> str:
    return "、".join(str(RISK_LABELS[name]) for name, on in zip(RISK_FLAGS, flags, strict=True) if on)


def visit_rows(round_: Round, area: Area, *, flagged: bool = False) -> Iterator[tuple]:
    """The visits of the page, as plain columns streamed in batches: no ORM object per row."""
    village = so.aliased(Area)
    query = (visits_query(round_.id, area, flagged=flagged)
             .with_only_columns(Visit.visited_at, village.name, Area.name, Household.door_label, Household.head_name,
                                Visit.outcome, Visit.people_briefed, Visit.app_installs, Visit.geo, Visit.distance_m,
                                Visit.accuracy_m, Visit.too_fast, Visit.time_trusted, Visit.phone_time,
                                Visit.clock_offset_ms, User.display_name, Visit.note,
                                *(getattr(Visit, f"risk_{name}") for name in RISK_FLAGS))
             .join(village, village.id == Area.parent_id).join(User, User.id == Visit.worker_id)
             .execution_options(yield_per=2000))
    outcomes = {key: str(label) for key, label in OUTCOME_LABELS.items()}
    geos = {key: str(label) for key, label in GEO_LABELS.items()}
    risks: dict[tuple[bool, ...], str] = {}
    too_fast, doubtful = _("too fast"), _("time in doubt")
    for (at, village_name, grid_name, door, head, outcome, briefed, installs, geo, distance, accuracy, fast, trusted,
         phone_time, offset_ms, worker, note, *flags) in db.session.execute(query):
        key = tuple(flags)
        if key not in risks:
            risks[key] = _risks(key)
        yield (at, village_name, grid_name, door, mask_name(head), outcomes[outcome], briefed, installs, risks[key],
               geos[geo], distance, accuracy, too_fast if fast else "", "" if trusted else doubtful, phone_time,
               None if offset_ms is None else round(offset_ms / 1000), worker, note)


def visits_sheet(title: str, round_: Round, area: Area, *, flagged: bool = False) -> Sheet:
    return Sheet(title, VISIT_COLUMNS, visit_rows(round_, area, flagged=flagged))
