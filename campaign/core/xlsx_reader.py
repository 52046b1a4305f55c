"""The first sheet of an XLSX workbook as a stream of rows, in memory bounded by the cells that exist.

openpyxl, even read-only, pads every row to the sheet's declared dimension and loads every style of
the workbook, so a 1.5 KB file could ask for gigabytes. This reads the parts itself: the declared
dimension is never looked at, missing rows and cells are never made, every element is dropped once
read, and the parts are refused past a size before they are parsed. Cell values are still decoded
by openpyxl's own cell parser (types, shared strings, dates).
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import IO
from xml.etree.ElementTree import iterparse

from flask_babel import lazy_gettext as _l
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.worksheet._reader import WorkSheetParser

from .errors import DomainError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_TEXT = 32_767                 # Excel's characters per cell
MAX_STRINGS = 1_000_000           # distinct texts of one workbook
MAX_STYLES = 64_000               # Excel's cell formats per workbook
MAX_CELL_PARTS = 1_000            # elements inside one cell (rich-text runs)
MAX_UNPACKED = 256 * 1024 * 1024  # XML read from one workbook, whatever its size
UNPACKED_FLOOR = 32 * 1024 * 1024  # ... and from a small one, however well it compresses
UNPACKED_RATIO = 100              # real workbooks unpack to 5-20 times their size
MAX_SHEETS = 255                  # sheets read from one workbook
MAX_MERGES = 100_000              # merged ranges of one sheet
CHECK_EVERY = 65_536              # XML elements between two calls of ``check``


class SheetRefused(DomainError):
    """The workbook is over a limit, or built to overload the reader."""


class _Budget:
    """How much XML the workbook may unpack to; zip entries declare their size and are never read past it."""

    def __init__(self, archive: zipfile.ZipFile, packed: int):
        self.archive = archive
        self.left = min(MAX_UNPACKED, max(UNPACKED_FLOOR, UNPACKED_RATIO * packed))

    def open(self, name: str) -> IO[bytes] | None:
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            return None
        if info.file_size > self.left:
            raise SheetRefused(_l("The workbook unpacks to far more data than its rows hold (over %(mb)s MB). "
                                  "Copy the rows into a new workbook and upload that.",
                                  mb=min(MAX_UNPACKED, self.left + info.file_size) // (1024 * 1024) or 1))
        self.left -= info.file_size
        return self.archive.open(info)


def _elements(source: IO[bytes], check: Callable[[], None], keep: str = "") -> Iterator[tuple[str, object]]:
    """(event, element) for every element, each dropped from its parent once it has ended; inside a
    ``keep`` element (a cell, a shared string) the parts stay until it ends, and they are counted."""
    stack: list = []
    kept, inside = None, 0
    with source:
        for count, (event, element) in enumerate(iterparse(source, events=("start", "end")), start=1):
            if count % CHECK_EVERY == 0:
                check()
            if event == "start":
                if kept is not None:
                    inside += 1
                    if inside > MAX_CELL_PARTS:
                        raise SheetRefused(_l("A cell of the workbook is too complex to read."))
                elif element.tag == keep:
                    kept, inside = len(stack), 0
                stack.append(element)
                yield event, element
                continue
            stack.pop()
            yield event, element
            if kept is not None and len(stack) > kept:
                continue
            if len(stack) == kept:
                kept = None
            if stack:
                stack[-1].remove(element)


def _relationships(budget: _Budget) -> dict[str, tuple[str, str]]:
    """The workbook's relationships: id → (type, part name)."""
    source = budget.open("xl/_rels/workbook.xml.rels")
    found = {}
    if source is None:
        return found
    for event, element in _elements(source, lambda: None):
        if event == "end" and element.tag == PACKAGE_REL + "Relationship":
            target = element.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            found[element.get("Id", "")] = (element.get("Type", ""), name)
    return found


def _workbook(budget: _Budget) -> tuple[list[tuple[str, str, bool]], object]:
    """(name, relationship id, hidden) of every sheet in tab order, and the workbook's date epoch."""
    sheets, epoch = [], CALENDAR_WINDOWS_1900
    for event, element in _elements(budget.open("xl/workbook.xml"), lambda: None):
        if event != "start":
            continue
        if element.tag == MAIN + "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif element.tag == MAIN + "sheet" and len(sheets) < MAX_SHEETS:
            sheets.append((element.get("name", ""), element.get(OFFICE_REL + "id"),
                           element.get("state", "visible") != "visible"))
    return sheets, epoch


def _shared_strings(source: IO[bytes] | None, check) -> list[str]:
    strings: list[str] = []
    if source is None:
        return strings
    for event, element in _elements(source, check, keep=MAIN + "si"):
        if event != "end" or element.tag != MAIN + "si":
            continue
        if len(strings) >= MAX_STRINGS:
            raise SheetRefused(_l("The workbook holds more than %(limit)s different texts. "
                                  "Split it into smaller files.", limit=f"{MAX_STRINGS:,}"))
        text = _text(element)
        if len(text) > MAX_TEXT:
            raise too_long_text(None)
        strings.append(text.replace("x005F_", ""))
    return strings


def _date_styles(source: IO[bytes] | None, check) -> tuple[set[int], set[int]]:
    """The cell styles (indexes into cellXfs) that show a date, and those that show a duration."""
    custom: dict[int, str] = {}
    formats: list[str] = []
    inside = False
    if source is not None:
        for event, element in _elements(source, check):
            if element.tag == MAIN + "cellXfs":
                inside = event == "start"
            elif event == "end" and element.tag == MAIN + "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif event == "start" and inside and element.tag == MAIN + "xf":
                if len(formats) >= MAX_STYLES:
                    raise SheetRefused(_l("The workbook has more cell formats than Excel allows."))
                number = int(element.get("numFmtId", "0"))
                formats.append(custom.get(number) or BUILTIN_FORMATS.get(number)
                               or CHINESE_FORMATS.get(number) or "General")
    dates = {i for i, f in enumerate(formats) if is_date_format(f) or _is_chinese_date(f)}
    return dates, {i for i in dates if is_timedelta_format(formats[i])}


# The built-in formats Excel and WPS give ids 27-36 and 50-58 in Chinese (zh-CN) locales; openpyxl knows
# them not. All show a date, a month or a time of day.
_YM, _MD, _YMD = 'yyyy"年"m"月"', 'm"月"d"日"', 'yyyy"年"m"月"d"日"'
_HM, _HMS = 'h"时"mm"分"', 'h"时"mm"分"ss"秒"'
CHINESE_FORMATS = {27: _YM, 28: _MD, 29: _MD, 30: "m-d-yy", 31: _YMD, 32: _HM, 33: _HMS,
                   34: "上午/下午" + _HM, 35: "上午/下午" + _HMS, 36: _YM, 50: _YM, 51: _MD, 52: _YM,
                   53: _MD, 54: _MD, 55: "上午/下午" + _HM, 56: "上午/下午" + _HMS, 57: _YM, 58: _MD}
_DATE_WORDS = re.compile(r"[年月日]")
_NUMBER_CODES = re.compile(r"[0#?]")


def _is_chinese_date(number_format: str) -> bool:
    """A format naming 年, 月 or 日 and showing no plain number (0"个月" is a count, not a date)."""
    first = number_format.split(";")[0]
    return bool(_DATE_WORDS.search(first)) and not _NUMBER_CODES.search(first)
_COLUMN = re.compile(r"([A-Z]{1,3})[0-9]+")
_RANGE = re.compile(r"([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)")


class NoCachedValue:
    """A formula cell saved without its result (written by a program, never opened in Excel)."""

    def __init__(self, ref: str):
        self.ref = ref

    def __repr__(self) -> str:
        return f"NoCachedValue({self.ref})"


def column_number(letters: str) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column


def _cell(parser: WorkSheetParser, element, strings: list[str], dates: set[int]) -> tuple[int, object]:
    """(column, value) of a cell: plain texts and numbers here, the rest by openpyxl's parser."""
    kind, ref = element.get("t", "n"), _COLUMN.fullmatch(element.get("r") or "")
    if element.find(MAIN + "f") is not None and not element.findtext(MAIN + "v"):
        cell = parser.parse_cell(element)
        return cell["column"], NoCachedValue(element.get("r") or "")
    if ref is None or kind not in ("s", "inlineStr", "n") or (kind == "n" and int(element.get("s") or 0) in dates):
        cell = parser.parse_cell(element)
        return cell["column"], cell["value"]
    column = column_number(ref.group(1))
    parser.col_counter = column
    if kind == "inlineStr":
        node = element.find(MAIN + "is")
        return column, None if node is None else _text(node)
    value = element.findtext(MAIN + "v")
    if not value:
        return column, None
    return column, strings[int(value)] if kind == "s" else _number(value)


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _text(node) -> str:
    """A shared or inline string: its text, or its rich-text runs' (phonetic guides left out)."""
    return (node.findtext(MAIN + "t") or "") + "".join(run.findtext(MAIN + "t") or ""
                                                       for run in node.findall(MAIN + "r"))


def too_long_text(line: int | None) -> SheetRefused:
    if line is None:
        return SheetRefused(_l("A cell holds more than %(limit)s characters, more than Excel allows.",
                               limit=f"{MAX_TEXT:,}"))
    return SheetRefused(_l("Line %(line)s has a cell of more than %(limit)s characters, more than Excel allows.",
                           line=line, limit=f"{MAX_TEXT:,}"))


def too_many_columns(limit: int) -> SheetRefused:
    return SheetRefused(_l("The file has values in more than %(limit)s columns. Keep only the template's columns "
                           "and upload it again.", limit=limit))


class Sheet:
    """One sheet of the workbook: ``rows()`` streams (row number, values, hidden); once read to its end,
    ``merges`` holds its merged ranges as (first row, first column, last row, last column)."""

    def __init__(self, name: str, hidden: bool, part: str, reader: _Reader):
        self.name, self.hidden, self.part, self.reader = name, hidden, part, reader
        self.merges: list[tuple[int, int, int, int]] = []

    def rows(self) -> Iterator[tuple[int, list, bool]]:
        reader = self.reader
        source = reader.budget.open(self.part)
        if source is None:
            return
        cells = WorkSheetParser(None, reader.strings, data_only=True, epoch=reader.epoch,
                                date_formats=reader.dates, timedelta_formats=reader.durations)
        line, values, hidden = 0, {}, False
        for event, element in _elements(source, reader.check, keep=MAIN + "c"):
            tag = element.tag
            if event == "start":
                if tag == MAIN + "row":
                    line = int(element.get("r") or line + 1)
                    hidden = element.get("hidden") in ("1", "true")
                    cells.row_counter, cells.col_counter, values = line, 0, {}
            elif tag == MAIN + "c":
                column, value = _cell(cells, element, reader.strings, reader.dates)
                if value is not None and value != "":
                    if column > reader.max_columns:
                        raise too_many_columns(reader.max_columns)
                    values[column] = value
            elif tag == MAIN + "row" and values:
                yield line, [values.get(column) for column in range(1, max(values) + 1)], hidden
            elif tag == MAIN + "mergeCell":
                found = _RANGE.fullmatch(element.get("ref") or "")
                if found and len(self.merges) < MAX_MERGES:
                    self.merges.append((int(found.group(2)), column_number(found.group(1)),
                                        int(found.group(4)), column_number(found.group(3))))


class _Reader:
    def __init__(self, archive: zipfile.ZipFile, packed: int, max_columns: int, check: Callable[[], None]):
        self.budget, self.max_columns, self.check = _Budget(archive, packed), max_columns, check
        self.sheet_list, self.epoch = _workbook(self.budget)
        self.relationships = _relationships(self.budget)
        by_type = {kind.rsplit("/", 1)[-1]: name for kind, name in self.relationships.values()}
        self.dates, self.durations = _date_styles(self.budget.open(by_type.get("styles", "xl/styles.xml")), check)
        self.strings = _shared_strings(self.budget.open(by_type.get("sharedStrings", "xl/sharedStrings.xml")),
                                       check)


def workbook_sheets(archive: zipfile.ZipFile, packed: int, *, max_columns: int,
                    check: Callable[[], None] = lambda: None) -> list[Sheet]:
    """The workbook's sheets in tab order, each read only when its rows are asked for."""
    reader = _Reader(archive, packed, max_columns, check)
    sheets = []
    for name, rel_id, hidden in reader.sheet_list:
        kind, part = reader.relationships.get(rel_id, ("", ""))
        if part and kind.endswith("/worksheet"):
            sheets.append(Sheet(name, hidden, part, reader))
    if not sheets:
        if "xl/worksheets/sheet1.xml" not in archive.namelist():
            raise SheetRefused(_l("The workbook has no sheet."))
        sheets.append(Sheet("Sheet1", False, "xl/worksheets/sheet1.xml", reader))
    return sheets


def first_sheet_rows(archive: zipfile.ZipFile, packed: int, *, max_columns: int,
                     check: Callable[[], None] = lambda: None) -> Iterator[tuple[int, list]]:
    """(row number, values) of every row of the first sheet that has a value, each row cut after
    its last value; a value beyond ``max_columns`` is refused."""
    sheet = workbook_sheets(archive, packed, max_columns=max_columns, check=check)[0]
    for line, values, _hidden in sheet.rows():
        yield line, values
