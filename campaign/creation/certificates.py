"""Certificates (荣誉证书): serial numbers per county and year, and the signed code their QR carries.

The code is the serial signed with HMAC-SHA256 under the app's secret (itsdangerous), so an altered
code or a guessed serial does not verify."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from campaign.areas.models import Area
from campaign.audit.services import record
from campaign.core.errors import DomainError
from campaign.core.text import clean_text
from campaign.extensions import db
from campaign.rounds.services import ancestor_codes

from .models import Certificate, CreationSettings, CreationTarget, TargetKind

TITLES = {
    TargetKind.SCHOOL: _l("Fraud-free campus"),
    TargetKind.ENTERPRISE: _l("Fraud-free unit"),
    TargetKind.ORGANISATION: _l("Fraud-free unit"),
}


def title_for(target: CreationTarget) -> str:
    """The title as printed, in Chinese: 无诈村 for a village, 无诈社区 for a community."""
    with force_locale("zh_CN"):
        if target.kind is TargetKind.COMMUNITY:
            return str(_l("Fraud-free village") if target.area.name.endswith("村") else _l("Fraud-free community"))
        return str(TITLES[target.kind])


def one_year_from(day: date) -> date:
    """The last day of a one-year validity starting on ``day``."""
    try:
        return day.replace(year=day.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return date(day.year + 1, 2, 28)


def issue(target: CreationTarget, *, user, today: date, override_reason: str = "") -> Certificate:
    county_code = target.county_code
    # Serials are handed out one at a time per county: lock the county's row (a no-op on SQLite,
    # where the write lock already serialises).
    db.session.execute(sa.select(Area.id).where(Area.code == county_code).with_for_update())
    seq = 1 + (db.session.scalar(sa.select(sa.func.max(Certificate.seq)).where(
        Certificate.county_code == county_code, Certificate.year == today.year)) or 0)
    certificate = Certificate(
        target=target, county_code=county_code, year=today.year, seq=seq,
        serial=f"{county_code}-{today.year}-{seq:04d}", target_name=target.name, title=title_for(target),
        issuer=issuer_for(target.area), issued_on=today, valid_until=one_year_from(today),
        override_reason=override_reason, issued_by_id=user.id if user else None)
    db.session.add(certificate)
    db.session.flush()
    # The new certificate was appended to a collection already loaded in this session; reload it in
    # its order (newest first) so that target.certificate is this one, not an earlier one.
    db.session.expire(target, ["certificates"])
    return certificate


def revoke(certificate: Certificate | None, *, today: date, reason: str) -> None:
    if certificate is not None and certificate.revoked_on is None:
        certificate.revoked_on, certificate.revoke_reason = today, reason


def _signer() -> Signer:
    return Signer(current_app.secret_key, salt="certificate-verify", digest_method=hashlib.sha256)


def verify_code(certificate: Certificate) -> str:
    return _signer().sign(certificate.serial).decode()


MAX_CODE = 100  # a serial (30 at most), a dot and the signature


def certificate_for_code(code: str) -> Certificate | None:
    """The certificate a code was signed for, or None for a code that is not genuine. Only the exact
    code printed is genuine: the base64 decoder would also take it padded, with stray characters
    inside, or with another last character that decodes to the same bytes; so the code is signed
    again and compared whole."""
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE or not code.isascii() or not code.isprintable():
        return None
    try:
        serial = _signer().unsign(code).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None
    if not hmac.compare_digest(_signer().sign(serial).decode(), code):
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))


def issuer_for(area: Area) -> str:
    """The office printed on certificates: the county's own wording, or one made from its name."""
    settings = db.session.scalar(sa.select(CreationSettings).join(Area, Area.id == CreationSettings.area_id)
                                 .where(Area.code.in_(ancestor_codes(area.code))).order_by(Area.code.desc()).limit(1))
    if settings is not None:
        return settings.issuer
    county = db.session.scalar(sa.select(Area).where(Area.code == area.code[:6]))
    with force_locale("zh_CN"):
        return str(_l("%(county)s Fraud-free Creation Office", county=county.name if county else ""))


def set_issuer(area: Area, issuer: str, *, user=None) -> None:
    issuer = clean_text(issuer)[:100]
    if not issuer:
        raise DomainError(_l("Give the issuing office."), field="issuer")
    settings = db.session.get(CreationSettings, area.id)
    before = settings.issuer if settings else None
    if settings is None:
        db.session.add(CreationSettings(area_id=area.id, issuer=issuer))
    else:
        settings.issuer = issuer
    if before != issuer:
        record(action="update", subject="creation_settings", subject_id=area.id, area_code=area.code,
               changes={"issuer": [before, issuer]}, user=user)
    db.session.flush()
