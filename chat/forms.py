"""The base of every page form: Flask-WTF with its CSRF check, reading form bodies only."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict


class PageForm(FlaskForm):
    """A form posted by a page. A JSON body counts as an empty form.

    Flask-WTF would read a JSON body as the form's data, and a JSON list or
    scalar makes it raise (a 500). Our forms are posted by browsers; anything
    else gets the form's own errors.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """The submitted form data: empty for a JSON body."""
            if formdata is not None and request.is_json and not request.form:
                return ImmutableMultiDict()
            return super().wrap_formdata(form, formdata)
