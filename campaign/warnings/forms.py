from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.areas.models import AreaLevel
from campaign.core.forms import DateTimeLocalField
from campaign.creation.access import unit_choices
from campaign.creation.forms import TargetSelectField
from campaign.pickers.fields import AreaCodeField, PickerSelect

from .models import AttemptKind, Level, WarningOutcome


def _choices(enum_cls):
    return [SelectChoice(m.value, m.label) for m in enum_cls]


class WarningForm(FlaskForm):
    area_code = AreaCodeField(_l("Village, community or grid"), levels=[AreaLevel.VILLAGE, AreaLevel.GRID],
                              validators=[DataRequired(), Length(max=20)])
    resident = StringField(_l("Resident or household"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    level = SelectField(_l("Level"), coerce=Level)
    received_at = DateTimeLocalField(_l("Received at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    source = StringField(_l("Source"), default="县反诈中心", validators=[Optional(), Length(max=60)])
    target_id = TargetSelectField(_l("School or unit the resident belongs to (optional)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = _choices(Level)
        self.target_id.choices = unit_choices()


class AssignForm(FlaskForm):
    worker = SelectField(_l("Grid worker"), coerce=int, widget=PickerSelect("worker"))
    submit = SubmitField(_l("Assign"))


class AttemptForm(FlaskForm):
    kind = SelectField(_l("How"), coerce=AttemptKind)
    at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    result = StringField(_l("Result"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Log attempt"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(AttemptKind)


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome of the warning"), coerce=WarningOutcome)
    loss_prevented = DecimalField(_l("Loss prevented (yuan)"), places=2, default=0,
                                  validators=[Optional(), NumberRange(min=0)])
    submit = SubmitField(_l("Close the warning"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = _choices(WarningOutcome)


class PolicyForm(FlaskForm):
    high = IntegerField(_l("High: hours to meet face to face"), validators=[DataRequired(), NumberRange(1, 720)])
    medium = IntegerField(_l("Medium: hours to meet face to face"), validators=[DataRequired(), NumberRange(1, 720)])
    low = IntegerField(_l("Low: hours to meet face to face"), validators=[DataRequired(), NumberRange(1, 720)])
    submit = SubmitField(_l("Save"))
