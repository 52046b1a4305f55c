"""Forms shared by several features."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField as _DateField
from wtforms import DateTimeLocalField as _DateTimeLocalField
from wtforms import SubmitField, ValidationError

from .inputs import date_range_message, in_date_range


class EmptyForm(FlaskForm):
    """A POST-only button (delete, log out) that still carries a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class UploadForm(FlaskForm):
    """One spreadsheet to import. The content decides whether it is XLSX or CSV, not the name."""

    file = FileField(_l("File (XLSX or CSV)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))


class _InDateRange:
    """Year 1 or 9999 parses, but shifts between UTC and local time overflow at the ends."""

    def pre_validate(self, form):
        super().pre_validate(form)
        if not in_date_range(self.data):
            raise ValidationError(date_range_message())


class DateField(_InDateRange, _DateField):
    """A date between the years 1900 and 2100; use it instead of WTForms' own."""


class DateTimeLocalField(_InDateRange, _DateTimeLocalField):
    """A local date and time between the years 1900 and 2100."""
