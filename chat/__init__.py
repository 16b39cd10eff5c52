"""Parley: a self-hosted real-time team chat."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, has_request_context, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from chat import cli, config, metrics, realtime, security
from chat.domain.snapshots import Snapshots, snapshots
from chat.extensions import csrf, db, login_manager, migrate, socketio
from chat.queue import RedisQueue
from chat.runtime import detect_async_mode

log = logging.getLogger("parley")


def _setup_logging(log_format: str) -> None:
    # One line per connect, disconnect and error, on stderr, under any server.
    if not log.handlers:
        handler = logging.StreamHandler()
        formatter: logging.Formatter
        if log_format == "json":
            formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        else:
            formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        handler.setFormatter(formatter)
        log.addHandler(handler)
        log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
        log.propagate = False


def allowed_origin(app: Flask):  # type: ignore[no-untyped-def]
    """Socket.IO origin check: the app's own origin plus the operator's list."""
    listed = set(app.config["CORS_ALLOWED_ORIGINS"])

    def check(origin: str | None, environ: Mapping[str, Any]) -> bool:
        if origin is None or origin in listed:
            return True
        # Behind a proxy, ProxyFix (PROXY_FIX_HOPS) has already put the public host and scheme here.
        return origin == f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"

    return check


class SessionCookies(SecureCookieSessionInterface):
    """Signed-cookie sessions, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # After its connect, a socket's events run on Flask-SocketIO's own copy of the
        # session, which replaces whatever is opened here: skip verifying the cookie again.
        if "saved_session" in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, ``instance/config.py``, then ``test_config``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    _setup_logging(app.config["LOG_FORMAT"])
    # Imported before socketio.init_app: handlers declared after the first
    # init_app would bind to that first server only, not to later apps'.
    from chat import health
    from chat.auth import bp as auth_bp
    from chat.models import User
    from chat.rooms import bp as rooms_bp

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    realtime.init_app(app)
    # Our own Redis manager, to give its connection the fail-fast options. Always
    # passed, None included: Flask-SocketIO keeps options between init_app calls.
    queue = None
    if app.config["REDIS_URL"]:
        queue = RedisQueue(
            app.config["REDIS_URL"],
            channel=app.config["SOCKETIO_CHANNEL"],
            redis_options=realtime.redis_options(),
            on_resubscribed=lambda delivered: redeliver(app, delivered),
        )
    socketio.init_app(
        app,
        async_mode=app.config.get("ASYNC_MODE") or detect_async_mode(),
        client_manager=queue,
        cors_allowed_origins=allowed_origin(app),
        max_http_buffer_size=app.config["MAX_EVENT_BYTES"],
    )
    if app.config["SOCKETIO_ADMIN_PASSWORD"]:
        # The Socket.IO Admin UI, off unless an operator sets its password.
        socketio.server.instrument(
            auth={
                "username": app.config.get("SOCKETIO_ADMIN_USER", "admin"),
                "password": app.config["SOCKETIO_ADMIN_PASSWORD"],
            }
        )
    cli.init_app(app)
    security.init_app(app)
    app.session_interface = SessionCookies()

    app.extensions["parley_snapshots"] = Snapshots()

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # Every socket event loads its user: from the process's copy, not a SELECT.
        if not user_id.isdigit():
            return None
        key = int(user_id)
        return snapshots().attach(("user", key), lambda session: session.get(User, key))

    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(rooms_bp)
    _register_error_pages(app)
    if app.config["PRODUCTION"]:
        _require_database(app)
    return app


def redeliver(app: Flask, delivered: dict[str, int], attempts: int = 8) -> None:
    """After a Redis outage: hand this process's sockets what was stored while it was cut off.

    The database may be down too (outages come together); keep trying for a while.
    """
    from chat.broadcasts import catch_up

    for attempt in range(attempts):
        try:
            with app.app_context():
                catch_up(delivered)
            return
        except SQLAlchemyError as exc:
            pause = min(2.0**attempt, 15.0)
            log.warning(
                "re-delivery waits for the database (%s); retrying in %.0f s", exc.__class__.__name__, pause
            )
            socketio.sleep(pause)
        except Exception:  # a background task: nobody else would see it fail
            log.exception("could not re-deliver after the queue came back")
            return
    log.error("gave up re-delivering after the queue came back; clients will fill gaps from seq")


def _require_database(app: Flask) -> None:
    """In production, refuse to start on a database that does not answer."""
    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise config.ConfigError(f"DATABASE_URL does not answer ({reason})") from exc
        finally:
            db.session.remove()


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html", status=400, message=f"{error.description} Reload the page and try again."
        ), 400

    for status, message in (
        (400, "Bad request."),
        (403, "This room is for its members only."),
        (404, "Not found."),
        (405, "Method not allowed."),
    ):

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
