"""The audit log as its readers see it (审计日志): record types, actions and field names in their language,
values as the rest of the app shows them (names, not ids; labels, not enum values), and each record's page.

Presentation only: the stored entries, and the hash chain over them (chain.py), stay exactly as written.
One registry, ``SUBJECTS``: the ``subject`` of every ``record()`` call has its entry there (a test scans
the source for them). Ids are looked up in bulk, one query per kind for a whole page of entries.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from campaign.accounts.access import users_query
from campaign.accounts.models import Role, User
from campaign.areas.models import Area
from campaign.callbacks.models import Method as CallbackMethod
from campaign.callbacks.models import Result as CallbackResult
from campaign.core.text import mask_name, mask_phone
from campaign.creation.access import targets_query
from campaign.creation.criteria import LABELS as CRITERIA_LABELS
from campaign.creation.models import CreationTarget, TargetKind, TargetStatus
from campaign.creation.services import HISTORY_LABELS
from campaign.events.access import events_query
from campaign.events.models import EventKind, PublicityEvent
from campaign.extensions import db
from campaign.households.access import households_query
from campaign.households.models import Household
from campaign.incidents.access import incidents_query
from campaign.incidents.models import FraudType, Incident, IncidentKind
from campaign.review.states import ReviewState
from campaign.rounds.access import rounds_query
from campaign.rounds.models import Round
from campaign.visits.access import visits_query
from campaign.visits.models import Visit
from campaign.warnings.access import warnings_query
from campaign.warnings.models import AttemptKind, FraudWarning, Level, WarningOutcome

from .models import AuditEntry

# --- ids named: one query per kind of id for a whole page --------------------------------------

USER, AREA, AREA_CODE, HOUSEHOLD, TARGET, INCIDENT = "user", "area", "area_code", "household", "target", "incident"


def _named(query: Callable[[list], sa.Select], name: Callable = lambda row: row[1]) -> Callable[[set], dict]:
    def load(keys: set) -> dict:
        found, keys = {}, sorted(keys, key=str)
        for start in range(0, len(keys), 500):  # SQLite takes some hundreds of bound values at most
            found.update({row[0]: name(row) for row in db.session.execute(query(keys[start:start + 500]))})
        return found
    return load


def _door(row) -> str:
    return f"{row.door_label}（{row.name}）"


def _incident_name(row) -> str:
    return f"{format_date(row.occurred_on, 'short')} {FraudType(row.fraud_type).label}"


_LOADERS: dict[str, Callable[[set], dict]] = {
    USER: _named(lambda ids: sa.select(User.id, User.display_name).where(User.id.in_(ids))),
    AREA: _named(lambda ids: sa.select(Area.id, Area.name).where(Area.id.in_(ids))),
    AREA_CODE: _named(lambda ids: sa.select(Area.code, Area.name).where(Area.code.in_(ids))),
    HOUSEHOLD: _named(lambda ids: sa.select(Household.id, Household.door_label, Area.name)
                      .join(Area, Area.id == Household.grid_id).where(Household.id.in_(ids)), _door),
    TARGET: _named(lambda ids: sa.select(CreationTarget.id, CreationTarget.name).where(CreationTarget.id.in_(ids))),
    INCIDENT: _named(lambda ids: sa.select(Incident.id, Incident.occurred_on, Incident.fraud_type)
                     .where(Incident.id.in_(ids)), _incident_name),
}


class Names:
    """The ids a page of entries mentions, collected first and then named all at once."""

    def __init__(self) -> None:
        self.wanted: dict[str, set] = defaultdict(set)
        self.found: dict[str, dict] = {}

    def want(self, kind: str, key) -> None:
        key = _key(kind, key)
        if key is not None:
            self.wanted[kind].add(key)

    def load(self) -> None:
        self.found = {kind: _LOADERS[kind](keys) for kind, keys in self.wanted.items()}

    def name(self, kind: str, key) -> str:
        key = _key(kind, key)
        if key is None:
            return ""
        found = self.found.get(kind, {}).get(key)
        return found if found is not None else _("#%(id)s (deleted)", id=key)


def _key(kind: str, key):
    if key is None or isinstance(key, (dict, list, bool)) or key == "":
        return None
    if kind == AREA_CODE:
        return str(key)
    try:
        return int(key)
    except (TypeError, ValueError):
        return None


# --- values as users see them ----------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    """How one field's stored value reads: ``show(value, names)``; ``refs`` are the ids it names."""

    show: Callable[[object, Names], str]
    refs: Callable[[object], Iterable[tuple[str, object]]] = lambda value: ()


def _plain(value, _names=None) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items())
    return str(value)


TEXT = Value(_plain)
YES_NO = Value(lambda value, _n: _("Yes") if value else _("No"))


def enum_value(cls: type[Enum]) -> Value:
    def show(value, _names) -> str:
        try:
            return str(cls(value).label)
        except ValueError:
            return str(value)
    return Value(show)


def ref(kind: str) -> Value:
    return Value(lambda value, names: names.name(kind, value), lambda value: [(kind, value)])


def refs(kind: str) -> Value:
    """A list of ids (or codes), or text listing them as "#12, #13"."""
    def keys(value) -> list:
        return value if isinstance(value, list) else [int(n) for n in re.findall(r"#(\d+)", str(value))]
    return Value(lambda value, names: "、".join(names.name(kind, key) for key in keys(value)) or _plain(value),
                 lambda value: [(kind, key) for key in keys(value)])


def _money(value, _names) -> str:
    try:
        return format_decimal(Decimal(str(value)), format="#,##0.00")
    except (InvalidOperation, ValueError):
        return str(value)


def _day(value, _names) -> str:
    try:
        return format_date(date.fromisoformat(str(value)), "short")
    except ValueError:
        return str(value)


def _moment(value, _names=None) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "short")


MONEY, DAY, MOMENT = Value(_money), Value(_day), Value(_moment)
MASKED_NAME = Value(lambda value, _n: mask_name(str(value)))
MASKED_PHONE = Value(lambda value, _n: str(value) if set(str(value)) <= {"*"} else mask_phone(str(value)))

# What a view or an export showed, and through which page: the words the privacy modules record.
WORDS = {"head_name": _l("Head of household"), "phone": _l("Phone"), "location": _l("Location"),
         "visits": _l("Visits"), "audit": _l("Audit log"), "visit notes": _l("Visit notes")}
VIAS = {"warning page": _l("the warning's page"), "phone": _l("the grid worker's phone"),
        "household page": _l("the household's page"), "edit page": _l("the household's edit page"),
        "access json": _l("personal data export (JSON)"), "access xlsx": _l("personal data export (Excel)"),
        "warnings xlsx": _l("warnings export (Excel)"), "audit xlsx": _l("audit log export (Excel)"),
        "command line": _l("command line"), "call-back task": _l("a call-back task")}
WORD_LIST = Value(lambda value, _n: "、".join(str(WORDS.get(w.strip(), w.strip())) for w in str(value).split(",")))
VIA = Value(lambda value, _n: str(VIAS.get(str(value), value)))


def _attempt(value, _names) -> str:
    """"face 2026-03-01T10:00:00+00:00 result" as the warning's page shows an attempt."""
    kind, _sep, rest = str(value).partition(" ")
    moment, _sep, result = rest.partition(" ")
    try:
        kind = AttemptKind(kind).label
    except ValueError:
        pass
    return " ".join(part for part in (kind, _moment(moment) if moment else "", result) if part)


def _override(value, _names) -> str:
    if not isinstance(value, dict):
        return _plain(value)
    unmet = "、".join(str(CRITERIA_LABELS.get(key, key)) for key in value.get("unmet", []))
    return _("Unmet: %(criteria)s; reason: %(reason)s", criteria=unmet or "—", reason=value.get("reason", ""))


ATTEMPT, OVERRIDE = Value(_attempt), Value(_override)


# --- the registry ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A record named for the log; ``visible``: inside the viewer's area, so its page opens for them."""

    name: str
    visible: bool


Lookup = Callable[[list[int], User], dict[int, Found]]


def records(key, name: Callable, *columns, joins=(), visible: Callable[[User], sa.Select]) -> Lookup:
    """Names ``key``'s rows by ``name(row)``; ``visible(user)`` is the viewer's own query of them."""
    def lookup(ids: list[int], user: User) -> dict[int, Found]:
        query = sa.select(key, *columns)
        for join in joins:
            query = query.join(*join)
        rows = db.session.execute(query.where(key.in_(ids))).all()
        seen = set(db.session.scalars(visible(user).order_by(None).with_only_columns(key).where(key.in_(ids))))
        return {row[0]: Found(name(row), row[0] in seen) for row in rows}
    return lookup


def own_area(user: User) -> sa.Select:
    return sa.select(Area.id).where(Area.id == user.area_id)


@dataclass(frozen=True)
class Subject:
    """One kind of record in the log: what it is called, its page, its fields and how their values read."""

    label: object
    fields: Mapping[str, object] = field(default_factory=dict)
    values: Mapping[str, Value] = field(default_factory=dict)
    lookup: Lookup | None = None
    url: Callable[[int], str] | None = None
    actions: Mapping[str, object] = field(default_factory=dict)
    name_field: str | None = None  # the field that names a deleted record, from its last entry


ACTIONS = {
    "create": _l("Registered"), "update": _l("Edited"), "delete": _l("Deleted"), "view": _l("Viewed in full"),
    "search": _l("Searched by phone"), "export": _l("Exported"), "erase": _l("Personal data erased"),
    "import": _l("Imported"), "assign": _l("Assigned"), "attempt": _l("Attempt logged"), "close": _l("Closed"),
    "login": _l("Logged in"), "logout": _l("Logged out"), "login_failed": _l("Failed log-in"),
    "password_change": _l("Password changed"), "totp_on": _l("Two-step log-in turned on"),
    "totp_off": _l("Two-step log-in turned off"),
    "review": _l("Reviewed"),
    **HISTORY_LABELS,  # the creation life cycle's own words: certify, revoke, send back, flag for review…
}

# Fields several records share.
SHOWN = {"shown": _l("Shown in full"), "via": _l("Through"), "address": _l("IP address"), "rows": _l("Rows")}
SHOWN_VALUES = {"shown": WORD_LIST, "via": VIA, "address": VIA}
TARGET_ID = _l("School or unit (a registered creation target)")

SUBJECTS: dict[str, Subject] = {
    "incident": Subject(
        _l("Incident"),
        {"village_id": _l("Village / community"), "kind": _l("What was found"), "target_id": TARGET_ID,
         "occurred_on": _l("Date"), "fraud_type": _l("Fraud type"), "loss": _l("Loss (yuan)"),
         "recovered": _l("Recovered or stopped (yuan)"), "case_ref": _l("Case reference"),
         "description": _l("Short description")},
        {"village_id": ref(AREA), "kind": enum_value(IncidentKind), "target_id": ref(TARGET), "occurred_on": DAY,
         "fraud_type": enum_value(FraudType), "loss": MONEY, "recovered": MONEY},
        records(Incident.id, _incident_name, Incident.occurred_on, Incident.fraud_type,
                visible=lambda user: incidents_query(user)),
        lambda i: url_for("incidents.edit", incident_id=i)),
    "warning": Subject(
        _l("Warning"),
        {"area_id": _l("Village, community or grid"), "household_id": _l("Household"), "target_id": TARGET_ID,
         "resident": _l("Resident or household"), "phone": _l("Phone"), "level": _l("Level"),
         "received_at": _l("Received at"), "source": _l("Source"), "assigned_to_id": _l("Assigned to"),
         "attempt": _l("Attempt"), "closed_at": _l("Closed at"), "outcome": _l("Outcome of the warning"),
         "loss_prevented": _l("Loss prevented (yuan)"), **SHOWN},
        {"area_id": ref(AREA), "household_id": ref(HOUSEHOLD), "target_id": ref(TARGET), "resident": MASKED_NAME,
         "phone": MASKED_PHONE, "level": enum_value(Level), "received_at": MOMENT, "assigned_to_id": ref(USER),
         "attempt": ATTEMPT, "closed_at": MOMENT, "outcome": enum_value(WarningOutcome), "loss_prevented": MONEY,
         **SHOWN_VALUES},
        records(FraudWarning.id, lambda row: row.reference, FraudWarning.reference,
                visible=lambda user: warnings_query(user)),
        lambda i: url_for("warnings.show", warning_id=i)),
    "event": Subject(
        _l("Publicity event"),
        {"kind": _l("Type"), "held_on": _l("Date"), "area_id": _l("Area"), "target": _l("School or unit"),
         "target_id": TARGET_ID, "attendees": _l("Attendees"),
         "app_installs": _l("Anti-fraud app installs at the event"),
         "materials": _l("Materials handed out"), "organiser": _l("Organiser"), "note": _l("Note"),
         "photos": _l("Photos")},
        {"kind": enum_value(EventKind), "held_on": DAY, "area_id": ref(AREA), "target_id": ref(TARGET)},
        records(PublicityEvent.id, lambda row: f"{format_date(row.held_on, 'short')} {EventKind(row.kind).label}",
                PublicityEvent.held_on, PublicityEvent.kind, visible=lambda user: events_query(user)),
        lambda i: url_for("events.show", event_id=i)),
    "creation_target": Subject(
        _l("Creation target"),
        {"kind": _l("Kind"), "name": _l("Name of the target"), "area_id": _l("Area"),
         "contact_name": _l("Contact person"), "contact_phone": _l("Contact phone"),
         "headcount": _l("Headcount (students and staff, or employees)"), "status": _l("Status"),
         "certificate": _l("Certificate number"), "override": _l("Awarded by override"), "incident": _l("Incident")},
        {"kind": enum_value(TargetKind), "area_id": ref(AREA), "status": enum_value(TargetStatus),
         "override": OVERRIDE, "incident": ref(INCIDENT)},
        records(CreationTarget.id, lambda row: row.name, CreationTarget.name, visible=lambda user: targets_query(user)),
        lambda i: url_for("creation.show", target_id=i), name_field="name"),
    "creation_criteria": Subject(
        _l("Criteria"),
        {"kind": _l("Kind"), "window_months": _l("Window (months)"),
         "three_no": _l("No case, fraud den or fraud-involved person in the window (三无)"),
         "min_coverage": _l("Door-knock coverage at least (%)"),
         "min_install_rate": _l("App install rate at least (%)"), "min_events": _l("Publicity events at least"),
         "min_face_rate": _l("Warnings met face to face at least (%)")},
        {"kind": enum_value(TargetKind), "three_no": YES_NO},
        records(Area.id, lambda row: row.name, Area.name, visible=own_area),
        lambda i: url_for("creation.criteria")),
    "creation_settings": Subject(
        _l("Certificate settings"), {"issuer": _l("Issuing office printed on certificates")}, {},
        records(Area.id, lambda row: row.name, Area.name, visible=own_area),
        lambda i: url_for("creation.criteria")),
    "household": Subject(
        _l("Household"),
        {"door_label": _l("Door label or address"), "head_name": _l("Head of household"), "phone": _l("Phone"),
         "members": _l("Members"), "elderly_alone": _l("Elderly person living alone"), "at_risk": _l("At risk"),
         "lat": _l("Latitude"), "lon": _l("Longitude"), "found": _l("Households found"),
         "erased": _l("Erased"), **SHOWN},
        {"head_name": MASKED_NAME, "phone": MASKED_PHONE, "elderly_alone": YES_NO, "at_risk": YES_NO,
         "found": refs(HOUSEHOLD), "erased": WORD_LIST, **SHOWN_VALUES},
        records(Household.id, _door, Household.door_label, Area.name, joins=[(Area, Area.id == Household.grid_id)],
                visible=lambda user: households_query(user)),
        lambda i: url_for("households.show", household_id=i), name_field="door_label"),
    "user": Subject(
        _l("User account"),
        {"username": _l("User name"), "display_name": _l("Full name"), "role": _l("Role"), "active": _l("Active"),
         "area": _l("Area"), "grids": _l("Grids"),
         "must_change_password": _l("Must change the password at the next log-in"),
         "totp_enabled": _l("Two-step log-in"), "password_reset": _l("Password set by the county office"),
         "totp_removed": _l("Remove two-step log-in (lost phone)"), "ip": _l("IP address")},
        {"role": enum_value(Role), "active": YES_NO, "area": ref(AREA_CODE), "grids": refs(AREA_CODE),
         "must_change_password": YES_NO, "totp_enabled": YES_NO, "password_reset": YES_NO, "totp_removed": YES_NO},
        records(User.id, lambda row: row.display_name, User.display_name, visible=lambda _user: users_query()),
        lambda i: url_for("accounts.edit_user", user_id=i), actions={"create": _l("Account created")},
        name_field="username"),
    "warning_policy": Subject(
        _l("Deadlines for the first face-to-face contact"),
        {"high_hours": _l("High: hours to meet face to face"), "medium_hours": _l("Medium: hours to meet face to face"),
         "low_hours": _l("Low: hours to meet face to face")}, {},
        records(Area.id, lambda row: row.name, Area.name, visible=own_area),
        lambda i: url_for("warnings.policy")),
    "security_policy": Subject(
        _l("Security settings"), {"totp_required": _l("County-office accounts must use two-step log-in")},
        {"totp_required": YES_NO},
        records(Area.id, lambda row: row.name, Area.name, visible=own_area),
        lambda i: url_for("accounts.security")),
    "document_settings": Subject(
        _l("Document settings"),
        {"office": _l("Issuing office"), "prefix": _l("Document prefix"), "next_number": _l("Next number this year")},
        {}, records(Area.id, lambda row: row.name, Area.name, visible=own_area),
        lambda i: url_for("reports.documents")),
    "area_boundary": Subject(
        _l("Area boundaries"), {"areas": _l("Areas")}, {}, None, None),
    "round": Subject(
        _l("Round"), {"name": _l("Name of the round"), "starts_on": _l("First day"), "ends_on": _l("Last day")},
        {"starts_on": DAY, "ends_on": DAY},
        records(Round.id, lambda row: row.name, Round.name, visible=lambda user: rounds_query(user)),
        lambda i: url_for("rounds.edit", round_id=i), name_field="name"),
    "visit": Subject(
        _l("Visit"), {"review_state": _l("Review state"), "review_note": _l("Review comment")},
        {"review_state": enum_value(ReviewState)},
        records(Visit.id, lambda row: f"{row.door_label} {format_datetime(row.visited_at, 'short')}",
                Household.door_label, Visit.visited_at, joins=[(Household, Household.id == Visit.household_id)],
                visible=lambda user: visits_query(user)),
        lambda i: url_for("review.visit", visit_id=i)),
    "audit": Subject(
        _l("Audit log"), {**SHOWN, "filters": _l("Filters")}, SHOWN_VALUES, None, None),
    "callback_sample": Subject(
        _l("Call-back sample"),
        {"round": _l("Round"), "seed": _l("Seed"), "tasks": _l("Households"),
         "percent": _l("Random share per village (%)"),
         "minimum": _l("At least, per village"), "focused": _l("Focused on risky workers (households)"),
         "checkers": _l("Checkers")}, {}, None, lambda i: url_for("callbacks.sample", sample_id=i)),
    "callback_task": Subject(
        _l("Call-back"),
        {"method": _l("How"), "at": _l("When"), "result": _l("Result"), "result_note": _l("What the household said")},
        {"at": MOMENT, "method": enum_value(CallbackMethod), "result": enum_value(CallbackResult)}, None, None,
        actions={"attempt": _l("Call or revisit logged"), "close": _l("Call-back result recorded")}),
}


# --- entries as shown -----------------------------------------------------------------------------

@dataclass
class Change:
    """One field of an entry: its label and the values before and after ("" when there was none)."""

    label: str
    before: str
    after: str
    had_before: bool


@dataclass
class Shown:
    """An entry as the page and the export show it."""

    entry: AuditEntry
    who: str
    action: str
    subject: str
    record: str
    url: str | None
    gone: bool
    area: str
    changes: list[Change]

    @property
    def at(self) -> datetime:
        return self.entry.at

    @property
    def reason(self) -> str:
        return self.entry.reason or ""

    def changes_text(self) -> str:
        return "\n".join(f"{c.label}：{c.before} → {c.after}" if c.had_before else f"{c.label}：{c.after}"
                         for c in self.changes)


def subject_label(subject: str) -> str:
    found = SUBJECTS.get(subject)
    return str(found.label) if found else subject


def action_label(subject: str, action: str) -> str:
    found = SUBJECTS.get(subject)
    label = (found.actions.get(action) if found else None) or ACTIONS.get(action)
    return str(label) if label else action


def _pairs(changes) -> Iterable[tuple[str, object, object, bool]]:
    for name, values in (changes or {}).items():
        if isinstance(values, list) and len(values) == 2:
            yield name, values[0], values[1], values[0] is not None
        else:
            yield name, None, values, False


def _ordered(subject: Subject | None, changes) -> list:
    order = list(subject.fields) if subject else []
    return sorted(_pairs(changes), key=lambda p: order.index(p[0]) if p[0] in order else len(order))


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _show(value, formatter: Value, names: Names) -> str:
    return "—" if _empty(value) else formatter.show(value, names)


def present(entries: list[AuditEntry], viewer: User) -> list[Shown]:
    """The entries as the viewer reads them; two or three queries per kind of id, whatever their number."""
    names = Names()
    by_subject: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        names.want(USER, entry.user_id)
        names.want(AREA_CODE, entry.area_code)
        subject = SUBJECTS.get(entry.subject)
        if entry.subject_id:
            by_subject[entry.subject].add(entry.subject_id)
        for name, before, after, _had in _pairs(entry.changes):
            formatter = subject.values.get(name) if subject else None
            for value in (before, after):
                if formatter is not None and value is not None:
                    for kind, key in formatter.refs(value):
                        names.want(kind, key)
    names.load()
    found: dict[str, dict[int, Found]] = {}
    for key, ids in by_subject.items():
        subject = SUBJECTS.get(key)
        found[key] = subject.lookup(sorted(ids), viewer) if subject and subject.lookup else {}
    return [_shown(entry, names, found.get(entry.subject, {})) for entry in entries]


def _shown(entry: AuditEntry, names: Names, found: dict[int, Found]) -> Shown:
    subject = SUBJECTS.get(entry.subject)
    record, url, gone = "—", None, False
    if entry.subject_id:
        hit = found.get(entry.subject_id)
        if hit is not None:
            record = hit.name
            url = _url(subject, entry.subject_id) if hit.visible else None
        elif subject is not None and subject.lookup is not None:
            gone = True
            record = _last_name(entry, subject) or f"#{entry.subject_id}"
        else:
            record = f"#{entry.subject_id}"
    changes = []
    for name, before, after, had in _ordered(subject, entry.changes):
        if _empty(before) and _empty(after):
            continue  # an empty field registered or deleted: nothing to read
        formatter = (subject.values.get(name) if subject else None) or TEXT
        label = subject.fields.get(name, name) if subject else name
        changes.append(Change(str(label), _show(before, formatter, names), _show(after, formatter, names), had))
    return Shown(entry=entry, who=names.name(USER, entry.user_id) if entry.user_id else _("system"),
                 action=action_label(entry.subject, entry.action), subject=subject_label(entry.subject),
                 record=record, url=url, gone=gone,
                 area=names.name(AREA_CODE, entry.area_code) if entry.area_code else "", changes=changes)


def _url(subject: Subject, subject_id: int) -> str | None:
    try:
        return subject.url(subject_id) if subject.url else None
    except BuildError:  # a page that this version of the app does not have
        return None


def _last_name(entry: AuditEntry, subject: Subject) -> str:
    if subject.name_field is None:
        return ""
    values = (entry.changes or {}).get(subject.name_field)
    if isinstance(values, list) and len(values) == 2:
        value = values[1] if values[1] is not None else values[0]
        return "" if value is None else str(value)
    return ""
