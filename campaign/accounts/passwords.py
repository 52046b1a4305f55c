"""The password rule (等保 level 3) and a hash to check against when there is no user."""
from __future__ import annotations

import secrets
import string
from functools import cache

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from campaign.core.errors import DomainError

MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_CLASSES = 3
# A user name this short would forbid too many passwords; longer ones may not appear in it.
MIN_NAME_IN_PASSWORD = 3

RULE = _l("At least 8 characters, with at least three of: lower-case letters, capitals, digits and "
          "symbols. It may not contain the user name.")


def character_classes(password: str) -> int:
    lower = any(c in string.ascii_lowercase for c in password)
    upper = any(c in string.ascii_uppercase for c in password)
    digit = any(c in string.digits for c in password)
    symbol = any(not (c.isascii() and c.isalnum()) for c in password)
    return lower + upper + digit + symbol


def check_strength(password: str, *, username: str, field: str = "password") -> None:
    """Raise a DomainError naming what is wrong with this password."""
    if len(password) < MIN_LENGTH:
        raise DomainError(_l("A password needs at least %(n)s characters.", n=MIN_LENGTH), field=field)
    if len(password) > MAX_LENGTH:
        raise DomainError(_l("A password has at most %(n)s characters.", n=MAX_LENGTH), field=field)
    if character_classes(password) < MIN_CLASSES:
        raise DomainError(_l("A password needs at least three of: lower-case letters, capitals, digits and "
                             "symbols."), field=field)
    if len(username) >= MIN_NAME_IN_PASSWORD and username.casefold() in password.casefold():
        raise DomainError(_l("A password may not contain the user name."), field=field)


def hash_method() -> str:
    """scrypt, werkzeug's strongest; the test suite configures a cheaper one (PASSWORD_HASH_METHOD)."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=hash_method())


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def check_without_user(password: str) -> bool:
    """Spend the time of a real check, so that an unknown name answers as slowly as a known one."""
    check_password_hash(_dummy_hash(hash_method()), password)
    return False
