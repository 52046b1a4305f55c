"""Publicity events: counted per area and type, photos checked by content, cleaned, and private."""
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from campaign.accounts.models import Role, User
from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.events import services
from campaign.events.models import EventKind, EventPhoto, PublicityEvent
from campaign.events.photos import MAX_BYTES, clean_photo
from campaign.extensions import db

from . import factories


def jpeg_with_gps(size=(800, 600)) -> bytes:
    """A JPEG carrying a GPS position in its EXIF, as phones write them."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (33.0, 19.0, 12.0), 3: "E", 4: (108.0, 18.0, 40.0)}
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def fields(**overrides):
    values = dict(kind=EventKind.COURTYARD, held_on=date(2026, 3, 1), target="", attendees=35, materials=60,
                  organiser="城关镇", note="")
    values.update(overrides)
    return services.check_fields(**values)


def test_photos_lose_their_location_and_metadata():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    cleaned, width, height = clean_photo(original)
    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "JPEG" and (width, height) == (800, 600)
    assert not image.getexif() and b"PhoneMaker" not in cleaned


def test_large_photos_are_scaled_down():
    cleaned, width, height = clean_photo(jpeg_with_gps((4000, 3000)))
    assert max(width, height) == 2048


@pytest.mark.parametrize("data", [b"%PDF-1.7 not a photo", b"GIF89a\x01\x00", b"", b"\x89PNG\r\n\x1a\nbroken"])
def test_non_images_are_refused_by_content(data):
    with pytest.raises(DomainError):
        clean_photo(data)


def test_oversized_files_are_refused():
    with pytest.raises(DomainError):
        clean_photo(b"\xff\xd8" + b"0" * MAX_BYTES)


@pytest.mark.parametrize("overrides, field", [
    ({"held_on": local_today() + timedelta(days=1)}, "held_on"), ({"held_on": None}, "held_on"),
    ({"attendees": -1}, "attendees"), ({"materials": 10**7}, "materials"),
])
def test_bad_event_values_are_refused(overrides, field):
    with pytest.raises(DomainError) as caught:
        fields(**overrides)
    assert caught.value.field == field


def test_at_most_six_photos_and_audit(ctx):
    c = factories.small_county()
    event = services.create_event(area=c.village_a, fields=fields(), photos=[jpeg_with_gps()] * 6, user=c.official_a)
    with pytest.raises(DomainError):
        services.update_event(event, area=c.village_a, fields=fields(), photos=[jpeg_with_gps()])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventPhoto)) == 0  # rolled back whole
    event = services.create_event(area=c.village_a, fields=fields(), photos=[jpeg_with_gps()], user=c.official_a)
    services.delete_event(event, user=c.admin)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject == "event")).all()
    assert actions == ["create", "delete"]


def test_counts_per_area_and_kind(ctx):
    c = factories.small_county()
    services.create_event(area=c.village_a, fields=fields(attendees=10))
    services.create_event(area=c.grid_a1, fields=fields(kind=EventKind.SCHOOL, target="城关小学", attendees=300))
    services.create_event(area=c.village_b, fields=fields(attendees=20))
    services.create_event(area=c.village_b, fields=fields(held_on=date(2025, 3, 1)))
    rows, totals = services.counts_by_area_and_kind(c.root, date(2026, 1, 1), date(2026, 12, 31))
    by_code = {area.code: counts for area, counts in rows}
    assert by_code["610923100"] == {EventKind.COURTYARD: 1, EventKind.SCHOOL: 1, "events": 2, "attendees": 310}
    assert by_code["610923101"]["events"] == 1
    assert totals["events"] == 3 and totals[EventKind.COURTYARD] == 2


# --- views ----------------------------------------------------------------------------------

def post_event(client, area="610923100001", photos=(), **extra):
    data = {"kind": "courtyard", "held_on": "2026-03-01", "area_code": area, "attendees": "30", "materials": "50",
            "organiser": "网格员", **extra}
    data["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post("/events/new", data=data, content_type="multipart/form-data")


def test_worker_records_an_event_with_a_photo_served_only_inside_the_area(app, client, auth, county):
    auth.login("worker_a")
    response = post_event(client, area="610923100001001", photos=[jpeg_with_gps()])
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(PublicityEvent))
        url = f"/events/{event.id}/photos/{event.photos[0].id}.jpg"
    photo = client.get(url)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(photo.data)).getexif()
    auth.logout()
    assert client.get(url).status_code == 302
    auth.login("official_b")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("official_a")
    assert client.get(url).status_code == 200


def test_a_non_image_upload_is_refused_and_saves_nothing(app, client, auth, county):
    auth.login("official_a")
    response = post_event(client, photos=[b"MZ\x90\x00 an executable renamed .jpg"])
    assert response.status_code == 400 and "不是照片" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicityEvent)) == 0


def test_an_event_outside_the_area_is_refused(client, auth, county):
    auth.login("official_a")
    assert post_event(client, area="610923101001").status_code == 400


def test_counts_page(client, auth, county):
    auth.login("official_a")
    post_event(client)
    page = client.get("/events/counts?area=610923100&start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    assert 'data-figure="events">1<' in page


# --- who may change an event ------------------------------------------------------------------

def event_recorded_by(app, username: str, photos=()) -> int:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        area = db.session.scalar(sa.select(Area).where(Area.code == "610923100001001"))
        event = services.create_event(area=area, fields=fields(), photos=list(photos), user=user)
        db.session.commit()
        return event.id


def tried_changes(client, event_id: int) -> list[int]:
    with client.application.app_context():
        photo_ids = db.session.scalars(sa.select(EventPhoto.id).where(EventPhoto.event_id == event_id)).all()
    edit = {"kind": "school", "held_on": "2026-03-01", "area_code": "610923100001001", "attendees": "1"}
    return [client.get(f"/events/{event_id}/edit").status_code,
            client.post(f"/events/{event_id}/edit", data=edit).status_code,
            *[client.post(f"/events/{event_id}/photos/{p}/delete").status_code for p in photo_ids],
            client.post(f"/events/{event_id}/delete").status_code]


def event_state(app, event_id: int):
    with app.app_context():
        event = db.session.get(PublicityEvent, event_id)
        return event and (event.kind, event.attendees, len(event.photos))


def test_a_worker_can_neither_edit_nor_delete_an_event_the_county_office_recorded(app, client, auth, county):
    event_id = event_recorded_by(app, "admin", photos=[jpeg_with_gps()])
    before = event_state(app, event_id)
    auth.login("worker_a")
    page = client.get(f"/events/{event_id}")
    assert page.status_code == 200  # the worker still sees the event of their grid
    assert f"/events/{event_id}/edit" not in page.get_data(as_text=True)
    assert f"/events/{event_id}/delete" not in page.get_data(as_text=True)
    assert tried_changes(client, event_id) == [403, 403, 403, 403]
    assert event_state(app, event_id) == before


def test_an_official_may_not_change_an_event_the_county_office_recorded(app, client, auth, county):
    event_id = event_recorded_by(app, "admin")
    before = event_state(app, event_id)
    auth.login("official_a")
    assert tried_changes(client, event_id) == [403, 403, 403]
    auth.logout()
    auth.login("official_b")
    assert tried_changes(client, event_id) == [404, 404, 404]
    assert event_state(app, event_id) == before


def test_another_worker_of_the_same_grid_may_only_look(app, client, auth, county):
    with app.app_context():
        grid = db.session.scalar(sa.select(Area).where(Area.code == "610923100001001"))
        factories.UserFactory(username="worker_a2", role=Role.WORKER, grids=[grid])
        db.session.commit()
    event_id = event_recorded_by(app, "worker_a", photos=[jpeg_with_gps()])
    auth.login("worker_a2")
    assert "/edit" not in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert tried_changes(client, event_id) == [403, 403, 403, 403]
    assert event_state(app, event_id) == (EventKind.COURTYARD, 35, 1)


@pytest.mark.parametrize("username", ["worker_a", "official_a", "admin"])
def test_the_recorder_and_the_offices_above_may_change_a_workers_event(app, client, auth, county, username):
    event_id = event_recorded_by(app, "worker_a", photos=[jpeg_with_gps()])
    auth.login(username)
    assert f"/events/{event_id}/edit" in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert tried_changes(client, event_id) == [200, 302, 302, 302]
    assert event_state(app, event_id) is None
