"""Fixtures that make tests read like stories: ``ada``, ``bob`` and ``general``.

Storage tests run twice, on SQLite and on PostgreSQL (``backend`` fixture);
page tests run on SQLite. Every test gets a fresh, migrated database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from sqlalchemy import text

from chat import create_app
from chat.domain import accounts, rooms
from chat.extensions import db, socketio
from chat.models import Room, User
from tests.services import scratch_postgres_database, sqlalchemy_url

PASSWORD = "correct-horse"
TABLES = ("messages", "memberships", "rooms", "users")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole run (tables emptied per test)."""
    with scratch_postgres_database() as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        yield sqlalchemy_url(url)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on; storage tests parametrize it with both."""
    return str(request.param)


def base_config(tmp_path: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'parley.sqlite3'}",
        # Roomy enough for tests that post many messages; rate-limit tests set their own.
        "RATE_LIMIT_BURST": 1000,
        "RATE_LIMIT_PER_SECOND": 1000.0,
        "LOGIN_ATTEMPTS_BURST": 1000,
        "REGISTRATIONS_BURST": 1000,
    }


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Settings for the test app; tests may change them before ``app`` is built."""
    return base_config(tmp_path)


@pytest.fixture
def app(backend: str, app_config: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Flask]:
    if backend == "postgresql":
        app_config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("postgres_url")
    app = create_app(app_config)
    with app.app_context():
        if backend == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            db.session.commit()
        else:
            flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for domain tests."""
    with app.app_context():
        yield


def make_user(app: Flask, username: str) -> User:
    with app.app_context():
        user = accounts.register_user(username, PASSWORD)
        db.session.expunge(user)
        return user


@pytest.fixture
def ada(app: Flask) -> User:
    return make_user(app, "ada")


@pytest.fixture
def bob(app: Flask) -> User:
    return make_user(app, "bob")


@pytest.fixture
def eve(app: Flask) -> User:
    return make_user(app, "eve")


@pytest.fixture
def general(app: Flask) -> Room:
    with app.app_context():
        room, _ = rooms.ensure_room("general")
        db.session.expunge(room)
        return room


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, "the page has no CSRF token"
    return found.group(1)


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


@pytest.fixture
def login(app: Flask) -> Callable[[User], Browser]:
    """``login(ada)``: a Flask test client logged in as ada."""
    return lambda user: Browser(app, user.username)


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


# Storage tests say ``pytestmark = BOTH_DATABASES`` to run on SQLite and PostgreSQL.
BOTH_DATABASES = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
