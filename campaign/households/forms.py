from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.areas.models import AreaLevel
from campaign.pickers.fields import AreaCodeField


class HouseholdForm(FlaskForm):
    grid_code = AreaCodeField(_l("Grid"), levels=[AreaLevel.GRID], validators=[DataRequired(), Length(max=20)])
    door_label = StringField(_l("Door label or address"), validators=[DataRequired(), Length(max=120)])
    head_name = StringField(_l("Head of household"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    members = IntegerField(_l("Members"), default=1, validators=[DataRequired(), NumberRange(1, 99)])
    elderly_alone = BooleanField(_l("Elderly person living alone"))
    at_risk = BooleanField(_l("At risk"))
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    submit = SubmitField(_l("Save"))


class EraseForm(FlaskForm):
    """Erasing a household's personal data at its request: a reason, and a confirmation."""

    reason = TextAreaField(_l("Reason (for example, the household's request and its date)"),
                           validators=[DataRequired(), Length(max=500)])
    confirm = BooleanField(_l("I understand that the name, phone, visit notes and exact location are erased for "
                              "good and cannot be restored."), validators=[DataRequired()])
    submit = SubmitField(_l("Erase personal data"))
