"""Security defaults: response headers, session cookies, Socket.IO origins, proxies, client address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
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
    """Trust the configured proxies, sign sessions with ``SessionCookies``, add the headers."""
    app.session_interface = SessionCookies()
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust X-Forwarded-* from exactly this many proxies: scheme (Secure cookies), host, client address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
