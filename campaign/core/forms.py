"""Forms shared by several features."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class EmptyForm(FlaskForm):
    """A POST-only button (delete, log out) that still carries a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class UploadForm(FlaskForm):
    """One spreadsheet to import. The content decides whether it is XLSX or CSV, not the name."""

    file = FileField(_l("File (XLSX or CSV)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))
