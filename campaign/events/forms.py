from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.core.forms import DateField
from campaign.creation.access import unit_choices
from campaign.creation.forms import TargetSelectField
from campaign.pickers.fields import AreaCodeField

from .models import EventKind


class EventForm(FlaskForm):
    kind = SelectField(_l("Type"), coerce=EventKind)
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    area_code = AreaCodeField(_l("Area"), validators=[DataRequired(), Length(max=20)])
    target_id = TargetSelectField()
    target = StringField(_l("School or unit (optional)"), validators=[Optional(), Length(max=100)])
    attendees = IntegerField(_l("Attendees"), default=0, validators=[Optional(), NumberRange(0, 100_000)])
    materials = IntegerField(_l("Materials handed out"), default=0, validators=[Optional(), NumberRange(0, 100_000)])
    app_installs = IntegerField(_l("Anti-fraud app installs at the event"), default=0,
                                validators=[Optional(), NumberRange(0, 100_000)])
    organiser = StringField(_l("Organiser"), validators=[Optional(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    photos = MultipleFileField(_l("Photos (up to 6)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in EventKind]
        self.target_id.choices = unit_choices()
