"""The progress report printed as an official document (GB/T 9704-2012 党政机关公文格式): red masthead
and rule, the county's document number given once per report, a title in balanced lines, the office
and date at the end, the ranking on landscape pages with whole header words, legends beside the
charts, and a map that names its areas (兴隆村 of two townships told apart). Checked in the PDF's
text, in its rendered pages, and in the services and the settings page."""
import io
import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image
from pypdf import PdfReader

from campaign.areas.models import Area
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.extensions import db
from campaign.incidents.models import FraudType, IncidentKind
from campaign.incidents.services import IncidentFields, create_incident
from campaign.jobs import runner
from campaign.jobs.models import Job
from campaign.reports import charts, numbers, typeset
from campaign.reports.figures import build_report
from campaign.reports.models import DocumentNumber
from campaign.reports.names import display_names
from campaign.reports.pdf import map_features, map_labels, report_html
from campaign.reports.services import make_report

from . import factories

OFFICE = "宁陕县打击治理电信网络诈骗工作领导小组办公室"
ISSUED = date(2026, 11, 29)
START, END = date(2026, 11, 1), date(2026, 11, 30)
LABEL = re.compile(r"宁反诈办〔(\d{4})〕(\d+)号")


def _area(code: str) -> Area:
    return db.session.scalar(sa.select(Area).where(Area.code == code))


@pytest.fixture
def county(ctx):
    """The small county, its villages apart on the map, with a 兴隆村 in each township (one case each)
    and the county office's own masthead and prefix, its next number 12."""
    c = factories.small_county()
    for n, village in enumerate((c.village_a, c.village_b)):
        village.lat, village.lon = 33.30 + 0.08 * n, 108.30 + 0.1 * n
    xinglong_a = factories.AreaFactory(code="610923100002", name="兴隆村", parent=c.town_a, lat=33.35, lon=108.25)
    xinglong_b = factories.AreaFactory(code="610923101002", name="兴隆村", parent=c.town_b, lat=33.42, lon=108.45)
    for village in (xinglong_a, xinglong_b):
        create_incident(village=village, fields=IncidentFields(
            occurred_on=START + timedelta(days=3), fraud_type=FraudType.BRUSHING, loss=Decimal(1000),
            recovered=Decimal(0), case_ref="", description="", kind=IncidentKind.CASE))
    numbers.set_settings(c.root, office=OFFICE, prefix="宁反诈办", next_number=12, user=c.admin, today=ISSUED)
    db.session.commit()
    return c


def _pdf(area_code="610923", start=START, end=END, today=ISSUED) -> bytes:
    return make_report(_area(area_code), start, end, "pdf", issued_on=today).data


def _text(data: bytes, first=0, last=None) -> str:
    pages = PdfReader(io.BytesIO(data)).pages[first:last]
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in pages))


def _zh(message: str, **values) -> str:
    with force_locale("zh_CN"):
        return _(message, **values)


# --- the register of document numbers ---------------------------------------------------------

def test_a_report_takes_the_next_number_once_and_keeps_it(county):
    first = numbers.issue_number(area=_area("610923"), start=START, end=END, today=ISSUED)
    assert (first.label, first.office, first.issued_on) == ("宁反诈办〔2026〕12号", OFFICE, ISSUED)
    again = numbers.issue_number(area=_area("610923"), start=START, end=END, today=ISSUED + timedelta(days=5))
    assert (again.id, again.label, again.issued_on) == (first.id, first.label, ISSUED)  # the same document
    town = numbers.issue_number(area=_area("610923100"), start=START, end=END, today=ISSUED)
    assert town.label == "宁反诈办〔2026〕13号"  # a township's report: the county's register
    new_year = numbers.issue_number(area=_area("610923"), start=date(2026, 12, 1), end=date(2026, 12, 31),
                                    today=date(2027, 1, 4))
    assert new_year.label == "宁反诈办〔2027〕1号"


def test_the_office_sets_the_next_number_but_never_one_already_given(county):
    numbers.issue_number(area=_area("610923"), start=START, end=END, today=ISSUED)  # 12
    with pytest.raises(DomainError) as refused:
        numbers.set_settings(_area("610923"), office=OFFICE, prefix="宁反诈办", next_number=12, today=ISSUED)
    assert refused.value.field == "next_number"
    numbers.set_settings(_area("610923"), office=OFFICE, prefix="宁反诈办", next_number=30, today=ISSUED)
    assert numbers.next_label(_area("610923100"), ISSUED) == "宁反诈办〔2026〕30号"
    numbers.set_settings(_area("610923"), office=OFFICE, prefix="宁反诈办", next_number=11, today=ISSUED)
    numbers.issue_number(area=_area("610923"), start=date(2026, 10, 1), end=date(2026, 10, 31), today=ISSUED)
    assert numbers.next_label(_area("610923"), ISSUED) == "宁反诈办〔2026〕13号"  # 12 is skipped: it was given


def test_without_settings_the_county_prints_its_leading_group_office(ctx):
    c = factories.small_county()
    given = numbers.issue_number(area=c.town_a, start=START, end=END, today=ISSUED)
    assert given.office == _zh("%(county)s Office of the Leading Group against Telecom and Online Fraud",
                               county="宁陕县")
    assert given.prefix == _zh("%(initial)s Anti-fraud Office", initial="宁")
    assert (given.year, given.number) == (2026, 1)


def _this_year(app) -> None:
    """The fixture's settings, counted in the year the pages run in."""
    with app.app_context():
        numbers.set_settings(_area("610923"), office=OFFICE, prefix="宁反诈办", next_number=12)
        db.session.commit()


def test_the_settings_page_saves_and_lists_the_numbers(app, client, auth, county):
    _this_year(app)
    with app.app_context():
        numbers.issue_number(area=_area("610923100"), start=START, end=END, today=local_today())
        db.session.commit()
    auth.login("admin")
    page = client.get("/reports/documents").get_data(as_text=True)
    assert OFFICE in page and 'value="宁反诈办"' in page and "〕12号" in page  # the register lists it
    response = client.post("/reports/documents", data={"office": "宁陕县反诈办", "prefix": "宁反诈办",
                                                       "next_number": "20"})
    assert response.status_code == 302
    with app.app_context():
        assert numbers.next_label(_area("610923")).endswith("〕20号")
    taken = client.post("/reports/documents", data={"office": "宁陕县反诈办", "prefix": "宁反诈办",
                                                    "next_number": "12"})
    assert taken.status_code == 400 and "〕12号" in taken.get_data(as_text=True)
    empty = client.post("/reports/documents", data={"office": " ", "prefix": "宁反诈办", "next_number": "21"})
    assert empty.status_code == 400


def test_a_pdf_made_on_the_page_carries_the_number_given_in_the_request(app, client, auth, county):
    _this_year(app)
    auth.login("official_a")
    index = client.get("/reports/").get_data(as_text=True)
    assert "宁反诈办〔" in index and "〕12号" in index  # the next number, proposed before it is given
    response = client.post("/reports/", data={"area": "610923100", "period": "custom", "start": START.isoformat(),
                                              "end": END.isoformat(), "fmt": "pdf"})
    job_id = response.location.rstrip("/").rsplit("/", 1)[-1]
    runner.wait(job_id, timeout=120)
    with app.app_context():
        given = db.session.scalar(sa.select(DocumentNumber))
        assert given.number == 12 and given.issued_by_id == county.official_a.id
        assert given.label in _text(db.session.get(Job, job_id).file_data)


# --- the text of the document -----------------------------------------------------------------

def test_the_pdf_reads_as_an_official_document(county, tmp_path):
    data = _pdf()
    first = _text(data, 0, 1)
    masthead = _zh("%(office)s Document", office=OFFICE)
    assert masthead in first
    number = LABEL.search(first)
    assert number and number.groups() == ("2026", "12")
    html = report_html(build_report(_area("610923"), START, END), numbers.number_for(_area("610923"), START, END))
    lines = re.findall(r'<span class="line">([^<]*)</span>', html)
    assert "".join(lines) == _zh("%(area)s, %(period)s: anti-fraud campaign progress report", area="宁陕县",
                                 period=_zh("%(year)s/%(month)s", year=2026, month=11))
    assert "".join(lines) in first
    pages = PdfReader(io.BytesIO(data)).pages
    attachment = next(n for n, page in enumerate(pages) if page.mediabox.width > page.mediabox.height)
    body = "".join(_layout(data, tmp_path, attachment))  # the last page of the main text, as it reads
    assert re.search(OFFICE + r"2026年11月29日—\d+—$", body)  # the office, then the date under it, at the end
    assert _zh("To every %(level)s:", level=_zh("Township")) in first
    again = _text(_pdf(today=ISSUED + timedelta(days=3)), 0, 1)
    assert LABEL.search(again).groups() == ("2026", "12")  # made again: the same number


def test_the_area_column_is_headed_by_its_level_never_a_persons_name(county):
    county_text = _text(_pdf())
    town_text = _text(_pdf("610923100"))
    assert _zh("Township") in county_text and _zh("Village / community") in town_text
    assert "姓名" not in county_text and "姓名" not in town_text


def test_duplicate_village_names_carry_their_township(county):
    text = _text(_pdf())
    assert "兴隆村（城关镇）（1）" in text and "兴隆村（四亩地镇）（1）" in text
    assert display_names([("610923100002", "兴隆村"), ("610923101002", "兴隆村 "), ("610923100001", "城南社区")]) \
        == {"610923100002": "兴隆村（城关镇）", "610923101002": "兴隆村 （四亩地镇）", "610923100001": "城南社区"}


# --- the rendered pages -----------------------------------------------------------------------

def _render(data: bytes, tmp_path, page: int, dpi: int = 50) -> Image.Image:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    return Image.open(tmp_path / "page.png").convert("RGB")


def _layout(data: bytes, tmp_path, page: int) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", line) for line in text.splitlines() if line.strip()]


def test_the_first_page_has_the_red_masthead_and_rule_and_a_balanced_title(county, tmp_path):
    data = _pdf()
    image = _render(data, tmp_path, 1)
    width, height = image.size
    red_rows = sorted({y for y in range(height) for x in range(0, width, 2)
                       if (lambda p: p[0] > 200 and p[1] < 80 and p[2] < 80)(image.getpixel((x, y)))})
    assert red_rows, "no red on the first page"
    assert red_rows[0] > height * 0.15 and red_rows[-1] < height * 0.5  # masthead and rule, in the upper half
    rule = max(red_rows)
    reds = sum(1 for x in range(width) if (lambda p: p[0] > 200 and p[1] < 80)(image.getpixel((x, rule))))
    assert reds > width * 0.6  # the rule runs the type area's width (156 of 210 mm)
    lines = _layout(data, tmp_path, 1)
    assert lines[:2] == [_zh("%(office)s Document", office=OFFICE), "宁反诈办〔2026〕12号"]  # from the top down
    with force_locale("zh_CN"):
        title = _("%(area)s, %(period)s: anti-fraud campaign progress report", area="宁陕县",
                  period=_("%(year)s/%(month)s", year=2026, month=11))
    printed = [line for line in lines if line and line in title]
    assert "".join(printed) == title and len(printed) >= 2
    assert all(len(line) >= 2 for line in printed)


def test_the_ranking_is_on_a_landscape_page_with_whole_header_words(county, tmp_path):
    data = _pdf()
    pages = PdfReader(io.BytesIO(data)).pages
    landscape = [n + 1 for n, page in enumerate(pages) if page.mediabox.width > page.mediabox.height]
    assert landscape and landscape[0] > 1
    lines = _layout(data, tmp_path, landscape[0])
    with force_locale("zh_CN"):
        headers = [_("Rank"), _("Township"), _("In scope"), _("Reached"), _("Coverage"), _("App installs"),
                   _("Cases"), _("Loss"), _("Warnings"), _("Face to face"), _("Events"), _("Titles held")]
    for header in headers:
        assert any(header in line for line in lines), (header, lines[:8])
    assert any("城关镇" in line and "四亩地镇" not in line for line in lines)
    image = _render(data, tmp_path, landscape[0])
    assert image.size[0] > image.size[1]


def test_pages_are_numbered_with_dashes_on_the_outer_side(county, tmp_path):
    data = _pdf()
    for page in (1, 2):
        lines = _layout(data, tmp_path, page)
        assert lines[-1] == f"—{page}—"
    path = tmp_path / "report.pdf"
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "2", str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    pages = boxes.split("<page ")[1:]
    xs = [max(float(x) for x in re.findall(r'xMin="([\d.]+)"[^>]*>—<', page)) for page in pages]
    assert xs[0] > 595 / 2 > xs[1]  # odd pages on the right, even pages on the left


# --- the title, the charts and the map ----------------------------------------------------------

@pytest.mark.parametrize("title", [
    "宁陕县2026年11月打击治理电信网络诈骗工作通报",
    "城关镇2026年11月2日至11月8日打击治理电信网络诈骗工作通报",
    "宁陕县打击治理电信网络诈骗工作通报通",  # greedy filling would leave 通 alone
    "四亩地镇2026年打击治理电信网络诈骗工作进展情况的通报",
])
def test_titles_break_between_words_in_even_lines_never_leaving_one_character(title):
    lines = typeset.balanced_lines(title, keep=("宁陕县", "城关镇", "四亩地镇"))
    assert "".join(lines) == title
    assert all(len(line) >= 2 for line in lines)
    widths = [typeset.text_width(line, typeset.TITLE_SIZE, bold=True) for line in lines]
    assert max(widths) <= typeset.TYPE_WIDTH
    if len(lines) > 1:
        assert max(widths) - min(widths) < 6 * typeset.TITLE_SIZE  # balanced, not a full line and a stub
    for word in ("电信网络诈骗", "打击治理", "2026年11月", "11月8日"):
        if word in title:
            assert any(word in line for line in lines), (word, lines)


def test_a_long_office_name_is_narrowed_to_fit_the_masthead():
    masthead = typeset.masthead(OFFICE + "文件")
    assert masthead.width * masthead.scale <= typeset.TYPE_WIDTH + 0.5
    assert masthead.scale >= typeset.MASTHEAD_NARROWEST
    short = typeset.masthead("宁陕县人民政府文件")
    assert short.scale == 1 and short.size == typeset.MASTHEAD_SIZE


def _legend_clear_of_axes(figure) -> None:
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    legends = figure.legends + [a.get_legend() for a in figure.axes if a.get_legend()]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for axes in figure.axes:
            assert not box.overlaps(axes.get_window_extent(renderer)), "the legend covers the plot"


def test_chart_legends_sit_outside_the_plots(county):
    monthly = [(date(2026, m, 1), m % 3, 5) for m in range(1, 13)]  # tall bars at the left, where legends sat
    _legend_clear_of_axes(charts.monthly_cases_figure(monthly))
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [108.3 + i / 50, 33.3 + i / 80]},
                 "properties": {"c": "#1a9850"}} for i in range(20)]
    _legend_clear_of_axes(charts.coverage_map_figure(features))


def test_the_map_names_its_areas_and_tells_the_two_xinglong_villages_apart(county):
    report = build_report(_area("610923"), START, END)
    features = map_features(report)
    names = display_names((row.area.code, row.area.name) for row in report.rows)
    labels = {label.text: label.major for label in map_labels(report, features, names)}
    assert labels["城关镇"] and labels["四亩地镇"]  # the ranked townships, in bold
    assert "兴隆村（城关镇）" in labels and "兴隆村（四亩地镇）" in labels and "城南社区" in labels
    svg = charts.coverage_map_svg(features, map_labels(report, features, names))
    for name in ("城关镇", "四亩地镇", "兴隆村（城关镇）", "兴隆村（四亩地镇）"):
        assert f">{name}<" in svg or name in svg, name
