"""Every import (households, incidents, warnings, targets, areas, boundaries) with good files and bad
files of every kind. A bad file is refused with a message the user understands, and changes nothing."""
import pytest

from campaign.jobs import runner

from .importing import KIND_IDS, KINDS, log_in, start_job, state, template_header, unzipped, upload, zipped
from .sheets import xlsx

every_kind = pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)


def _refused(app, client, kind, data: bytes, says: list[str], name="upload.xlsx", status=400) -> str:
    before = state(app)
    response = upload(client, kind.page, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:3000]
    for words in says:
        assert words in page, words
    assert state(app) == before, "a refused file changed data"
    return page


@pytest.fixture
def county_of(client, auth, county):
    """Log in as the person who runs this import."""
    return lambda kind: log_in(client, auth, kind.user)


# --- templates ------------------------------------------------------------------------------------

@every_kind
def test_the_templates_header_with_a_valid_row_imports_at_once(app, client, county_of, kind):
    county_of(kind)
    page = client.get(kind.page).get_data(as_text=True)
    assert f'href="{kind.template}"' in page
    with app.app_context():
        before = kind.count()
    response = upload(client, kind.page, kind.file(client, [kind.good]))
    assert response.status_code == 302, response.get_data(as_text=True)[-4000:]
    assert not response.headers["Location"].startswith("/jobs/"), "a small file is imported at once"
    with app.app_context():
        assert kind.count() == before + 1


@pytest.mark.parametrize("kind", [k for k in KINDS if k.name in ("households", "areas")], ids=["households", "areas"])
def test_the_csv_templates_header_with_a_valid_row_imports(app, client, county_of, kind):
    county_of(kind)
    url = kind.template.replace(".xlsx", ".csv")
    header = client.get(url).data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == [h.rstrip(" *") for h in template_header(client, kind.template)]
    data = (header + "\n" + ",".join(kind.good) + "\n").encode("utf-8")
    with app.app_context():
        before = kind.count()
    assert upload(client, kind.page, data, "t.csv").status_code == 302
    with app.app_context():
        assert kind.count() == before + 1


def test_the_boundaries_template_imports_as_it_is(app, client, county_of):
    kind = KINDS[-1]
    county_of(kind)
    template = client.get(kind.template)
    assert template.headers["Content-Type"] == "application/geo+json"
    assert upload(client, kind.page, template.data, "b.geojson").status_code == 302
    with app.app_context():
        assert kind.count() == 1


# --- bad files ------------------------------------------------------------------------------------

@every_kind
def test_wrong_columns_are_named(app, client, county_of, kind):
    county_of(kind)
    page = _refused(app, client, kind, kind.wrong_columns(), list(kind.required))
    if not kind.geojson:
        assert "Missing columns" in page and "Download the template" in page


@every_kind
def test_text_in_a_number_date_or_code_column_lists_every_bad_row(app, client, county_of, kind):
    county_of(kind)
    rows = [kind.wrong_type(1), kind.good, kind.wrong_type(2)]
    page = _refused(app, client, kind, kind.file(client, rows), ["Nothing was imported.", "2 rows have problems"])
    table = page[page.index("import-errors"):]
    for line in (2, 4) if not kind.geojson else (1, 3):
        assert f'<tr><td>{line}</td><td class="text-nowrap">{kind.wrong_column}</td>' in table, line
    assert f"<tr><td>{3 if not kind.geojson else 2}</td>" not in table


@every_kind
def test_an_empty_file_is_refused(app, client, county_of, kind):
    county_of(kind)
    _refused(app, client, kind, b"", ["The file is empty."])


@every_kind
def test_a_file_with_a_header_and_no_rows_is_refused(app, client, county_of, kind):
    county_of(kind)
    says = "The file has no features." if kind.geojson else "no data rows"
    _refused(app, client, kind, kind.file(client, []), [says])


@every_kind
def test_an_empty_workbook_is_refused(app, client, county_of, kind):
    county_of(kind)
    _refused(app, client, kind, xlsx([]), ["not a GeoJSON file" if kind.geojson else "The file is empty."])


NOT_SPREADSHEETS = {
    "png renamed .xlsx": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG"),
    "pdf renamed .xlsx": (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
                          "PDF"),
    "jpeg renamed .xlsx": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(64), "JPEG"),
    "old .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), ".xls"),
    "zip that is not a workbook": (zipped({"readme.txt": b"hello"}), "zip archive"),
    "word document": (zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "zip archive"),
    "truncated xlsx": (xlsx([["a", "b"], [1, 2]])[:600], "cannot be read"),
    "xlsx with a damaged sheet": (zipped({**unzipped(xlsx([["a"], [1]])),
                                          "xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"}),
                                  "cannot be read"),
    "binary": (bytes(range(256)) * 4, "neither an Excel workbook"),
    "text with an endless cell": ("网格编码,".encode() + b"x" * 200_000, "The CSV file cannot be read"),
}


@every_kind
@pytest.mark.parametrize("sort", NOT_SPREADSHEETS, ids=list(NOT_SPREADSHEETS))
def test_a_file_that_is_not_a_spreadsheet_is_refused(app, client, county_of, kind, sort):
    county_of(kind)
    data, says = NOT_SPREADSHEETS[sort]
    _refused(app, client, kind, data, ["This is not a GeoJSON file." if kind.geojson else says])


@every_kind
def test_a_file_over_the_upload_limit_is_refused_with_a_message(app, client, county_of, kind):
    county_of(kind)
    huge = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    _refused(app, client, kind, huge, ["413", "at most 20 MB", "Nothing was imported or saved"], status=413)


@every_kind
def test_a_file_over_the_background_size_is_imported_as_a_job(app, client, county_of, kind):
    county_of(kind)
    app.config["IMPORT_BACKGROUND_BYTES"] = 2048
    rows = kind.many(300)
    data = kind.file(client, rows)
    assert len(data) > 2048
    with app.app_context():
        before = kind.count()
    job_id = start_job(client, kind.page, data)
    runner.wait(job_id, timeout=60)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-state="done"' in page and "Back to the list" in page, page[-3000:]
    with app.app_context():
        assert kind.count() == before + len(rows)


def test_a_deeply_nested_json_file_is_refused(app, client, county_of):
    kind = KINDS[-1]
    county_of(kind)
    _refused(app, client, kind, b"[" * 200_000, ["This is not a GeoJSON file."], name="b.geojson")
