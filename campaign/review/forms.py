from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services import MAX_NOTE
from .states import REVIEW_ORDER, ReviewState


class ReviewForm(FlaskForm):
    """The review of one visit, or of the visits ticked in the visits table (``visit`` ids, read apart)."""

    state = SelectField(_l("Review state"), choices=[(s.value, s.label) for s in REVIEW_ORDER],
                        coerce=lambda value: value if isinstance(value, ReviewState) else ReviewState(value),
                        validators=[DataRequired()])
    note = TextAreaField(_l("Review comment"), validators=[Length(max=MAX_NOTE)],
                         description=_l("Required when the visit has issues or is rejected: the grid worker reads it."))
    back = HiddenField()
    submit = SubmitField(_l("Save the review"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = [(s.value, s.label) for s in REVIEW_ORDER]  # labels in the request's language
