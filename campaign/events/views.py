from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area
from campaign.core.actions import press, save, status
from campaign.core.exports import xlsx_response
from campaign.core.period import period_from_args
from campaign.extensions import db

from . import exports, services
from .access import events_query, get_event_or_404, get_photo_or_404, may_change
from .forms import EventForm
from .models import EventKind
from .photos import MAX_BYTES

bp = Blueprint("events", __name__, url_prefix="/events")


def _area_from_args() -> Area | None:
    code = request.args.get("area", "")
    return get_area_or_404(code) if code else None


@bp.get("/")
@login_required
def index():
    area = _area_from_args()
    page = db.paginate(events_query(area=area), per_page=50)
    return render_template("events/index.html", page=page, area=area)


@bp.get("/export.xlsx")
@login_required
def export():
    area = _area_from_args()
    name = f"{exports.TITLE}-{area.name}.xlsx" if area else f"{exports.TITLE}.xlsx"
    return xlsx_response(name, [exports.events_sheet(events_query(area=area))])


def _area_in_scope(code: str) -> Area:
    return area_for_form(code)


def _uploads(form: EventForm) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each photo; one byte over the limit is enough to refuse it."""
    files = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
    return [(f.filename, f.read(MAX_BYTES + 1)) for f in files]


def _fields(form: EventForm) -> services.EventFields:
    return services.check_fields(kind=form.kind.data, held_on=form.held_on.data, target=form.target.data or "",
                                 attendees=form.attendees.data, materials=form.materials.data,
                                 organiser=form.organiser.data or "", note=form.note.data or "",
                                 app_installs=form.app_installs.data, target_id=form.target_id.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = EventForm()
    if request.method == "GET":
        form.area_code.data = request.args.get("area") or current_user.scope_codes()[0]
        form.organiser.data = current_user.display_name
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_event(
            area=_area_in_scope(form.area_code.data), fields=_fields(form), photos=_uploads(form), user=current_user))
        if saved.ok:
            flash(_("Event recorded."), "success")
            return redirect(url_for("events.show", event_id=saved.value.id))
    return render_template("events/form.html", form=form, event=None), status(form)


@bp.get("/<int:event_id>")
@login_required
def show(event_id: int):
    event = get_event_or_404(event_id)
    return render_template("events/show.html", event=event, may_change=may_change(event))


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = get_event_or_404(event_id, change=True)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.area_code.data = event.area.code
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_event(
            event, area=_area_in_scope(form.area_code.data), fields=_fields(form), photos=_uploads(form),
            user=current_user))
        if saved.ok:
            flash(_("Event saved."), "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/form.html", form=form, event=event), status(form)


@bp.post("/<int:event_id>/delete")
@login_required
def delete(event_id: int):
    event = get_event_or_404(event_id, change=True)
    press(lambda: services.delete_event(event, user=current_user), done=_("Event deleted."))
    return redirect(url_for("events.index"))


@bp.get("/<int:event_id>/photos/<int:photo_id>.jpg")
@login_required
def photo(event_id: int, photo_id: int):
    """Served only to users who may see the event, and never cached by shared caches."""
    image = get_photo_or_404(event_id, photo_id)
    return image.content, {"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600",
                           "X-Content-Type-Options": "nosniff"}


@bp.post("/<int:event_id>/photos/<int:photo_id>/delete")
@login_required
def delete_photo(event_id: int, photo_id: int):
    image = get_photo_or_404(event_id, photo_id, change=True)
    press(lambda: services.remove_photo(image.event, image, current_user), done=_("Photo removed."))
    return redirect(url_for("events.show", event_id=event_id))


@bp.get("/counts")
@login_required
def counts():
    area = get_area_or_404(request.args.get("area") or current_user.scope_codes()[0])
    form, ok = period_from_args()
    rows, totals = services.counts_by_area_and_kind(area, form.start.data, form.end.data) if ok else (None, None)
    return render_template("events/counts.html", form=form, area=area, rows=rows, totals=totals,
                           kinds=list(EventKind)), 200 if ok else 400
