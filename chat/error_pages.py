"""Error pages in the app's layout: refusals, CSRF failures, storage outages, bugs."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from chat.extensions import db

log = logging.getLogger("parley")

MESSAGES = (
    (400, "Bad request."),
    (403, "This room is for its members only."),
    (404, "Not found."),
    (405, "Method not allowed."),
    (429, "Too many requests; wait a while and try again."),
)


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html", status=400, message=f"{error.description} Reload the page and try again."
        ), 400

    for status, message in MESSAGES:

        def page(error: Exception, status: int = status, message: str = message) -> tuple[str, int]:
            description = getattr(error, "description", None)
            return render_template("error.html", status=status, message=description or message), status

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
        return render_template("error.html", status=500, message="Something went wrong on our side."), 500
