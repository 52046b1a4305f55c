"""The optional second factor: a time-based one-time code (TOTP) from an authenticator app."""
from __future__ import annotations

import hmac

import pyotp
import segno
from flask_babel import lazy_gettext as _l

from campaign.core.errors import DomainError
from campaign.core.types import utcnow

from . import throttle
from .events import security_event
from .models import User

ISSUER = "无诈创建台账"
# One step either side of now, for a phone clock that is a little off.
DRIFT_STEPS = 1


def start_enrolment(user: User) -> str:
    """A fresh secret, kept on the user but not yet switched on."""
    if user.totp_enabled:
        raise DomainError(_l("Two-step log-in is already on."))
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(user: User) -> str:
    """The enrolment QR as an inline SVG: no request leaves the page."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, border=2)


def _accept(user: User, code: str) -> bool:
    """True for a code of a step not yet used; that step is then used up (no replay)."""
    code = "".join(code.split())
    if not user.totp_secret or len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(utcnow())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def verify(user: User, code: str, *, ip: str) -> None:
    """Check a code at log-in or to change the setting; wrong codes are throttled per user."""
    throttle.check(user.username, ip, code=True)
    if not _accept(user, code):
        throttle.failed(user.username, ip, code=True)
        raise DomainError(_l("Wrong or already used code."), field="code")


def confirm_enrolment(user: User, code: str, *, ip: str) -> None:
    if not user.totp_secret or user.totp_enabled:
        raise DomainError(_l("Start the set-up again."))
    verify(user, code, ip=ip)
    user.totp_enabled = True
    user.end_sessions()
    security_event(user, "totp_on", ip=ip)


def disable(user: User, *, password: str, code: str, ip: str, required: bool) -> None:
    if required:
        raise DomainError(_l("Your county requires two-step log-in for the county office."))
    throttle.check(user.username, ip)
    if not user.check_password(password):
        throttle.failed(user.username, ip)
        raise DomainError(_l("The password is wrong."), field="password")
    verify(user, code, ip=ip)
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    user.end_sessions()
    security_event(user, "totp_off", ip=ip)
