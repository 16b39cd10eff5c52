"""Authorization of running accounts: roles by actions, on SQLite and PostgreSQL.

Four actors: a site admin, a member (an ordinary account), a disabled account
whose browser was logged in before an admin disabled it, and an anonymous
visitor. Every action of the settings and admin pages is tried by each. An
admin may do all of them; a member only their own settings (the admin's are
403 and change nothing); a disabled account and an anonymous visitor are sent
to the login page. The command line (the operator) is tested in
tests/test_accounts_cli.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from chat.domain import accounts, people, signups
from chat.extensions import db
from chat.models import Invite, PasswordReset, User
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import BOTH_DATABASES, Browser

pytestmark = [BOTH_DATABASES, pytest.mark.usefixtures("quick_password_hashes")]

ACTORS = ("admin", "member", "disabled", "anonymous")
# Each action: its method and path, the form it posts, and whether it is an admin's.
ACTIONS: dict[str, tuple[str, str, dict[str, str], bool]] = {
    "settings page": ("GET", "/settings", {}, False),
    "display name": ("POST", "/settings/profile", {"display_name": "New Name"}, False),
    "password": (
        "POST",
        "/settings/password",
        {"current_password": PASSWORD, "new_password": "fresh-secret-9"},
        False,
    ),
    "log out everywhere": ("POST", "/settings/logout-everywhere", {}, False),
    "admin page": ("GET", "/admin", {}, True),
    "sign-up mode": ("POST", "/admin/signup", {"mode": "closed"}, True),
    "create invite": ("POST", "/admin/invites", {"max_uses": "3"}, True),
    "revoke invite": ("POST", "/admin/invites/{invite}/revoke", {}, True),
    "disable": ("POST", "/admin/people/target/disable", {}, True),
    "enable": ("POST", "/admin/people/target/enable", {}, True),
    "make admin": ("POST", "/admin/people/target/make-admin", {}, True),
    "reset link": ("POST", "/admin/people/target/reset", {}, True),
}


def expected(actor: str, admins_only: bool) -> str:
    """What each cell of the matrix must answer."""
    if actor in ("anonymous", "disabled"):
        return "login"
    if admins_only and actor != "admin":
        return "forbidden"
    return "allowed"


@dataclass
class Site:
    """An admin (the first account), a member, a disabled account, the target of admin actions, an invitation."""

    app: Flask
    invite_id: int

    def state(self) -> tuple[Any, ...]:
        """Everything an admin action may change, to compare before and after a refusal."""
        with self.app.app_context():
            target = User.by_username("target")
            assert target is not None
            return (
                signups.signup_mode(),
                db.session.scalar(select(func.count(Invite.id))),
                db.session.scalar(select(func.count(Invite.id)).where(Invite.revoked_at.is_not(None))),
                target.disabled_at,
                target.is_admin,
                db.session.scalar(select(func.count(PasswordReset.id))),
            )


@pytest.fixture
def site(app: Flask) -> Site:
    with app.app_context():
        for name in ("boss", "member", "gone", "target"):
            accounts.register_user(name, PASSWORD)
        invite_id = signups.create_invite(None).id
    return Site(app, invite_id)


def client_of(site: Site, actor: str) -> FlaskClient:
    """A browser of ``actor``; the disabled one was logged in before an admin disabled the account."""
    if actor == "anonymous":
        return site.app.test_client()
    browser = Browser(site.app, {"admin": "boss", "member": "member", "disabled": "gone"}[actor])
    if actor == "disabled":
        with site.app.app_context():
            people.set_disabled(None, "gone", True)
    return browser.http


def attempt(site: Site, client: FlaskClient, action: str) -> Any:
    method, path, data, _ = ACTIONS[action]
    path = path.format(invite=site.invite_id)
    if method == "GET":
        return client.get(path)
    page = client.get("/settings")
    if page.status_code != 200:  # logged out: the login page carries the session's token
        page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("actor", ACTORS)
def test_each_role_may_do_exactly_its_actions(site: Site, actor: str, action: str) -> None:
    client = client_of(site, actor)
    before = site.state()
    response = attempt(site, client, action)
    outcome = expected(actor, ACTIONS[action][3])
    if outcome == "login":
        assert response.status_code == 302
        assert response.location.startswith("/login")
        assert site.state() == before
    elif outcome == "forbidden":
        assert response.status_code == 403
        assert "Only site administrators may do that." in response.get_data(as_text=True)
        assert site.state() == before, "a refused action changes nothing"
    else:
        assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
        if ACTIONS[action][3] and action not in ("admin page", "enable"):
            assert site.state() != before, "an admin's action took effect"
