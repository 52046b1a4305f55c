"""Web pages saved with an .xls name, as many government systems export: read as the tables they hold.

Each <table> becomes a sheet; a cell spanning rows (rowspan) fills the rows it covers, one spanning
columns fills its first column only. Size follows the file: the upload limit bounds it, and columns
and cells are capped as for workbooks.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

from flask_babel import lazy_gettext as _l

from .xlsx_reader import MAX_TEXT, SheetRefused, too_long_text, too_many_columns

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
MAX_SPAN = 1000  # rows one cell may span


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body")) or (
        head.startswith(b"<") and b"<table" in data[:65536].lower())


def looks_like_spreadsheet_xml(data: bytes) -> bool:
    """Excel 2003 XML (SpreadsheetML), another format old systems export with an .xls name."""
    return b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]


def decode(data: bytes) -> str:
    found = _CHARSET.search(data[:4096])
    encodings = ["utf-8-sig", "gb18030"]
    if found:
        declared = found.group(1).decode("ascii").lower()
        encodings.insert(0, "gb18030" if declared in ("gbk", "gb2312", "gb18030") else declared)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise SheetRefused(_l("This is a web page (HTML) saved with an Excel name, in an encoding that cannot be read. "
                          "Open it in Excel, save it as an Excel workbook (.xlsx) and upload that."))


class _Tables(HTMLParser):
    def __init__(self, max_columns: int):
        super().__init__(convert_charrefs=True)
        self.max_columns = max_columns
        self.tables: list[list[tuple[int, list[str]]]] = []
        self.depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span = 1
        self.spans: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
        self.line = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append([])
                self.spans, self.line = {}, 0
        elif self.depth != 1:
            return
        elif tag == "tr":
            self._end_row()
            self.row, self.line = [], self.line + 1
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row, self.line = [], self.line + 1
            values = dict(attrs)
            self.span = _int(values.get("rowspan"))
            self.columns = _int(values.get("colspan"))
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table":
            if self.depth == 1:
                self._end_row()
            self.depth = max(0, self.depth - 1)
        elif self.depth == 1 and tag == "tr":
            self._end_row()
        elif self.depth == 1 and tag in ("td", "th"):
            self._end_cell()

    def handle_data(self, data):
        if self.cell is not None and self.depth == 1:
            self.cell.append(data)

    def _fill_spans(self):
        while len(self.row) in self.spans:
            column = len(self.row)
            text, left = self.spans[column]
            self.row.append(text)
            if left <= 1:
                del self.spans[column]
            else:
                self.spans[column] = (text, left - 1)

    def _end_cell(self):
        if self.cell is None:
            return
        text = " ".join("".join(self.cell).split())
        if len(text) > MAX_TEXT:
            raise too_long_text(self.line)
        self._fill_spans()
        column = len(self.row)
        self.row.append(text)
        if self.span > 1 and text:
            self.spans[column] = (text, min(self.span, MAX_SPAN) - 1)
        self.row.extend("" for _ in range(min(self.columns, self.max_columns + 1) - 1))
        self.cell = None
        if len(self.row) > self.max_columns and any(self.row[self.max_columns:]):
            raise too_many_columns(self.max_columns)

    def _end_row(self):
        self._end_cell()
        if self.row is None:
            return
        self._fill_spans()
        if any(self.row):
            self.tables[-1].append((self.line, self.row))
        self.row = None


def _int(text) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return 1


def html_tables(data: bytes, max_columns: int) -> Iterator[tuple[str, list[tuple[int, list[str]]]]]:
    """(name, rows) of every table with a value; the names are 表1, 表2 … in page order."""
    parser = _Tables(max_columns)
    parser.feed(decode(data))
    parser.close()
    tables = [(str(_l("Table %(number)s", number=number)), rows)
              for number, rows in enumerate(parser.tables, start=1) if rows]
    if not tables:
        raise SheetRefused(_l("This is a web page (HTML) saved with an Excel name, and it holds no table. "
                              "Open it in Excel, save it as an Excel workbook (.xlsx) and upload that."))
    return iter(tables)
