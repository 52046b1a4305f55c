"""A warning's phone is personal data (issue 12): encrypted at rest, masked in the list, shown in full on
the warning's page to the assigned worker and to officials, every such showing audited, never cached."""
from __future__ import annotations

import io
from datetime import timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign import create_app
from campaign.audit.models import AuditEntry
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.warnings import services
from campaign.warnings.models import FraudWarning, Level

from . import factories
from .conftest import _test_config

PHONE = "13912345678"


@pytest.fixture
def warned(app, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        official = db.session.get(factories.User, county.official_a.id)
        warning = services.create_warning(area=village, resident="王某某", level=Level.HIGH, phone="139 1234 5678",
                                          received_at=utcnow() - timedelta(hours=1), user=official)
        services.assign(warning, worker=db.session.get(factories.User, county.worker_a.id), user=official)
        db.session.commit()
        return warning.id


def views(warning_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject == "warning", AuditEntry.subject_id == warning_id, AuditEntry.action == "view")))


def test_the_stored_phone_holds_no_digits_of_the_number(app, warned):
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT phone FROM fraud_warning WHERE id = :id"), {"id": warned}).scalar()
        assert "5678" not in stored and "139" not in stored
        assert db.session.get(FraudWarning, warned).phone == PHONE


@pytest.mark.parametrize("username", ["worker_a", "official_a"])
def test_the_assignee_and_the_official_see_the_whole_number_and_each_view_is_audited(app, client, auth, warned,
                                                                                   username):
    auth.login(username)
    response = client.get(f"/warnings/{warned}")
    assert f'href="tel:{PHONE}"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    client.get(f"/warnings/{warned}")
    with app.app_context():
        entries = views(warned)
        assert len(entries) == 2 and {e.user.username for e in entries} == {username}
        assert entries[0].changes["shown"][1] == "phone" and entries[0].area_code == "610923100001"


def test_a_refused_action_shows_the_page_again_and_audits_that_view_too(app, client, auth, warned):
    auth.login("worker_a")
    response = client.post(f"/warnings/{warned}/close", data={"close-outcome": "dissuaded"})
    assert response.status_code == 400 and PHONE in response.get_data(as_text=True)
    with app.app_context():
        assert len(views(warned)) == 1


def test_the_list_shows_the_phone_masked_and_is_not_cached(app, client, auth, warned):
    auth.login("official_a")
    response = client.get("/warnings/")
    page = response.get_data(as_text=True)
    assert "139****5678" in page and PHONE not in page
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert views(warned) == []


def test_the_export_keeps_the_number_for_re_import_and_is_audited(app, client, auth, warned):
    auth.login("official_a")
    response = client.get("/warnings/export.xlsx?show=all")
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert PHONE in {value for row in book.active.iter_rows(values_only=True) for value in row}
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "warning",
                                                              AuditEntry.action == "export"))
        assert entry.user.username == "official_a" and entry.changes["rows"][1] == 1


def test_the_migration_encrypts_stored_phones_and_the_downgrade_restores_them(tmp_path):
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        flask_migrate.upgrade(revision="c1a0a0000006")
        db.session.execute(sa.text("INSERT INTO area (code, name, level, household_count, created_at, updated_at) "
                                   "VALUES ('610923100001', '城南社区', 'village', 0, '2026-01-01', '2026-01-01')"))
        db.session.execute(sa.text(
            "INSERT INTO fraud_warning (area_id, resident, phone, level, received_at, source, deadline_at, "
            "loss_prevented, created_at) VALUES (1, '王某某', '0915-6821234', 'high', '2026-01-01 08:00:00', '', "
            "'2026-01-01 10:00:00', 0, '2026-01-01')"))
        db.session.commit()
        flask_migrate.upgrade(revision="c1a0a0000007")
        assert "6821234" not in db.session.execute(sa.text("SELECT phone FROM fraud_warning")).scalar()
        assert db.session.scalar(sa.select(FraudWarning.phone)) == "0915-6821234"
        db.session.commit()
        flask_migrate.downgrade(revision="c1a0a0000006")
        assert db.session.execute(sa.text("SELECT phone FROM fraud_warning")).scalar() == "0915-6821234"
        db.engine.dispose()
