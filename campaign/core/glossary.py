"""The glossary (术语表): one Chinese term per concept, for the UI, the PDFs, the exports and the audit log.

GLOSSARY.md is written from this module (``python -m campaign.core.glossary > GLOSSARY.md``), and
tests/test_glossary.py holds the catalogue and the export headers to it:

- a message whose English names a concept (``en``, regular expressions matched case-insensitively on
  the msgid without its placeholders) is translated with the term (``zh``) or one of its short forms
  (``also``), and never with a word from ``avoid``; ``exceptions`` lists the few messages that may
  differ, each with its reason;
- concepts in ``DISTINCT`` never share a word: their labels translate differently, and a message of
  one never carries the other's term;
- an English word in ``AMBIGUOUS`` means more than one concept: every message holding it is claimed
  by exactly one of them (or listed in ``AMBIGUOUS_EXCEPTIONS``);
- a bare label in ``LABEL_ONLY_IN`` is used for its concept only, so only in those paths;
- export and import headers avoid every pattern of ``HEADER_AVOID``, and nothing in the Chinese uses
  ``GLOBAL_AVOID``.

Chinese is compared without white space and with full-width forms folded (NFKC), so 村(社区) in a
spreadsheet header is the same term as 村（社区） on a page.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    key: str
    concept: str                      # the English concept
    zh: str                           # the Chinese term
    en: tuple[str, ...]               # regular expressions that find the concept in an English msgid
    where: str = ""                   # where the term is used
    also: tuple[str, ...] = ()        # short forms allowed in running text
    avoid: tuple[str, ...] = ()       # regular expressions of words never to use for it
    note: str = ""
    label: str = ""                   # the msgid that names the concept on its own, if any
    exceptions: dict[str, str] = field(default_factory=dict)  # msgid → why it may differ


TERMS: tuple[Term, ...] = (
    # names
    Term("thing_name", "name of a thing (area, round, creation target)", "名称",
         (r"^name$", r"\bname of the (target|round|area)\b", r"^give (a|the) name\b", r"^the name is empty\b",
          r"\bthe round a name\b", r"\bthe name is taken from\b", r"\bcolumns code, name\b", r"\btype a name\b"),
         "area, round and target forms; import columns; the report workbook", avoid=("姓名",),
         note="The English label “Name” is used for things only; a person's name is “Full name”.", label="Name"),
    Term("person_name", "name of a person (user, head of household, victim)", "姓名",
         (r"\bfull name\b", r"\bvictim'?s? name\b", r"\bname of a victim\b", r"\bhead of household's name\b",
          r"^the name is longer than 40\b", r"\bdoor labels? (and|or)? ?names?\b", r"\bdoor label, name\b",
          r"\bunderstand that the name\b"),
         "users, households, incident form", avoid=("名称",), label="Full name"),
    Term("user_name", "user name (log-in)", "用户名", (r"\buser ?name\b",), "log-in, users",
         avoid=("账户名", "登录名"), label="User name"),
    # areas
    Term("county", "county (the top area a county office runs)", "县（区）", (r"\bcount(y|ies)\b",),
         "area levels, exports", also=("县",), avoid=("区县", "县区"),
         note="县 alone in running text and compounds (县创建办, 本县).", label="County"),
    Term("county_office", "county office (the campaign's office)", "县创建办", (r"\bcounty[ -]office\b",),
         "roles, messages", avoid=("县反诈办", "县办"), label="County office"),
    Term("township", "township or street (乡镇 or 街道)", "乡镇（街道）", (r"\btownships?\b",),
         "area levels, rankings, exports", also=("乡镇",), avoid=(r"(?<!乡)镇（街道）", "街镇", r"乡（镇）"),
         note="乡镇 alone in lists of levels.", label="Township"),
    Term("village", "village or community (行政村 or 社区)", "村（社区）", (r"\bvillages?\b", r"\bcommunit(y|ies)\b"),
         "area levels, rankings, exports, zero-incident figures", also=("村", "社区"), avoid=("村庄", "村居"),
         note="村 or 社区 alone where the English names only one of them (无诈村, 进社区).",
         label="Village / community"),
    Term("grid", "grid (网格), the smallest area", "网格", (r"\bgrids?\b",), "areas, users, households",
         label="Grid"),
    Term("grid_worker", "grid worker", "网格员", (r"\bgrid workers?\b", r"\bworkers?\b"),
         "roles, assignment, rankings", avoid=("网格长", "网格管理员", "工作人员"), label="Grid worker"),
    Term("household", "household", "住户", (r"\bhouseholds?\b", r"^hh$"), "households, coverage, visits",
         also=("户",), avoid=("家户", "住家", "农户"), note="户 as a counter and in 户主, 户数.",
         label="Household"),
    Term("head_of_household", "head of household", "户主", (r"\bhead of household\b",), "households",
         avoid=("户长",), label="Head of household"),
    # door-knocking
    Term("round", "door-knocking round (敲门行动)", "敲门行动", (r"\brounds?\b",), "rounds, coverage, visits",
         also=("轮次", "本轮", "上一轮", "一轮", "该轮", "每轮"), avoid=("批次", "阶段"),
         note="轮次 as the label of the round a record belongs to; 本轮/上一轮 when referring back.",
         label="Rounds", exceptions={
             "Name of the round": "a field of the round's record in the audit log, under its record type: 名称"}),
    Term("door_knocking", "door-knocking (敲门行动, 入户走访)", "敲门走访", (r"\bdoor-knock(ing)?\b",),
         "navigation, phone page, criteria", also=("敲门", "入户")),
    Term("visit", "visit to a household", "走访", (r"\bvisit(s|ed|ing)?\b",), "visits, phone page, exports",
         also=("入户",), avoid=("拜访", "访问", "回访"),
         note="回访 is kept for the spot-check call-back (回访抽查).", label="Visits"),
    Term("visit_outcome", "outcome of a visit (reached, not home, refused, vacant)", "走访结果",
         (r"^outcome$", r"\boutcome of the visit\b"), "visits table, phone page, visit exports",
         avoid=("处置结果", "劝阻结果"), label="Outcome"),
    Term("reached", "reached (a household visited and briefed)", "已入户", (r"\breached\b",),
         "coverage, reports", also=("入户",)),
    Term("coverage", "coverage (households reached ÷ households in scope)", "入户覆盖率", (r"\bcoverage\b",),
         "coverage, reports, criteria", also=("覆盖率",), avoid=("敲门覆盖率", "走访率", "走访覆盖率")),
    Term("call_back", "spot-check call-back", "回访抽查", (r"\bcall-?backs?\b", r"\bspot[ -]checks?\b"),
         "checks of visits", note="Not yet a page; the word is reserved so that 回访 means only this."),
    Term("app", "national anti-fraud app (国家反诈中心APP) and its installs", "国家反诈中心APP",
         (r"\banti-fraud app\b", r"\bapp installs?\b", r"\bapp install rate\b"), "visits, events, criteria, reports",
         also=("反诈APP", "APP"), avoid=(r"App\b", r"app\b", "应用", "反诈软件"),
         note="Written APP, without spaces inside the name; 应用 is for the authenticator app."),
    # warnings
    Term("warning", "warning (预警指令) from the anti-fraud centre", "预警", (r"\bwarnings?\b",),
         "warnings, phone page, reports", avoid=("警告", "告警", "警情"), label="Warning",
         exceptions={"Outcome of the warning": "a label on the warning's own page and form: 处置结果"}),
    Term("open_warning", "open (pending) warning: not closed", "待处理",
         (r"^open$", r"\bopen warnings?\b", r"\bpending\b"), "warnings list, home page, warnings export",
         avoid=("打开", "未处理", "进行中", "未办结"), label="Open",
         note="“Open” as a state. The verb (open a page) is 查看 or 打开."),
    Term("open_page", "open (the verb: go to a page or a file)", "查看",
         (r"\bopen (the|their|this|it)\b", r"\bopened\b"), "links, import messages", also=("打开",),
         avoid=("待处理",), label="Open the warning"),
    Term("closed_warning", "closed warning (办结)", "办结",
         (r"^closed( at)?$", r"\bclose the warning\b", r"\bclos(ed|ing)\b.*\bwarning\b|\bwarning\b.*\bclos(ed|ing)\b",
          r"^%\(n\)s closed$", r"^closing\b"),
         "warnings, phone page, reports, warnings export", avoid=("关闭", "结案"), label="Closed",
         note="关闭 is for closing a dialog or switching a setting off."),
    Term("warning_outcome", "outcome of a warning (dissuaded, lost money, unreachable, false alarm)", "处置结果",
         (r"\boutcome of the warning\b",), "warning page and form, phone page, audit log, warnings export",
         avoid=("走访结果", "劝阻结果"), label="Outcome of the warning"),
    Term("dissuasion", "dissuasion; an attempt to dissuade", "劝阻", (r"\bdissua\w*", r"\battempts?\b"),
         "warnings", avoid=("劝导", "劝说"), label="Attempt"),
    Term("face_to_face", "face to face (见面劝阻)", "见面", (r"\bface[ -]to[ -]face\b",), "warnings, criteria",
         avoid=("当面见到", "面见", "面谈")),
    Term("loss_prevented", "loss prevented", "避免损失", (r"\bloss prevented\b",), "warnings, reports",
         avoid=("挽回损失",), note="挽回 is for money recovered after an incident."),
    # incidents
    Term("incident", "incident in the register (a case, a fraud den or an involved person)", "涉诈案件",
         (r"\bincidents?\b",), "incidents, reports, creation", also=("案件", "发案"),
         avoid=("警情", "事件", "涉诈情况"), label="Incident",
         note="The register is named after its main kind; 零发案 for zero-incident."),
    Term("fraud_case", "fraud case", "涉诈案件", (r"(?<!-)\bcases?\b", r"\bfraud cases?\b"),
         "incidents, reports", also=("案件", "发案"), avoid=("电诈案件", "警情"), label="Fraud case"),
    Term("zero_incident", "zero-incident (no case in the period)", "零发案",
         (r"\bzero[ -]incidents?\b", r"^no case( in the period)?$", r"\bwithout a case\b"),
         "incidents, maps, reports", avoid=("无案件", "零案件")),
    # events
    Term("event", "publicity event", "宣传活动", (r"\bevents?\b",), "events, criteria, reports", also=("活动",),
         avoid=("事件",), label="Publicity event"),
    # creation
    Term("fraud_free_creation", "fraud-free creation (the campaign for titles)", "无诈创建",
         (r"\bfraud-free (creation|titles?|campaign)\b",), "navigation, reports", avoid=("反诈创建", "无诈骗")),
    Term("fraud_free_community", "fraud-free community", "无诈社区", (r"\bfraud-free community\b",),
         "titles, certificates", avoid=("无诈骗社区",)),
    Term("fraud_free_village", "fraud-free village", "无诈村", (r"\bfraud-free village\b",),
         "titles, certificates", avoid=("无诈骗村",)),
    Term("fraud_free_campus", "fraud-free campus (school)", "无诈校园", (r"\bfraud-free campus\b",),
         "titles, certificates", avoid=("无诈学校",)),
    Term("fraud_free_unit", "fraud-free unit (enterprise or organisation)", "无诈单位", (r"\bfraud-free unit\b",),
         "titles, certificates", avoid=("无诈企业",)),
    Term("creation_target", "creation target (village, school or unit)", "创建对象", (r"\btargets?\b",),
         "creation, maps, reports", also=("对象",), avoid=("创建目标", "创建单位"), label="Creation target",
         exceptions={"Name of the target": "a field of the target's record in the audit log, under its record "
                                           "type: 名称"}),
    Term("criteria", "criteria of creation", "创建标准", (r"\bcriteri(a|on)\b",), "creation", also=("标准",),
         avoid=("指标",), note="A threshold of a criterion is 指标值 only where the English says threshold."),
    Term("acceptance", "acceptance (验收) of an application", "验收", (r"\baccept(ance)?\b(?! criteria)",),
         "creation life cycle, certificates", avoid=("审核",), label="Applied for acceptance",
         exceptions={"The phone sent this visit in a form the server cannot accept, so it cannot be saved: %(detail)s":
                     "the server accepting data, not an acceptance of a target"}),
    Term("certify", "certify, award a title (授牌)", "授牌", (r"\bcertif(y|ied)\b", r"\bawarded\b"),
         "creation, maps, reports, certificates", avoid=("颁牌", "挂牌"), label="Certified",
         exceptions={"Awarded to": "the holder on the verification page: 授予对象",
                     "This certificate is awarded in recognition.": "the certificate's formula: 特发此证，以资鼓励"}),
    Term("revoke", "revoke a title (摘牌)", "摘牌", (r"\brevok\w*",), "creation, certificates, verification, reports",
         avoid=("撤销", "撤牌", "取消称号", "吊销"), label="Revoked"),
    Term("certificate", "certificate", "证书", (r"\bcertificates?\b",), "creation, verification", also=("证",),
         avoid=("证明书", "奖状"), label="Certificate"),
    Term("review", "review (复核) of a certified target after an incident", "复核",
         (r"\(复核\)", r"(?<!back )(?<!visits )\b(for|to|after) review\b", r"\bsignals and review\b"),
         "creation, home page",
         avoid=("审核", "审查"), label="Review (复核)"),
    Term("visit_review", "review (审核) of a visit's record: received, verified, has issues, rejected", "审核",
         (r"\breview (the )?(ticked )?visits?\b", r"\bvisits? to review\b"), "visits table, review",
         avoid=("复核", "验收"), note="Reviewing a visit checks a record; 复核 re-examines a certified target.",
         label="Review the visit"),
    Term("send_back", "send an application for acceptance back to be worked on", "退回整改",
         (r"\bsen[dt]\b.*\bback for review\b",), "creation life cycle", also=("退回",), avoid=("复核", "驳回"),
         note="The English says “back for review”; the target goes back to 创建中, not to a 复核.",
         label="Send back for review"),
    Term("audit_log", "audit log", "审计日志", (r"\baudit log\b",), "audit, households",
         avoid=("审核日志", "操作日志"), label="Audit log"),
)

BY_KEY = {term.key: term for term in TERMS}

# Concepts that must never share a word (label, or one's term in the other's messages).
DISTINCT: tuple[tuple[str, str], ...] = (
    ("thing_name", "person_name"), ("visit_outcome", "warning_outcome"), ("open_warning", "open_page"),
    ("open_warning", "closed_warning"), ("review", "acceptance"), ("review", "send_back"), ("review", "visit_review"),
    ("visit", "call_back"),
    ("certify", "revoke"),
)

# An English word that means more than one concept: each message holding it belongs to one of them.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "name": ("thing_name", "person_name", "user_name"),
    "outcome": ("visit_outcome", "warning_outcome"),
    "open": ("open_warning", "open_page"),
}
AMBIGUOUS_EXCEPTIONS: dict[str, str] = {
    "This is a web page (HTML) saved with an Excel name, in an encoding that cannot be read. Open it in Excel, "
    "save it as an Excel workbook (.xlsx) and upload that.": "a file name (文件名)",
    "This is a web page (HTML) saved with an Excel name, and it holds no table. Open it in Excel, save it as an "
    "Excel workbook (.xlsx) and upload that.": "a file name (文件名)",
    "This is an Excel 2003 XML spreadsheet saved with an Excel name. Open it in Excel, save it as an Excel "
    "workbook (.xlsx) and upload that.": "a file name (文件名)",
    "Lines %(first)s and %(line)s name the same record; keep one of them.": "the verb",
    "Name the resident or household.": "the verb",
    "Column names the import recognises": "column names (列名)",
}

# A bare label names one concept only where it is used.
LABEL_ONLY_IN: dict[str, tuple[str, ...]] = {
    "Name": ("campaign/areas/", "campaign/creation/", "campaign/rounds/", "templates/areas/",
             "templates/creation/", "templates/rounds/"),
    "Outcome": ("campaign/visits/", "templates/visits/"),
    "Open": ("campaign/warnings/", "templates/warnings/", "campaign/maps/"),  # maps: the open warnings legend
}

# Labels of two concepts that may read the same, and why.
SHARED_LABELS: dict[tuple[str, str], str] = {
    ("incident", "fraud_case"): "the register of incidents (dens and involved persons too) is named after its main "
                                "kind, 涉诈案件",
}

# Never anywhere in the Chinese: catalogue, templates, headers.
GLOBAL_AVOID: tuple[tuple[str, str], ...] = (
    (r"村庄|村居", "村（社区）"),
    (r"(?<!乡)镇（街道）|乡（镇）|街镇", "乡镇（街道）"),
    (r"警情", "an incident is 涉诈案件"),
    (r"无诈骗|反诈创建", "无诈创建, 无诈社区 …"),
    (r"回访(?!抽查)", "回访 is the spot-check call-back (回访抽查); a second visit is 再次走访"),
    (r"当面见到|面见", "见面"),
    (r"审核日志|操作日志", "审计日志"),
    (r"App\b", "APP: 国家反诈中心APP, 反诈APP"),
)

# Never in a column header or sheet title of an export, an import template or the report workbook.
HEADER_AVOID: tuple[tuple[str, str], ...] = (
    (r"^结果$", "say whose outcome: 走访结果 (visit) or 处置结果 (warning)"),
    (r"关闭", "a warning is 办结, not 关闭"),
    (r"打开", "an open warning is 待处理"),
    (r"撤销", "a title is 摘牌"),
    (r"^(村|乡镇|区划|网格).*姓名", "an area has a 名称, a person a 姓名"),
)


def pattern(text: str) -> str:
    """A regular expression of Chinese as compared (see ``fold``): full-width brackets are literal brackets."""
    return re.sub(r"\s+", "", text.replace("（", r"\(").replace("）", r"\)"))


def fold(text: str) -> str:
    """Chinese as compared: full-width forms folded (NFKC), white space removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def plain_english(msgid: str) -> str:
    """The msgid without its placeholders (%(name)s, {name}, %d)."""
    return re.sub(r"%\(\w+\)[sdif]|\{\w+\}|%[sdif]", " ", msgid)


def finds(term: Term, msgid: str) -> bool:
    text = plain_english(msgid)
    return any(re.search(english, text, re.IGNORECASE) for english in term.en)


def uses(term: Term, msgstr: str) -> bool:
    text = fold(msgstr)
    return any(fold(word) in text for word in (term.zh, *term.also))


def avoided(term: Term, msgid: str, msgstr: str) -> list[str]:
    """The words of ``avoid`` that the Chinese uses, and the terms of concepts kept apart from it (unless the
    English names that concept too)."""
    text = fold(msgstr)
    found = [word for word in term.avoid if re.search(pattern(word), text)]
    for a, b in DISTINCT:
        other = BY_KEY[b] if a == term.key else BY_KEY[a] if b == term.key else None
        if other and fold(other.zh) in text and not finds(other, msgid) and other.zh not in found:
            found.append(other.zh)
    return found


def globally_avoided(text: str) -> list[str]:
    """The words of ``GLOBAL_AVOID`` in a Chinese text, each with the term to use."""
    folded = fold(text)
    return [f"{word} ({why})" for word, why in GLOBAL_AVOID if re.search(pattern(word), folded)]


def markdown() -> str:
    """GLOSSARY.md."""
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines = [
        "# Glossary (术语表)",
        "",
        "One Chinese term per concept, used alike by the pages, the PDFs, the exports and the audit log.",
        "The table is written from `campaign/core/glossary.py` (`python -m campaign.core.glossary > GLOSSARY.md`);",
        "`tests/test_glossary.py` holds the Chinese catalogue and the export headers to it.",
        "",
        "Short forms are allowed in running text. Half-width brackets in spreadsheet headers, 村(社区),",
        "are the same term as 村（社区）.",
        "",
        "| English concept | Chinese term | short forms | where used | not to use | note |",
        "|---|---|---|---|---|---|",
    ]
    for t in TERMS:
        lines.append(f"| {cell(t.concept)} | **{t.zh}** | {'、'.join(t.also)} | {cell(t.where)} | "
                     f"{'、'.join(cell(a) for a in t.avoid)} | {cell(t.note)} |")
    lines += ["", "## Kept apart", "",
              "These concepts never share a word: neither their labels nor one's term in the other's messages.", ""]
    lines += [f"- {BY_KEY[a].zh} ({BY_KEY[a].concept}) ≠ {BY_KEY[b].zh} ({BY_KEY[b].concept})" for a, b in DISTINCT]
    lines += ["", "## Labels that may read the same", ""]
    lines += [f"- {BY_KEY[a].zh}: {BY_KEY[a].concept} and {BY_KEY[b].concept}: {why}"
              for (a, b), why in SHARED_LABELS.items()]
    lines += ["", "## Never anywhere", ""]
    lines += [f"- `{cell(word)}`: {why}" for word, why in GLOBAL_AVOID]
    lines += ["", "## Never in a column header", ""]
    lines += [f"- `{cell(word)}`: {why}" for word, why in HEADER_AVOID]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
