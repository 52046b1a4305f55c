"""Words that mean what they say: the Chinese catalogue, the export headers and the templates keep to
the glossary (campaign/core/glossary.py, GLOSSARY.md)."""
import ast
import re
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from campaign.core import glossary as g

ROOT = Path(__file__).parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Where column headers, sheet titles and import column names are written.
HEADER_FILES = ["campaign/*/exports.py", "campaign/*/importer.py", "campaign/reports/workbook.py"]


@cache
def catalog() -> dict[str, str]:
    """msgid → Chinese, of every translated message."""
    with open(ROOT / "campaign/translations/zh/LC_MESSAGES/messages.po", "rb") as f:
        messages = read_po(f)
    pairs = {}
    for m in messages:
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        msgstr = m.string if isinstance(m.string, str) else m.string[0]
        if msgid and msgstr and not m.fuzzy:
            pairs[msgid] = msgstr
    return pairs


def problems_of(term: g.Term) -> dict[str, str]:
    """msgid → what is wrong with its Chinese, for every message that names the concept."""
    found = {}
    for msgid, msgstr in catalog().items():
        if not g.finds(term, msgid):
            continue
        wrong = []
        if not g.uses(term, msgstr):
            wrong.append(f"does not use {term.zh}" + (f" (or {', '.join(term.also)})" if term.also else ""))
        if avoided := g.avoided(term, msgid, msgstr):
            wrong.append(f"uses {', '.join(avoided)}")
        if wrong:
            found[msgid] = f"{msgstr!r} {'; '.join(wrong)}"
    return found


def test_every_message_naming_a_concept_uses_its_term_and_no_other():
    wrong = []
    for term in g.TERMS:
        for msgid, problem in problems_of(term).items():
            if msgid not in term.exceptions:
                wrong.append(f"{term.key}: {msgid!r} → {problem}")
    assert not wrong, "translate with the glossary's term (or add an exception with its reason):\n" + "\n".join(wrong)


def test_every_exception_is_still_needed():
    stale = [f"{term.key}: {msgid!r}" for term in g.TERMS for msgid in term.exceptions
             if msgid not in problems_of(term)]
    assert not stale, "these exceptions no longer differ from the glossary; remove them:\n" + "\n".join(stale)


def test_a_word_of_several_concepts_is_always_claimed_by_one_of_them():
    unclaimed = []
    for word, keys in g.AMBIGUOUS.items():
        for msgid in catalog():
            if not re.search(rf"\b{word}s?\b", g.plain_english(msgid), re.IGNORECASE):
                continue
            claims = [key for key in keys if g.finds(g.BY_KEY[key], msgid)]
            if len(claims) != 1 and msgid not in g.AMBIGUOUS_EXCEPTIONS:
                unclaimed.append(f"{word}: {msgid!r} claimed by {claims or 'none'} of {list(keys)}")
    assert not unclaimed, "say which concept the word means (an ``en`` pattern of one term):\n" + "\n".join(unclaimed)


def test_two_concepts_never_read_the_same():
    labels = {term.key: term.label for term in g.TERMS if term.label}
    missing = [label for label in labels.values() if label not in catalog()]
    assert not missing, f"labels without a Chinese translation: {missing}"
    by_word: dict[str, list[str]] = {}
    for key, label in labels.items():
        by_word.setdefault(g.fold(catalog()[label]), []).append(key)
    same = [(word, keys) for word, keys in by_word.items() if len(keys) > 1
            and not all((a, b) in g.SHARED_LABELS for i, a in enumerate(keys) for b in keys[i + 1:])]
    assert not same, f"different concepts translated to one word: {same}"


def test_the_concepts_kept_apart_read_differently():
    for a, b in g.DISTINCT:
        first, second = g.BY_KEY[a], g.BY_KEY[b]
        assert g.fold(first.zh) != g.fold(second.zh)
        if first.label and second.label:
            assert catalog()[first.label] != catalog()[second.label], (first.label, second.label)


def test_name_outcome_and_open_read_as_their_concept():
    assert catalog()["Name"] == "名称"
    assert catalog()["Full name"] == "姓名"
    assert catalog()["Outcome"] == "走访结果"
    assert catalog()["Outcome of the warning"] == "处置结果"
    assert catalog()["Open"] == "待处理"
    assert "打开" not in catalog()["Open warnings"]


@cache
def locations() -> dict[str, set[str]]:
    methods = [("campaign/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found: dict[str, set[str]] = {}
    for path, _line, msg, _comments, _context in extract_from_dir(str(ROOT), methods, keywords=keywords):
        if msg:
            found.setdefault(msg if isinstance(msg, str) else msg[0], set()).add(path)
    return found


def test_a_bare_label_is_used_only_for_its_concept():
    wrong = [f"{label!r} in {path}" for label, places in g.LABEL_ONLY_IN.items()
             for path in sorted(locations().get(label, ())) if not path.startswith(places)]
    assert not wrong, "use the msgid of the concept meant (e.g. 'Full name', 'Outcome of the warning'):\n" + \
        "\n".join(wrong)


def header_texts() -> dict[str, list[str]]:
    """file → every Chinese string constant of the modules that write headers and sheet titles."""
    texts = {}
    for pattern in HEADER_FILES:
        for path in sorted(ROOT.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skipped = {id(node.body[0].value) for node in ast.walk(tree)  # docstrings
                       if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                       and isinstance(node.body[0], ast.Expr)}
            skipped |= {id(constant) for node in ast.walk(tree) if isinstance(node, ast.keyword)  # what people
                        and node.arg == "aliases" for constant in ast.walk(node.value)}  # write, accepted as read
            texts[str(path.relative_to(ROOT))] = [
                node.value for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
                and id(node) not in skipped]
    return texts


def test_export_and_import_headers_keep_to_the_glossary():
    wrong = []
    for path, texts in header_texts().items():
        for text in texts:
            folded = g.fold(text)
            wrong += [f"{path}: {text!r} ({why})" for word, why in g.HEADER_AVOID if re.search(g.pattern(word), folded)]
            wrong += [f"{path}: {text!r}: {found}" for found in g.globally_avoided(text)]
    assert not wrong, "\n".join(wrong)


def test_the_exports_name_whose_outcome_and_the_closing_of_a_warning():
    from campaign.coverage.exports import VISIT_COLUMNS
    from campaign.warnings.exports import EXPORT_COLUMNS
    warning_headers = [c.header for c in EXPORT_COLUMNS]
    assert "处置结果" in warning_headers and "办结时间" in warning_headers
    assert "走访结果" in [c.header for c in VISIT_COLUMNS]
    assert "走访结果" in header_texts()["campaign/households/exports.py"]


def test_no_chinese_anywhere_uses_a_word_the_glossary_rules_out():
    wrong = [f"{msgid!r} → {msgstr!r}: {found}" for msgid, msgstr in catalog().items()
             for found in g.globally_avoided(msgstr)]
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        wrong += [f"{path.relative_to(ROOT)}: {found}" for found in g.globally_avoided(text)]
    assert not wrong, "\n".join(wrong)


def test_glossary_md_is_written_from_the_module():
    assert (ROOT / "GLOSSARY.md").read_text(encoding="utf-8") == g.markdown(), \
        "run: .venv/bin/python -m campaign.core.glossary > GLOSSARY.md"
