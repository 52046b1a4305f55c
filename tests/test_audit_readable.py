"""The audit log reads as the county office speaks: record types, actions, fields and values in Chinese,
names instead of ids, a link to each record, filters, a pager, and an export to Excel."""
import ast
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_login import login_user
from openpyxl import load_workbook

from campaign.accounts import services as accounts
from campaign.accounts.events import security_event
from campaign.accounts.models import Role, User
from campaign.audit.chain import hash_of_row
from campaign.audit.models import AuditEntry
from campaign.audit.present import ACTIONS, SUBJECTS, present, subject_label
from campaign.audit.services import record, recorded_at, verify_chain
from campaign.creation import services as creation
from campaign.creation.models import CreationCriteria, CreationTarget, TargetKind
from campaign.events.models import PublicityEvent
from campaign.extensions import db
from campaign.households.importer import FIELDS as HOUSEHOLD_FIELDS
from campaign.incidents import services as incidents
from campaign.incidents.models import FraudType, Incident
from campaign.warnings import services as warnings
from campaign.warnings.models import FraudWarning, Level

from . import factories

SOURCE = Path(__file__).parent.parent / "campaign"


def _build() -> dict:
    """A county's log: an incident (brushing, in a school), a warning assigned, a target certified and
    another deleted, a household's name changed, an account edited, a log-in."""
    c = factories.small_county()
    school = creation.create_target(area=c.town_a, user=c.admin, fields=creation.check_fields(
        kind=TargetKind.SCHOOL, name="城关中学", area=c.town_a, headcount=800))
    gone = creation.create_target(area=c.town_a, user=c.admin, fields=creation.check_fields(
        kind=TargetKind.ENTERPRISE, name="撤并公司", area=c.town_a, headcount=30))
    creation.delete_target(gone, user=c.admin)
    for action in ("start", "apply", "certify"):
        creation.transition(school, action, user=c.admin, override_reason="实地验收")
    incident = incidents.create_incident(village=c.village_a, user=c.admin, fields=incidents.check_fields(
        occurred_on=date.today() - timedelta(days=3), fraud_type=FraudType.BRUSHING, loss="1200", recovered="0",
        case_ref="A1", description="刷单", target_id=school.id))
    warning = warnings.create_warning(area=c.village_a, resident="王小明", level=Level.HIGH,
                                      received_at=datetime.now(UTC) - timedelta(hours=1), user=c.admin)
    warnings.assign(warning, worker=c.worker_a, user=c.admin)
    household = c.households_a[0]
    record(action="update", subject="household", subject_id=household.id, area_code=c.grid_a1.code, user=c.admin,
           changes={"head_name": ["张伟", "李雷"], "phone": ["***", "***"], "elderly_alone": [False, True]})
    accounts.update_user(c.worker_a, display_name="赵网格", role=Role.WORKER, area=None, grids=[c.grid_a1, c.grid_a2],
                         phone="", active=True)
    security_event(c.official_a, "login", ip="10.0.0.8")
    db.session.commit()
    return {"school": school.id, "gone": gone.id, "incident": incident.id, "warning": warning.id,
            "household": household.id, "door": household.door_label, "worker": c.worker_a.id,
            "official": c.official_a.id}


@pytest.fixture
def log(app):
    with app.app_context():
        return _build()


def _page(client, auth, query: str = "") -> str:
    auth.login("admin")
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _table(html: str) -> str:
    return html.split('id="audit-entries"')[1].split("</table>")[0]


# --- every record() has a presentation ------------------------------------------------------------

def _record_calls() -> tuple[set[str], set[str]]:
    """The subjects and literal actions of every record() call in the app, and of the security events."""
    subjects, actions = set(), set()
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "record" and "subject" in keywords:
                value = keywords["subject"]
                resolved = value.value if isinstance(value, ast.Constant) else constants.get(getattr(value, "id", ""))
                assert resolved is not None, f"{path}:{node.lineno}: record() with a subject the test cannot read"
                subjects.add(resolved)
                if isinstance(keywords.get("action"), ast.Constant):
                    actions.add(keywords["action"].value)
            if name == "security_event" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                actions.add(node.args[1].value)
    return subjects, actions


def test_every_subject_recorded_anywhere_has_a_presentation():
    subjects, _actions = _record_calls()
    assert {"incident", "warning", "event", "creation_target", "household", "user"} <= subjects
    missing = subjects - set(SUBJECTS)
    assert not missing, f"record() subjects without a label in campaign/audit/present.py: {sorted(missing)}"


def test_every_action_recorded_anywhere_has_a_label():
    _subjects, actions = _record_calls()
    actions |= set(creation.TRANSITIONS)
    missing = actions - set(ACTIONS)
    assert not missing, f"actions without a label in campaign/audit/present.py: {sorted(missing)}"


def test_every_audited_field_has_a_label(ctx):
    c = factories.small_county()
    audited = {
        "incident": Incident.AUDITED, "warning": FraudWarning.AUDITED, "event": PublicityEvent.AUDITED,
        "creation_target": CreationTarget.AUDITED, "creation_criteria": CreationCriteria.FIELDS,
        "household": HOUSEHOLD_FIELDS, "user": tuple(accounts._account_fields(c.worker_a)),
    }
    for subject, fields in audited.items():
        missing = set(fields) - set(SUBJECTS[subject].fields)
        assert not missing, f"{subject}: fields without a label: {sorted(missing)}"


def test_record_types_and_field_names_read_in_chinese(ctx):
    expected = {"incident": "涉诈案件", "warning": "预警", "event": "宣传活动", "creation_target": "创建对象",
                "household": "住户", "user": "用户账号", "creation_criteria": "创建标准", "audit": "审计日志"}
    with ctx.test_request_context(), force_locale("zh_CN"):
        for subject, label in expected.items():
            assert subject_label(subject) == label
        for key, subject in SUBJECTS.items():
            for name, label in subject.fields.items():
                text = str(label)
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{key}.{name} reads {text!r}"
        for action, label in ACTIONS.items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(label)), f"action {action} reads {label!r}"
        assert str(SUBJECTS["creation_target"].fields["name"]) == "名称"  # a thing's name, not a person's 姓名
        assert str(SUBJECTS["user"].fields["display_name"]) == "姓名"


# --- values as users see them ---------------------------------------------------------------------

def test_values_read_as_users_see_them(client, auth, log):
    html = _page(client, auth)
    assert "刷单返利" in html and "brushing" not in html          # the fraud type's label, not its value
    assert "城关中学" in html                                      # target_id named
    assert "赵网格" in html                                        # assigned_to_id: the worker's name
    assert "城南社区" in html                                      # village_id named
    assert "李**" in html and "李雷" not in html and "张伟" not in html  # a household head is masked
    assert "王**" in html and "王小明" not in html                 # so is a warned resident
    assert "独居老人" in html and "否 → 是" in html                # booleans read 是/否
    assert "城南社区第2网格" in html                                # grid codes named
    assert "1,200.00" in html                                      # money as money
    assert "验收通过并授牌" in html and "已授牌" in html             # the action and the status, in words
    for internal in ("fraud_type", "assigned_to_id", "village_id", "creation_target", "head_name"):
        assert f">{internal}<" not in html and f"{internal}：" not in html


def test_an_entry_is_shown_without_views(ctx):
    ids = _build()
    with ctx.test_request_context(), force_locale("zh_CN"):
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        login_user(admin)
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "incident"))
        shown, = present([entry], admin)
        assert (shown.subject, shown.action, shown.who) == ("涉诈案件", "登记", "admin")
        assert shown.url == f"/incidents/{ids['incident']}/edit" and not shown.gone
        changes = {c.label: c.after for c in shown.changes}
        assert changes["诈骗类型"] == "刷单返利" and changes["村（社区）"] == "城南社区"
        assert changes["学校或单位（已登记的创建对象）"] == "城关中学"
        assert list(changes)[0] == "村（社区）"  # in the form's order


def test_times_attempts_searches_and_overrides_read_in_words(ctx):
    ids = _build()
    with ctx.test_request_context(), force_locale("zh_CN"):
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        login_user(admin)
        entries = [
            record(action="attempt", subject="warning", subject_id=ids["warning"], area_code="610923100001",
                   changes={"attempt": [None, "face 2026-03-01T02:05:00+00:00 已劝阻"],
                            "closed_at": [None, "2026-03-01T16:30:00+00:00"]}),
            record(action="search", subject="household", subject_id=0, area_code="610923100",
                   changes={"phone": [None, "138****5678"], "found": [None, f"#{ids['household']}"],
                            "address": [None, "command line"]}),
            record(action="view", subject="household", subject_id=ids["household"], area_code="610923100001001",
                   changes={"shown": [None, "head_name, phone"], "via": [None, "access xlsx"]}),
        ]
        attempt, search, view = (_by_label(shown) for shown in present(entries, admin))
        assert attempt["劝阻"] == "见面劝阻 2026/3/1 10:05 已劝阻"   # Beijing time, the kind in words
        assert attempt["办结时间"] == "2026/3/2 00:30"
        assert search["查到的住户"] == f"{ids['door']}（城南社区第1网格）" and search["IP 地址"] == "命令行"
        assert search["电话"] == "138****5678"
        assert view["完整显示"] == "户主、电话" and view["途径"] == "个人信息导出（Excel）"


def _by_label(shown) -> dict:
    return {c.label: c.after for c in shown.changes}


# --- links -------------------------------------------------------------------------------------------

def test_each_entry_links_to_its_record(client, auth, log):
    html = _page(client, auth)
    for href in (f"/incidents/{log['incident']}/edit", f"/warnings/{log['warning']}", f"/creation/{log['school']}",
                 f"/households/{log['household']}", f"/users/{log['worker']}/edit"):
        assert f'href="{href}"' in html, href


def test_a_deleted_record_says_so_and_links_nowhere(client, auth, log):
    html = _page(client, auth, "?subject=creation_target")
    assert f'href="/creation/{log["gone"]}"' not in html
    assert "撤并公司" in html and "已删除" in html


# --- filters and pager -------------------------------------------------------------------------------

def test_the_record_type_filter_keeps_to_one_type(client, auth, log):
    html = _table(_page(client, auth, "?subject=creation_target"))
    assert "验收通过并授牌" in html and "王**" not in html and "赵网格" not in html
    assert f'href="/incidents/{log["incident"]}/edit"' not in html
    assert "刷单返利" in html  # the incident that flagged the certified school for review, named
    chosen = '<option selected value="creation_target">创建对象</option>'
    assert chosen in _page(client, auth, "?subject=creation_target")


def test_one_record_s_history(client, auth, log):
    html = _page(client, auth, f"?subject=creation_target&record={log['school']}")
    assert "验收通过并授牌" in html and "撤并公司" not in html


def test_the_user_filter_keeps_to_one_person(client, auth, log):
    html = _page(client, auth, f"?user={log['official']}")
    assert "10.0.0.8" in html and "登录" in html and "刷单返利" not in html


def test_the_date_range_keeps_to_its_days(app, client, auth, log):
    with app.app_context():
        with recorded_at(datetime(2025, 5, 1, 2, tzinfo=UTC)):
            record(action="update", subject="warning_policy", subject_id=1, area_code="610923", user=None,
                   changes={"high_hours": [2, 4]})
        db.session.commit()
    html = _page(client, auth, "?start=2025-04-30&end=2025-05-01")
    assert "共 1 条" in html and "首次见面劝阻时限" in _table(html) and "刷单返利" not in html
    html = _table(_page(client, auth, "?start=2025-05-02"))
    assert "首次见面劝阻时限" not in html and "刷单返利" in html
    auth.login("admin")
    assert client.get("/audit/?start=2025-05-02&end=2025-05-01").status_code == 400
    assert client.get("/audit/?start=yesterday").status_code == 400
    assert client.get("/audit/?subject=nonsense").status_code == 400


def test_the_pager_shows_pages_and_the_count(app, client, auth, log):
    auth.login("admin")  # a log-in is an entry too
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        for _n in range(120 - total):
            record(action="view", subject="household", subject_id=log["household"], area_code="610923100001001",
                   user=None, changes={"shown": [None, "head_name"], "via": [None, "household page"]})
        db.session.commit()
    html = client.get("/audit/").get_data(as_text=True)
    assert "共 120 条" in html and 'id="audit-pages"' in html
    assert 'href="/audit/?page=3"' in html and 'href="/audit/?page=4"' not in html
    html = client.get("/audit/?subject=household&page=2").get_data(as_text=True)
    assert 'href="/audit/?page=1&amp;subject=household"' in html
    assert "住户页面" in html and "完整显示" in html


# --- the export ----------------------------------------------------------------------------------------

def test_the_export_holds_the_filtered_entries_as_the_page_shows_them(app, client, auth, log):
    auth.login("admin")
    response = client.get("/audit/export.xlsx?subject=incident")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "记录类型", "记录", "记录编号", "区域", "变更内容", "理由")
    assert len(rows) == 2
    at, who, action, subject, name, number, area, changes, _reason = rows[1]
    assert isinstance(at, datetime) and (who, action, subject, number, area) == (
        "admin", "登记", "涉诈案件", log["incident"], "城南社区")
    assert "诈骗类型：刷单返利" in changes and "学校或单位（已登记的创建对象）：城关中学" in changes
    assert "brushing" not in changes


def test_the_export_is_itself_in_the_log_and_does_not_hold_itself(app, client, auth, log):
    auth.login("admin")
    client.get("/audit/export.xlsx?subject=audit")
    response = client.get("/audit/export.xlsx?subject=audit")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "导出" and "条数：0" in rows[1][7]  # the first export, not the second
    with app.app_context():
        exports = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == "audit")
                                     .order_by(AuditEntry.seq)).all()
        assert [e.changes["rows"][1] for e in exports] == [0, 1]
        assert exports[0].changes["via"] == [None, "audit xlsx"] and exports[0].area_code == "610923"
    html = _page(client, auth, "?subject=audit")
    assert "审计日志导出（Excel）" in html and "subject=audit" in html


def test_the_export_and_page_are_for_the_county_office_only(client, auth, log):
    auth.login("official_a")
    assert client.get("/audit/export.xlsx").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_presentation_leaves_the_chain_as_it_was(app, client, auth, log):
    with app.app_context():
        before = {e.id: (e.hash, dict(e.changes)) for e in db.session.scalars(sa.select(AuditEntry))}
    _page(client, auth)
    auth.login("admin")
    client.get("/audit/export.xlsx")
    with app.app_context():
        after = {e.id: (e.hash, dict(e.changes)) for e in db.session.scalars(sa.select(AuditEntry))
                 if e.id in before}
        assert after == before
        assert verify_chain().ok
        entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        assert hash_of_row(entry, entry.prev_hash) == entry.hash

