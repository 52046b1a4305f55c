"""Where an import file's rows come from: an XLSX workbook (streamed, every sheet), a CSV file in
UTF-8 or GBK, or a web page saved with an .xls name. Other files are refused with a reason."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from campaign.jobs import runner

from .errors import DomainError
from .html_table import html_tables, looks_like_html, looks_like_spreadsheet_xml
from .xlsx_reader import SheetRefused, too_many_columns, workbook_sheets

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


class FileFormatError(DomainError):
    """The file as a whole cannot be read: wrong type, no header, missing columns."""


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


@dataclass
class Sheet:
    name: str
    hidden: bool
    rows: Callable[[], Iterator[tuple[int, list, bool]]]
    merges: Callable[[], list[tuple[int, int, int, int]]] = lambda: []


def sheets(data: bytes, limits: Limits) -> list[Sheet]:
    if data[:4] == b"PK\x03\x04":
        return _workbook_sheets(data, limits)
    if looks_like_spreadsheet_xml(data):
        raise FileFormatError(_l("This is an Excel 2003 XML spreadsheet saved with an Excel name. Open it in Excel, "
                                 "save it as an Excel workbook (.xlsx) and upload that."))
    if looks_like_html(data):
        try:
            tables = list(html_tables(data, limits.columns))
        except SheetRefused as error:
            raise FileFormatError(error.message) from None
        return [Sheet(name, False, lambda rows=rows: ((line, row, False) for line, row in rows))
                for name, rows in tables]
    return [Sheet("", False, lambda: ((line, row, False) for line, row in _csv_rows(data, limits)))]


def _workbook_sheets(data: bytes, limits: Limits) -> list[Sheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc
    if not is_workbook:
        raise FileFormatError(_l("This is a zip archive or another Office document, not an Excel workbook."))
    sheets = _guarded(lambda: workbook_sheets(archive, len(data), max_columns=limits.columns,
                                              check=runner.check_time))
    return [Sheet(sheet.name, sheet.hidden, lambda sheet=sheet: _guarded_rows(sheet.rows()),
                   lambda sheet=sheet: sheet.merges) for sheet in sheets]


def _guarded(read):
    try:
        return read()
    except SheetRefused as error:
        raise FileFormatError(error.message) from None
    except (runner.TimeLimitExceeded, FileFormatError):
        raise
    except Exception as exc:  # a damaged workbook raises anything from zipfile, the XML parser or openpyxl
        raise _unreadable(exc) from exc


def _guarded_rows(rows: Iterator) -> Iterator:
    while True:
        row = _guarded(lambda: next(rows, None))
        if row is None:
            return
        yield row
