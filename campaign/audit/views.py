"""The audit log for the county office: filtered by record type, record, user and days, read in the user's
language (present.py), and exported to Excel (the export is itself entered in the log)."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from campaign.accounts.access import county_required, users_query
from campaign.areas.scope import within_any
from campaign.core.caching import no_store
from campaign.core.clock import day_bounds
from campaign.core.exports import ExportColumn, Sheet, xlsx_response
from campaign.core.forms import DateField
from campaign.core.inputs import parse_id
from campaign.extensions import db

from .models import AuditEntry
from .present import SUBJECTS, present
from .services import record

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50
TITLE = "审计日志"
EXPORT_COLUMNS = [ExportColumn("时间", "datetime"), ExportColumn("操作人"), ExportColumn("操作", width=14),
                  ExportColumn("记录类型", width=14), ExportColumn("记录", width=24), ExportColumn("记录编号", "int"),
                  ExportColumn("区域", width=16), ExportColumn("变更内容", width=60), ExportColumn("理由", width=30)]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    subject = SelectField(_l("Record type"), validators=[Optional()])
    user = SelectField(_l("Who"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject.choices = [("", _("All record types"))] + sorted(
            ((key, str(subject.label)) for key, subject in SUBJECTS.items()), key=lambda choice: choice[1])
        self.user.choices = [("", _("Everyone"))] + [
            (str(user.id), user.display_name if user.display_name == user.username
             else f"{user.display_name}（{user.username}）") for user in db.session.scalars(users_query())]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.start.data and self.end.data and self.end.data < self.start.data:
            self.end.errors = [*self.end.errors, _("The period ends before it starts.")]
            return False
        return ok


def _filtered() -> tuple[AuditFilterForm, sa.Select | None, dict]:
    """The filter form, the entries it selects inside the user's area (None when it is invalid), and the
    query-string values that keep the filter across pages and into the export."""
    form = AuditFilterForm(request.args)
    kept = {name: request.args[name] for name in ("subject", "user", "start", "end", "record")
            if request.args.get(name)}
    if not form.validate():
        return form, None, kept
    query = sa.select(AuditEntry).where(within_any(AuditEntry.area_code, current_user.scope_codes()))
    if form.subject.data:
        query = query.where(AuditEntry.subject == form.subject.data)
        record_id = parse_id(request.args.get("record", ""))
        if record_id is not None:
            query = query.where(AuditEntry.subject_id == record_id)
    if form.user.data:
        query = query.where(AuditEntry.user_id == int(form.user.data))
    if form.start.data or form.end.data:
        start, end = day_bounds(form.start.data or form.end.data, form.end.data or form.start.data)
        if form.start.data:
            query = query.where(AuditEntry.at >= start)
        if form.end.data:
            query = query.where(AuditEntry.at < end)
    return form, query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), kept


@bp.get("/")
@county_required
@no_store
def index():
    form, query, kept = _filtered()
    if query is None:
        return render_template("audit/index.html", form=form, page=None, shown=[], kept=kept), 400
    page = db.paginate(query, per_page=PER_PAGE)
    return render_template("audit/index.html", form=form, page=page, shown=present(page.items, current_user),
                           kept=kept)


@bp.get("/export.xlsx")
@county_required
@no_store
def export():
    form, query, kept = _filtered()
    if query is None:
        return render_template("audit/index.html", form=form, page=None, shown=[], kept=kept), 400
    head = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    query = query.where(AuditEntry.seq <= (head or 0))  # what was there: not the entry of this export
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    scope = current_user.scope_codes()
    record(action="export", subject="audit", subject_id=0, area_code=scope[0] if scope else None,
           changes={"rows": [None, rows], "via": [None, "audit xlsx"],
                    "filters": [None, "&".join(f"{name}={value}" for name, value in kept.items())],
                    "address": [None, request.remote_addr or ""]})
    db.session.commit()
    return xlsx_response(f"{TITLE}.xlsx", [Sheet(TITLE, EXPORT_COLUMNS, _rows(query))])


def _rows(query: sa.Select, batch: int = 500) -> Iterator[tuple]:
    """The entries as the page shows them, a batch at a time, each batch after the last one's (time, id)."""
    after = None
    while True:
        page = query if after is None else query.where(sa.or_(
            AuditEntry.at < after.at, sa.and_(AuditEntry.at == after.at, AuditEntry.id < after.id)))
        entries = db.session.scalars(page.limit(batch)).all()
        for shown in present(entries, current_user):
            name = _("%(record)s (deleted)", record=shown.record) if shown.gone else shown.record
            yield (shown.at, shown.who, shown.action, shown.subject, name, shown.entry.subject_id or None, shown.area,
                   shown.changes_text(), shown.reason)
        if len(entries) < batch:
            return
        after = entries[-1]
