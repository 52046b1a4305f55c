"""Chinese first: every message in the code and templates has a Chinese translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
METHODS = [("campaign/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def test_every_message_is_translated_to_chinese():
    with open(ROOT / "campaign/translations/zh/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else m.string[0]) and not m.fuzzy}
    used = {msg if isinstance(msg, str) else msg[0]
            for _file, _line, msg, _comments, _context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
            if msg}
    missing = sorted(used - translated)
    assert not missing, f"untranslated (run pybabel extract/update and translate): {missing}"
