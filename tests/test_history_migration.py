"""The report-history migration backfills what is known: each household from its registration (marked
as worked out), each target's statuses from the audit log where it has them, unknown otherwise."""
from datetime import date

import flask_migrate
import sqlalchemy as sa

from campaign import create_app
from campaign.areas.models import Area
from campaign.creation.models import TargetKind, TargetStatus, TargetStatusChange
from campaign.extensions import db
from campaign.households.history import HouseholdPlacement
from campaign.reports.asof import UNKNOWN, rosters, statuses_at

from .conftest import _test_config

AREAS = [(1, "610923", "宁陕县", "county", None), (2, "610923100", "城关镇", "township", 1),
         (3, "610923100001", "城南社区", "village", 2), (4, "610923100001001", "第1网格", "grid", 3),
         (5, "610923100002", "老城村", "village", 2), (6, "610923100003", "新村", "village", 2)]


def _seed() -> None:
    for id_, code, name, level, parent in AREAS:
        db.session.execute(sa.text(
            "INSERT INTO area (id, code, name, level, parent_id, household_count, created_at, updated_at) "
            "VALUES (:id, :code, :name, :level, :parent, 0, '2025-01-01', '2025-01-01')"),
            {"id": id_, "code": code, "name": name, "level": level, "parent": parent})
    db.session.execute(sa.text(
        "INSERT INTO household (grid_id, door_label, members, elderly_alone, at_risk, created_at, updated_at) "
        "VALUES (4, '1号', 1, false, false, '2025-03-01 02:00:00', '2025-03-01 02:00:00')"))
    for id_, area, status, changed in ((1, 3, "not_started", "2025-01-10"), (2, 5, "certified", "2025-06-01"),
                                       (3, 6, "in_progress", "2025-02-01")):
        db.session.execute(sa.text(
            "INSERT INTO creation_target (id, kind, name, area_id, contact_name, contact_phone, headcount, status, "
            "status_changed_at, status_note, review_reason, created_at) VALUES (:id, 'community', 'x', :area, '', "
            "'', 0, :status, :changed, '', '', '2025-01-10')"), {"id": id_, "area": area, "status": status,
                                                                 "changed": changed})
    for at, action, changes in (("2025-01-10", "create", "{}"),
                                ("2025-02-01", "start", '{"status": ["not_started", "in_progress"]}')):
        db.session.execute(sa.text(
            "INSERT INTO audit_entry (at, action, subject, subject_id, area_code, changes, reason) "
            "VALUES (:at, :action, 'creation_target', 3, '610923100003', :changes, '')"),
            {"at": at, "action": action, "changes": changes})
    db.session.commit()


def test_upgrade_backfills_rosters_and_statuses_from_what_is_known(tmp_path):
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        flask_migrate.upgrade(revision="c1a0a0000002")
        _seed()
        flask_migrate.upgrade(revision="c1a0a0000006")
        span = db.session.scalars(sa.select(HouseholdPlacement)).one()
        assert (span.grid_id, span.until, span.backfilled) == (4, None, True)
        assert span.since.date() == date(2025, 3, 1)
        changes = {(c.target_id, c.status) for c in db.session.scalars(sa.select(TargetStatusChange))}
        assert changes == {(1, TargetStatus.NOT_STARTED), (2, None), (2, TargetStatus.CERTIFIED),
                           (3, TargetStatus.NOT_STARTED), (3, TargetStatus.IN_PROGRESS)}
        county = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
        in_march = statuses_at(county, date(2025, 3, 31))[TargetKind.COMMUNITY]
        assert dict(in_march) == {TargetStatus.NOT_STARTED: 1, UNKNOWN: 1, TargetStatus.IN_PROGRESS: 1}
        assert statuses_at(county, date(2025, 6, 30))[TargetKind.COMMUNITY][TargetStatus.CERTIFIED] == 1
        roster = rosters(county, 6, date(2025, 4, 30))["610923"]
        assert roster.households == 1 and "2025-03-01" not in str(roster.note) and roster.note  # worked out
        db.session.commit()
        flask_migrate.downgrade(revision="c1a0a0000005")
        tables = sa.inspect(db.engine).get_table_names()
        assert "household_placement" not in tables and "target_status_change" not in tables
        db.engine.dispose()
