"""Security defaults: headers, throttled logins and sign-ups, bounds on sockets and rooms."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chat.domain import rooms
from chat.models import User
from chat.security import allowed_origin
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import Login, call


def test_every_page_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.usefixtures("general")
def test_no_page_has_inline_script(login: Login, ada: User) -> None:
    page = login(ada).http.get("/r/general").get_data(as_text=True)
    assert "<script>" not in page
    assert "onclick=" not in page
    assert '<script src="/vendor/socket.io.min.js">' in page


def post_login(client: FlaskClient, username: str, password: str) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def strict_logins(app_config: dict[str, Any]) -> None:
    app_config.update(LOGIN_ATTEMPTS_BURST=3, LOGIN_ATTEMPTS_PER_MINUTE=0.01)


@pytest.mark.usefixtures("strict_logins", "ada")
def test_repeated_failed_logins_are_throttled_with_429(app: Flask) -> None:
    client = app.test_client()
    assert [post_login(client, "ada", "wrong-guess").status_code for _ in range(3)] == [401] * 3
    throttled = post_login(client, "ada", PASSWORD)
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.get_data(as_text=True)


@pytest.mark.usefixtures("strict_logins", "ada")
def test_a_throttled_username_does_not_lock_out_other_users_limits(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        post_login(client, "ada", "wrong-guess")
    assert post_login(client, "ada", PASSWORD).status_code == 429


@pytest.fixture
def strict_signups(app_config: dict[str, Any]) -> None:
    app_config.update(REGISTRATIONS_BURST=2, REGISTRATIONS_PER_HOUR=0.01)


@pytest.mark.usefixtures("strict_signups")
def test_registration_is_throttled_per_address(app: Flask) -> None:
    statuses = []
    for name in ("one", "two", "three"):
        client = app.test_client()
        token = csrf_token(client.get("/register").get_data(as_text=True))
        response = client.post(
            "/register", data={"username": name, "password": PASSWORD, "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    with app.app_context():
        assert User.by_username("three") is None


@pytest.mark.usefixtures("ada")
def test_the_session_cookie_changes_on_login(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("session")
    response = post_login(client, "ada", PASSWORD)
    assert response.status_code == 302
    after = client.get_cookie("session")
    assert after is not None
    assert before is None or before.value != after.value
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


@pytest.mark.usefixtures("ada")
def test_session_cookies_are_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(page)},
        headers={"Referer": "https://localhost/login"},
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in header


@pytest.fixture
def few_sockets(app_config: dict[str, Any]) -> None:
    app_config.update(MAX_SOCKETS_PER_USER=2, MAX_ROOMS_PER_SOCKET=2)


@pytest.mark.usefixtures("few_sockets")
def test_a_user_may_open_only_so_many_sockets(login: Login, ada: User) -> None:
    browser = login(ada)
    first, second, third = browser.socket(), browser.socket(), browser.socket()
    assert (first.is_connected(), second.is_connected(), third.is_connected()) == (True, True, False)
    first.disconnect()
    assert browser.socket().is_connected(), "closing one makes room for another"


@pytest.mark.usefixtures("few_sockets")
def test_a_socket_may_join_only_so_many_rooms(app: Flask, login: Login, ada: User) -> None:
    with app.app_context():
        for name in ("one", "two", "three"):
            rooms.ensure_room(name)
    sock = login(ada).socket()
    assert call(sock, "join", {"room": "one"})["ok"]
    assert call(sock, "join", {"room": "two"})["ok"]
    refused = call(sock, "join", {"room": "three"})
    assert refused["ok"] is False
    assert refused["error"]["code"] == "bad_request"
    assert call(sock, "join", {"room": "one"})["ok"], "re-joining a joined room is fine"
    call(sock, "leave", {"room": "one"})
    assert call(sock, "join", {"room": "three"})["ok"]


@pytest.fixture
def listed_origin(app_config: dict[str, Any]) -> None:
    app_config["CORS_ALLOWED_ORIGINS"] = ["https://chat.example.org"]


@pytest.mark.usefixtures("listed_origin")
def test_socket_origins_are_the_apps_own_and_the_listed_ones(app: Flask) -> None:
    # Engine.IO applies this check before the handshake (the real-server tests drive it over HTTP).
    allowed = allowed_origin(app)
    environ = {"HTTP_HOST": "127.0.0.1:5000", "wsgi.url_scheme": "http"}
    assert allowed("http://127.0.0.1:5000", environ)
    assert allowed("https://chat.example.org", environ)
    assert allowed(None, environ), "scripts send no Origin"
    assert not allowed("http://evil.example", environ)
    assert not allowed("http://127.0.0.1:5001", environ)
    forged = {**environ, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "evil.example"}
    assert not allowed("https://evil.example", forged), "forwarded headers count only through ProxyFix"
