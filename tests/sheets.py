"""Spreadsheets for import tests, made the way Excel saves them."""
import io

from openpyxl import Workbook


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
