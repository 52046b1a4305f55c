"""What people type or paste from Excel: free text kept as typed, compared values normalised.

Free text (names, door labels, reasons, descriptions, notes) is stored as it was typed: Chinese
punctuation such as ，：（）！？； stays. Only what is compared is folded: codes, digits, phones,
header names, user names and the words that name a choice (kinds, levels, yes/no)."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Control characters that are not whitespace, the zero-width space and the byte-order mark: never typed.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\ufeff]")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def clean_text(value) -> str:
    """Free text as typed: ends trimmed, runs of spaces (ideographic ones too) made one space,
    invisible control characters dropped. Full-width punctuation and letters are kept."""
    if value is None:
        return ""
    text = _INVISIBLE.sub("", str(value))
    return _SPACES.sub(" ", text).strip()


def fold(value) -> str:
    """A value that is compared, not shown as typed: full-width forms folded to ASCII (NFKC),
    spaces collapsed. For header names, user names, the words of a choice, numbers and dates."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", str(value)))
    return _SPACES.sub(" ", text).strip()


def clean_code(value) -> str:
    """A code (division, grid, reference): folded, with no space anywhere."""
    return fold(value).replace(" ", "")


def fold_digits(text: str) -> str:
    """Full-width digits ０-９ as ASCII, nothing else changed: how a search key meets stored text."""
    return text.translate(_FULL_WIDTH_DIGITS)


_PHONE_MARKS = re.compile(r"[\s\-\u2010-\u2015()]")


def clean_phone(value) -> str:
    """A phone number in one form: a mobile as 11 digits (spaces, dashes, +86 or 0086 removed), a
    landline as area code, dash, number (010-12345678, 0915-1234567); '' when empty. Anything else
    is returned folded and without spaces, for is_valid_phone to refuse."""
    text = fold(value).replace(" ", "")
    digits = _PHONE_MARKS.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and (prefix != "86" or len(digits) == 13):
            digits = digits[len(prefix):]
            break
    if not digits.isascii() or not digits.isdigit():
        return text
    if MOBILE.match(digits) or not digits.startswith("0"):
        return digits
    area = 3 if digits[1:2] in ("1", "2") else 4  # 010, 020-029; every other area code has four digits
    return f"{digits[:area]}-{digits[area:]}"


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
