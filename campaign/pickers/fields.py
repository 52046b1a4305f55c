"""Form fields that take an area by its code, shown as a picker: a drop-down of the areas inside the user's
area, searched by name, pinyin, initials or code (``static/js/pickers.js``, on Tom Select).

The form still receives a code, so a typed code, a test or a client without JavaScript posts as before. Up to
``options.CAP`` areas are written into a <select>; above that the page holds a text box for the code, which the
picker turns into a search of the server.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import StringField, TextAreaField
from wtforms.widgets import Select, html_params

from campaign.areas.models import AreaLevel
from campaign.core.text import clean_code

from . import options, pinyin


def picker_attrs(kind: str, *, url: str | None = None, value_field: str = "code", remote: bool = False) -> dict:
    """The data- attributes pickers.js reads: what it picks, where to ask, what to say when nothing matches."""
    attrs = {"data-picker": kind, "data-value-field": value_field,
             "data-placeholder": _("Type a name, its pinyin initials or its code"),
             "data-no-results": _("Nothing matches inside your area.")}
    if url:
        attrs["data-url"] = url
    if remote:
        attrs["data-remote"] = "1"
    return attrs


def _class(kwargs: dict, new: str) -> str:
    """The macro's classes for a text box (form-control form-control-lg), as those of a select."""
    given = kwargs.pop("class_", "") or kwargs.pop("class", "")
    kept = [c for c in given.split() if not c.startswith("form-control")]
    return " ".join([new, *kept])


class AreaPicker:
    """Renders an area field (one code, or several one per line) as a picker."""

    def __call__(self, field, **kwargs):
        kwargs.pop("inputmode", None)
        kwargs.pop("rows", None)
        kwargs.setdefault("id", field.id)
        levels = field.levels
        codes = field.codes()
        url = url_for("pickers.areas", level=[level.value for level in levels])
        choices = options.area_choices(levels)
        if choices is None:
            return self._remote(field, codes, url, **kwargs)
        attrs = {**kwargs, **picker_attrs("area", url=url), "name": field.name, "class": _class(kwargs, "form-select")}
        if field.multiple:
            attrs["multiple"] = True
        known = {c.value for c in choices}
        html = [f"<select {html_params(**attrs)}>"]
        if not field.multiple:
            html.append('<option value=""></option>')
        for code in codes:  # a typed code that is not (or no longer) a choice stays shown, for its error
            if code not in known:
                html.append(f'<option value="{escape(code)}" selected>{escape(code)}</option>')
        for choice in choices:
            chosen = {"selected": True} if choice.value in codes else {}
            html.append(f"<option {html_params(value=choice.value, **choice.render_kw, **chosen)}>"
                        f"{escape(choice.label)}</option>")
        html.append("</select>")
        return Markup("".join(html))

    def _remote(self, field, codes: list[str], url: str, **kwargs):
        found = {o.code: o for o in options.areas_by_code(codes, field.levels)}
        initial = [found[c].as_json() if c in found else {"id": 0, "code": c, "label": c, "hint": "", "pinyin": ""}
                   for c in codes]
        attrs = {**kwargs, **picker_attrs("area", url=url, remote=True), "type": "text", "name": field.name,
                 "value": ",".join(codes), "data-initial": json.dumps(initial, ensure_ascii=False),
                 "class": _class(kwargs, "form-control"), "autocomplete": "off"}
        if field.multiple:
            attrs["data-multiple"] = "1"
        return Markup(f"<input {html_params(**attrs)}>")


class AreaCodeField(StringField):
    """One area, by its code, of one of ``levels``."""

    widget = AreaPicker()
    multiple = False

    def __init__(self, label=None, validators=None, *, levels: Iterable[AreaLevel] = (), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.levels = tuple(levels)

    def codes(self) -> list[str]:
        code = clean_code(self._value())
        return [code] if code else []


class AreaCodesField(TextAreaField):
    """Several areas, by code: ``data`` holds them one per line however they were sent (several values from the
    picker, or a text with one per line or separated by commas)."""

    widget = AreaPicker()
    multiple = True

    def __init__(self, label=None, validators=None, *, levels: Iterable[AreaLevel] = (), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.levels = tuple(levels)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = "\n".join(code for value in valuelist for code in value.replace(",", " ").split())

    def codes(self) -> list[str]:
        return list(dict.fromkeys((self._value() or "").replace(",", " ").split()))


class PickerSelect(Select):
    """A select field's widget as a picker. With more than ``options.CAP`` choices only the chosen one is written
    into the page, and the picker asks ``endpoint`` (answering ``value_field``) as the user types."""

    def __init__(self, kind: str, endpoint: str | None = None, value_field: str = "id"):
        super().__init__()
        self.kind, self.endpoint, self.value_field = kind, endpoint, value_field

    def __call__(self, field, **kwargs):
        choices = list(field._iter_choices_normalized())
        remote = bool(self.endpoint) and len(choices) > options.CAP
        url = url_for(self.endpoint) if self.endpoint else None
        kwargs.setdefault("id", field.id)
        attrs = {**kwargs, **picker_attrs(self.kind, url=url, value_field=self.value_field, remote=remote),
                 "name": field.name}
        if remote:
            choices = [c for c in choices if c.selected or not c.value]
        html = [f"<select {html_params(**attrs)}>"]
        for choice in choices:
            extra = {}
            if choice.value not in ("", None) and "data-pinyin" not in (choice.render_kw or {}):
                extra["data-pinyin"] = pinyin.spelling(str(choice.label))  # written by the view without it
            html.append(self.render_option(choice, **extra))
        html.append("</select>")
        return Markup("".join(html))
