from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from campaign.areas.models import AreaLevel
from campaign.pickers.fields import AreaCodeField, AreaCodesField

from .models import Role
from .passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in on this phone (grid workers)"))
    submit = SubmitField(_l("Log in"))


class CodeForm(FlaskForm):
    """The second step of a log-in with two-step log-in on, or the confirmation of a setting."""

    code = StringField(_l("Code from the authenticator app"), validators=[DataRequired(), Length(max=12)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class TotpDisableForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = StringField(_l("Code from the authenticator app"), validators=[DataRequired(), Length(max=12)])


class PolicyForm(FlaskForm):
    totp_required = BooleanField(_l("County-office accounts must use two-step log-in"))


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    role = SelectField(_l("Role"), coerce=Role)
    area_code = AreaCodeField(_l("Area (township for officials, county for the county office)"),
                              levels=[AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP],
                              validators=[Optional(), Length(max=20)])
    grid_codes = AreaCodesField(_l("Grids (grid workers)"), levels=[AreaLevel.GRID], validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=MAX_LENGTH)])
    must_change_password = BooleanField(_l("Must change the password at the next log-in"))
    remove_totp = BooleanField(_l("Remove two-step log-in (lost phone)"))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are translated per request, so the choices are built here, not at import.
        self.role.choices = [SelectChoice(r.value, r.label) for r in Role]
