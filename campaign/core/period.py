"""The "from … to …" filter that figure pages share: this year so far unless the person chose."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired

from .clock import local_today
from .forms import DateField


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])


def period_from_args() -> tuple[PeriodForm, bool]:
    """The period in the query string, or this year up to today; ``False`` when it is unusable."""
    form = PeriodForm(request.args)
    if not request.args.get("start"):
        today = local_today()
        form.start.data, form.end.data = date(today.year, 1, 1), today
        return form, True
    if not form.validate():
        return form, False
    if form.end.data < form.start.data:
        form.end.errors = [*form.end.errors, _("The period ends before it starts.")]
        return form, False
    return form, True
