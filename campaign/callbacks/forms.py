from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.core.forms import DateTimeLocalField

from .models import METHOD_LABELS, RESULT_LABELS, Method, Result
from .sampling import MAX_FOCUSED, MAX_SEED
from .services import MAX_ATTEMPT_NOTE, MAX_NOTE


class DrawForm(FlaskForm):
    """Draw a call-back sample of a round in an area."""

    round = SelectField(_l("Round"), coerce=int, validators=[DataRequired()])
    percent = DecimalField(_l("Random share per village (%)"), default=5, places=1,
                           validators=[InputRequired(), NumberRange(0, 100)])
    minimum = IntegerField(_l("At least, per village"), default=3, validators=[InputRequired(), NumberRange(0, 1000)])
    focused = IntegerField(_l("Focused on risky workers (households)"), default=10,
                           validators=[InputRequired(), NumberRange(0, MAX_FOCUSED)],
                           description=_l("Drawn from the rest, weighted by each worker's risk score."))
    seed = IntegerField(_l("Seed"), validators=[Optional(), NumberRange(0, MAX_SEED - 1)],
                        description=_l("Leave empty for a new one. The same seed over the same visits draws the "
                                       "same sample."))
    submit = SubmitField(_l("Draw the sample"))


class AssignForm(FlaskForm):
    """Give the ticked tasks (``task`` ids, read apart), or every unassigned one, to checkers in turn."""

    checkers = SelectMultipleField(_l("Checkers"), coerce=int, validators=[DataRequired()])
    which = SelectField(_l("Tasks"), choices=[("ticked", _l("The ticked tasks")),
                                              ("unassigned", _l("Every task without a checker"))])
    submit = SubmitField(_l("Assign"))


def _choices(labels):
    return [(key.value, str(label)) for key, label in labels.items()]


class AttemptForm(FlaskForm):
    """One call or revisit, and the result when there is one."""

    at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    method = SelectField(_l("How"), coerce=Method)
    note = StringField(_l("Note on this call or revisit"), validators=[Optional(), Length(max=MAX_ATTEMPT_NOTE)])
    result = SelectField(_l("Result"), coerce=lambda v: Result(v) if v else None)
    result_note = TextAreaField(_l("What the household said"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = _choices(METHOD_LABELS)
        self.result.choices = [("", str(_l("No result yet (not answered)"))), *_choices(RESULT_LABELS)]
