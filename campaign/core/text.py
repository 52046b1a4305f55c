"""Normalising what people type or paste from Excel: full-width digits, stray spaces, phones."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def clean(value) -> str:
    """Full-width forms folded to ASCII (NFKC), ideographic spaces and runs of spaces collapsed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub(" ", text).strip()


def clean_phone(value) -> str:
    """A phone number with every space and the +86 prefix removed; '' when empty."""
    text = clean(value).replace(" ", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def is_valid_phone(phone: str) -> bool:
    return bool(MOBILE.match(phone) or LANDLINE.match(phone))


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to tell numbers apart, not enough to call."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """张** : keeps the first character only, and does not give away the name's length."""
    if not name:
        return ""
    return name[0] + "**"
