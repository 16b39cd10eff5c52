"""Error pages in the app's layout: refusals, CSRF failures, storage outages, bugs."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import default_exceptions

from chat.extensions import db

log = logging.getLogger("parley")
_WERKZEUG_TEXT = {code: error.description for code, error in default_exceptions.items()}

# Each refusal in the app's own words: a title, and a sentence used when the refusal carries none.
MESSAGES = (
    (400, "That request did not make sense", "Something in it was missing or malformed."),
    (403, "Not for you", "This room is for its members only."),
    (404, "Nothing here", "There is no such page or room; the address may be mistyped, or it was removed."),
    (405, "Not like that", "This address does not take that kind of request."),
    (413, "Too large", "That was more than a form here takes."),
    (429, "Slow down", "Too many requests in a short time; wait a minute and try again."),
)


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html",
            status=400,
            title="This form has expired",
            message=f"{error.description} Reload the page and try again.",
        ), 400

    for status, title, sentence in MESSAGES:

        def page(
            error: Exception, status: int = status, title: str = title, sentence: str = sentence
        ) -> tuple[str, int]:
            description = getattr(error, "description", None)
            # Werkzeug's own descriptions are for developers; ours (passed to abort) are for people.
            own = description if description and description != _WERKZEUG_TEXT.get(status) else None
            return render_template("error.html", status=status, title=title, message=own or sentence), status

        app.register_error_handler(status, page)

    @app.errorhandler(SQLAlchemyError)
    def storage_unavailable(error: SQLAlchemyError) -> tuple[str, int]:
        db.session.rollback()
        log.error("storage unavailable serving a page: %s", error.__class__.__name__)
        return render_template("unavailable.html"), 503

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        log.error("error serving a page: %s", error)
        sentence = "Something went wrong on our side; it was logged. Try again in a moment."
        return render_template("error.html", status=500, title="Our mistake", message=sentence), 500
