"""Domain errors raised by services and shown by views next to the field they concern."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken. ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def apply_to_form(form, error: DomainError) -> None:
    """Attach a domain error to its form field, or to the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
