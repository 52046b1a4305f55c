"""The top bar's menu: the pages a user may open, grouped into a few drop-downs so the bar stays on one line
(走访, 安全, 创建, 报表, 管理). A group with one page is shown as a plain link."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaign.areas.models import AreaLevel

COVERAGE_PAGES = frozenset({"coverage.index", "coverage.show", "coverage.visits"})
USER_PAGES = frozenset({"accounts.users", "accounts.new_user", "accounts.edit_user", "accounts.security"})


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    active: bool = False


@dataclass(frozen=True)
class Group:
    key: str  # stable name for tests and styles
    label: str
    items: list[Item] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(item.active for item in self.items)


def _here(*, blueprints: Iterable[str] = (), endpoints: Iterable[str] = ()) -> bool:
    return request.blueprint in blueprints or request.endpoint in endpoints


def _item(label, endpoint: str, *, blueprints: Iterable[str] = (), endpoints: Iterable[str] = (), **values) -> Item:
    return Item(label=str(label), url=url_for(endpoint, **values),
                active=_here(blueprints=blueprints, endpoints=endpoints or (endpoint,)))


def _rankings(user) -> list[Item]:
    """The rankings of the user's own area, those its level has (a township has villages but no townships),
    and its workers' falsification risk."""
    roots = user.scope_roots()
    if user.is_worker or not roots:
        return []
    root, order = roots[0], list(AreaLevel)
    depth = order.index(root.level)
    items = []
    if depth < order.index(AreaLevel.TOWNSHIP):
        items.append(_item(_l("Ranking of townships"), "coverage.townships", code=root.code))
    if depth < order.index(AreaLevel.VILLAGE):
        items.append(_item(_l("Ranking of villages"), "coverage.villages", code=root.code))
    items.append(_item(_l("Ranking of workers"), "coverage.workers", code=root.code))
    items.append(_item(_l("Falsification risk"), "risk.show", blueprints=("risk",), code=root.code))
    return items


def menu() -> list[Group]:
    """The groups of the signed-in user's menu, with the page being shown marked."""
    user = current_user
    if not user.is_authenticated:
        return []
    managers = not user.is_worker
    fieldwork = [
        *([_item(_l("Door-knocking"), "visits.phone", blueprints=("visits",))] if user.is_worker else []),
        *([_item(_l("Visits"), "visit_table.index", blueprints=("visit_table",))] if managers else []),
        (_item(_l("Call-backs"), "callbacks.index", blueprints=("callbacks",)) if managers else
         _item(_l("My call-backs"), "callbacks.mine", blueprints=("callbacks",))),
        _item(_l("Rounds"), "rounds.index", blueprints=("rounds",)),
        _item(_l("Households"), "households.index", blueprints=("households",)),
    ]
    safety = [
        _item(_l("Warnings"), "warnings.index", blueprints=("warnings",)),
        *([_item(_l("Incidents"), "incidents.index", blueprints=("incidents",))] if managers else []),
        _item(_l("Events"), "events.index", blueprints=("events",)),
    ]
    creation = [_item(_l("Fraud-free creation"), "creation.index", blueprints=("creation",))] if managers else []
    figures = [
        _item(_l("Coverage"), "coverage.index", endpoints=COVERAGE_PAGES),
        _item(_l("Map"), "maps.index", blueprints=("maps",)),
        *_rankings(user),
        *([_item(_l("Reports"), "reports.index", blueprints=("reports",))] if managers else []),
    ]
    admin = [
        _item(_l("Areas"), "areas.index", blueprints=("areas",)),
        *([_item(_l("Users"), "accounts.users", endpoints=USER_PAGES),
           _item(_l("Audit log"), "audit.index", blueprints=("audit",))] if user.is_county else []),
    ]
    groups = [Group("home", str(_l("Home")), [_item(_l("Home"), "main.index")]),
              Group("fieldwork", str(_l("Fieldwork")), fieldwork),
              Group("safety", str(_l("Safety")), safety),
              Group("creation", str(_l("Fraud-free creation")), creation),
              Group("figures", str(_l("Statistics")), figures),
              Group("admin", str(_l("Administration")), admin)]
    return [group for group in groups if group.items]
