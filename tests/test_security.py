"""Security defaults: headers, throttled logins and sign-ups, bounds on sockets and rooms."""

from __future__ import annotations

import re
import time
from typing import Any

import flask_migrate
import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from chat import create_app
from chat.domain import rooms
from chat.models import User
from chat.security import allowed_origin
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import Login, call


def assert_security_headers(response: Any) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_page_carries_the_security_headers(client: FlaskClient) -> None:
    assert_security_headers(client.get("/login"))


@pytest.mark.parametrize(
    "path",
    [
        "/socket.io/?EIO=4&transport=polling",  # a handshake, refused without a session
        "/socket.io/?EIO=4&transport=polling&sid=nope",  # python-engineio's own 400
        "/socket.io/?EIO=9&transport=polling",
    ],
)
def test_engine_io_answers_carry_the_security_headers_too(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code >= 400
    assert_security_headers(response)


@pytest.mark.usefixtures("ada")
def test_engine_io_answers_to_a_logged_in_client_carry_them(login: Login, ada: User) -> None:
    response = login(ada).http.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 200
    assert_security_headers(response)


def test_hsts_is_sent_over_https_only(client: FlaskClient) -> None:
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers
    engine_io = client.get("/socket.io/?EIO=4&transport=polling&sid=x", base_url="https://localhost")
    assert "Strict-Transport-Security" in engine_io.headers


@pytest.mark.usefixtures("general")
def test_pages_of_a_logged_in_user_are_never_stored(login: Login, ada: User) -> None:
    browser = login(ada)
    for path in ("/rooms", "/r/general", "/search?q=hello"):
        assert browser.http.get(path).headers["Cache-Control"] == "no-store", path
    with browser.http.get("/vendor/socket.io.min.js") as vendored:
        assert "no-store" not in (vendored.headers.get("Cache-Control") or "")


@pytest.fixture
def one_proxy(app_config: dict[str, Any]) -> None:
    app_config["PROXY_FIX_HOPS"] = 1


def host_probe(app: Flask) -> FlaskClient:
    app.add_url_rule(
        "/host-probe", "host_probe", lambda: f"{request.scheme}://{request.host} {request.remote_addr}"
    )
    return app.test_client()


@pytest.mark.usefixtures("one_proxy")
def test_x_forwarded_host_is_not_trusted_unless_configured(app: Flask) -> None:
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"}
    seen = host_probe(app).get("/host-probe", headers=forged).get_data(as_text=True)
    assert seen == "https://localhost 10.1.2.3", "the proxy's scheme and client address, not its host"


@pytest.mark.usefixtures("one_proxy")
def test_x_forwarded_host_is_trusted_when_the_operator_says_the_proxy_sets_it(
    app_config: dict[str, Any],
) -> None:
    app_config["PROXY_FIX_HOST"] = True
    app = create_test_app(app_config)
    seen = host_probe(app).get("/host-probe", headers={"X-Forwarded-Host": "chat.example.org"})
    assert seen.get_data(as_text=True).startswith("http://chat.example.org ")


@pytest.fixture
def trusted_hosts(app_config: dict[str, Any]) -> None:
    app_config["TRUSTED_HOSTS"] = ["chat.example.org", "localhost"]


@pytest.mark.usefixtures("trusted_hosts")
@pytest.mark.parametrize("path", ["/static//x", "/login", "/healthz", "/socket.io/?EIO=4&transport=polling"])
def test_a_host_outside_trusted_hosts_is_refused_everywhere(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.com"})
    assert response.status_code == 400
    assert "evil.com" not in response.headers.get("Location", "")
    assert_security_headers(response)
    assert client.get(path.replace("//", "/"), headers={"Host": "chat.example.org:443"}).status_code != 400


def test_a_doubled_slash_never_redirects_to_the_host_it_named(client: FlaskClient) -> None:
    response = client.get("/static//x", headers={"Host": "evil.com"})
    assert response.status_code == 404
    assert "Location" not in response.headers


@pytest.mark.usefixtures("general")
def test_no_page_has_inline_script(login: Login, ada: User) -> None:
    page = login(ada).http.get("/r/general").get_data(as_text=True)
    assert "<script>" not in page
    assert "onclick=" not in page
    assert '<script defer src="/vendor/socket.io.min.js"></script>' in page
    assert (
        re.findall(r"<script(?! (?:defer )?src=| type=\"module\" src=| type=\"application/json\")", page)
        == []
    )


def create_test_app(config: dict[str, Any]) -> Flask:
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
    return app


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


# --- Anonymous clients are cheap to refuse ------------------------------------------------------


def test_an_engine_io_handshake_without_a_login_is_refused_before_engine_io(app: Flask) -> None:
    client = app.test_client()
    for cookie in (None, "session=forged.cookie.value"):
        if cookie:
            client.set_cookie("session", cookie.split("=", 1)[1])
        response = client.get("/socket.io/?EIO=4&transport=polling")
        assert response.status_code == 401
        assert response.get_json() == {"message": "Log in first: this connection has no valid session."}
    assert not app.extensions["socketio"].server.eio.sockets, "Engine.IO opened no session"


def engine_io_polling(browser: Any) -> tuple[Any, str]:
    opened = browser.http.get("/socket.io/?EIO=4&transport=polling")
    assert opened.status_code == 200
    return browser.http, opened.get_data(as_text=True).split('"sid":"')[1].split('"')[0]


@pytest.mark.usefixtures("few_sockets")
def test_a_refused_connect_closes_its_transport_within_seconds(app: Flask, login: Login, ada: User) -> None:
    """Over raw long-polling (Flask-SocketIO's test clients would swallow the refusal's packet)."""
    browser = login(ada)
    answers = []
    for _ in range(3):  # two allowed, the third refused
        http, eio_sid = engine_io_polling(browser)
        http.post(f"/socket.io/?EIO=4&transport=polling&sid={eio_sid}", data="40")
        answers.append(http.get(f"/socket.io/?EIO=4&transport=polling&sid={eio_sid}").get_data(as_text=True))
    assert [answer[:2] for answer in answers] == ["40", "40", "44"], answers
    assert "Too many open connections" in answers[2]
    sockets = app.extensions["socketio"].server.eio.sockets
    deadline = time.monotonic() + 5
    while eio_sid in sockets and time.monotonic() < deadline:
        time.sleep(0.05)
    assert eio_sid not in sockets, "the refused client's transport is still open"
    assert len(sockets) == 2, "the accepted ones stay"


@pytest.fixture
def few_per_address(app_config: dict[str, Any]) -> None:
    app_config["MAX_SOCKETS_PER_ADDRESS"] = 2


@pytest.mark.usefixtures("few_per_address")
def test_one_address_may_open_only_so_many_sockets(login: Login, ada: User, bob: User, eve: User) -> None:
    first, second = login(ada).socket(), login(bob).socket()
    third = login(eve).socket()
    assert (first.is_connected(), second.is_connected(), third.is_connected()) == (True, True, False)
    first.disconnect()
    assert login(eve).socket().is_connected(), "closing one makes room for another"
