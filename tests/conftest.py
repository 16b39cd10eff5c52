"""Fixtures that make tests read like stories: ``ada``, ``bob`` and ``general``.

Storage tests run twice, on SQLite and on PostgreSQL (``backend`` fixture);
page tests run on SQLite. Every test gets a fresh, migrated database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from chat import create_app
from chat.domain import rooms
from chat.extensions import db
from chat.models import Room, User
from chat.models import users as user_model
from tests.support.in_process import TABLES, Browser, Login, base_config, make_user, sockets_in
from tests.support.services import scratch_postgres_database, sqlalchemy_url

# The browser tests' fixtures (Chromium, the server, people, tabs) for every module that asks for them.
pytest_plugins = ["tests.support.browser_fixtures"]


@pytest.fixture(scope="session", autouse=True)
def secret_key_from_the_environment() -> Iterator[None]:
    """A SECRET_KEY in the environment for the whole run, so that tests write only to temporary folders.

    ``create_app`` reads the environment before a test's own settings, and without a
    SECRET_KEY there it writes a development key into the checkout's instance/ folder.
    Subprocesses that inherit this environment (a ``create_app`` in a fresh interpreter)
    get the key too; the servers' environments are built apart (tests/support/server.py).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRET_KEY", "test-secret")
        yield


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


def person(name: str) -> Any:
    """A fixture of the user ``name``, registered with the database the test uses."""

    @pytest.fixture(name=name)
    def registered(app: Flask) -> User:
        return make_user(app, name)

    return registered


def public_room(name: str, fixture_name: str | None = None) -> Any:
    """A fixture of the public room ``name``, detached for use outside the app context."""

    @pytest.fixture(name=fixture_name or name)
    def seeded(app: Flask) -> Room:
        with app.app_context():
            room, _ = rooms.ensure_room(name)
            db.session.expunge(room)
            return room

    return seeded


# Named people and rooms make tests read like stories.
ada, bob, eve = person("ada"), person("bob"), person("eve")
general, random_room = public_room("general"), public_room("random", "random_room")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ada_and_bob_in_general(
    login: Login, ada: User, bob: User, general: Room
) -> tuple[SocketIOTestClient, SocketIOTestClient]:
    """ada's and bob's sockets, both joined to general, their inboxes emptied."""
    ada_sock, bob_sock = sockets_in(general.slug, login(ada), login(bob))
    return ada_sock, bob_sock


@pytest.fixture
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """One PBKDF2 round per hash, for tests of many accounts where the hash's cost plays no part."""
    monkeypatch.setattr(
        user_model,
        "generate_password_hash",
        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"),
    )


@pytest.fixture
def login(app: Flask) -> Login:
    """``login(ada)``: a Flask test client logged in as ada."""
    return lambda user: Browser(app, user.username)
