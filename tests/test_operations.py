"""Operations: metrics, structured logs, and refusing unsafe production settings."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from chat import create_app
from chat.admin import EXTENSION as ADMIN_UI
from chat.config import ConfigError, from_environment, is_production
from chat.models import Room, User
from tests.support.in_process import Login, call

ROOT = Path(__file__).resolve().parent.parent
STRONG = secrets.token_hex(32)


@pytest.fixture
def metrics_token(app_config: dict[str, Any]) -> str:
    app_config["METRICS_TOKEN"] = "scrape-me"
    return "scrape-me"


def test_metrics_need_the_token(metrics_token: str, app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).status_code == 200


def test_metrics_do_not_exist_without_a_token(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_sockets_messages_and_errors(
    metrics_token: str, app: Flask, login: Login, ada: User, general: Room
) -> None:
    def scrape() -> str:
        response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        return response.get_data(as_text=True)

    before = scrape()
    sock = login(ada).socket()
    call(sock, "join", {"room": general.slug})
    call(sock, "message", {"room": general.slug, "text": "counted", "client_id": "m1"})
    call(sock, "message", {"room": general.slug, "text": "counted", "client_id": "m1"})
    call(sock, "message", {"room": general.slug, "text": "   ", "client_id": "m2"})
    after = scrape()
    assert metric(after, "parley_sockets_connected") == 1
    assert metric(after, "parley_rooms_joined") == 1
    assert metric(after, "parley_messages_stored_total") - metric(before, "parley_messages_stored_total") == 1
    code = 'parley_ack_errors_total{code="empty",event="message"}'
    assert metric(after, code) - metric(before, code) == 1
    assert 'parley_event_seconds_bucket{event="message"' in after


def test_production_is_declared_or_detected_from_the_platform() -> None:
    assert is_production({"PARLEY_ENV": "production"})
    assert is_production({"PARLEY_ENV": " Production "})
    assert is_production({"FLASK_ENV": "PRODUCTION"})
    assert is_production({"K_SERVICE": "parley"})
    assert is_production({"RENDER": "true"})
    assert not is_production({"PARLEY_ENV": "development", "RENDER": "true"})
    assert not is_production({"PARLEY_ENV": "Test"})
    assert not is_production({})


@pytest.mark.parametrize("env", [{"PARLEY_ENV": "prod"}, {"PARLEY_ENV": "staging"}, {"FLASK_ENV": "live"}])
def test_an_environment_that_names_none_stops_the_start(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="must be one of development, production, test"):
        from_environment(str(tmp_path), {**env, "SECRET_KEY": STRONG})


@pytest.mark.parametrize("key", ["a" * 32, "ab" * 32, "passwordpassword" * 4, "0123" * 16])
def test_a_production_key_without_entropy_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY looks guessable"):
        from_environment(str(tmp_path), {"PARLEY_ENV": "production", "SECRET_KEY": key})


def test_random_production_keys_of_the_documented_sizes_are_accepted(tmp_path: Path) -> None:
    for key in [secrets.token_hex(16) for _ in range(200)] + [secrets.token_urlsafe(32) for _ in range(50)]:
        assert from_environment(str(tmp_path), {"PARLEY_ENV": "production", "SECRET_KEY": key})["PRODUCTION"]


def test_the_development_key_file_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created 0600 from the start, not opened to the umask first and narrowed afterwards."""
    monkeypatch.setattr(Path, "chmod", lambda *_args, **_kwargs: None)
    previous = os.umask(0o022)
    try:
        key = from_environment(str(tmp_path), {})["SECRET_KEY"]
    finally:
        os.umask(previous)
    stored = tmp_path / "secret_key"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_text() == key
    assert from_environment(str(tmp_path), {})["SECRET_KEY"] == key, "kept across starts"


@contextmanager
def admin_ui(tmp_path: Path, **settings: object) -> Iterator[Any]:
    """The Admin UI of a fresh app, taken out again afterwards.

    python-socketio instruments Engine.IO's ``Socket`` class itself, for the
    whole process, and each instrumentation saves one original: so one at a
    time, and undone before the next test's servers run.
    """
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'admin.sqlite3'}",
            "SOCKETIO_ADMIN_PASSWORD": "admin-ui-password",
            **settings,
        }
    )
    ui = app.extensions[ADMIN_UI]
    try:
        yield ui
    finally:
        ui.uninstrument()


def test_the_admin_ui_only_watches_in_production(tmp_path: Path) -> None:
    with admin_ui(tmp_path, PRODUCTION=True) as ui:
        assert ui.read_only is True
    with admin_ui(tmp_path, PRODUCTION=False) as ui:
        assert ui.read_only is False


def test_the_admin_ui_password_is_throttled(tmp_path: Path) -> None:
    right = {"username": "admin", "password": "admin-ui-password"}
    with admin_ui(tmp_path) as ui:
        assert ui.auth(right) is True
        assert [ui.auth({"username": "admin", "password": f"guess-{n}"}) for n in range(4)] == [False] * 4
        assert ui.auth(right) is False, "six attempts at once: the right password waits too"
    with admin_ui(tmp_path) as ui:
        assert ui.auth({"username": "admin"}) is False


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"PARLEY_ENV": "production"}, "SECRET_KEY"),
        ({"PARLEY_ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"RENDER": "true"}, "SECRET_KEY"),
        (
            {"PARLEY_ENV": "production", "SECRET_KEY": STRONG, "CORS_ALLOWED_ORIGINS": "*"},
            "CORS_ALLOWED_ORIGINS",
        ),
    ],
)
def test_unsafe_production_settings_are_refused(tmp_path: Path, env: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        from_environment(str(tmp_path), env)


def start_app(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import app.py the way gunicorn does, in a fresh process."""
    return in_fresh_process(env, "-c", "import app")


def flask_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``flask --app app ARGS`` as the Procfile runs it, in a fresh process."""
    return in_fresh_process(env, "-m", "flask", "--app", "app", *args)


def in_fresh_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """This Python with ``args`` in the checkout, with ``env`` instead of the shell's app settings."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "PARLEY_ENV")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_served_app_keeps_its_startup_objects_out_of_full_collections(tmp_path: Path) -> None:
    # Without gc.freeze() each full collection walks every module and mapper: a stall of all sockets.
    done = in_fresh_process(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/frozen.sqlite3"},
        "-c",
        "import gc, app; print(gc.get_freeze_count(), len(gc.get_objects()))",
    )
    assert done.returncode == 0, done.stderr
    frozen, collected = (int(n) for n in done.stdout.split())
    assert frozen > 50_000, "the app's startup objects are frozen"
    assert collected < frozen / 10, "little is left for a full collection to walk"


def test_an_unreachable_database_stops_a_production_start_with_one_line() -> None:
    done = start_app(
        {
            "PARLEY_ENV": "production",
            "SECRET_KEY": STRONG,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        }
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("parley: refusing to start: DATABASE_URL does not answer")


def test_json_logs_when_asked(tmp_path: Path) -> None:
    script = (
        "import logging; from chat import create_app; "
        f"create_app({{'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db'}}); "
        "logging.getLogger('parley.test').info('hello %s', 'json')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello json"
    assert record["levelname"] == "INFO"
    assert record["name"] == "parley.test"


def test_numbers_in_the_environment_are_checked(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {"RATE_LIMIT_BURST": "7", "RATE_LIMIT_PER_SECOND": "0.5"})
    assert (settings["RATE_LIMIT_BURST"], settings["RATE_LIMIT_PER_SECOND"]) == (7, 0.5)
    with pytest.raises(ConfigError, match="RATE_LIMIT_BURST must be an integer"):
        from_environment(str(tmp_path), {"RATE_LIMIT_BURST": "lots"})
    with pytest.raises(ConfigError, match="RATE_LIMIT_PER_SECOND must be a number"):
        from_environment(str(tmp_path), {"RATE_LIMIT_PER_SECOND": "fast"})
    with pytest.raises(ConfigError, match="MAX_EVENT_BYTES"):
        from_environment(str(tmp_path), {"MAX_EVENT_BYTES": "1000"})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2-secret@127.0.0.1:6379/0", "the scheme 'redis'"),
        ("https://hunter2-secret@db.example.com/x", "the scheme 'https'"),
        ("hunter2-secret", "no URL"),
    ],
)
def test_a_database_url_that_names_no_database_is_refused_without_its_secret(
    tmp_path: Path, url: str, shown: str
) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL must be a PostgreSQL") as refused:
        from_environment(str(tmp_path), {"DATABASE_URL": url})
    assert shown in str(refused.value)
    assert "hunter2" not in str(refused.value)
    for ok in ("postgres://u@h/d", "postgresql://u@h/d", "postgresql+psycopg://u@h/d", "sqlite:////x.db"):
        assert from_environment(str(tmp_path), {"DATABASE_URL": ok})["SQLALCHEMY_DATABASE_URI"]


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("redis://127.0.0.1:6379/0", "DATABASE_URL must be a PostgreSQL"),
        # Outside production too: the Procfile migrates before the app's own check could run.
        ("postgresql://nobody@127.0.0.1:1/none", "DATABASE_URL does not answer"),
    ],
    ids=["another-kind", "not-answering"],
)
def test_the_migration_refuses_a_database_url_it_cannot_use_in_one_line(
    url: str, refusal: str, log_format: str
) -> None:
    done = flask_command({"DATABASE_URL": url, "LOG_FORMAT": log_format}, "db", "upgrade")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    line = json.loads(lines[0])["message"] if log_format == "json" else lines[0]
    assert line.startswith(f"parley: refusing to start: {refusal}"), line


def test_a_refused_command_says_why_in_one_json_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "LOG_FORMAT": "json"}
    assert flask_command(env, "db", "upgrade").returncode == 0
    done = flask_command(env, "rooms", "delete", "nowhere")
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    record = json.loads(line)
    assert (record["levelname"], record["name"]) == ("ERROR", "parley.cli")
    assert "nowhere" in record["message"]
