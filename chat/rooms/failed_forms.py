"""Post/redirect/get for the room page's forms: a refused form goes back to the room, error shown.

The refusal and what was typed wait in the session for the next render of
that room, so a reload after a refusal shows the page, never the browser's
"send the form again?". Only the text a field held is kept, for one render,
and at most ``MAX_KEPT`` characters of it: the session is a cookie of 4 kB.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

KEY = "failed_form"
MAX_KEPT = 1000


def back(slug: str, form: str, value: str | None, errors: list[str] | tuple[str, ...]) -> Response:
    """Remember ``form``'s refusal for the room ``slug`` and send the browser back there (303)."""
    session[KEY] = {
        "room": slug,
        "form": form,
        "value": (value or "")[:MAX_KEPT],
        "errors": list(errors) or ["Try again."],
    }
    return redirect(url_for("rooms.room", slug=slug) + f"#{form.replace('_', '-')}", 303)


def take(slug: str, **forms: type[FlaskForm]) -> dict[str, Any]:
    """The room's forms, empty, except one that was refused here just before: its text and errors again."""
    built: dict[str, Any] = {name: form_class(formdata=None) for name, form_class in forms.items()}
    failed = session.pop(KEY, None)
    if isinstance(failed, dict) and failed.get("room") == slug and failed.get("form") in built:
        form = built[failed["form"]]
        field = form.text
        field.data = str(failed.get("value", ""))
        field.errors = [str(error) for error in failed.get("errors", [])]
    return built
