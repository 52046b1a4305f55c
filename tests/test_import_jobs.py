"""A large import runs in the background: its page shows the rows checked out of the total, then the
result. It stays all or nothing, and only the person who started it sees it."""
import threading
from types import SimpleNamespace

import pytest

from campaign.core.imports import WRITING
from campaign.extensions import db
from campaign.households import importer as households_importer
from campaign.jobs import runner
from campaign.jobs.models import Job, JobState

from .importing import KIND_IDS, KINDS, feature, log_in, ring, start_job, state
from .sheets import xlsx

HOUSEHOLDS = KINDS[0]
HEADER = ["网格编码", "门牌/地址", "户主姓名", "联系电话", "家庭人口"]


def roster(rows: int, bad_at: int | None = None) -> bytes:
    """A roster of ``rows`` new households; the one at line ``bad_at`` has text for its member count."""
    return xlsx([HEADER, *(["610923100001002", f"导入{i}号", "", "", "两" if i + 2 == bad_at else "2"]
                           for i in range(rows))])


def start(client, data: bytes, url: str = HOUSEHOLDS.page) -> str:
    return start_job(client, url, data)


def finish(client, job_id: str) -> str:
    runner.wait(job_id, timeout=60)
    return client.get(f"/jobs/{job_id}").get_data(as_text=True)


@pytest.fixture
def background(app, client, auth, county):
    """Log in as official_a, in English, with any file over 1 KB imported in the background."""
    app.config["IMPORT_BACKGROUND_BYTES"] = 1024
    log_in(client, auth, "official_a")


@pytest.fixture
def paused(monkeypatch):
    """Holds a job when it has checked every row and is about to write, until released."""
    reached, release = threading.Event(), threading.Event()
    step = runner.step

    def held(label, total=0):
        if label is WRITING:
            reached.set()
            release.wait(30)
        step(label, total)

    monkeypatch.setattr(runner, "step", held)
    yield SimpleNamespace(reached=reached, release=release)
    release.set()


def test_the_job_page_shows_rows_checked_then_the_result(app, client, background, paused):
    before = state(app)
    job_id = start(client, roster(60))
    assert paused.reached.wait(30)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-state="running"' in page and "Checking rows" in page and "60 / 60" in page
    assert 'hx-get="/jobs/' in page  # the part that polls
    assert state(app) == before
    paused.release.set()
    runner.wait(job_id, timeout=60)
    done = client.get(f"/jobs/{job_id}/progress").get_data(as_text=True)
    assert 'data-state="done"' in done and "hx-get" not in done
    assert "60 households imported." in done and 'href="/households/"' in done and "Back to the list" in done
    with app.app_context():
        assert HOUSEHOLDS.count() == 6 + 60


def test_a_large_workbook_under_the_upload_limit_goes_to_the_background_by_default(app, client, auth, county):
    log_in(client, auth, "official_a")
    data = roster(16000)
    assert app.config["IMPORT_BACKGROUND_BYTES"] < len(data) < app.config["MAX_CONTENT_LENGTH"]
    page = finish(client, start(client, data))
    assert "16000 households imported." in page
    with app.app_context():
        assert HOUSEHOLDS.count() == 6 + 16000


def test_a_bad_row_imports_nothing_and_the_job_page_lists_its_line(app, client, background):
    before = state(app)
    page = finish(client, start(client, roster(60, bad_at=41)))
    assert 'data-state="done"' in page and "Nothing was imported." in page
    assert '<tr><td>41</td><td class="text-nowrap">家庭人口</td>' in page and page.count("<tr><td>") == 1
    assert 'href="/households/import"' in page and "Upload a corrected file" in page
    assert state(app) == before


def test_the_job_page_speaks_the_language_of_the_person_who_started_it(app, client, auth, county):
    app.config["IMPORT_BACKGROUND_BYTES"] = 1024
    auth.login("official_a")  # Chinese, the default
    page = finish(client, start(client, roster(60, bad_at=5)))
    assert "未导入任何数据" in page and "整数" in page


def test_a_large_file_that_is_not_a_workbook_says_so_on_the_job_page(app, client, background):
    before = state(app)
    page = finish(client, start(client, b"%PDF-1.7\n" + b"0" * 4096))
    assert 'data-state="failed"' in page and "This is a PDF file" in page
    assert state(app) == before


def _fail_while_writing(monkeypatch):
    """The third row written fails; so does a roster's household count, written after its rows."""
    step, advance, stage = runner.step, runner.advance, SimpleNamespace(label=None, done=0)

    def on_step(label, total=0):
        stage.label, stage.done = label, 0
        step(label, total)

    def on_advance(count=1):
        stage.done += count
        if stage.label is WRITING and stage.done >= 3:
            raise RuntimeError("the database went away")
        advance(count)

    def count_fails(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(runner, "step", on_step)
    monkeypatch.setattr(runner, "advance", on_advance)
    monkeypatch.setattr(households_importer, "adjust_household_count", count_fails)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_failure_half_way_through_writing_leaves_nothing(app, client, auth, county, monkeypatch, kind):
    app.config["IMPORT_BACKGROUND_BYTES"] = 1024
    log_in(client, auth, kind.user)
    _fail_while_writing(monkeypatch)
    rows = [feature(code, ring(100)) for code in ("610923100001", "610923101001", "610923100", "610923101")] \
        if kind.geojson else kind.many(200)
    before = state(app)
    page = finish(client, start(client, kind.file(client, rows), kind.page))
    assert '<div class="alert alert-danger" data-state="failed">' in page, page[page.index("<main"):]
    assert state(app) == before


def test_another_user_gets_404_on_the_job_page_and_its_file(app, client, auth, county):
    with app.app_context():
        job = Job(id="a" * 32, kind="import", title="导入", user_id=county.official_a.id, state=JobState.DONE,
                  file_name="t.xlsx", file_type="application/octet-stream", file_data=b"PK")
        db.session.add(job)
        db.session.commit()
    urls = [f"/jobs/{'a' * 32}", f"/jobs/{'a' * 32}/progress", f"/jobs/{'a' * 32}/file"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    auth.login("official_b")
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    auth.logout()
    auth.login("official_a")
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
