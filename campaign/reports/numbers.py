"""Document numbers (发文字号) from the county office's register.

A number is given the first time the PDF of a report (an area over a period) is made; made again,
the report keeps its number and its issue date, as a document does when it is printed again. The
office sets the next number (to leave room for documents made outside the system), never one that
was already given.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.audit.services import record
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.core.text import clean_text
from campaign.extensions import db
from campaign.rounds.services import ancestor_codes

from .models import DocumentNumber, DocumentSettings

NUMBER_MAX = 99999


def _office_area(area: Area) -> Area:
    """The area whose register numbers ``area``'s reports: the nearest one with settings, else the county."""
    found = db.session.scalar(sa.select(Area).join(DocumentSettings, DocumentSettings.area_id == Area.id)
                              .where(Area.code.in_(ancestor_codes(area.code))).order_by(Area.code.desc()).limit(1))
    if found is not None:
        return found
    return db.session.scalar(sa.select(Area).where(Area.code == area.code[:6])) or area


def default_settings(area: Area, today: date | None = None) -> DocumentSettings:
    """What an office that has set nothing prints: its leading group's office, and a prefix of the
    first character of its name (宁陕县 → 宁反诈办)."""
    with force_locale("zh_CN"):
        office = str(_l("%(county)s Office of the Leading Group against Telecom and Online Fraud", county=area.name))
        prefix = str(_l("%(initial)s Anti-fraud Office", initial=area.name[:1]))
    return DocumentSettings(area_id=area.id, office=office, prefix=prefix, year=(today or local_today()).year,
                            next_number=1)


def settings_for(area: Area, today: date | None = None) -> DocumentSettings:
    """The register that numbers ``area``'s reports, as stored or (not added) as the defaults."""
    office = _office_area(area)
    return db.session.get(DocumentSettings, office.id) or default_settings(office, today)


def _taken(settings: DocumentSettings, prefix: str, year: int, number: int) -> bool:
    return db.session.scalar(sa.select(DocumentNumber.id).where(
        DocumentNumber.office_id == settings.area_id, DocumentNumber.prefix == prefix,
        DocumentNumber.year == year, DocumentNumber.number == number)) is not None


def next_free(settings: DocumentSettings, today: date | None = None) -> int:
    """The number the next report will take this year."""
    year = (today or local_today()).year
    number = settings.next_number if settings.year == year else 1
    while _taken(settings, settings.prefix, year, number):
        number += 1
    return number


def next_label(area: Area, today: date | None = None) -> str:
    """The number the next new report of ``area`` will print, e.g. 宁反诈办〔2026〕13号."""
    today = today or local_today()
    settings = settings_for(area, today)
    return DocumentNumber(prefix=settings.prefix, year=today.year, number=next_free(settings, today)).label


def number_for(area: Area, start: date, end: date) -> DocumentNumber | None:
    return db.session.scalar(sa.select(DocumentNumber).where(
        DocumentNumber.area_id == area.id, DocumentNumber.starts_on == start, DocumentNumber.ends_on == end))


def issue_number(*, area: Area, start: date, end: date, user=None, today: date | None = None) -> DocumentNumber:
    """The report's number: the one it was given, or the register's next free one. Flushed."""
    given = number_for(area, start, end)
    if given is not None:
        return given
    today = today or local_today()
    office = _office_area(area)
    settings = db.session.scalar(sa.select(DocumentSettings).where(DocumentSettings.area_id == office.id)
                                 .with_for_update())  # two reports made at once take two numbers
    if settings is None:
        settings = default_settings(office, today)
        db.session.add(settings)
    number = next_free(settings, today)
    given = DocumentNumber(office_id=office.id, area_id=area.id, starts_on=start, ends_on=end, office=settings.office,
                           prefix=settings.prefix, year=today.year, number=number, issued_on=today,
                           issued_by_id=user.id if user is not None else None)
    settings.year, settings.next_number = today.year, number + 1
    db.session.add(given)
    db.session.flush()
    return given


def set_settings(area: Area, *, office: str, prefix: str, next_number: int, user=None,
                 today: date | None = None) -> DocumentSettings:
    """The county office's own wording, prefix and next number for this year. Flushed."""
    today = today or local_today()
    office, prefix = clean_text(office)[:100], clean_text(prefix)[:20]
    if not office:
        raise DomainError(_l("Give the issuing office of the reports."), field="office")
    if not prefix:
        raise DomainError(_l("Give the document prefix."), field="prefix")
    if not 1 <= next_number <= NUMBER_MAX:
        raise DomainError(_l("The number must be between 1 and %(max)s.", max=NUMBER_MAX), field="next_number")
    settings = db.session.get(DocumentSettings, area.id)
    before = None
    if settings is None:
        settings = default_settings(area, today)
        db.session.add(settings)
    else:
        before = {"office": settings.office, "prefix": settings.prefix, "next_number": settings.next_number}
    if _taken(settings, prefix, today.year, next_number):
        label = DocumentNumber(prefix=prefix, year=today.year, number=next_number).label
        raise DomainError(_l("%(number)s has already been given to a report.", number=label), field="next_number")
    settings.office, settings.prefix, settings.year, settings.next_number = office, prefix, today.year, next_number
    after = {"office": office, "prefix": prefix, "next_number": next_number}
    if before != after:
        changes = {name: [(before or {}).get(name), value] for name, value in after.items()
                   if (before or {}).get(name) != value}
        record(action="update" if before else "create", subject="document_settings", subject_id=area.id,
               area_code=area.code, changes=changes, user=user)
    db.session.flush()
    return settings


def register(area: Area, limit: int = 50) -> list[DocumentNumber]:
    """The numbers the office's register has given, newest first."""
    return list(db.session.scalars(sa.select(DocumentNumber).where(DocumentNumber.office_id == area.id)
                                   .order_by(DocumentNumber.year.desc(), DocumentNumber.number.desc()).limit(limit)))
