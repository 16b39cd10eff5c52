"""Security defaults: response headers, trusted hosts, session cookies, Socket.IO origins, proxies, client address."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wrappers import Response

from chat.internals import has_socket_session

# No inline script or style anywhere: the room's script and styles are files in static/.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Sent on HTTPS responses only: browsers ignore it over plain HTTP, and it must never pin a dev host.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
# Endpoints whose responses may be cached (files that are the same for everyone).
CACHEABLE_ENDPOINTS = {"static", "health.socketio_client"}

# Flask-SocketIO's default path, which the browser client and every other client use.
SOCKETIO_PATH = "/socket.io"
GATE = "parley.handshake_gate"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SecureResponses:
    """WSGI middleware around the whole app, Engine.IO's answers included.

    Refuses a ``Host`` outside ``trusted_hosts`` (when set) with 400 before
    anything runs, and adds the security headers (and HSTS over HTTPS) to every
    response. Flask's ``after_request`` never sees Engine.IO's responses, which
    python-engineio writes itself.
    """

    def __init__(self, app: WsgiApp, trusted_hosts: list[str]) -> None:
        self.app = app
        self.trusted_hosts = trusted_hosts

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a request: refused for an untrusted host, else the app's answer with the headers."""
        added = list(HEADERS.items())
        if environ.get("wsgi.url_scheme") == "https":
            added.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
        if self.trusted_hosts and not host_is_trusted(environ.get("HTTP_HOST"), self.trusted_hosts):
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"), *added])
            return [b"Unknown host.\n"]

        def with_headers(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend((name, value) for name, value in added if name.lower() not in present)
            return start_response(status, headers, *exc_info)

        return self.app(environ, with_headers)


class HandshakeGate:
    """WSGI middleware: an Engine.IO handshake without a logged-in session gets 401, before Engine.IO.

    Engine.IO would otherwise open a session (memory, a ping task) for anyone,
    only for Socket.IO's connect to refuse it later. Checking the signed cookie
    here costs one HMAC and no database. Only the signature and a user id are
    checked; the connect handler still loads the user. ``open_origins`` (the
    operator's listed origins, when the Admin UI is on) skip the check, since
    the Admin UI connects with its own password and no session.
    """

    def __init__(self, app: WsgiApp, flask_app: Flask, path: str, open_origins: set[str]) -> None:
        self.app = app
        self.flask_app = flask_app
        self.path = path
        self.open_origins = open_origins

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Refuse an anonymous handshake with 401; pass everything else on."""
        if self.refuses(environ):
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"message": "Log in first: this connection has no valid session."}']
        return self.app(environ, start_response)

    def refuses(self, environ: dict[str, Any]) -> bool:
        """Whether this request is an Engine.IO handshake without a logged-in session."""
        return self._is_handshake(environ) and not self._has_login(environ)

    def _is_handshake(self, environ: dict[str, Any]) -> bool:
        if not str(environ.get("PATH_INFO", "")).startswith(self.path):
            return False
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        return "sid" not in query and environ.get("HTTP_ORIGIN") not in self.open_origins

    def _has_login(self, environ: dict[str, Any]) -> bool:
        opened = self.flask_app.session_interface.open_session(
            self.flask_app, self.flask_app.request_class(environ)
        )
        return opened is not None and "_user_id" in opened


def handshake_gate(app: Flask) -> HandshakeGate:
    """The app's ``HandshakeGate`` (the server's WebSocket handler asks it before upgrading)."""
    gate: HandshakeGate = app.extensions[GATE]
    return gate


def client_address() -> str:
    """The client's address (the proxy's view of it when PROXY_FIX_HOPS is set)."""
    return request.remote_addr or "unknown"


def allowed_origin(app: Flask) -> Callable[[str | None, Mapping[str, Any]], bool]:
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
        """Secure cookies when configured, and on any request that came over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # A socket's events after its connect run on Flask-SocketIO's own copy of the
        # session, which replaces whatever is opened here: skip verifying the cookie again.
        """The session from the cookie; a socket event's is replaced by Flask-SocketIO's copy."""
        if has_socket_session(request.environ):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Trust the configured proxies and hosts, sign sessions with ``SessionCookies``, add the headers."""
    app.session_interface = SessionCookies()
    # "//x" is a 404, not a redirect built from whatever Host the request named.
    app.url_map.merge_slashes = False
    admin_origins = (
        set(app.config["CORS_ALLOWED_ORIGINS"]) if app.config["SOCKETIO_ADMIN_PASSWORD"] else set()
    )
    gate = app.extensions[GATE] = HandshakeGate(app.wsgi_app, app, SOCKETIO_PATH, admin_origins)
    app.wsgi_app = gate  # type: ignore[method-assign]
    app.wsgi_app = SecureResponses(app.wsgi_app, app.config["TRUSTED_HOSTS"] or [])  # type: ignore[method-assign]
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust X-Forwarded-For and -Proto from exactly this many proxies (client address, Secure
        # cookies); X-Forwarded-Host only when the operator says the proxy sets it.
        host_hops = hops if app.config["PROXY_FIX_HOST"] else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=host_hops)  # type: ignore[method-assign]

    @app.after_request
    def private_pages_stay_private(response: Response) -> Response:
        # A page made for a logged-in user is theirs alone: no shared cache, no back-button copy.
        if request.endpoint not in CACHEABLE_ENDPOINTS and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
