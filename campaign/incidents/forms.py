from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.areas.models import AreaLevel
from campaign.core.forms import DateField
from campaign.creation.access import unit_choices
from campaign.creation.forms import TargetSelectField
from campaign.pickers.fields import AreaCodeField

from .models import FraudType, IncidentKind


class IncidentForm(FlaskForm):
    village_code = AreaCodeField(_l("Village / community"), levels=[AreaLevel.VILLAGE],
                                 validators=[DataRequired(), Length(max=20)])
    kind = SelectField(_l("What was found"), coerce=IncidentKind, default=IncidentKind.CASE)
    target_id = TargetSelectField()
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    fraud_type = SelectField(_l("Fraud type"), coerce=FraudType)
    loss = DecimalField(_l("Loss (yuan)"), places=2, default=0, validators=[Optional(), NumberRange(min=0)])
    recovered = DecimalField(_l("Recovered or stopped (yuan)"), places=2, default=0,
                             validators=[Optional(), NumberRange(min=0)])
    case_ref = StringField(_l("Case reference"), validators=[Optional(), Length(max=40)])
    description = TextAreaField(_l("Short description (no victim's name)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fraud_type.choices = [SelectChoice(t.value, t.label) for t in FraudType]
        self.kind.choices = [SelectChoice(k.value, k.label) for k in IncidentKind]
        self.target_id.choices = unit_choices()
