"""Reading and writing the spreadsheets that offices exchange (XLSX and CSV).

Files are recognised by their content, not their name. Every data row keeps its line number
(the header is line 1) so that import errors can point at it.
"""
from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from campaign.jobs import runner

from .sheet_sources import FileFormatError, Limits, Sheet, sheets
from .text import clean_text, fold
from .xlsx_reader import MAX_TEXT, NoCachedValue, too_long_text

__all__ = ["Column", "FileFormatError", "ImportReport", "Limits", "ReadNotes", "Row", "RowError", "Table",
           "accepted_names", "read_sheet", "read_table", "template_csv", "template_xlsx"]


@dataclass(frozen=True)
class Column:
    """A column of an import file: its key, the header shown in templates, and accepted aliases."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    as_typed: bool = False  # free text, stored as typed; other cells are compared values, folded

    def names(self) -> set[str]:
        return {_norm_header(n) for n in (self.key, self.header, *self.aliases)}


@dataclass
class Row:
    line: int
    values: dict[str, str]
    sheet: str = ""


@dataclass
class ReadNotes:
    """What the reader found besides the rows, for the preview to show and the user to confirm."""

    ignored_columns: list[str] = field(default_factory=list)  # header texts no field takes
    hidden_lines: list[int] = field(default_factory=list)     # rows hidden in Excel
    sheets: list[str] = field(default_factory=list)           # sheets imported
    other_sheets: list[str] = field(default_factory=list)     # other non-empty sheets, not imported
    example_lines: list[int] = field(default_factory=list)    # the template's example rows, skipped


@dataclass
class Table:
    rows: list[Row]
    notes: ReadNotes = field(default_factory=ReadNotes)
    columns: list[Column] = field(default_factory=list, repr=False)


@dataclass
class RowError:
    line: int
    reason: str
    column: str = ""
    sheet: str = ""  # the sheet's name when the file has several


@dataclass
class ImportReport:
    """What an all-or-nothing import found: rows it would write, and every bad row."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({(error.sheet, error.line) for error in self.errors})

    def add(self, line: int, reason: str, column: str = "") -> None:
        self.errors.append(RowError(line=line, reason=str(reason), column=str(column),
                                    sheet=getattr(line, "sheet", "")))


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>")
_UNIT_OTHER_THAN_YUAN = re.compile(r"万元|千元")
EXAMPLE_MARKS = ("(示例)", "示例:", "【示例】")
EXAMPLE_PREFIX = "（示例）"
HEADER_SEARCH = 20  # the header is looked for in a sheet's first rows
INSTRUCTIONS_SHEET = "填写说明"
MERGED_COLUMNS = 50  # columns of one sheet that may be filled from merged cells


def _norm_header(text: str) -> str:
    return re.sub(r"[*:\s]", "", fold(text)).lower()


def _bare(text: str) -> str:
    """A header without its notes: 网格编码（必填） → 网格编码, 纬度(°) → 纬度."""
    return _BRACKETED.sub("", _norm_header(text))


class Line(int):
    """A row's line number in its sheet; it knows the sheet's name."""

    sheet: str = ""

    def __new__(cls, number: int, sheet: str = ""):
        line = super().__new__(cls, number)
        line.sheet = sheet
        return line

    def __reduce__(self):
        return Line, (int(self), self.sheet)


def accepted_names(columns: list[Column]) -> list[tuple[str, list[str]]]:
    """(header, the other names accepted for it) of every column, for the import page and the template."""
    return [(col.header, [name for name in dict.fromkeys(col.aliases) if name != col.header and not name.isascii()]
             + [name for name in dict.fromkeys(col.aliases) if name.isascii()]) for col in columns]


class _Headers:
    """Which column of a header row each field takes."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.exact: dict[str, str] = {}
        self.bare: dict[str, str] = {}
        for col in columns:
            for name in (col.key, col.header, *col.aliases):
                self.exact.setdefault(_norm_header(name), col.key)
                self.bare.setdefault(_bare(name), col.key)

    def key(self, text: str) -> str | None:
        if not isinstance(text, str) or not text:
            return None
        norm = _norm_header(text)
        if norm in self.exact:
            return self.exact[norm]
        if _UNIT_OTHER_THAN_YUAN.search(norm):
            return None  # 损失金额（万元） is not 损失金额（元）
        return self.bare.get(_bare(text))

    def positions(self, texts: list) -> dict[str, int]:
        found: dict[str, int] = {}
        for index, text in enumerate(texts):
            key = self.key(text)
            if key and key not in found:
                found[key] = index
        return found

    def missing(self, positions: dict[str, int]) -> list[str]:
        return [col.header for col in self.columns if col.required and col.key not in positions]


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, NoCachedValue):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(value)


def _texts(sheet: Sheet) -> Iterator[tuple[int, list, bool]]:
    """(line, texts, hidden) of every row of a sheet with a value, streamed."""
    for count, (line, values, hidden) in enumerate(sheet.rows(), start=1):
        texts = [_cell_text(v) for v in values]
        if any(isinstance(text, str) and len(text) > MAX_TEXT for text in texts):
            raise FileFormatError(too_long_text(line).message)
        if any(texts):
            yield line, texts, hidden
        if count % 1000 == 0:
            runner.check_time()


def _fill_merged(found: list[tuple[int, list, bool]], merges, header_line: int) -> None:
    """A value merged down a column (one 网格编码 for five rows) fills the rows the range covers.
    Only rows that exist are visited, and no more cells than the sheet's rows times MERGED_COLUMNS:
    ranges built to overlap are refused."""
    if not merges:
        return
    lines = [line for line, _texts, _hidden in found]
    by_line = {line: texts for line, texts, _hidden in found}
    budget = MERGED_COLUMNS * len(found)
    for first, column, last, _last_column in merges:
        top = by_line.get(first)
        if first <= header_line or top is None or column > len(top) or not top[column - 1]:
            continue
        start, end = bisect_right(lines, first), bisect_right(lines, last)
        budget -= end - start
        if budget < 0:
            raise FileFormatError(_l("The sheet's merged cells overlap. Unmerge them and upload the file again."))
        for line in lines[start:end]:
            texts = by_line[line]
            texts.extend("" for _ in range(column - len(texts)))
            if not texts[column - 1]:
                texts[column - 1] = top[column - 1]


def _is_example(texts: list) -> bool:
    first = next((text for text in texts if text), "")
    return isinstance(first, str) and fold(first).startswith(EXAMPLE_MARKS)


def _no_value(line: int, index: int, sheet: str, cell: NoCachedValue) -> FileFormatError:
    letter = get_column_letter(index + 1)
    where = _l("Sheet %(sheet)s, line %(line)s, column %(column)s (%(cell)s)", sheet=sheet, line=line,
               column=letter, cell=cell.ref or f"{letter}{line}") if sheet else \
        _l("Line %(line)s, column %(column)s (%(cell)s)", line=line, column=letter, cell=cell.ref or f"{letter}{line}")
    return FileFormatError(_l("%(where)s: the formula has no calculated value. Open the file in Excel, save it "
                              "and import it again.", where=where))


def read_table(data: bytes, columns: list[Column]) -> list[Row]:
    return read_sheet(data, columns).rows


def read_sheet(data: bytes, columns: list[Column], *, include_hidden: bool = False) -> Table:
    """Rows of every sheet whose header (the first row, within a sheet's first 20, that holds the
    required columns) names the columns, keyed by column key, with what was left out (:class:`ReadNotes`).
    Blank rows are skipped, line numbers kept. Memory follows the values the file holds; columns and
    data rows are capped (:class:`Limits`)."""
    if not data:
        raise FileFormatError(_l("The file is empty."))
    limits = Limits.current()
    headers = _Headers(columns)
    table, notes = Table(rows=[]), ReadNotes()
    table.columns = columns
    table.notes = notes
    best: dict[str, int] | None = None
    empty, count = True, 0
    sources = sheets(data, limits)
    for sheet in sources:
        header, found, has_values = None, [], False
        for line, texts, hidden in _texts(sheet):
            empty, has_values = False, True
            if header is not None:
                count += 1
                if count > limits.rows:
                    raise FileFormatError(_l("The file has more than %(limit)s data rows. Split it into files of at "
                                             "most %(limit)s rows and import them one by one.",
                                             limit=f"{limits.rows:,}"))
                found.append((line, texts, hidden))
                continue
            if sheet.hidden or sheet.name == INSTRUCTIONS_SHEET or line > HEADER_SEARCH:
                break
            positions = headers.positions(texts)
            if not headers.missing(positions):
                header = (line, texts, positions)
            elif best is None or len(positions) > len(best):
                best = positions
        if header is None:
            if has_values and sheet.name != INSTRUCTIONS_SHEET and sheet.name:
                notes.other_sheets.append(sheet.name)
            continue
        _fill_merged(found, sheet.merges(), header[0])
        _take(table, sheet.name, header, found, include_hidden, len(sources) > 1)
    if empty:
        raise FileFormatError(_l("The file is empty."))
    if not notes.sheets:
        raise FileFormatError(
            _l("Missing columns: %(columns)s. Download the template to see the expected headers.",
               columns="、".join(headers.missing(best or {})))
        )
    if not table.rows:
        raise FileFormatError(_l("The file has a header row but no data rows: there is nothing to import."))
    if len(notes.sheets) == 1:  # line numbers name their sheet only when there are several
        for row in table.rows:
            row.line = int(row.line)
        notes.hidden_lines = [int(line) for line in notes.hidden_lines]
        notes.example_lines = [int(line) for line in notes.example_lines]
    return table


def _take(table: Table, name: str, header, found, include_hidden: bool, multi: bool) -> None:
    """The data rows of one sheet, into ``table``."""
    header_line, header_texts, positions = header
    notes = table.notes
    notes.sheets.append(name)
    taken = set(positions.values())
    as_typed = {col.key for col in table.columns if col.as_typed}
    for index, text in enumerate(header_texts):
        if text and index not in taken:
            _note_ignored(notes, text if isinstance(text, str) else get_column_letter(index + 1))
    for number, (line, texts, hidden) in enumerate(found):
        if number == 0 and _is_example(texts):
            notes.example_lines.append(Line(line, name))
            continue
        for index in range(len(texts)):
            if texts[index] and index not in taken and (index >= len(header_texts) or not header_texts[index]):
                _note_ignored(notes, str(_l("Column %(column)s (no header)", column=get_column_letter(index + 1))))
        values = {}
        for key, index in positions.items():
            value = texts[index] if index < len(texts) else ""
            if isinstance(value, NoCachedValue):
                raise _no_value(line, index, name if multi else "", value)
            values[key] = value if key in as_typed else fold(value)
        if hidden:
            notes.hidden_lines.append(Line(line, name))
            if not include_hidden:
                continue
        table.rows.append(Row(line=Line(line, name), values=values, sheet=name))


def _note_ignored(notes: ReadNotes, name: str) -> None:
    if name not in notes.ignored_columns:
        notes.ignored_columns.append(name)


def _example_row(columns: list[Column]) -> list[str]:
    """The template's example row: its first cell says it is one, so it is never imported."""
    values = [col.example for col in columns]
    return [EXAMPLE_PREFIX + values[0], *values[1:]] if values else values


def template_xlsx(columns: list[Column], sheet_title: str) -> bytes:
    """An empty roster with bold, frozen headers and one example row, and a sheet of accepted names."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([col.header + (" *" if col.required else "") for col in columns])
    sheet.append(_example_row(columns))
    for index, col in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(col.header) * 2 + 4)
        sheet.cell(row=2, column=index).number_format = "@"
        sheet.cell(row=2, column=index).font = Font(italic=True, color="808080")
    sheet.freeze_panes = "A2"
    glossary = workbook.create_sheet(INSTRUCTIONS_SHEET)
    glossary.append([str(_l("Column")), str(_l("Also accepted")), str(_l("Required"))])
    glossary.append([str(_l("The row that starts with %(mark)s is an example and is never imported.",
                            mark=EXAMPLE_PREFIX))])
    for col, (header, names) in zip(columns, accepted_names(columns), strict=True):
        glossary.append([header, "、".join(names), "✓" if col.required else ""])
    glossary.column_dimensions["A"].width, glossary.column_dimensions["B"].width = 20, 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(columns: list[Column]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([col.header for col in columns])
    writer.writerow(_example_row(columns))
    return buffer.getvalue().encode("utf-8-sig")
