"""Every protected view, tried by its owner, by someone from another area, and anonymously.

The owner gets the page; the outsider gets 404 (another area) or 403 (another role) and changes
nothing; an anonymous visitor is sent to the log-in page. A view added without a row here fails
``test_every_protected_view_is_in_the_matrix``.
"""
import io
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from campaign.accounts.models import Role, User
from campaign.areas.models import Area
from campaign.callbacks.models import CallbackAttempt, CallbackSample, CallbackTask
from campaign.callbacks.sampling import draw_sample
from campaign.creation import services as creation
from campaign.creation.models import Certificate, CreationCriteria, CreationTarget, TargetKind
from campaign.events.models import EventKind, EventPhoto, PublicityEvent
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import FraudType, Incident
from campaign.jobs.models import Job, JobState
from campaign.rounds.models import Round
from campaign.visits.models import GridTally, Visit
from campaign.visits.services import record_visits
from campaign.warnings.models import FraudWarning, Level, WarningAttempt

from . import factories, visiting

PUBLIC = {"static", "accounts.login", "accounts.login_code", "main.set_language", "main.healthz",
          "visits.service_worker", "visits.shell", "api.openapi", "verify.certificate",
          "pwa.manifest", "pwa.favicon"}
HH_A = "{hh_a}"
CSV = "网格编码,门牌/地址\n610923100001002,9组9号\n"

# method, url, endpoint, owner, outsider, owner status, outsider status, form data
MATRIX = [
    ("get", "/", "main.index", "official_a", None, 200, None, None),
    ("get", "/home/trend", "main.trend", "official_a", "worker_a", 200, 404, None),
    ("post", "/logout", "accounts.logout", "official_a", None, 302, None, None),
    ("get", "/areas/", "areas.index", "official_a", None, 302, None, None),
    ("get", "/areas/610923100", "areas.show", "official_a", "official_b", 200, 404, None),
    ("get", "/areas/610923100/children", "areas.children", "official_a", "official_b", 200, 404, None),
    ("get", "/areas/610923100/new", "areas.new", "admin", "admin_other", 200, 404, None),
    ("post", "/areas/610923100/new", "areas.new", "admin", "admin_other", 302, 404,
     {"code": "610923100009", "name": "新村"}),
    ("get", "/areas/610923100/edit", "areas.edit", "admin", "admin_other", 200, 404, None),
    ("post", "/areas/610923100/edit", "areas.edit", "admin", "admin_other", 302, 404, {"name": "改名镇"}),
    ("post", "/areas/610923100001002/delete", "areas.delete", "admin", "admin_other", 302, 404, None),
    ("get", "/areas/import", "areas.import_file", "admin", "official_a", 200, 403, None),
    ("post", "/areas/import", "areas.import_file", "admin", "official_a", 400, 403, None),
    ("get", "/areas/import/template.csv", "areas.import_template", "admin", "official_a", 200, 403, None),
    ("get", "/areas/import/template.xlsx", "areas.import_template", "admin", "official_a", 200, 403, None),
    ("get", "/households/?area=610923100", "households.index", "official_a", "official_b", 200, 404, None),
    ("get", f"/households/{HH_A}", "households.show", "official_a", "official_b", 200, 404, None),
    ("get", f"/households/{HH_A}/edit", "households.edit", "official_a", "official_b", 200, 404, None),
    ("post", f"/households/{HH_A}/edit", "households.edit", "official_a", "official_b", 302, 404,
     {"grid_code": "610923100001001", "door_label": "改门牌", "members": "2"}),
    ("post", f"/households/{HH_A}/delete", "households.delete", "official_a", "official_b", 302, 404, None),
    ("post", f"/households/{HH_A}/reveal", "households.reveal", "worker_a", "official_b", 200, 404, None),
    ("get", f"/households/{HH_A}/access.json", "households.access_export", "official_a", "official_b", 200, 404, None),
    ("get", f"/households/{HH_A}/access.xlsx", "households.access_export", "admin", "admin_other", 200, 404, None),
    ("get", f"/households/{HH_A}/erase", "households.erase", "official_a", "official_b", 200, 404, None),
    ("post", f"/households/{HH_A}/erase", "households.erase", "official_a", "official_b", 302, 404,
     {"reason": "户主申请删除", "confirm": "y"}),
    ("get", "/households/new?grid=610923100001002", "households.new", "official_a", "worker_a", 200, 403, None),
    ("post", "/households/new", "households.new", "official_a", "official_b", 302, 400,
     {"grid_code": "610923100001002", "door_label": "9组9号", "members": "1"}),
    ("get", "/households/import", "households.import_file", "official_a", "worker_a", 200, 403, None),
    # the owner's upload is previewed (200), written only once confirmed (tests/test_reimport.py)
    ("post", "/households/import", "households.import_file", "official_a", "official_b", 200, 400, "csv"),
    ("get", "/households/import/template.xlsx", "households.import_template", "official_a", None, 200, None, None),
    ("get", "/users/", "accounts.users", "admin", "official_a", 200, 403, None),
    ("get", "/users/new", "accounts.new_user", "admin", "official_a", 200, 403, None),
    ("post", "/users/new", "accounts.new_user", "admin", "official_a", 302, 403,
     {"username": "li", "role": "official", "area_code": "610923100", "password": "Long-password1"}),
    ("get", "/users/security", "accounts.security", "admin", "official_a", 200, 403, None),
    ("post", "/users/security", "accounts.security", "admin", "official_a", 302, 403, {}),
    ("get", "/account/", "account.index", "worker_a", None, 200, None, None),
    ("get", "/account/password", "account.password", "worker_a", None, 200, None, None),
    ("post", "/account/password", "account.password", "worker_a", None, 302, None,
     {"current": "test-password-1", "new": "Matrix-pass-9", "confirm": "Matrix-pass-9"}),
    ("get", "/account/totp", "account.totp_enrol", "official_a", None, 200, None, None),
    ("post", "/account/totp", "account.totp_enrol", "official_a", None, 400, None, {"code": "000000"}),
    ("get", "/account/totp/disable", "account.totp_disable", "official_a", None, 302, None, None),
    ("post", "/account/totp/disable", "account.totp_disable", "official_a", None, 302, None, {}),
    ("get", "/users/{worker_a}/edit", "accounts.edit_user", "admin", "admin_other", 200, 404, None),
    ("post", "/users/{worker_a}/edit", "accounts.edit_user", "admin", "admin_other", 302, 404,
     {"username": "worker_a", "role": "worker", "grid_codes": "610923100001002", "active": "y"}),
    ("get", "/rounds/", "rounds.index", "official_a", None, 200, None, None),
    ("get", "/rounds/new", "rounds.new", "admin", "official_a", 200, 403, None),
    ("post", "/rounds/new", "rounds.new", "admin", "official_a", 302, 403,
     {"name": "第二轮", "starts_on": "{later}", "ends_on": "{latest}"}),
    ("get", "/rounds/{round}/edit", "rounds.edit", "admin", "admin_other", 200, 404, None),
    ("post", "/rounds/{round}/edit", "rounds.edit", "admin", "admin_other", 302, 404,
     {"name": "改名", "starts_on": "{starts}", "ends_on": "{ends}"}),
    ("post", "/rounds/{round}/delete", "rounds.delete", "admin", "admin_other", 302, 404, None),
    ("get", "/coverage/", "coverage.index", "official_a", None, 302, None, None),
    ("get", "/coverage/610923100", "coverage.show", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923/townships", "coverage.townships", "admin", "admin_other", 200, 404, None),
    ("get", "/coverage/610923100/townships", "coverage.townships", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923100/villages", "coverage.villages", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923100/workers", "coverage.workers", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923100/visits", "coverage.visits", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923100/export.xlsx", "coverage.export", "official_a", "official_b", 200, 404, None),
    ("get", "/coverage/610923100001001/export.xlsx", "coverage.export", "worker_a", "worker_b", 200, 404, None),
    ("get", "/coverage/610923100/villages/export.xlsx", "coverage.villages_export", "official_a", "official_b", 200,
     404, None),
    ("get", "/coverage/610923/townships/export.xlsx", "coverage.townships_export", "admin", "admin_other", 200,
     404, None),
    ("get", "/coverage/610923100/workers/export.xlsx", "coverage.workers_export", "official_a", "official_b", 200,
     404, None),
    ("get", "/coverage/610923100/visits/export.xlsx?flagged=1", "coverage.visits_export", "official_a",
     "official_b", 200, 404, None),
    ("get", "/risk/610923100", "risk.show", "official_a", "official_b", 200, 404, None),
    ("get", "/risk/610923100", "risk.show", "official_a", "worker_a", 200, 403, None),
    ("get", "/risk/610923", "risk.show", "admin", "admin_other", 200, 404, None),
    ("get", "/visits/", "visits.phone", "worker_a", None, 200, None, None),
    ("get", "/visits/table?area=610923100", "visit_table.index", "official_a", "official_b", 200, 404, None),
    ("get", "/visits/table", "visit_table.index", "official_a", "worker_a", 200, 403, None),
    ("get", "/visits/table/map?area=610923100", "visit_table.map_frame", "official_a", "official_b", 200, 404, None),
    ("get", "/visits/table/export.xlsx?area=610923100", "visit_table.export", "official_a", "official_b", 200, 404,
     None),
    ("get", "/review/visits/{visit_a}", "review.visit", "official_a", "official_b", 200, 404, None),
    ("get", "/review/visits/{visit_a}", "review.visit", "admin", "worker_a", 200, 403, None),
    ("post", "/review/visits/{visit_a}", "review.visit", "official_a", "official_b", 302, 404,
     {"state": "verified", "note": "核实"}),
    ("post", "/review/visits", "review.bulk", "official_a", "official_b", 302, 404,
     {"visit": "{visit_a}", "state": "rejected", "note": "作废"}),
    ("post", "/review/visits", "review.bulk", "admin", "worker_a", 302, 403,
     {"visit": "{visit_a}", "state": "rejected", "note": "作废"}),
    ("get", "/review/mine", "review.mine", "worker_a", "official_a", 200, 403, None),
    ("get", "/callbacks/", "callbacks.index", "official_a", "worker_a", 200, 403, None),
    ("get", "/callbacks/610923100/new", "callbacks.new", "official_a", "official_b", 200, 404, None),
    ("get", "/callbacks/610923100/new", "callbacks.new", "admin", "worker_a", 200, 403, None),
    ("post", "/callbacks/610923100/new", "callbacks.new", "official_a", "official_b", 302, 404,
     {"round": "{round}", "percent": "5", "minimum": "3", "focused": "1", "seed": "7"}),
    ("get", "/callbacks/samples/{sample}", "callbacks.sample", "official_a", "official_b", 200, 404, None),
    ("post", "/callbacks/samples/{sample}/assign", "callbacks.assign", "official_a", "official_b", 302, 404,
     {"checkers": "{official_a}", "which": "unassigned"}),
    ("get", "/callbacks/mine", "callbacks.mine", "worker_a", None, 200, None, None),
    ("get", "/callbacks/tasks/{task}", "callbacks.task", "official_a", "worker_a", 200, 404, None),
    ("post", "/callbacks/tasks/{task}", "callbacks.task", "official_a", "official_b", 302, 404,
     {"at": "{starts}T20:00", "method": "phone", "note": "无人接听", "result": ""}),
    ("post", "/callbacks/tasks/{task}/phone", "callbacks.phone", "official_a", "admin", 200, 404, None),
    ("get", "/api/v1/session", "api.session_info", "worker_a", None, 200, None, None),
    ("get", "/api/v1/rounds", "api.rounds", "worker_a", None, 200, None, None),
    ("get", "/api/v1/walklist?grid=610923100001001", "api.walklist", "worker_a", "worker_b", 200, 404, None),
    ("post", "/api/v1/visits", "api.post_visits", "worker_a", "worker_b", 200, 400, "visit"),
    ("get", "/api/v1/warnings", "api.warnings", "worker_a", "official_a", 200, 403, None),
    ("post", "/api/v1/warnings/actions", "api.warning_actions", "worker_a", "worker_b", 200, 400, "warning_action"),
    ("get", "/api/v1/coverage?area=610923100", "api.coverage", "official_a", "official_b", 200, 404, None),
    ("get", "/api/v1/pickers/areas?q=csq&level=village", "pickers.areas", "official_a", None, 200, None, None),
    ("get", "/api/v1/pickers/workers?area=610923100", "pickers.workers", "official_a", "official_b", 200, 404, None),
    ("get", "/api/v1/pickers/workers?q=w", "pickers.workers", "official_a", "worker_a", 200, 403, None),
    ("get", "/api/v1/pickers/targets?q=cg", "pickers.targets", "official_a", None, 200, None, None),
    ("get", "/incidents/?area=610923100", "incidents.index", "official_a", "official_b", 200, 404, None),
    ("get", "/incidents/export.xlsx?area=610923100", "incidents.export", "official_a", "official_b", 200, 404, None),
    ("get", "/incidents/export.xlsx", "incidents.export", "official_a", "worker_a", 200, 403, None),
    ("get", "/incidents/new", "incidents.new", "official_a", "worker_a", 200, 403, None),
    ("post", "/incidents/new", "incidents.new", "official_a", "official_b", 302, 400,
     {"village_code": "610923100001", "occurred_on": "{starts}", "fraud_type": "loan", "loss": "100"}),
    ("get", "/incidents/{incident}/edit", "incidents.edit", "official_a", "official_b", 200, 404, None),
    ("post", "/incidents/{incident}/edit", "incidents.edit", "official_a", "official_b", 302, 404,
     {"village_code": "610923100001", "occurred_on": "{starts}", "fraud_type": "loan", "loss": "200"}),
    ("post", "/incidents/{incident}/delete", "incidents.delete", "official_a", "official_b", 302, 404, None),
    ("get", "/incidents/import", "incidents.import_file", "official_a", "worker_a", 200, 403, None),
    ("post", "/incidents/import", "incidents.import_file", "official_a", "worker_a", 400, 403, None),
    ("get", "/incidents/import/template.xlsx", "incidents.import_template", "official_a", "worker_a", 200, 403,
     None),
    ("get", "/incidents/zero?area=610923100", "incidents.zero", "official_a", "official_b", 200, 404, None),
    ("get", "/audit/", "audit.index", "admin", "official_a", 200, 403, None),
    ("get", "/audit/export.xlsx", "audit.export", "admin", "official_a", 200, 403, None),
    ("get", "/warnings/", "warnings.index", "official_a", None, 200, None, None),
    ("get", "/warnings/export.xlsx?show=all", "warnings.export", "official_a", None, 200, None, None),
    ("get", "/warnings/new", "warnings.new", "official_a", "worker_a", 200, 403, None),
    ("post", "/warnings/new", "warnings.new", "official_a", "official_b", 302, 400,
     {"area_code": "610923100001", "resident": "某某", "level": "high", "received_at": "{starts}T08:00"}),
    ("get", "/warnings/{warning}", "warnings.show", "official_a", "official_b", 200, 404, None),
    ("post", "/warnings/{warning}/assign", "warnings.assign", "official_a", "official_b", 302, 404,
     {"assign-worker": "{worker_a}"}),
    ("post", "/warnings/{warning}/attempt", "warnings.attempt", "official_a", "official_b", 302, 404,
     {"attempt-kind": "phone", "attempt-at": "{starts}T20:00", "attempt-result": "未接"}),
    ("post", "/warnings/{warning}/close", "warnings.close", "official_a", "official_b", 302, 404,
     {"close-outcome": "false_alarm", "close-loss_prevented": "0"}),
    ("get", "/warnings/import", "warnings.import_file", "official_a", "worker_a", 200, 403, None),
    ("post", "/warnings/import", "warnings.import_file", "official_a", "worker_a", 400, 403, None),
    ("get", "/warnings/import/template.xlsx", "warnings.import_template", "official_a", "worker_a", 200, 403, None),
    ("get", "/warnings/figures?area=610923100", "warnings.figures", "official_a", "official_b", 200, 404, None),
    ("get", "/events/?area=610923100", "events.index", "official_a", "official_b", 200, 404, None),
    ("get", "/events/export.xlsx?area=610923100", "events.export", "official_a", "official_b", 200, 404, None),
    ("get", "/events/new", "events.new", "official_a", None, 200, None, None),
    ("post", "/events/new", "events.new", "official_a", "official_b", 302, 400,
     {"kind": "courtyard", "held_on": "{starts}", "area_code": "610923100001", "attendees": "30"}),
    ("get", "/events/{event}", "events.show", "official_a", "official_b", 200, 404, None),
    ("get", "/events/{event}/edit", "events.edit", "official_a", "official_b", 200, 404, None),
    ("post", "/events/{event}/edit", "events.edit", "official_a", "official_b", 302, 404,
     {"kind": "school", "held_on": "{starts}", "area_code": "610923100001", "attendees": "40"}),
    ("post", "/events/{event}/delete", "events.delete", "official_a", "official_b", 302, 404, None),
    # An event the county office recorded: a worker of its grid sees it but may not change it.
    ("get", "/events/{county_event}/edit", "events.edit", "admin", "worker_a", 200, 403, None),
    ("post", "/events/{county_event}/edit", "events.edit", "admin", "worker_a", 302, 403,
     {"kind": "school", "held_on": "{starts}", "area_code": "610923100001001", "attendees": "40"}),
    ("post", "/events/{county_event}/delete", "events.delete", "admin", "worker_a", 302, 403, None),
    ("post", "/events/{county_event}/photos/{county_photo}/delete", "events.delete_photo", "admin", "official_a",
     302, 403, None),
    ("get", "/events/{event}/photos/{photo}.jpg", "events.photo", "worker_a", "worker_b", 200, 404, None),
    ("post", "/events/{event}/photos/{photo}/delete", "events.delete_photo", "official_a", "official_b", 302, 404,
     None),
    ("get", "/events/counts?area=610923100", "events.counts", "official_a", "official_b", 200, 404, None),
    ("get", "/warnings/policy", "warnings.policy", "admin", "official_a", 200, 403, None),
    ("post", "/warnings/policy", "warnings.policy", "admin", "official_a", 302, 403,
     {"high": "3", "medium": "20", "low": "50"}),
    ("get", "/maps/", "maps.index", "official_a", None, 302, None, None),
    ("get", "/reports/?area=610923100", "reports.index", "official_a", "worker_a", 200, 403, None),
    ("post", "/reports/", "reports.index", "official_a", "official_b", 302, 400,
     {"area": "610923100", "period": "day", "day": "2026-01-05", "fmt": "xlsx"}),
    ("get", "/reports/documents", "reports.documents", "admin", "official_a", 200, 403, None),
    ("post", "/reports/documents", "reports.documents", "admin", "official_a", 302, 403,
     {"office": "宁陕县反诈办", "prefix": "宁反诈办", "next_number": "5"}),
    ("get", "/maps/610923100", "maps.show", "official_a", "official_b", 200, 404, None),
    ("get", "/maps/610923100/frame", "maps.frame", "official_a", "official_b", 200, 404, None),
    ("get", "/maps/610923100001001/frame", "maps.frame", "worker_a", "worker_b", 200, 404, None),
    ("get", "/maps/boundaries/import", "maps.import_boundaries_file", "admin", "official_a", 200, 403, None),
    ("post", "/maps/boundaries/import", "maps.import_boundaries_file", "admin", "official_a", 400, 403, None),
    ("get", "/maps/boundaries/template.geojson", "maps.boundaries_template", "admin", "official_a", 200, 403, None),
    ("get", "/creation/?area=610923100", "creation.index", "official_a", "official_b", 200, 404, None),
    ("get", "/creation/export.xlsx?area=610923100", "creation.export", "official_a", "official_b", 200, 404, None),
    ("get", "/creation/export.xlsx", "creation.export", "official_a", "worker_a", 200, 403, None),
    ("get", "/creation/new", "creation.new", "official_a", "worker_a", 200, 403, None),
    ("post", "/creation/new", "creation.new", "official_a", "official_b", 302, 400,
     {"kind": "enterprise", "area_code": "610923100", "name": "安康某公司", "headcount": "80"}),
    ("get", "/creation/{target}", "creation.show", "official_a", "official_b", 200, 404, None),
    ("get", "/creation/{target}/edit", "creation.edit", "official_a", "official_b", 200, 404, None),
    ("post", "/creation/{target}/edit", "creation.edit", "official_a", "official_b", 302, 404,
     {"kind": "community", "area_code": "610923100001", "name": "改名社区"}),
    ("post", "/creation/{target}/delete", "creation.delete", "official_a", "official_b", 302, 404, None),
    ("post", "/creation/{target}/act/start", "creation.act", "official_a", "official_b", 302, 404, None),
    ("post", "/creation/{school}/act/revoke", "creation.act", "admin", "official_a", 302, 403, {"reason": "发案"}),
    ("post", "/creation/{school}/act/revoke", "creation.act", "admin", "admin_other", 302, 404, {"reason": "发案"}),
    ("get", "/creation/{school}/certificate.pdf", "creation.certificate_pdf", "official_a", "official_b", 200, 404,
     None),
    ("get", "/creation/certificates.pdf?area=610923100", "creation.township_pdf", "admin", "admin_other", 200, 404,
     None),
    ("get", "/creation/certificates.pdf?area=610923100", "creation.township_pdf", "admin", "official_a", 200, 403,
     None),
    ("get", "/creation/criteria", "creation.criteria", "admin", "official_a", 200, 403, None),
    ("post", "/creation/criteria", "creation.criteria", "admin", "official_a", 302, 403,
     {"issuer": "宁陕县反诈中心", **{f"{kind}-window_months": "12" for kind in ("community", "school", "enterprise",
                                                                            "organisation")},
      "school-three_no": "y", "school-min_install_rate": "95"}),
    ("get", "/creation/import", "creation.import_file", "official_a", "worker_a", 200, 403, None),
    ("post", "/creation/import", "creation.import_file", "official_a", "worker_a", 400, 403, None),
    ("get", "/creation/import/template.xlsx", "creation.import_template", "official_a", "worker_a", 200, 403, None),
    ("get", "/jobs/{job}", "jobs.show", "official_a", "official_b", 200, 404, None),
    ("get", "/jobs/{job}/progress", "jobs.progress", "official_a", "official_b", 200, 404, None),
    ("get", "/jobs/{job}/file", "jobs.file", "official_a", "official_b", 200, 404, None),
]


@pytest.fixture
def matrix_county(app):
    with app.app_context():
        c = factories.small_county()
        other = factories.AreaFactory(code="610924", name="紫阳县")
        factories.UserFactory(username="admin_other", role=Role.COUNTY, area=other)
        round_ = factories.RoundFactory(area=c.root)
        incident = Incident(village=c.village_a, occurred_on=round_.starts_on, fraud_type=FraudType.LOAN,
                            loss=100, recovered=0)
        db.session.add(incident)
        received = datetime.combine(round_.starts_on, time(8), tzinfo=UTC)
        warning = FraudWarning(area=c.village_a, resident="某某", level=Level.HIGH, received_at=received,
                               deadline_at=received + timedelta(hours=2), assigned_to=c.worker_a)
        db.session.add(warning)
        event = PublicityEvent(kind=EventKind.COURTYARD, held_on=round_.starts_on, area=c.grid_a1, attendees=9,
                               photos=[EventPhoto(content=b"\xff\xd8jpeg", width=1, height=1)])
        db.session.add(event)
        county_event = PublicityEvent(kind=EventKind.SCHOOL, held_on=round_.starts_on, area=c.grid_a1, attendees=5,
                                      created_by_id=c.admin.id,
                                      photos=[EventPhoto(content=b"\xff\xd8jpeg", width=1, height=1)])
        db.session.add(county_event)
        target = creation.create_target(area=c.village_a, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=c.village_a), user=c.official_a)
        school = creation.create_target(area=c.town_a, fields=creation.check_fields(
            kind=TargetKind.SCHOOL, name="城关小学", area=c.town_a, headcount=600), user=c.official_a)
        for action in ("start", "apply", "certify"):
            creation.transition(school, action, user=c.admin, override_reason="实地验收")
        job = Job(id=uuid.uuid4().hex, kind="import", title="导入住户", user_id=c.official_a.id, state=JobState.DONE,
                  file_name="住户.xlsx", file_type="application/octet-stream", file_data=b"PK")
        db.session.add(job)
        visit_a = record_visits(worker=c.worker_a, items=[visiting.visit(c.households_a[1], round_.id)])[0].visit_id
        sample = draw_sample(round_=round_, area=c.town_a, percent=100, minimum=3, focused=0, user=c.official_a,
                             seed=1)
        task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id))
        task.checker_id = c.official_a.id
        db.session.commit()
        return {"visit_a": visit_a, "sample": sample.id, "task": task.id, "official_a": c.official_a.id,
                "target": target.id, "school": school.id,
                "hh_a": c.households_a[0].id, "worker_a": c.worker_a.id, "round": round_.id, "incident": incident.id,
                "warning": warning.id, "event": event.id, "job": job.id, "photo": event.photos[0].id,
                "county_event": county_event.id, "county_photo": county_event.photos[0].id,
                "starts": round_.starts_on.isoformat(), "ends": round_.ends_on.isoformat(),
                "later": (round_.ends_on + timedelta(days=1)).isoformat(),
                "latest": (round_.ends_on + timedelta(days=9)).isoformat(),
                "visit": visiting.visit(c.households_a[0], round_.id),
                "warning_action": {"uuid": str(uuid.uuid4()), "warning_id": warning.id, "type": "attempt",
                                   "at": datetime.now(UTC).isoformat(), "kind": "phone", "result": "未接"}}


def state(app):
    """Everything a request could change, to prove that refused requests change nothing."""
    with app.app_context():
        def rows(model, *cols):
            return db.session.execute(sa.select(*cols).order_by(model.id)).all()
        return (rows(Area, Area.code, Area.name), rows(Household, Household.door_label, Household.grid_id),
                rows(User, User.username, User.active, User.area_id),
                rows(Round, Round.name, Round.starts_on, Round.ends_on),
                rows(Visit, Visit.uuid, Visit.review_state, Visit.review_note),
                rows(Incident, Incident.village_id, Incident.loss),
                rows(FraudWarning, FraudWarning.assigned_to_id, FraudWarning.closed_at, FraudWarning.deadline_at),
                rows(WarningAttempt, WarningAttempt.at),
                rows(PublicityEvent, PublicityEvent.kind, PublicityEvent.attendees), rows(EventPhoto, EventPhoto.id),
                rows(CreationTarget, CreationTarget.name, CreationTarget.status, CreationTarget.area_id),
                rows(Certificate, Certificate.serial, Certificate.revoked_on),
                db.session.execute(sa.select(CreationCriteria.kind, CreationCriteria.min_install_rate)).all(),
                db.session.execute(sa.select(GridTally.round_id, GridTally.grid_id, GridTally.reached)).all(),
                rows(CallbackSample, CallbackSample.seed),
                rows(CallbackTask, CallbackTask.checker_id, CallbackTask.status),
                rows(CallbackAttempt, CallbackAttempt.at))


def send(client, method, url, data, values):
    if data == "csv":
        data = {"file": (io.BytesIO(CSV.encode()), "r.csv")}
        return client.post(url, data=data, content_type="multipart/form-data")
    if data == "visit":
        return client.post(url, json={"visits": [values["visit"]]})
    if data == "warning_action":
        return client.post(url, json={"actions": [values["warning_action"]]})
    if isinstance(data, dict):
        data = {k: v.format(**values) for k, v in data.items()}
    return getattr(client, method)(url, data=data) if method == "post" else client.get(url)


@pytest.mark.parametrize("method, url, endpoint, owner, outsider, owner_status, outsider_status, data", MATRIX,
                         ids=[f"{m[0]} {m[1]}" for m in MATRIX])
def test_access_matrix(app, client, auth, matrix_county, method, url, endpoint, owner, outsider,
                       owner_status, outsider_status, data):
    url = url.format(**matrix_county)
    before = state(app)
    anonymous = send(client, method, url, data, matrix_county)
    if url.startswith("/api/"):
        assert anonymous.status_code == 401
    else:
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    if outsider:
        auth.login(outsider)
        assert send(client, method, url, data, matrix_county).status_code == outsider_status
        assert state(app) == before, "a refused request changed data"
        auth.logout()
    auth.login(owner)
    response = send(client, method, url, data, matrix_county)
    assert response.status_code == owner_status, response.get_data(as_text=True)[:2000]


def test_every_protected_view_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - PUBLIC
    assert endpoints == {row[2] for row in MATRIX}
