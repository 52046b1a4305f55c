"""Hostile import files: memory and time follow the cells a file really holds, limits are refused
with a sentence that says them, a slow background import stops writing nothing, and a file with
thousands of bad lines shows a short page with the full list as a download for its uploader only."""
import io
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import load_workbook

from campaign.core.tabular import Column, FileFormatError, read_table
from campaign.jobs.models import Job

from .importing import log_in, state, upload
from .sheets import xlsx
from .test_import_jobs import HEADER, HOUSEHOLDS, finish, roster, start

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
COLUMNS = [Column("name", "name", required=True), Column("n", "n")]


def workbook(sheet: str, strings: str | None = None) -> bytes:
    """An XLSX zipped by hand, the way an attacker would: only the parts a reader needs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
                         '</sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                         '.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}">{sheet}</worksheet>')
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
    return buffer.getvalue()


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def header_row() -> str:
    return f'<row r="1">{text("A1", "name")}{text("B1", "n")}</row>'


def measured(data: bytes) -> tuple[object, float, float]:
    """What read_table answers (rows or the refusal), its peak memory in MB and its seconds."""
    tracemalloc.start()
    began = time.monotonic()
    try:
        answer = read_table(data, COLUMNS)
    except FileFormatError as error:
        answer = error
    seconds = time.monotonic() - began
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return answer, peak, seconds


def test_a_sheet_declaring_16384_columns_is_read_in_the_memory_of_its_real_cells(ctx):
    rows = "".join(f'<row r="{i}">{text(f"A{i}", f"v{i}")}<c r="B{i}"><v>{i}</v></c></row>' for i in range(2, 10_001))
    data = workbook(f'<dimension ref="A1:XFD10000"/><sheetData>{header_row()}{rows}</sheetData>')
    assert len(data) < 200_000
    answer, peak, seconds = measured(data)
    assert len(answer) == 9_999 and answer[-1].values == {"name": "v10000", "n": "10000"}
    assert peak < 40, f"{peak:.0f} MB for 10,000 two-cell rows"  # padded to XFD it was 1.7 GB
    assert seconds < 30


def test_a_row_at_the_last_line_of_excel_is_read_without_making_the_blank_rows_before_it(ctx):
    far = f'<row r="1048576">{text("A1048576", "far")}</row>'
    empty_styled = "".join(f'<row r="{i}" s="1" customFormat="1"><c r="XFD{i}" s="1"/></row>' for i in range(2, 500))
    data = workbook(f'<dimension ref="A1:XFD1048576"/><sheetData>{header_row()}{empty_styled}{far}</sheetData>')
    answer, peak, seconds = measured(data)
    assert [(row.line, row.values["name"]) for row in answer] == [(1_048_576, "far")]
    assert peak < 10 and seconds < 5


def test_a_value_beyond_200_columns_is_refused_with_the_limit(ctx):
    data = workbook(f'<sheetData>{header_row()}<row r="2">{text("A2", "x")}{text("XFD2", "far")}</row></sheetData>')
    answer, _peak, seconds = measured(data)
    assert isinstance(answer, FileFormatError) and "200" in answer.message and seconds < 5


def test_a_cell_with_a_megabyte_of_text_is_refused_with_the_excel_limit(ctx):
    data = workbook(f'<sheetData>{header_row()}<row r="2">{text("A2", "长" * 1_000_000)}</row></sheetData>')
    answer, _peak, _seconds = measured(data)
    assert isinstance(answer, FileFormatError) and "32,767" in answer.message


def test_shared_strings_that_unpack_to_a_hundred_times_the_file_are_refused_before_they_are_read(ctx):
    strings = "<si><t>ab</t></si>" * 3_000_000  # 54 MB of XML in a file of a few hundred KB
    data = workbook(f'<sheetData>{header_row()}<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData>', strings)
    assert len(data) < 500_000
    answer, peak, seconds = measured(data)
    assert isinstance(answer, FileFormatError) and "MB" in answer.message
    assert peak < 10 and seconds < 2


def test_more_data_rows_than_the_limit_are_refused_with_the_limit(app, ctx):
    app.config["IMPORT_MAX_ROWS"] = 50
    def rows(count):
        return "".join(f'<row r="{i}">{text(f"A{i}", "x")}</row>' for i in range(2, count + 2))
    answer, _peak, _seconds = measured(workbook(f"<sheetData>{header_row()}{rows(51)}</sheetData>"))
    assert isinstance(answer, FileFormatError) and "50" in answer.message
    assert len(read_table(workbook(f"<sheetData>{header_row()}{rows(50)}</sheetData>"), COLUMNS)) == 50


def test_a_csv_line_of_millions_of_commas_is_refused_quickly(ctx):
    answer, peak, seconds = measured(b"name,n\nx," + b"," * 5_000_000 + b"y\n")
    assert isinstance(answer, FileFormatError) and seconds < 5 and peak < 80


def test_csv_trailing_empty_columns_are_ignored_and_values_past_200_columns_refused(ctx):
    rows, _peak, _seconds = measured(b"name,n" + b"," * 5_000 + b"\nx,1" + b"," * 5_000 + b"\n")
    assert [row.values for row in rows] == [{"name": "x", "n": "1"}]
    answer, _peak, _seconds = measured(b"name,n\n" + b"x," * 300 + b"\n")
    assert isinstance(answer, FileFormatError) and "200" in answer.message


def test_a_spreadsheet_saved_by_excel_still_reads_texts_numbers_dates_and_blank_lines(ctx):
    from datetime import date

    data = xlsx([["name", "n"], ["张三", 3], [None, None], [date(2026, 5, 1), 2.5], ["  ", True]])
    assert [(row.line, row.values) for row in read_table(data, COLUMNS)] == [
        (2, {"name": "张三", "n": "3"}), (4, {"name": "2026-05-01", "n": "2.5"}), (5, {"name": "", "n": "1"})]


# --- the time limit of background imports ---------------------------------------------------------

def test_a_background_import_over_its_time_limit_fails_saying_so_and_writes_nothing(app, client, auth, county):
    app.config.update(IMPORT_BACKGROUND_BYTES=1024, IMPORT_TIME_LIMIT=0.000_001)
    log_in(client, auth, "official_a")
    before = state(app)
    page = finish(client, start(client, roster(300)))
    assert 'data-state="failed"' in page and "seconds" in page
    assert state(app) == before


# --- long error reports ---------------------------------------------------------------------------

def bad_roster(rows: int) -> bytes:
    return xlsx([HEADER, *(["610923100001002", f"导入{i}号", "", "", "两"] for i in range(rows))])


def test_a_file_with_thousands_of_bad_lines_shows_200_and_offers_all_to_its_uploader_only(app, client, auth, county):
    log_in(client, auth, "official_a")
    before = state(app)
    response = upload(client, HOUSEHOLDS.page, bad_roster(3_000))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and state(app)[0] == before[0]
    assert page.count("<tr><td>") == 200 and "3,000" in page and len(page) < 200_000
    link = page.split('import-errors-more')[1].split('href="')[1].split('"')[0]
    download = client.get(link)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data), read_only=True).worksheets[0]
    lines = [row for row in sheet.iter_rows(values_only=True)]
    assert len(lines) == 3_001 and lines[1][0] == 2 and lines[-1][0] == 3_001
    auth.logout()
    auth.login("official_b")
    assert client.get(link).status_code == 404


def test_a_background_import_with_thousands_of_bad_lines_keeps_its_page_short(app, client, auth, county):
    app.config["IMPORT_BACKGROUND_BYTES"] = 1024
    log_in(client, auth, "official_a")
    job_id = start(client, bad_roster(1_000))
    page = finish(client, job_id)
    assert page.count("<tr><td>") == 200 and "1,000" in page
    assert f"/jobs/{job_id}/file" in page and client.get(f"/jobs/{job_id}/file").status_code == 200
    with app.app_context():
        from campaign.extensions import db

        assert len(db.session.get(Job, job_id).outcome["errors"]) == 200


@pytest.mark.parametrize("rows", [5])
def test_a_few_bad_lines_are_all_shown_with_no_download(app, client, auth, county, rows):
    log_in(client, auth, "official_a")
    page = upload(client, HOUSEHOLDS.page, bad_roster(rows)).get_data(as_text=True)
    assert page.count("<tr><td>") == rows and "import-errors-more" not in page
