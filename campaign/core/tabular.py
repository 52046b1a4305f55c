"""Reading and writing the spreadsheets that offices exchange (XLSX and CSV).

Files are recognised by their content, not their name. Every data row keeps its line number
(the header is line 1) so that import errors can point at it.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from campaign.jobs import runner

from .errors import DomainError
from .text import clean_text, fold
from .xlsx_reader import MAX_TEXT, SheetRefused, first_sheet_rows, too_long_text, too_many_columns

MAX_LINE = 1024 * 1024  # characters of one CSV line


@dataclass(frozen=True)
class Limits:
    """How much one import file may hold (``FLASK_IMPORT_MAX_ROWS``, ``FLASK_IMPORT_MAX_COLUMNS``)."""

    rows: int = 200_000
    columns: int = 200

    @classmethod
    def current(cls) -> Limits:
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(rows=int(config.get("IMPORT_MAX_ROWS", cls.rows)),
                   columns=int(config.get("IMPORT_MAX_COLUMNS", cls.columns)))


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


@dataclass
class RowError:
    line: int
    reason: str
    column: str = ""


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
        return len({error.line for error in self.errors})

    def add(self, line: int, reason: str, column: str = "") -> None:
        self.errors.append(RowError(line=line, reason=str(reason), column=str(column)))


class FileFormatError(DomainError):
    """The file as a whole cannot be read: wrong type, no header, missing columns."""


def _norm_header(text: str) -> str:
    return fold(text).replace("*", "").replace(" ", "").lower()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError(_l("The file is neither an Excel workbook nor a UTF-8 or GBK text file."))


# Files people pick by mistake, known by their first bytes.
_OTHER_FILES = {b"%PDF": "PDF", b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF"}
_OLD_OFFICE = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls), old Word and other OLE2 documents


def _refuse_other_files(data: bytes) -> None:
    if data.startswith(_OLD_OFFICE):
        raise FileFormatError(_l("This is an old Excel (.xls) file or another old Office document. "
                                 "Open it in Excel, save it as an Excel workbook (.xlsx) and upload that."))
    kind = next((name for magic, name in _OTHER_FILES.items() if data.startswith(magic)), None)
    if kind:
        raise FileFormatError(_l("This is a %(kind)s file, not an Excel workbook or a CSV file.", kind=kind))


def _workbook_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc
    if not is_workbook:
        raise FileFormatError(_l("This is a zip archive or another Office document, not an Excel workbook."))
    try:
        yield from first_sheet_rows(archive, len(data), max_columns=limits.columns, check=runner.check_time)
    except SheetRefused as error:
        raise FileFormatError(error.message) from None
    except runner.TimeLimitExceeded:
        raise
    except Exception as exc:  # a damaged workbook raises anything from zipfile, the XML parser or openpyxl
        raise _unreadable(exc) from exc


def _unreadable(exc: Exception) -> FileFormatError:
    return FileFormatError(_l("The Excel file cannot be read: %(error)s", error=exc))


def _lines(text: str, limit: int) -> Iterator[str]:
    """The text's lines, refusing one longer than ``limit`` before the csv module splits it."""
    for number, line in enumerate(io.StringIO(text), start=1):
        if len(line) > limit:
            raise FileFormatError(_l("Line %(line)s is longer than %(limit)s characters.",
                                     line=number, limit=f"{limit:,}"))
        yield line


def _csv_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list]]:
    _refuse_other_files(data)
    if b"\x00" in data[:4096]:
        raise FileFormatError(_l("The file is neither an Excel workbook nor a UTF-8 or GBK text file."))
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for line, row in enumerate(csv.reader(_lines(text, MAX_LINE), dialect), start=1):
            while row and not row[-1].strip():
                row.pop()
            if len(row) > limits.columns:
                raise too_many_columns(limits.columns)
            if row:
                yield line, row
    except SheetRefused as error:
        raise FileFormatError(error.message) from None
    except csv.Error as exc:  # e.g. a field longer than the csv module allows
        raise FileFormatError(_l("The CSV file cannot be read: %(error)s", error=exc)) from exc


def _raw_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(line, texts) of every row with a value, cut after its last value, streamed."""
    rows = _workbook_rows(data, limits) if data[:4] == b"PK\x03\x04" else _csv_rows(data, limits)
    for count, (line, values) in enumerate(rows, start=1):
        texts = [_cell_text(v) for v in values]
        if any(len(text) > MAX_TEXT for text in texts):
            raise FileFormatError(too_long_text(line).message)
        if any(texts):
            yield line, texts
        if count % 1000 == 0:
            runner.check_time()


def read_table(data: bytes, columns: list[Column]) -> list[Row]:
    return read_sheet(data, columns).rows


def read_sheet(data: bytes, columns: list[Column], *, include_hidden: bool = False) -> Table:
    """Rows of the first sheet, keyed by column key. Blank rows are skipped, line numbers kept.
    Memory follows the values the file holds; columns and data rows are capped (:class:`Limits`)."""
    if not data:
        raise FileFormatError(_l("The file is empty."))
    limits = Limits.current()
    raw = _raw_rows(data, limits)
    header = next(raw, None)
    if header is None:
        raise FileFormatError(_l("The file is empty."))
    lookup = {name: col.key for col in columns for name in col.names()}
    as_typed = {col.key for col in columns if col.as_typed}
    positions: dict[str, int] = {}
    for index, name in enumerate(header[1]):
        key = lookup.get(_norm_header(name))
        if key and key not in positions:
            positions[key] = index
    missing = [col.header for col in columns if col.required and col.key not in positions]
    if missing:
        raise FileFormatError(
            _l("Missing columns: %(columns)s. Download the template to see the expected headers.",
               columns="、".join(missing))
        )
    rows = []
    for line, raw_row in raw:
        if len(rows) >= limits.rows:
            raise FileFormatError(_l("The file has more than %(limit)s data rows. Split it into files of at most "
                                     "%(limit)s rows and import them one by one.", limit=f"{limits.rows:,}"))
        values = {key: (raw_row[i] if i < len(raw_row) else "") for key, i in positions.items()}
        values = {key: (text if key in as_typed else fold(text)) for key, text in values.items()}
        rows.append(Row(line=line, values=values))
    if not rows:
        raise FileFormatError(_l("The file has a header row but no data rows: there is nothing to import."))
    return Table(rows=rows)


def template_xlsx(columns: list[Column], sheet_title: str) -> bytes:
    """An empty roster with bold, frozen headers and one example row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([col.header + (" *" if col.required else "") for col in columns])
    sheet.append([col.example for col in columns])
    for index, col in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(col.header) * 2 + 4)
        sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(columns: list[Column]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([col.header for col in columns])
    writer.writerow([col.example for col in columns])
    return buffer.getvalue().encode("utf-8-sig")
