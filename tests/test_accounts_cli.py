"""``flask users ...`` and ``flask invites ...``: what they print, what they change, and their refusals (exit 1)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from chat.domain import accounts, rooms, sessions
from chat.extensions import db
from chat.models import Invite, User
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import BOTH_DATABASES, Browser, loaded, text_of

pytestmark = BOTH_DATABASES


def run(app: Flask, *args: str, input: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result.exit_code, result.output


def test_users_create_admin_list_and_make_admin(app: Flask) -> None:
    assert run(app, "users", "create", "root", "--password", PASSWORD) == (0, "created admin root\n"), (
        "the first is an admin"
    )
    assert run(app, "users", "create", "mia", "--password", PASSWORD) == (0, "created user mia\n")
    assert run(app, "users", "create", "ops", "--admin", "--password", PASSWORD) == (0, "created admin ops\n")
    code, output = run(app, "users", "list")
    assert code == 0
    assert [line.split("\t")[:3] for line in output.splitlines()] == [
        ["mia", "member", "enabled"],
        ["ops", "admin", "enabled"],
        ["root", "admin", "enabled"],
    ]
    assert run(app, "users", "make-admin", "MIA") == (0, "MIA is a site administrator\n")
    with app.app_context():
        user = User.by_username("mia")
        assert user is not None
        assert user.is_admin


@pytest.mark.usefixtures("ada")
def test_users_disable_ends_sessions_and_enable_lets_them_back(app: Flask, bob: User) -> None:
    browser = Browser(app, "bob")
    sock = browser.socket()
    code, output = run(app, "users", "disable", "bob")
    assert (code, output) == (0, "disabled bob: their sessions ended; their messages stay\n")
    assert not sock.is_connected()
    assert browser.http.get("/rooms").status_code == 302
    with app.app_context():
        assert loaded(bob).is_disabled
        assert accounts.authenticate("bob", PASSWORD) is not None, "the password is kept"
        assert sessions.count(bob.id) == 0
    assert run(app, "users", "enable", "bob") == (0, "enabled bob\n")
    assert Browser(app, "bob").http.get("/rooms").status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ("users", "disable", "nobody"),
        ("users", "enable", "nobody"),
        ("users", "make-admin", "nobody"),
        ("users", "reset-password", "nobody"),
        ("users", "disable", "parley"),
        ("users", "reset-password", "ada", "--hours", "0"),
        ("users", "create", "ada", "--password", PASSWORD),
        ("users", "create", "newbie", "--password", "password"),
        ("invites", "create", "--days", "0"),
        ("invites", "create", "--uses", "0"),
        ("invites", "create", "--room", "nowhere"),
        ("invites", "revoke", "999"),
    ],
    ids=" ".join,
)
@pytest.mark.usefixtures("ada")
def test_refusals_are_errors_with_exit_code_1(app: Flask, args: tuple[str, ...]) -> None:
    code, output = run(app, *args)
    assert code == 1, output
    assert output.startswith("Error: "), output


def test_usage_errors_exit_with_2(app: Flask) -> None:
    assert run(app, "invites", "revoke", "first")[0] == 2
    assert run(app, "users", "disable")[0] == 2


@pytest.mark.usefixtures("ada")
def test_reset_password_prints_a_one_time_link(app: Flask) -> None:
    app.config["PUBLIC_URL"] = "https://chat.example.org/"
    code, output = run(app, "users", "reset-password", "ada", "--hours", "2")
    assert code == 0
    found = re.match(r"https://chat\.example\.org(/reset/[A-Za-z0-9_-]+)\n\(works once, for 2 hours", output)
    assert found, output
    client = app.test_client()
    page = client.get(found[1])
    answer = client.post(
        found[1], data={"password": "another-secret-1", "csrf_token": csrf_token(text_of(page))}
    )
    assert answer.status_code == 302
    assert client.get(found[1]).status_code == 404
    with app.app_context():
        assert accounts.authenticate("ada", "another-secret-1") is not None


def test_invites_create_list_and_revoke(app: Flask, ada: User) -> None:
    with app.app_context():
        secret = rooms.create_room("Secret", loaded(ada), private=True)
        slug = secret.slug
    code, output = run(app, "invites", "create", "--days", "7", "--uses", "5", "--room", slug)
    assert code == 0, output
    fields = output.strip().split("\t")
    assert fields[1:4] == ["usable", "uses 0/5", fields[3]]
    assert fields[3].startswith("expires 20")
    assert fields[4] == f"rooms {slug}"
    assert re.fullmatch(r"/join/[A-Za-z0-9_-]+", fields[5]), "no PUBLIC_URL: the path alone"
    invite_id = fields[0]
    assert run(app, "invites", "create")[0] == 0
    code, listing = run(app, "invites", "list")
    assert [line.split("\t")[:2] for line in listing.splitlines()] == [
        [str(int(invite_id) + 1), "usable"],
        [invite_id, "usable"],
    ]
    assert run(app, "invites", "revoke", invite_id) == (0, f"revoked invitation {invite_id}\n")
    assert run(app, "invites", "list")[1].splitlines()[1].split("\t")[1] == "revoked"
    with app.app_context():
        invite = db.session.scalar(select(Invite).where(Invite.id == int(invite_id)))
        assert invite is not None
        assert invite.revoked_at is not None
    assert app.test_client().get(fields[5]).status_code == 404


def test_invites_create_warns_while_sign_up_is_closed(app: Flask) -> None:
    app.config["SIGNUP_MODE"] = "closed"
    result = app.test_cli_runner().invoke(args=["invites", "create"])
    assert result.exit_code == 0
    assert "sign-up is closed" in result.stderr
