"""Authorization by role: who may run a room, act by act, through the pages and the socket.

The roles: a site admin (the site's first account, in no room here), the
room's admin (its creator), a member, a non-member and an anonymous client.
The acts: the settings page, rename, topic, archive, restore, add and remove
a member, make an admin, delete the room, delete another's message (the
socket's ``delete``) and leave. Each cell checks the answer and that the act
happened exactly when it was allowed. A refusal of what was asked (a public
room has no added members, a last admin may not leave) is ``refused``: the
form comes back with the reason and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from chat.domain import messages, rooms, running
from chat.extensions import db, socketio
from chat.models import Membership, Room, User
from tests.support.forms import csrf_token
from tests.support.in_process import BOTH_DATABASES, Browser, Login, call, loaded, make_user

ROLES = ("site admin", "room admin", "member", "non-member", "anonymous")
ACTS = (
    "settings",
    "rename",
    "topic",
    "archive",
    "restore",
    "add member",
    "remove member",
    "make admin",
    "delete room",
    "delete message",
    "leave",
)
RUNNING = ACTS[:9]
pytestmark = pytest.mark.usefixtures("quick_password_hashes")  # what only who runs the room may do


def expected(kind: str, role: str, act: str) -> str:
    """What docs/security.md's room roles promise for one cell."""
    if role == "anonymous":
        return "refused at connect" if act == "delete message" else "login"
    if kind == "public" and act in ("add member", "remove member"):
        return "refused" if role in ("site admin", "room admin") else "forbidden"
    if act == "leave":
        return {"member": "allowed", "room admin": "refused"}.get(
            role, "not_found" if kind == "private" else "refused"
        )
    if role == "non-member" and kind == "private":
        return "not_found"
    if act == "delete message" and role == "site admin" and kind == "private":
        return "not_found"  # a site admin reads a private room only as its member
    if role in ("site admin", "room admin"):
        return "allowed"
    return "forbidden"


@dataclass
class Stage:
    app: Flask
    login: Login
    slug: str
    people: dict[str, User]

    def room(self) -> Room | None:
        return db.session.scalar(select(Room).where(Room.slug == self.slug))

    def members(self) -> dict[str, bool]:
        room = self.room()
        assert room is not None
        rows = db.session.execute(
            select(User.username, Membership.is_admin)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.room_id == room.id)
        )
        return {name: bool(admin) for name, admin in rows}


@pytest.fixture
def stage(app: Flask, login: Login) -> Callable[[str], Stage]:
    """``stage(kind)``: "Meeting", run by ada, with bob and dave in it and a message by dave; root runs the site."""

    def build(kind: str) -> Stage:
        people = {name: make_user(app, name) for name in ("root", "ada", "bob", "dave", "eve", "carol")}
        with app.app_context():
            room = rooms.create_room("Meeting", loaded(people["ada"]), private=kind == "private")
            for name in ("bob", "dave"):
                rooms.admit(room, loaded(people[name]))
            messages.send(room, loaded(people["dave"]), "by dave", "d1")
            slug = room.slug
        return Stage(app, login, slug, people)

    return build


ACTOR = {"site admin": "root", "room admin": "ada", "member": "bob", "non-member": "eve"}
FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "rename": ("settings/name", {"name": "Renamed"}),
    "topic": ("settings/topic", {"topic": "New topic"}),
    "archive": ("settings/archive", {}),
    "restore": ("settings/restore", {}),
    "add member": ("members", {"username": "carol"}),
    "remove member": ("members/remove", {"username": "dave"}),
    "make admin": ("members/admin", {"username": "dave", "admin": "1"}),
    "delete room": ("settings/delete", {"confirmation": "Meeting"}),
    "leave": ("leave", {}),
}


def happened(scene: Stage, act: str, actor: str) -> bool:
    """Whether the act's effect is in the database."""
    room = scene.room()
    if act == "delete room":
        return room is None
    assert room is not None
    members = scene.members()
    return {
        "rename": room.name == "Renamed",
        "topic": room.topic == "New topic",
        "archive": room.archived_at is not None,
        "restore": room.archived_at is None,
        "add member": "carol" in members,
        "remove member": "dave" not in members,
        "make admin": members.get("dave") is True,
        "leave": actor in ("ada", "bob", "dave") and actor not in members,
    }[act]


def http_outcome(status: int, location: str) -> str:
    if status in (302, 303):
        return "login" if location.startswith("/login") else "done"
    return {200: "allowed", 403: "forbidden", 404: "not_found"}.get(status, str(status))


def attempt(scene: Stage, role: str, act: str) -> str:
    if role == "anonymous":
        return anonymous_attempt(scene, act)
    browser = scene.login(scene.people[ACTOR[role]])
    if act == "settings":
        return http_outcome(browser.http.get(f"/r/{scene.slug}/settings").status_code, "")
    if act == "delete message":
        return socket_delete(browser, scene.slug)
    path, data = FORMS[act]
    response = browser.post_form(f"/r/{scene.slug}/{path}", data)
    outcome = http_outcome(response.status_code, response.headers.get("Location", ""))
    if outcome != "done":
        return outcome
    with scene.app.app_context():
        return "allowed" if happened(scene, act, ACTOR[role]) else "refused"


def socket_delete(browser: Browser, slug: str) -> str:
    sock = browser.socket()
    joined = call(sock, "join", {"room": slug})
    if not joined["ok"]:
        return str(joined["error"]["code"])
    ack = call(sock, "delete", {"room": slug, "seq": 1})
    return "allowed" if ack["ok"] and ack["message"]["deleted"] else str(ack.get("error", {}).get("code"))


def anonymous_attempt(scene: Stage, act: str) -> str:
    client = scene.app.test_client()
    if act == "delete message":
        return (
            "refused at connect"
            if not socketio.test_client(scene.app, flask_test_client=client).is_connected()
            else "connected"
        )
    if act == "settings":
        response = client.get(f"/r/{scene.slug}/settings")
    else:
        token = csrf_token(client.get("/login").get_data(as_text=True))  # a real one: the login check decides
        response = client.post(
            f"/r/{scene.slug}/{FORMS[act][0]}", data={**FORMS[act][1], "csrf_token": token}
        )
    return http_outcome(response.status_code, response.headers.get("Location", ""))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["public", "private"])
@BOTH_DATABASES
def test_roles_matrix(stage: Callable[[str], Stage], kind: str, role: str, act: str) -> None:
    scene = stage(kind)
    if act == "restore":
        with scene.app.app_context():
            room = scene.room()
            assert room is not None
            running.archive(room, None)
    outcome = attempt(scene, role, act)
    assert outcome == expected(kind, role, act)
    if outcome != "allowed" and act not in ("settings", "delete message"):
        with scene.app.app_context():
            assert not happened(scene, act, ACTOR.get(role, "nobody")), "a refused act changes nothing"


def test_every_running_act_is_in_the_matrix() -> None:
    assert set(RUNNING) | {"delete message", "leave"} == set(ACTS)
    assert set(FORMS) == set(ACTS) - {"settings", "delete message"}
