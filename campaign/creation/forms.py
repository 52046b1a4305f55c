from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FormField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.areas.models import AreaLevel
from campaign.pickers.fields import AreaCodeField, PickerSelect

from .models import TargetKind, TargetStatus


def _target_id(value):
    return int(value) if value not in (None, "", "None") else None


class TargetSelectField(SelectField):
    """A school or unit a record is tied to; its choices come from ``access.unit_choices()``."""

    widget = PickerSelect("target", "pickers.targets")

    def __init__(self, label=None, **kwargs):
        super().__init__(label or _l("School or unit (a registered creation target)"), coerce=_target_id,
                         validate_choice=True, **kwargs)


class TargetForm(FlaskForm):
    kind = SelectField(_l("Kind"), coerce=TargetKind)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    area_code = AreaCodeField(_l("Area"), levels=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE],
                              validators=[DataRequired(), Length(max=20)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=20)])
    headcount = IntegerField(_l("Headcount (students and staff, or employees)"), default=0,
                             validators=[Optional(), NumberRange(0, 1_000_000)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in TargetKind]


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("Reason or comment"), validators=[Optional(), Length(max=500)])
    override_reason = TextAreaField(_l("Override: why certify although a criterion is unmet"),
                                    validators=[Optional(), Length(max=500)])


class KindCriteriaForm(Form):
    """The criteria of one kind of target; a part of :class:`CriteriaForm` (which carries the CSRF token)."""

    window_months = IntegerField(_l("Window (months)"), validators=[DataRequired(), NumberRange(1, 36)])
    three_no = BooleanField(_l("No case, fraud den or fraud-involved person in the window (三无)"))
    min_coverage = IntegerField(_l("Door-knock coverage at least (%)"), validators=[Optional(), NumberRange(0, 100)])
    min_install_rate = IntegerField(_l("App install rate at least (%)"), validators=[Optional(), NumberRange(0, 100)])
    min_events = IntegerField(_l("Publicity events at least"), validators=[Optional(), NumberRange(0, 1000)])
    min_face_rate = IntegerField(_l("Warnings met face to face at least (%)"),
                                 validators=[Optional(), NumberRange(0, 100)])


class CriteriaForm(FlaskForm):
    """The county's whole criteria page: every kind's criteria and the certificates' issuer, saved
    together or not at all. Field names are ``<kind>-<criterion>`` and ``issuer``."""

    community = FormField(KindCriteriaForm)
    school = FormField(KindCriteriaForm)
    enterprise = FormField(KindCriteriaForm)
    organisation = FormField(KindCriteriaForm)
    issuer = StringField(_l("Issuing office printed on certificates"), validators=[DataRequired(), Length(max=100)])

    def kinds(self) -> list[tuple[TargetKind, KindCriteriaForm]]:
        return [(kind, self[kind.value].form) for kind in TargetKind]


class TargetFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _l("All kinds"))] + [SelectChoice(k.value, k.label) for k in TargetKind]
        self.status.choices = [SelectChoice("", _l("All states"))] + [
            SelectChoice(s.value, s.label) for s in TargetStatus]
