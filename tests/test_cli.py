"""Commands run through the CLI runner: division import, recount."""
import sqlalchemy as sa
from flask_babel import gettext

from campaign.areas.models import Area
from campaign.extensions import db

from . import factories

STREETS = 'code,name,areaCode,provinceCode,cityCode\n610923100,"城关镇",610923,61,6109\n' \
          '610924100,"外县镇",610924,61,6109\n'
VILLAGES = 'code,name,streetCode,provinceCode,cityCode,areaCode\n' \
           '610923100001,"城南社区居委会",610923100,61,6109,610923\n' \
           '610923100006,"老城村委会",610923100,61,6109,610923\n'


def names(app):
    with app.app_context():
        return dict(db.session.execute(sa.select(Area.code, Area.name)).all())


def test_import_areas_reads_the_official_csv_layout(app, runner, tmp_path):
    (tmp_path / "areas.csv").write_text('code,name,cityCode,provinceCode\n610923,"宁陕县",6109,61\n')
    (tmp_path / "streets.csv").write_text(STREETS)
    (tmp_path / "villages.csv").write_text(VILLAGES)
    for name in ("areas.csv", "streets.csv", "villages.csv"):
        result = runner.invoke(args=["import-areas", str(tmp_path / name), "--under", "610923"])
        assert result.exit_code == 0, result.output
    assert names(app) == {"610923": "宁陕县", "610923100": "城关镇", "610923100001": "城南社区",
                          "610923100006": "老城村"}


def test_import_areas_again_renames_and_never_duplicates(app, runner, tmp_path):
    (tmp_path / "a.csv").write_text('code,name,cityCode\n610923,"宁陕县",6109\n')
    (tmp_path / "s.csv").write_text(STREETS.replace("城关镇", "城关街道"))
    runner.invoke(args=["import-areas", str(tmp_path / "a.csv")])
    runner.invoke(args=["import-areas", str(tmp_path / "s.csv"), "--under", "610923"])
    runner.invoke(args=["import-areas", str(tmp_path / "s.csv"), "--under", "610923"])
    assert names(app) == {"610923": "宁陕县", "610923100": "城关街道"}


def test_import_areas_with_bad_rows_imports_nothing(app, runner, tmp_path):
    (tmp_path / "a.csv").write_text('code,name,cityCode\n610923,"宁陕县",6109\n610923100,"城关镇",610923\n')
    runner.invoke(args=["import-areas", str(tmp_path / "a.csv")])
    bad = tmp_path / "bad.csv"
    bad.write_text('code,name,streetCode\n610923100001,"好村",610923100\n61092310000X,"坏码",610923100\n'
                   '610923200001,"无上级",610923200\n610923100002,"",610923100\n'
                   '610923100003,"错上级",610923101\n')
    result = runner.invoke(args=["import-areas", str(bad)])
    assert result.exit_code != 0
    with app.test_request_context():  # the command line speaks the app's default language
        lines = {n: gettext("Line %(line)s: %(reason)s", line=n, reason="") for n in range(2, 7)}
        nothing = gettext("%(count)s bad rows: nothing was imported.", count=4)
    for n in (3, 4, 5, 6):
        assert lines[n] in result.output
    assert lines[2] not in result.output and nothing in result.output
    assert names(app) == {"610923": "宁陕县", "610923100": "城关镇"}


def test_import_areas_refuses_a_file_that_is_not_a_table(runner, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(args=["import-areas", str(junk)])
    assert result.exit_code != 0


def test_recount_rebuilds_household_counts(app, runner):
    with app.app_context():
        factories.small_county()
        db.session.execute(sa.update(Area).values(household_count=0))
        db.session.commit()
    result = runner.invoke(args=["recount"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Area.household_count).where(Area.code == "610923")) == 6
