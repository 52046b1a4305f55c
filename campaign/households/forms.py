from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class HouseholdForm(FlaskForm):
    grid_code = StringField(_l("Grid code"), validators=[DataRequired(), Length(max=20)])
    door_label = StringField(_l("Door label or address"), validators=[DataRequired(), Length(max=120)])
    head_name = StringField(_l("Head of household"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    members = IntegerField(_l("Members"), default=1, validators=[DataRequired(), NumberRange(1, 99)])
    elderly_alone = BooleanField(_l("Elderly person living alone"))
    at_risk = BooleanField(_l("At risk"))
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    submit = SubmitField(_l("Save"))
