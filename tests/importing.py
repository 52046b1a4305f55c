"""The six imports, described once for the tests that try every one of them with good and bad files."""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.creation.models import CreationTarget
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import Incident
from campaign.maps.models import AreaBoundary
from campaign.warnings.models import FraudWarning

from .sheets import xlsx

DAY = (local_today() - timedelta(days=3)).isoformat()


def ring(points: int = 4, texts: bool = False) -> list:
    """A closed ring around 城南社区 with ``points`` positions (as text when ``texts``)."""
    inner = [[round(108.29 + 0.02 * i / points, 6), round(33.29 + 0.01 * (i % 2), 6)] for i in range(points - 1)]
    positions = [*inner, inner[0]]
    return [[str(v) for v in p] for p in positions] if texts else positions


def feature(code: str, positions: list | None = None, **properties) -> dict:
    return {"type": "Feature", "properties": {"code": code, **properties} if code else properties,
            "geometry": {"type": "Polygon", "coordinates": [positions or ring()]}}


@dataclass(frozen=True)
class Kind:
    """One import: its page, template and user, and rows of each sort for the tests to put in a file."""

    name: str
    page: str
    template: str
    user: str
    model: type
    good: list | dict
    many: Callable[[int], list]          # n good rows that differ from each other
    wrong_type: Callable[[int], list]    # a row with text where a number, date or code goes
    wrong_column: str                    # the column those rows are reported under
    required: tuple[str, ...]            # the columns a file without them is told it misses
    geojson: bool = False

    def file(self, client, rows: list) -> bytes:
        """The template's header (a GeoJSON collection for boundaries) with these rows under it."""
        if self.geojson:
            return json.dumps({"type": "FeatureCollection", "features": rows}).encode()
        return xlsx([template_header(client, self.template), *rows])

    def wrong_columns(self) -> bytes:
        if self.geojson:
            return json.dumps({"type": "FeatureCollection", "features": [feature("", 名称="城南社区")]}).encode()
        return xlsx([["编号", "备注"], ["1", "某某"]])

    def count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(self.model))


def template_header(client, url: str) -> list:
    sheet = load_workbook(io.BytesIO(client.get(url).data), read_only=True).worksheets[0]
    return list(next(sheet.iter_rows(values_only=True)))


KINDS = [
    Kind("households", "/households/import", "/households/import/template.xlsx", "official_a", Household,
         good=["610923100001002", "导入1组1号", "张三", "13800138000", "3", "否", "否", "33.3", "108.3"],
         many=lambda n: [["610923100001002", f"导入2组{i}号", "", "", "2"] for i in range(n)],
         wrong_type=lambda i: ["610923100001002", f"导入3组{i}号", "", "", "两口人"],
         wrong_column="家庭人口", required=("网格编码", "门牌/地址")),
    Kind("incidents", "/incidents/import", "/incidents/import/template.xlsx", "official_a", Incident,
         good=["610923100001", "案件", DAY, "刷单返利", "12000", "0", "A1", "刷单返利"],
         many=lambda n: [["610923100001", "案件", DAY, "刷单返利", str(100 + i), "0", f"B{i}", ""] for i in range(n)],
         wrong_type=lambda i: ["610923100001", "案件", "上周三", "刷单返利", "100", "0", f"C{i}", ""],
         wrong_column="发案日期", required=("村(社区)代码", "发案日期", "诈骗类型")),
    Kind("warnings", "/warnings/import", "/warnings/import/template.xlsx", "official_a", FraudWarning,
         good=["610923100001", "王某某", "13800138000", "高", f"{DAY} 09:30", "市反诈中心"],
         many=lambda n: [["610923100001002", f"居民{i}", "", "中", f"{DAY} 10:00", ""] for i in range(n)],
         wrong_type=lambda i: ["610923100001", f"居民{i}", "", "高", "今天上午", ""],
         wrong_column="接收时间", required=("村(社区)或网格代码", "居民", "预警等级", "接收时间")),
    Kind("targets", "/creation/import", "/creation/import/template.xlsx", "official_a", CreationTarget,
         good=["学校", "城关小学", "610923100", "王老师", "13800000000", "860"],
         many=lambda n: [["企业", f"导入企业{i}", "610923100001", "", "", "10"] for i in range(n)],
         wrong_type=lambda i: ["企业", f"坏企业{i}", "610923100001", "", "", "八百"],
         wrong_column="人数", required=("类型", "所在区划代码")),
    Kind("areas", "/areas/import", "/areas/import/template.xlsx", "admin", Area,
         good=["610923100003", "新村村委会", "610923100"],
         many=lambda n: [[f"610923100{100 + i:03d}", f"新{i}村村委会", "610923100"] for i in range(n)],
         wrong_type=lambda i: [f"6109231000A{i}", "坏码村", "610923100"],
         wrong_column="代码", required=("代码", "名称")),
    Kind("boundaries", "/maps/boundaries/import", "/maps/boundaries/template.geojson", "admin", AreaBoundary,
         good=feature("610923100001"),
         many=lambda n: [feature("610923100001", ring(n))],
         wrong_type=lambda i: feature("610923101001", ring(texts=True)),
         wrong_column="geometry", required=("properties.code",), geojson=True),
]
KIND_IDS = [kind.name for kind in KINDS]


def upload(client, url: str, data: bytes, name: str = "upload.xlsx"):
    """Upload a file and confirm the preview it gives, as a user who agrees with what it shows."""
    response = preview(client, url, data, name)
    token = preview_token(response)
    return confirm(client, url, token) if token else response


def preview(client, url: str, data: bytes, name: str = "upload.xlsx"):
    """Upload a file: the page shows what importing it would do, and writes nothing."""
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def preview_token(response) -> str | None:
    found = re.search(r'name="token" value="([0-9a-f]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def confirm(client, url: str, token: str, **ticks):
    """Press "Import as shown"; ``ticks`` as ``ignore_columns="y"`` (ticked unless given as None)."""
    data = {"token": token, **{"ignore_columns": "y"}, **ticks}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def start_job(client, url: str, data: bytes) -> str:
    """Upload a large file: it is previewed in a job; once that job shows its preview, confirm it. The id
    of the job that imports (or of the preview job, when that refused the file)."""
    from campaign.jobs import runner

    response = preview(client, url, data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/"), response.status_code
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    runner.wait(job_id, timeout=60)
    if preview_token(client.get(f"/jobs/{job_id}")) != job_id:
        return job_id
    response = confirm(client, url, job_id)
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/"), response.status_code
    return response.headers["Location"].rsplit("/", 1)[1]


def preview_counts(response) -> tuple[int, int, int]:
    """(new, changed, unchanged) as the preview states them."""
    text = re.search(r'class="preview-counts">([^<]*)<', response.get_data(as_text=True)).group(1)
    return tuple(int(n) for n in re.findall(r"\d+", text.replace(",", "")))


def log_in(client, auth, username: str) -> None:
    """Log in reading English, so that messages not yet translated read the same as later."""
    auth.login(username)
    client.post("/lang/en")


def state(app) -> tuple:
    """Every table an import writes, and the names it may change, to prove a refused file changed nothing."""
    with app.app_context():
        counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in
                       (Household, Incident, FraudWarning, CreationTarget, Area, AreaBoundary, AuditEntry))
        return counts, db.session.execute(sa.select(Area.code, Area.name, Area.household_count)
                                          .order_by(Area.code)).all()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def unzipped(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}
