"""Accounts run on the server: roles, sign-up modes, invitations, disabled accounts, password
changes and resets, display names, and sessions that end (pages and sockets) when they should.

Storage matters here (atomic invitation uses, datetimes, the sessions table): every test runs
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from sqlalchemy import select, update

from chat.domain import accounts, people, sessions, signups
from chat.domain.errors import ChatError
from chat.extensions import db, socketio
from chat.models import Invite, Login, PasswordReset, Room, User, utcnow
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import BOTH_DATABASES, Browser, call, loaded, text_of
from tests.support.in_process import Login as LoginAs

pytestmark = BOTH_DATABASES
NEW_PASSWORD = "a-brand-new-secret"


def sign_up(app: Flask, path: str, username: str, password: str = PASSWORD) -> tuple[FlaskClient, int]:
    """Fill the sign-up form at ``path`` as a new visitor; the client and the answer's status."""
    client = app.test_client()
    page = client.get(path)
    if page.status_code != 200:
        return client, page.status_code
    token = csrf_token(text_of(page))
    answer = client.post(path, data={"username": username, "password": password, "csrf_token": token})
    return client, answer.status_code


def admin_form(browser: Browser, path: str, data: dict[str, str] | None = None) -> int:
    """POST an admin page's form (with the page's CSRF token); the answer's status."""
    return int(browser.post_form(path, data or {}, token_from="/settings").status_code)


# --- roles -------------------------------------------------------------------------------------


def test_the_first_account_is_the_site_admin_and_later_ones_are_not(app: Flask) -> None:
    with app.app_context():
        accounts.system_user()  # the system user does not count as the first account
        first = accounts.register_user("ada", PASSWORD)
        second = accounts.register_user("bob", PASSWORD)
        third = accounts.register_user("cy", PASSWORD, admin=True)
        assert (first.is_admin, second.is_admin, third.is_admin) == (True, False, True)
        assert not accounts.system_user().is_admin


def test_an_admin_promotes_another_and_a_member_cannot(app: Flask, ada: User, bob: User, eve: User) -> None:
    with app.app_context():
        with pytest.raises(ChatError) as refused:
            people.make_admin(loaded(bob), "eve")
        assert refused.value.code == "forbidden"
        people.make_admin(loaded(ada), "bob")
        assert people.is_admin(loaded(bob))
        people.make_admin(loaded(bob), "eve")
        assert loaded(eve).is_admin


def test_a_disabled_admin_is_no_admin(app: Flask, ada: User, bob: User) -> None:
    with app.app_context():
        people.make_admin(None, "bob")
        people.set_disabled(loaded(ada), "bob", True)
        assert not people.is_admin(loaded(bob))


# --- who may join ------------------------------------------------------------------------------


def test_sign_up_is_open_in_development_and_invite_only_in_production(app: Flask) -> None:
    with app.app_context():
        assert signups.signup_mode() == "open"
        app.config["PRODUCTION"] = True
        assert signups.signup_mode() == "invite-only"


@pytest.mark.usefixtures("ada")
def test_invite_only_and_closed_refuse_the_sign_up_form(app: Flask) -> None:
    with app.app_context():
        signups.set_signup_mode(None, "invite-only")
    client, status = sign_up(app, "/register", "newcomer")
    assert status == 403
    assert "invitation only" in text_of(client.get("/register"))
    with app.app_context():
        signups.set_signup_mode(None, "closed")
        assert User.by_username("newcomer") is None
    assert "closed" in text_of(client.get("/register"))


def test_the_environment_fixes_the_mode_and_the_admin_page_cannot_change_it(app: Flask, ada: User) -> None:
    app.config["SIGNUP_MODE"] = "closed"
    with app.app_context():
        assert signups.signup_mode() == "closed"
        with pytest.raises(ChatError) as refused:
            signups.set_signup_mode(loaded(ada), "open")
        assert refused.value.code == "conflict"
        assert signups.signup_mode() == "closed"


def test_an_invitation_signs_up_into_its_rooms_up_to_its_limit(app: Flask, ada: User, general: Room) -> None:
    with app.app_context():
        signups.set_signup_mode(None, "invite-only")
        secret = db.session.get(Room, general.id)
        assert secret is not None
        invite = signups.create_invite(loaded(ada), max_uses=2, room_slugs=("general",))
        code = invite.code
    first, status = sign_up(app, f"/join/{code}", "newcomer")
    assert status == 302
    assert "general" in text_of(first.get("/rooms"))
    _, status = sign_up(app, f"/join/{code}", "second")
    assert status == 302
    _, status = sign_up(app, f"/join/{code}", "third")
    assert status == 404, "used up"
    with app.app_context():
        assert [p.username for p in people.everyone()] == ["ada", "newcomer", "second"]
        room = db.session.get(Room, general.id)
        assert room is not None
        assert room.member_names() == ["newcomer", "second"]
        assert db.session.scalar(select(Invite.uses)) == 2


def test_a_refused_sign_up_gives_the_invitations_use_back(app: Flask, ada: User) -> None:
    with app.app_context():
        code = signups.create_invite(loaded(ada), max_uses=1).code
    _, status = sign_up(app, f"/join/{code}", "ada")  # taken
    assert status == 409
    _, status = sign_up(app, f"/join/{code}", "newcomer", "password")  # common
    assert status == 400
    _, status = sign_up(app, f"/join/{code}", "newcomer")
    assert status == 302


def test_a_revoked_or_expired_invitation_admits_nobody(app: Flask, ada: User) -> None:
    with app.app_context():
        revoked = signups.create_invite(loaded(ada)).code
        revoked_id = db.session.scalar(select(Invite.id).where(Invite.code == revoked))
        assert revoked_id is not None
        signups.revoke_invite(loaded(ada), revoked_id)
        expired = signups.create_invite(loaded(ada), days=1).code
        db.session.execute(
            update(Invite).where(Invite.code == expired).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    for code in (revoked, expired, "never-made"):
        client, status = sign_up(app, f"/join/{code}", "newcomer")
        assert status == 404
        assert "not valid" in text_of(client.get(f"/join/{code}"))
        token = csrf_token(text_of(client.get("/login")))
        response = client.post(
            f"/join/{code}", data={"username": "x", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 404, "a POST made without the page is refused the same way"


def test_closed_refuses_even_invitations(app: Flask, ada: User) -> None:
    with app.app_context():
        code = signups.create_invite(loaded(ada)).code
        signups.set_signup_mode(None, "closed")
    _, status = sign_up(app, f"/join/{code}", "newcomer")
    assert status == 403


def test_invitations_refuse_bad_limits_and_rooms_the_admin_cannot_see(
    app: Flask, ada: User, bob: User
) -> None:
    with app.app_context():
        hidden = accounts.register_user("carol", PASSWORD)
        from chat.domain import rooms

        private = rooms.create_room("Secret", hidden, private=True)
        rooms.admit(private, hidden)
        for bad in ({"days": 0.0}, {"days": 400.0}, {"max_uses": 0}, {"room_slugs": (private.slug,)}):
            with pytest.raises(ChatError) as refused:
                signups.create_invite(loaded(ada), **bad)
            assert refused.value.code in ("bad_request", "not_found")
        with pytest.raises(ChatError) as forbidden:
            signups.create_invite(loaded(bob))
        assert forbidden.value.code == "forbidden"
        assert signups.create_invite(None, room_slugs=(private.slug,)).rooms == [private], "the operator may"


# --- disabled accounts -------------------------------------------------------------------------


def test_a_disabled_account_cannot_log_in_and_its_messages_stay(
    app: Flask, login: LoginAs, ada: User, bob: User, general: Room
) -> None:
    bobs = login(bob)
    sock = bobs.socket()
    assert call(sock, "join", {"room": general.slug})["ok"]
    assert call(sock, "message", {"room": general.slug, "text": "kept", "client_id": "c1"})["ok"]
    assert admin_form(login(ada), "/admin/people/bob/disable") == 303
    assert not sock.is_connected(), "their open socket ended"
    assert bobs.http.get("/rooms").status_code == 302, "their page session ended"
    client, status = sign_up(app, "/login", "bob")
    assert status == 403
    assert "disabled" in text_of(
        client.post(
            "/login",
            data={
                "username": "bob",
                "password": PASSWORD,
                "csrf_token": csrf_token(text_of(client.get("/login"))),
            },
        )
    )
    assert "kept" in text_of(login(ada).http.get(f"/r/{general.slug}"))
    assert admin_form(login(ada), "/admin/people/bob/enable") == 303
    assert login(bob).http.get("/rooms").status_code == 200


def test_an_admin_cannot_disable_themself(app: Flask, login: LoginAs, ada: User) -> None:
    response = login(ada).post_form("/admin/people/ada/disable", {}, token_from="/settings")
    assert response.status_code == 400
    assert "cannot disable your own account" in text_of(response)
    with app.app_context():
        assert not loaded(ada).is_disabled


# --- sessions ----------------------------------------------------------------------------------


def copy_of(app: Flask, browser: Browser) -> FlaskClient:
    """Another client carrying a copy of ``browser``'s session cookie (a stolen cookie)."""
    cookie = browser.http.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def socket_of(app: Flask, client: FlaskClient) -> SocketIOTestClient:
    return socketio.test_client(app, flask_test_client=client)


def test_a_copied_cookie_stops_working_after_a_logout(app: Flask, login: LoginAs, ada: User) -> None:
    browser = login(ada)
    thief = copy_of(app, browser)
    assert thief.get("/rooms").status_code == 200
    assert socket_of(app, thief).is_connected()
    assert browser.post_form("/logout", {}).status_code == 302
    assert thief.get("/rooms").status_code == 302
    assert not socket_of(app, thief).is_connected()


def test_logging_out_everywhere_ends_every_session_and_socket(
    app: Flask, login: LoginAs, ada: User, bob: User
) -> None:
    here, other_device, bobs = login(ada), login(ada), login(bob)
    thief = copy_of(app, other_device)
    sockets = [here.socket(), other_device.socket(), socket_of(app, thief)]
    bob_socket = bobs.socket()
    assert all(sock.is_connected() for sock in sockets)
    response = here.post_form("/settings/logout-everywhere", {}, token_from="/settings")
    assert (response.status_code, response.location) == (303, "/login")
    assert not any(sock.is_connected() for sock in sockets)
    for client in (here.http, other_device.http, thief):
        assert client.get("/settings").status_code == 302
        assert not socket_of(app, client).is_connected()
    assert bob_socket.is_connected(), "bob is untouched"
    assert bobs.http.get("/rooms").status_code == 200
    with app.app_context():
        assert sessions.count(ada.id) == 0


def test_changing_the_password_ends_the_other_sessions_only(app: Flask, login: LoginAs, ada: User) -> None:
    here, elsewhere = login(ada), login(ada)
    here_socket, elsewhere_socket = here.socket(), elsewhere.socket()
    fields = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = here.post_form("/settings/password", fields, token_from="/settings")
    assert response.status_code == 303
    assert "1 other session ended" in text_of(here.http.get("/settings"))
    assert here_socket.is_connected()
    assert here.http.get("/rooms").status_code == 200
    assert not elsewhere_socket.is_connected()
    assert elsewhere.http.get("/rooms").status_code == 302
    with app.app_context():
        assert accounts.authenticate("ada", NEW_PASSWORD) is not None
        assert accounts.authenticate("ada", PASSWORD) is None


@pytest.mark.parametrize(
    ("current", "new", "status", "said"),
    [
        ("wrong-password", NEW_PASSWORD, 403, "The current password is wrong."),
        (PASSWORD, "password1", 400, "lists attackers try first"),
        (PASSWORD, "short", 400, "8-256 characters"),
        (PASSWORD, PASSWORD, 400, "is the current one"),
    ],
)
def test_a_password_change_is_refused_with_a_reason(
    app: Flask, login: LoginAs, ada: User, current: str, new: str, status: int, said: str
) -> None:
    browser = login(ada)
    response = browser.post_form(
        "/settings/password", {"current_password": current, "new_password": new}, token_from="/settings"
    )
    assert response.status_code == status
    assert said in text_of(response)
    with app.app_context():
        assert accounts.authenticate("ada", PASSWORD) is not None


def test_the_sessions_table_keeps_hashes_and_a_bounded_number_per_person(
    app: Flask, login: LoginAs, ada: User
) -> None:
    browser = login(ada)
    with app.app_context():
        token = browser.http.get_cookie("session")
        assert token is not None
        stored = list(db.session.scalars(select(Login.token_hash)))
        assert len(stored) == 1
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
        user = loaded(ada)
        for _ in range(sessions.MAX_LOGINS_PER_USER + 3):
            sessions.begin(user)
        assert sessions.count(ada.id) == sessions.MAX_LOGINS_PER_USER
    assert browser.http.get("/rooms").status_code == 302, "the oldest session ended"


# --- password reset links ----------------------------------------------------------------------


def test_a_reset_link_sets_a_password_once_and_ends_every_session(
    app: Flask, login: LoginAs, ada: User, bob: User
) -> None:
    bobs = login(bob)
    sock = bobs.socket()
    with app.app_context():
        token = people.create_reset_link(loaded(ada), "bob")
    client = app.test_client()
    page = client.get(f"/reset/{token}")
    assert page.status_code == 200
    assert "bob" in text_of(page)
    answer = client.post(
        f"/reset/{token}", data={"password": NEW_PASSWORD, "csrf_token": csrf_token(text_of(page))}
    )
    assert (answer.status_code, answer.location) == (302, "/login")
    assert not sock.is_connected()
    assert bobs.http.get("/rooms").status_code == 302
    assert client.get(f"/reset/{token}").status_code == 404, "one time only"
    with app.app_context():
        assert accounts.authenticate("bob", NEW_PASSWORD) is not None


@pytest.mark.usefixtures("ada")
def test_a_reset_link_expires_and_a_newer_one_replaces_it(app: Flask, bob: User) -> None:
    with app.app_context():
        older = people.create_reset_link(None, "bob")
        newer = people.create_reset_link(None, "bob", hours=1)
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    client = app.test_client()
    for token in (older, newer, "no-such-token"):
        assert client.get(f"/reset/{token}").status_code == 404
    with app.app_context(), pytest.raises(ChatError):
        people.create_reset_link(loaded(bob), "ada")


# --- display names -----------------------------------------------------------------------------


def test_a_display_name_shows_beside_the_username(
    app: Flask, login: LoginAs, ada: User, general: Room
) -> None:
    browser = login(ada)
    assert (
        browser.post_form(
            "/settings/profile", {"display_name": "  Ada   Lovelace "}, token_from="/settings"
        ).status_code
        == 303
    )
    sock = browser.socket()
    assert call(sock, "join", {"room": general.slug})["ok"]
    ack = call(sock, "message", {"room": general.slug, "text": "hello", "client_id": "c1"})
    assert ack["message"]["display_name"] == "Ada Lovelace"
    page = text_of(browser.http.get(f"/r/{general.slug}"))
    assert '<span class="author">Ada Lovelace (ada)</span>' in page, "the author line"
    assert '<span class="name">Ada Lovelace (ada)</span>' in page, "the member list"
    assert "<li>Ada Lovelace (ada)" in text_of(browser.http.get(f"/r/{general.slug}/members"))
    refused = browser.post_form(
        "/settings/profile", {"display_name": "evil\u202ename"}, token_from="/settings"
    )
    assert refused.status_code == 400
    assert "text-direction controls" in text_of(refused)
    assert (
        browser.post_form("/settings/profile", {"display_name": "   "}, token_from="/settings").status_code
        == 303
    )
    with app.app_context():
        assert loaded(ada).display_name is None


@pytest.fixture
def strict_logins(app_config: dict[str, object]) -> None:
    app_config.update(LOGIN_ATTEMPTS_BURST=3, LOGIN_ATTEMPTS_PER_MINUTE=0.01)


@pytest.mark.usefixtures("strict_logins")
def test_guessing_the_current_password_is_throttled_like_logins(login: LoginAs, ada: User) -> None:
    browser = login(ada)  # the login spent one of the name's three attempts
    fields = {"current_password": "a-wrong-guess", "new_password": NEW_PASSWORD}
    statuses = [
        browser.post_form("/settings/password", fields, token_from="/settings").status_code for _ in range(3)
    ]
    assert statuses == [403, 403, 429]


@pytest.mark.usefixtures("quick_password_hashes")
def test_sign_ups_racing_for_an_invitations_last_use_admit_one(app: Flask, ada: User) -> None:
    with app.app_context():
        code = signups.create_invite(loaded(ada), max_uses=1).code
    outcomes: list[str] = []

    def sign_up_as(name: str) -> None:
        with app.app_context():
            try:
                signups.sign_up_invited(code, name, PASSWORD)
                outcomes.append("joined")
            except ChatError as refusal:
                outcomes.append(refusal.code)
            finally:
                db.session.remove()

    racers = [threading.Thread(target=sign_up_as, args=(f"racer{n}",)) for n in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    assert sorted(outcomes) == ["joined", "not_found", "not_found", "not_found"]
    with app.app_context():
        assert db.session.scalar(select(Invite.uses)) == 1
        assert len(people.everyone()) == 2
