"""Spreadsheets shaped the way township offices make them in Excel and WPS: title rows, merged
cells, hidden rows, Chinese date formats, formulas saved by a program, several sheets, web pages
saved as .xls."""
import io
import re
import zipfile

from openpyxl import Workbook


def workbook(*sheets, setup=None) -> bytes:
    """A workbook of (name, rows) sheets; ``setup(workbook)`` may merge, hide and format cells."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if setup:
        setup(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_builtin_format(data: bytes, number_format: str, builtin_id: int) -> bytes:
    """The workbook with every cell formatted ``number_format`` given Excel's built-in format id
    instead (openpyxl numbers the Chinese built-ins 27-36 and 50-58 as custom formats)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    styles = source.read("xl/styles.xml").decode()
    code = number_format.replace('"', "&quot;")
    found = re.search(r'<numFmt numFmtId="(\d+)" formatCode="' + re.escape(code) + '"', styles)
    old_id = found.group(1) if found else None
    if old_id is None:  # openpyxl wrote a built-in id already
        old_id = {"mm-dd-yy": "14"}[number_format]
    styles = re.sub(f'numFmtId="{old_id}"', f'numFmtId="{builtin_id}"', styles)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, styles if item.filename == "xl/styles.xml" else source.read(item.filename))
    return buffer.getvalue()


def html_xls(rows, *, charset="utf-8", title="导出数据") -> bytes:
    """A web page with one table, as government systems export it with an .xls name."""
    cells = "".join("<tr>" + "".join(f"<td>{value}</td>" for value in row) + "</tr>" for row in rows)
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{title}</title></head><body><table border=1>{cells}</table></body></html>")
    return page.encode("gb18030" if charset.lower() in ("gbk", "gb2312") else charset)


def csv_file(rows, encoding="utf-8-sig") -> bytes:
    return "".join(",".join(str(v) for v in row) + "\r\n" for row in rows).encode(encoding)
