from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.core.forms import DateField
from campaign.pickers.fields import PickerSelect

from .numbers import NUMBER_MAX
from .periods import PeriodKind, period_bounds


class ReportForm(FlaskForm):
    area = SelectField(_l("Area"), validators=[DataRequired()], widget=PickerSelect("area"))
    period = RadioField(_l("Period"), choices=[(k.value, k.label) for k in PeriodKind], default=PeriodKind.MONTH.value,
                        validators=[DataRequired()])
    day = DateField(_l("Day in the period"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    fmt = RadioField(_l("Format"), choices=[("pdf", _l("PDF (to print and send)")),
                                            ("xlsx", _l("Excel workbook (a sheet per section)"))],
                     default="pdf", validators=[DataRequired()])
    submit = SubmitField(_l("Make the report"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.period.choices = [(k.value, k.label) for k in PeriodKind]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.period.data == PeriodKind.CUSTOM:
            missing = [f for f in (self.start, self.end) if f.data is None]
            for field in missing:
                field.errors.append(_l("Give both dates of a custom period."))
            if missing:
                return False
            if self.end.data < self.start.data:
                self.end.errors.append(_l("The period ends before it starts."))
                return False
        elif self.day.data is None:
            self.day.errors.append(_l("Choose a day in the period."))
            return False
        return True

    def bounds(self) -> tuple[date, date]:
        if self.period.data == PeriodKind.CUSTOM:
            return self.start.data, self.end.data
        return period_bounds(PeriodKind(self.period.data), self.day.data)


class DocumentSettingsForm(FlaskForm):
    """What the county office's reports print in their masthead, and the next document number."""

    office = StringField(_l("Issuing office"), validators=[DataRequired(), Length(max=100)])
    prefix = StringField(_l("Document prefix"), validators=[DataRequired(), Length(max=20)])
    next_number = IntegerField(_l("Next number this year"), validators=[DataRequired(), NumberRange(1, NUMBER_MAX)])
    submit = SubmitField(_l("Save"))
