"""Log-in throttling on Flask-Limiter's storage (memory, or Redis when processes must share it).

Only failures count, and a success resets nothing. Failures are counted per address and per user
name at that address, so an attacker slows down only themselves: the owner still logs in from
an address that has not failed. An optional cap per user name over all addresses
(``LOGIN_LIMIT_PER_USER``) is off by default, since anyone could use it to lock the owner out.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse

from campaign.core.errors import DomainError
from campaign.extensions import limiter

log = logging.getLogger(__name__)


class Throttled(DomainError):
    """Too many failed log-ins; the user must wait."""


def address_key(ip: str) -> str:
    """An IPv6 client owns a whole /64, so its addresses count as one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:45]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _limits(username: str, ip: str, *, code: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """(limit, keys) pairs that apply to this attempt."""
    config, name, address = current_app.config, username.casefold()[:64], address_key(ip)
    pairs = [(config["LOGIN_LIMIT_PER_ADDRESS"], ("login-address", address)),
             (config["LOGIN_LIMIT_PER_USER_ADDRESS"], ("login-user-address", name, address))]
    if config.get("LOGIN_LIMIT_PER_USER"):
        pairs.append((config["LOGIN_LIMIT_PER_USER"], ("login-user", name)))
    if code:
        # A second-factor code is tried only by someone who has the password: count per user.
        pairs.append((config["LOGIN_LIMIT_CODES"], ("login-code", name)))
    return [(limit, keys) for limit, keys in pairs if limit]


def check(username: str, ip: str, *, code: bool = False) -> None:
    """Raise Throttled while any limit on this attempt is used up."""
    try:
        for limit, keys in _limits(username, ip, code=code):
            item = parse(limit)
            if not limiter.limiter.test(item, *keys):
                reset = limiter.limiter.get_window_stats(item, *keys).reset_time
                minutes = max(1, math.ceil((reset - time.time()) / 60))
                raise Throttled(_l("Too many failed log-ins. Try again in %(minutes)s minutes.", minutes=minutes))
    except Throttled:
        raise
    except Exception:  # the storage (Redis) is down: log in without throttling rather than not at all
        log.exception("log-in throttle storage failed")


def failed(username: str, ip: str, *, code: bool = False) -> None:
    """Count one failure against every limit of this attempt."""
    try:
        for limit, keys in _limits(username, ip, code=code):
            limiter.limiter.hit(parse(limit), *keys)
    except Exception:
        log.exception("log-in throttle storage failed")
