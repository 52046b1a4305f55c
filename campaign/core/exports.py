"""XLSX exports: the one writer every table page (and the report workbook) writes through.

The sheet XML goes row by row straight into the zip entry: memory stays flat whatever the number of
rows. It is written here rather than with XlsxWriter (constant_memory) or openpyxl (write_only)
because, on the same 200,000 visit rows, they took 5 and 8 times as long (4.5 s, 21.6 s, 34.2 s):
too slow for a city's million visits in under a minute (bench/exports.py). Strings are inline, so
no shared-string table grows in memory.
"""
from __future__ import annotations

import itertools
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from xml.sax.saxutils import escape

from flask import Response, send_file

from .clock import zone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
MAX_TEXT = 32_767     # Excel's characters per cell
COMPRESSION = 1       # zlib level: 6 makes files a fifth smaller and the writing a third slower

# cell style index (cellXfs in styles.xml) and number format of each kind
STYLES = {"text": 2, "int": 3, "decimal": 4, "money": 5, "percent": 6, "date": 7, "datetime": 8}
HEADER_STYLE = 1
FORMATS = {"text": "@", "int": "#,##0", "decimal": "0.00", "money": "#,##0.00", "percent": "0.00%",
           "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
MIN_WIDTHS = {"text": 10, "int": 8, "decimal": 10, "money": 14, "percent": 9, "date": 12, "datetime": 17}
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
# XML 1.0 refuses control characters; Excel refuses the file if one slips in.
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                           **{chr(c): None for c in (*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)}})
_BAD_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_BAD_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_END = object()


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: its Chinese header, the kind of value it holds, and its width."""

    header: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in STYLES:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def display_width(self) -> float:
        if self.width is not None:
            return self.width
        header = sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(self.header))
        return float(min(max(MIN_WIDTHS[self.kind], header + 3), 60))


@dataclass
class Sheet:
    """A table to export. ``rows`` may be a generator (consumed once); None is an empty cell."""

    title: str
    columns: Sequence[ExportColumn]
    rows: Iterable[Sequence]


@dataclass
class _Part:
    """One written worksheet: a sheet, or a continuation of one past Excel's row limit."""

    name: str
    columns: int
    rows: int


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(style: int) -> Callable[[object, str], str]:
    def cell(value, ref: str) -> str:
        text = str(value)[:MAX_TEXT].translate(_XML_TEXT)
        if not text:
            return ""
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return cell


def _number_cell(style: int) -> Callable[[object, str], str]:
    as_text = _text_cell(style)

    def cell(value, ref: str) -> str:
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, float | Decimal):
            if not math.isfinite(value):
                return ""
        elif not isinstance(value, int):
            return as_text(value, ref)
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    return cell


def _local(value: datetime, local: tzinfo) -> datetime:
    """As the app shows it: in the county's time zone, written without a zone (Excel has none)."""
    return value.astimezone(local).replace(tzinfo=None) if value.tzinfo is not None else value


def _date_cell(local: tzinfo) -> Callable[[object, str], str]:
    style, as_text = STYLES["date"], _text_cell(STYLES["date"])

    def cell(value, ref: str) -> str:
        if isinstance(value, datetime):
            value = _local(value, local).date()
        if not isinstance(value, date):
            return as_text(value, ref)
        return f'<c r="{ref}" s="{style}"><v>{(value - _EPOCH_DAY).days}</v></c>'
    return cell


def _datetime_cell(local: tzinfo) -> Callable[[object, str], str]:
    style, as_text = STYLES["datetime"], _text_cell(STYLES["datetime"])

    def cell(value, ref: str) -> str:
        if isinstance(value, datetime):
            delta = _local(value, local) - _EPOCH
        elif isinstance(value, date):
            delta = datetime.combine(value, datetime.min.time()) - _EPOCH
        else:
            return as_text(value, ref)
        return f'<c r="{ref}" s="{style}"><v>{delta.days + delta.seconds / 86400!r}</v></c>'
    return cell


def _cell_writers(columns: Sequence[ExportColumn], local: tzinfo) -> list[Callable[[object, str], str]]:
    makers = {"date": lambda: _date_cell(local), "datetime": lambda: _datetime_cell(local),
              "text": lambda: _text_cell(STYLES["text"])}
    return [makers.get(c.kind, lambda c=c: _number_cell(STYLES[c.kind]))() for c in columns]


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """A valid sheet name (31 characters, none of []:*?/\\), unique among ``taken`` (case aside)."""
    base = _BAD_TITLE.sub("", str(title)).strip().strip("'")[:31] or "Sheet"
    used = {name.lower() for name in taken}
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
    return name


def _sheet_start(columns: Sequence[ExportColumn], first: bool) -> str:
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.display_width:g}" customWidth="1"/>'
                     for i, c in enumerate(columns, start=1))
    header = "".join(f'<c r="{column_letter(i)}1" s="{HEADER_STYLE}" t="inlineStr"><is><t>{escape(str(c.header))}'
                     f"</t></is></c>" for i, c in enumerate(columns, start=1))
    selected = 'tabSelected="1" ' if first else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheetViews><sheetView {selected}workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{widths}</cols>" if widths else ""}'
            f'<sheetData><row r="1">{header}</row>')


def _filter_range(part: _Part) -> str:
    return f"A1:{column_letter(part.columns)}{part.rows + 1}"


def _write_part(package: zipfile.ZipFile, number: int, part: _Part, columns: Sequence[ExportColumn],
                rows: Iterator[Sequence], local: tzinfo) -> None:
    """Up to MAX_ROWS - 1 rows of ``rows`` as worksheet ``number``; counts them into ``part.rows``."""
    cells = list(zip([column_letter(i) for i in range(1, len(columns) + 1)], _cell_writers(columns, local),
                     strict=True))
    with package.open(f"xl/worksheets/sheet{number}.xml", "w") as stream:
        stream.write(_sheet_start(columns, number == 1).encode())
        buffer: list[str] = []
        line = 1
        for line, row in enumerate(itertools.islice(rows, MAX_ROWS - 1), start=2):
            ref = str(line)
            buffer.append(f'<row r="{ref}">')
            buffer.extend(write(value, letter + ref) for (letter, write), value in zip(cells, row, strict=True)
                          if value is not None)
            buffer.append("</row>")
            if len(buffer) > 20_000:
                stream.write("".join(buffer).encode())
                buffer.clear()
        part.rows = line - 1
        stream.write("".join(buffer).encode())
        autofilter = f'<autoFilter ref="{_filter_range(part)}"/>' if columns else ""
        stream.write(f'</sheetData>{autofilter}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                     f'header="0.3" footer="0.3"/></worksheet>'.encode())


def _write_sheet(package: zipfile.ZipFile, sheet: Sheet, parts: list[_Part], local: tzinfo) -> int:
    """The sheet, continued on "<title> (2)", "<title> (3)"… with the header repeated past Excel's limit."""
    rows = iter(sheet.rows)
    base = sheet_title(sheet.title)
    written = 0
    for n in itertools.count(1):
        if n > 1:
            following = next(rows, _END)
            if following is _END:
                break
            rows = itertools.chain([following], rows)
        title = base if n == 1 else base[:31 - len(f" ({n})")] + f" ({n})"
        part = _Part(sheet_title(title, [p.name for p in parts]), len(sheet.columns), 0)
        parts.append(part)
        _write_part(package, len(parts), part, sheet.columns, rows, local)
        written += part.rows
        if part.rows < MAX_ROWS - 1:
            break
    return written


def write_xlsx(sheets: Iterable[Sheet], target) -> int:
    """Write the sheets as one workbook to ``target`` (a path or a binary file); returns the data rows written."""
    parts: list[_Part] = []
    local = zone()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as package:
        written = sum(_write_sheet(package, sheet, parts, local) for sheet in sheets)
        if not parts:
            _write_sheet(package, Sheet("Sheet1", [], []), parts, local)
        for name, content in _package_parts(parts).items():
            package.writestr(name, content)
    return written


def _package_parts(parts: list[_Part]) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package_rel = "http://schemas.openxmlformats.org/package/2006/relationships"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    n = range(1, len(parts) + 1)
    sheets = "".join(f'<sheet name="{escape(p.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, p in enumerate(parts, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i - 1}" hidden="1">'
        f"{escape(_quoted(p.name))}!{_absolute(_filter_range(p))}</definedName>"
        for i, p in enumerate(parts, start=1) if p.columns)
    return {
        "[Content_Types].xml": head + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{sheet_type}.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}.worksheet+xml"/>'
                      for i in n) + "</Types>"),
        "_rels/.rels": head + (
            f'<Relationships xmlns="{package_rel}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": head + (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>{f'<definedNames>{filters}</definedNames>' if filters else ''}</workbook>"),
        "xl/_rels/workbook.xml.rels": head + (
            f'<Relationships xmlns="{package_rel}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in n)
            + f'<Relationship Id="rId{len(parts) + 1}" Type="{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": head + _styles(main),
    }


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _absolute(cells: str) -> str:
    return ":".join("$" + re.sub(r"(\d+)", r"$\1", ref) for ref in cells.split(":"))


def _styles(main: str) -> str:
    builtin = {"@": 49, "#,##0": 3, "0.00": 2, "#,##0.00": 4, "0.00%": 10}
    custom = {code: 164 + i for i, code in enumerate(c for c in FORMATS.values() if c not in builtin)}
    ids = {**builtin, **custom}
    formats = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(code)}"/>' for code, i in custom.items())
    kinds = sorted(STYLES, key=STYLES.get)
    xfs = ('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
           'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
           + "".join(f'<xf numFmtId="{ids[FORMATS[k]]}" fontId="0" fillId="0" borderId="0" xfId="0" '
                     f'applyNumberFormat="1"/>' for k in kinds))
    return (f'<styleSheet xmlns="{main}"><numFmts count="{len(custom)}">{formats}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">'
            '<fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '<border><left/><right/><top/><bottom style="thin"><color rgb="FF9BC2E6"/></bottom><diagonal/></border>'
            f'</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{2 + len(kinds)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0"/></styleSheet>')


def download_name(filename: str) -> str:
    """A file name any system accepts: no path separators or characters Windows refuses."""
    name = _BAD_FILE_NAME.sub("_", filename).strip(" .") or "export"
    return name if name.lower().endswith(".xlsx") else f"{name}.xlsx"


def xlsx_response(filename: str, sheets: Iterable[Sheet]) -> Response:
    """The workbook as a download, streamed from a temporary file that is gone once the response closes."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(sheets, handle)
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = send_file(handle, mimetype=XLSX, as_attachment=True, download_name=download_name(filename),
                         conditional=False, etag=False)
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response
