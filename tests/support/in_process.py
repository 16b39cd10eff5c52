"""The app in the test's own process: the Flask test client and Flask-SocketIO's test client.

``Browser`` is a logged-in test client that fills forms with their CSRF
token and opens sockets with its session; ``call``, ``received`` and
``inbox`` read what a test socket was answered and sent; ``text_of`` and
``shown_texts`` read pages, and ``post_messages`` fills a room.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from chat.domain import accounts, messages
from chat.extensions import db, socketio
from chat.fanout import presence
from chat.models import Room, User
from tests.support.forms import PASSWORD, csrf_token

TABLES = (
    "messages",
    "memberships",
    "rooms",
    "users",
    "logins",
    "invites",
    "password_resets",
    "site_settings",
)

# Storage tests say ``pytestmark = BOTH_DATABASES`` to run on SQLite and PostgreSQL.
BOTH_DATABASES = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def base_config(tmp_path: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'parley.sqlite3'}",
        # Roomy enough for tests that post many messages; rate-limit tests set their own.
        "RATE_LIMIT_BURST": 1000,
        "RATE_LIMIT_PER_SECOND": 1000.0,
        "EVENTS_BURST": 100_000,
        "EVENTS_PER_SECOND": 100_000.0,
        "LOGIN_ATTEMPTS_BURST": 1000,
        "REGISTRATIONS_BURST": 1000,
    }


Row = TypeVar("Row", User, Room)


def loaded(row: Row) -> Row:
    """A fixture's (detached) user or room, loaded in the current session."""
    found = db.session.get(type(row), row.id)
    assert found is not None, f"{row!r} is not in the database"
    return found


def make_user(app: Flask, username: str) -> User:
    with app.app_context():
        user = accounts.register_user(username, PASSWORD)
        db.session.expunge(user)
        return user


class Browser:
    """A logged-in Flask test client that knows how to fill forms with their CSRF token."""

    def __init__(self, app: Flask, username: str) -> None:
        self.app = app
        self.username = username
        self.http = app.test_client()
        page = self.http.get("/login").get_data(as_text=True)
        response = self.http.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    def token(self, path: str = "/rooms") -> str:
        return csrf_token(self.http.get(path).get_data(as_text=True))

    def post_form(self, path: str, data: dict[str, str], token_from: str = "/rooms") -> Any:
        return self.http.post(path, data={**data, "csrf_token": self.token(token_from)})

    def socket(self) -> SocketIOTestClient:
        """A Socket.IO test client carrying this browser's session cookie."""
        return socketio.test_client(self.app, flask_test_client=self.http)


# What the ``login`` fixture is: ``login(ada)`` gives ada's Browser.
Login = Callable[[User], Browser]


def sockets_in(slug: str, *browsers: Browser) -> list[SocketIOTestClient]:
    """A new socket of each browser, joined to room ``slug``, its inbox emptied."""
    socks = [browser.socket() for browser in browsers]
    for sock in socks:
        ack = call(sock, "join", {"room": slug})
        assert ack["ok"], ack
    if browsers:
        presence_told(browsers[0].app)
    for sock in socks:
        sock.get_received()
    return socks


def presence_told(app: Flask) -> int:
    """End the presence tick now (rather than in half a second): how many ``presence`` events left."""
    return presence.ticker(app).flush()


def call(sock: SocketIOTestClient, event: str, *args: Any) -> Any:
    """Emit ``event`` and return its acknowledgement."""
    return sock.emit(event, *args, callback=True)


def received(sock: SocketIOTestClient, event: str) -> list[Any]:
    """The payloads of ``event`` this client received since last asked."""
    return [payload for name, payload in inbox(sock) if name == event]


def inbox(sock: SocketIOTestClient) -> list[tuple[str, Any]]:
    """Every ``(event, payload)`` this client received since last asked."""
    return [(packet["name"], _payload(packet)) for packet in sock.get_received()]


def _payload(packet: dict[str, Any]) -> Any:
    # The test client keeps a "message" event's payload as is; other events' as a list of args.
    if packet["name"] in ("message", "json"):
        return packet["args"]
    return packet["args"][0] if packet["args"] else None


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def shown_texts(page: str) -> list[str]:
    """The messages' text as a reader sees it: their rendered HTML without its tags."""
    found = re.search(r'<ol id="messages".*?</ol>', page, re.S)
    assert found, "the page has no message list"
    rendered = re.findall(r'<div class="text"[^>]*>(.*?)</div>', found.group(0), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", part)) for part in rendered]


def post_messages(app: Flask, author: User, texts: list[str], slug: str = "general") -> None:
    """Store ``texts`` from ``author`` in ``slug`` (client ids seed-0, seed-1, ...), unbroadcast."""
    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.slug == slug))
        assert room is not None
        user = loaded(author)
        for n, text in enumerate(texts):
            messages.post_message(room, user, text, f"seed-{n}")
