"""Authorization: who may read, join, write in and watch each kind of room.

The matrix crosses public, private and direct rooms with four actors (a
member, a non-member, a removed member and an anonymous client) and every
way in: the room page, the room list, the socket events join, history,
message and typing, and the no-JavaScript message form. To anyone who may
not see it, a private or direct room is no room at all: every refusal is
the ``not_found`` (404) of a slug never used, checked answer for answer.

A "removed member" is removed with the domain's own removal
(``membership.end``) after their socket joined the room: that socket is
taken out of the room at once, and everything it asks next is refused (a
public room they left stays open to them, but the socket must join again).
Roles (site admin, room admin, member) crossed with what running a room
takes are in ``test_authorization_roles.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from chat.domain import directs, membership, rooms
from chat.extensions import db, socketio
from chat.models import Message, Room, User
from tests.support.forms import csrf_token
from tests.support.in_process import BOTH_DATABASES, Browser, Login, call, inbox, presence_told

KINDS = ("public", "private", "direct")
ACTORS = ("member", "non-member", "removed", "anonymous")
ACTIONS = ("page", "list", "form", "join", "history", "message", "typing")
PAGE_ACTIONS = ("page", "list", "form")
# Authorization does not depend on the hash's cost (conftest.py).
pytestmark = pytest.mark.usefixtures("quick_password_hashes")


def expected(kind: str, actor: str, action: str) -> str:
    """What the contract and docs/protocol.md promise for one cell of the matrix."""
    if actor == "anonymous":
        return "login" if action in PAGE_ACTIONS else "refused at connect"
    if kind == "public" and actor == "removed" and action in ("message", "typing"):
        return "not_joined"  # the socket was taken out of the room; joining again lets them back in
    if kind == "public" or actor == "member":
        return "listed" if action == "list" else "allowed"
    if action == "list":
        return "hidden"
    return "not_found"  # indistinguishable from a room that does not exist


@dataclass
class Scene:
    """One room of ``kind``: ada is a member, eve never was one, bob is one whose socket joined it.

    Bob plays the removed member: a test removes him with ``remove("removed")``.
    """

    app: Flask
    login: Login
    kind: str
    slug: str
    people: dict[str, User]
    browsers: dict[str, Browser] = field(default_factory=dict)
    removed_socket: SocketIOTestClient | None = None

    def browser(self, actor: str) -> Browser:
        if actor not in self.browsers:
            self.browsers[actor] = self.login(self.people[actor])
        return self.browsers[actor]

    def remove(self, actor: str) -> None:
        """End the actor's membership as removing them (or their leaving) does."""
        with self.app.app_context():
            room = db.session.scalar(select(Room).where(Room.slug == self.slug))
            assert room is not None
            assert room.has_member(self.people[actor])
            membership.end(room, self.people[actor].id, membership.REMOVED)

    def stored(self) -> int:
        with self.app.app_context():
            count = db.session.scalar(
                select(func.count(Message.id))
                .join(Room, Room.id == Message.room_id)
                .where(Room.slug == self.slug)
            )
            return int(count or 0)


@pytest.fixture
def stage(app: Flask, login: Login, ada: User, bob: User, eve: User) -> Callable[[str], Scene]:
    """``stage(kind)``: a room of that kind with ada and bob in it; bob's socket joined it."""

    def build(kind: str) -> Scene:
        with app.app_context():
            owner, guest = db.session.get(User, ada.id), db.session.get(User, bob.id)
            assert owner is not None
            assert guest is not None
            if kind == "direct":
                room = directs.open_direct_room(owner, "bob")
                directs.open_direct_room(guest, "ada")  # on bob's side too, as if he had opened it
            else:
                room = rooms.create_room("Meeting", owner, private=kind == "private")
                rooms.admit(room, guest)
            slug = room.slug
        scene = Scene(app, login, kind, slug, {"member": ada, "non-member": eve, "removed": bob})
        scene.removed_socket = scene.browser("removed").socket()
        assert call(scene.removed_socket, "join", {"room": slug})["ok"]
        return scene

    return build


def page_outcome(response: TestResponse) -> str:
    if response.status_code == 302:
        return "login" if response.headers["Location"].startswith("/login?next=") else "allowed"
    return {200: "allowed", 403: "forbidden", 404: "not_found"}.get(
        response.status_code, str(response.status_code)
    )


def anonymous_attempt(scene: Scene, action: str) -> str:
    client: FlaskClient = scene.app.test_client()
    if action == "page":
        return page_outcome(client.get(f"/r/{scene.slug}"))
    if action == "list":
        return page_outcome(client.get("/rooms"))
    if action == "form":
        token = csrf_token(
            client.get("/login").get_data(as_text=True)
        )  # a real token, so the login check decides
        return page_outcome(
            client.post(
                f"/r/{scene.slug}/messages", data={"text": "hi", "client_id": "c", "csrf_token": token}
            )
        )
    sock = socketio.test_client(scene.app, flask_test_client=client)
    return "refused at connect" if not sock.is_connected() else "connected"


def attempt(scene: Scene, actor: str, action: str) -> str:
    """Let ``actor`` try ``action`` on the scene's room; the outcome as a word the matrix can compare."""
    if actor == "anonymous":
        return anonymous_attempt(scene, action)
    browser = scene.browser(actor)
    if action == "page":
        return page_outcome(browser.http.get(f"/r/{scene.slug}"))
    if action == "list":
        listing = browser.http.get("/rooms").get_data(as_text=True)
        return "listed" if f'href="/r/{scene.slug}"' in listing else "hidden"
    if action == "form":
        text = {"text": "hello by form", "client_id": uuid.uuid4().hex}
        return page_outcome(browser.post_form(f"/r/{scene.slug}/messages", text))
    # The removed member acts on the socket that joined before the removal; the others on a fresh one.
    if actor == "removed":
        assert scene.removed_socket is not None
        sock = scene.removed_socket
    else:
        sock = browser.socket()
        if action in ("message", "typing"):
            call(sock, "join", {"room": scene.slug})  # as a client would; refused for outsiders
    payload: dict[str, Any] = {"room": scene.slug}
    if action == "message":
        payload |= {"text": "hello by socket", "client_id": uuid.uuid4().hex}
    if action == "typing":
        payload["typing"] = True
    ack = call(sock, action, payload)
    return "allowed" if ack["ok"] else str(ack["error"]["code"])


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", KINDS)
@BOTH_DATABASES
def test_authorization_matrix(stage: Callable[[str], Scene], kind: str, actor: str, action: str) -> None:
    scene = stage(kind)
    if actor == "removed":
        scene.remove("removed")
    before = scene.stored()
    outcome = attempt(scene, actor, action)
    assert outcome == expected(kind, actor, action)
    if action in ("message", "form"):
        assert scene.stored() - before == (1 if outcome == "allowed" else 0), "only an allowed write stores"


# --- Live events reach only the sockets in the room ------------------------------------------------


def room_events(sock: SocketIOTestClient, slug: str) -> list[tuple[str, Any]]:
    return [
        (name, payload)
        for name, payload in inbox(sock)
        if isinstance(payload, dict) and payload.get("room") == slug
    ]


def liven_up(scene: Scene) -> list[tuple[str, Any]]:
    """Ada comes online, types, sends, leaves and goes; returns what bob, a member in the room, saw of it."""
    watcher = scene.removed_socket  # bob's, joined; nobody has removed him in these tests
    assert watcher is not None
    watcher.get_received()
    sock = scene.browser("member").socket()
    assert call(sock, "join", {"room": scene.slug})["ok"]
    assert call(sock, "typing", {"room": scene.slug, "typing": True})["ok"]
    assert call(sock, "message", {"room": scene.slug, "text": "for members", "client_id": "m1"})["ok"]
    assert call(sock, "leave", {"room": scene.slug})["ok"]
    sock.disconnect()
    presence_told(scene.app)
    return room_events(watcher, scene.slug)


@pytest.mark.parametrize("kind", KINDS)
def test_a_socket_outside_a_room_receives_none_of_its_live_events(
    stage: Callable[[str], Scene], kind: str
) -> None:
    scene = stage(kind)
    outsider = scene.browser("non-member").socket()
    if kind != "public":  # an outsider's join is refused; it must not subscribe them either
        assert call(outsider, "join", {"room": scene.slug})["error"]["code"] == "not_found"
    seen_by_member = liven_up(scene)
    assert {name for name, _ in seen_by_member} == {"presence", "typing", "message"}, "the events did go out"
    assert inbox(outsider) == []


@BOTH_DATABASES
def test_a_removed_member_stops_receiving_the_rooms_live_events(stage: Callable[[str], Scene]) -> None:
    """A private room's removed member (a direct room has no removal: each message makes
    its other person a member again, and neither person can leave it)."""
    scene = stage("private")
    scene.remove("removed")
    assert scene.removed_socket is not None
    told = [payload for name, payload in inbox(scene.removed_socket) if name == "membership_ended"]
    assert told == [{"room": scene.slug, "reason": "removed"}], "their page is told"
    sock = scene.browser("member").socket()
    assert call(sock, "join", {"room": scene.slug})["ok"]
    assert call(sock, "message", {"room": scene.slug, "text": "members only", "client_id": "m1"})["ok"]
    assert room_events(scene.removed_socket, scene.slug) == []


# --- Removed members and outsiders, beyond the matrix ------------------------------------------------


@pytest.mark.parametrize("kind", ["private", "direct"])
def test_a_removed_member_is_refused_on_a_new_socket_too(stage: Callable[[str], Scene], kind: str) -> None:
    scene = stage(kind)
    scene.remove("removed")
    fresh = scene.browser("removed").socket()
    for event in ("join", "history"):
        assert call(fresh, event, {"room": scene.slug})["error"]["code"] == "not_found"
    assert fresh.is_connected()
    assert scene.removed_socket is not None
    assert scene.removed_socket.is_connected()


@pytest.mark.parametrize("actor", ["non-member", "removed"])
def test_an_outsider_cannot_add_anyone_to_a_private_room(
    stage: Callable[[str], Scene], app: Flask, actor: str
) -> None:
    scene = stage("private")
    scene.remove("removed")
    browser = scene.browser(actor)
    response = browser.post_form(f"/r/{scene.slug}/members", {"username": browser.username})
    assert response.status_code == 404
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.slug == scene.slug))
        assert room is not None
        assert room.member_names() == ["ada"]


# --- Anonymous clients -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/rooms", "/r/general", "/r/nowhere"])
@pytest.mark.usefixtures("general")
def test_anonymous_pages_redirect_to_login_with_next(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path.replace('/', '%2F')}"


def test_a_socket_without_a_session_is_refused_at_connect(app: Flask) -> None:
    assert not socketio.test_client(app).is_connected()
    assert not socketio.test_client(app, flask_test_client=app.test_client()).is_connected()


def test_a_socket_with_a_forged_session_cookie_is_refused(app: Flask, login: Login, ada: User) -> None:
    genuine = login(ada).http.get_cookie("session")
    assert genuine is not None
    forger = app.test_client()
    forger.set_cookie(
        "session", genuine.value[:-4] + ("AAAA" if not genuine.value.endswith("AAAA") else "BBBB")
    )
    assert not socketio.test_client(app, flask_test_client=forger).is_connected()


@pytest.fixture
def logged_out(login: Login, ada: User, general: Room) -> tuple[Browser, SocketIOTestClient]:
    """Ada with a socket open, who then logs out over HTTP."""
    browser = login(ada)
    sock = browser.socket()
    assert call(sock, "join", {"room": general.slug})["ok"]
    assert browser.post_form("/logout", {}).status_code == 302
    return browser, sock


def test_logging_out_stops_new_sockets(logged_out: tuple[Browser, SocketIOTestClient]) -> None:
    browser, _ = logged_out
    assert not browser.socket().is_connected()


@pytest.mark.usefixtures("general")
def test_logging_out_ends_the_sockets_of_that_login_only(login: Login, ada: User, bob: User) -> None:
    """The contract's "/logout ends the session": the tabs of that browser lose their sockets;
    ada's other device (another login) and bob keep theirs."""
    this_browser, other_device = login(ada), login(ada)
    tab, second_tab = this_browser.socket(), this_browser.socket()
    elsewhere, bobs = other_device.socket(), login(bob).socket()
    for sock in (tab, second_tab, elsewhere, bobs):
        assert call(sock, "join", {"room": "general"})["ok"]
    inbox(bobs)
    assert this_browser.post_form("/logout", {}).status_code == 302
    assert not tab.is_connected()
    assert not second_tab.is_connected()
    assert elsewhere.is_connected()
    assert bobs.is_connected()
    ack = call(elsewhere, "message", {"room": "general", "text": "still here", "client_id": "other-device"})
    assert ack["ok"]
    assert ack["message"]["username"] == "ada"
    # ada is still online through her other device: no one is told she left.
    assert [name for name, _ in inbox(bobs)] == ["message"]


# --- A hidden room is no room at all ------------------------------------------------------------

UNUSED_SLUG = "never-used"
EVENT_PAYLOADS: dict[str, dict[str, Any]] = {
    "join": {},
    "leave": {},
    "history": {},
    "message": {"text": "hello?", "client_id": "probe"},
    "typing": {"typing": True},
    "edit": {"seq": 1, "text": "changed"},
    "delete": {"seq": 1},
    "react": {"seq": 1, "emoji": "\U0001f44d", "on": True},
}


def answers_about(browser: Browser, slug: str) -> dict[str, object]:
    """What every event and every room route answers this browser about ``slug``, with the slug blanked out."""
    sock = browser.socket()
    found: dict[str, object] = {}
    for event, extra in EVENT_PAYLOADS.items():
        found[event] = call(sock, event, {"room": slug, **extra})
    sock.disconnect()
    found["page"] = browser.http.get(f"/r/{slug}").status_code
    found["members page"] = browser.http.get(f"/r/{slug}/members").status_code
    found["message form"] = browser.post_form(
        f"/r/{slug}/messages", {"text": "hi", "client_id": "f"}
    ).status_code
    found["member form"] = browser.post_form(f"/r/{slug}/members", {"username": browser.username}).status_code
    blanked: dict[str, object] = json.loads(json.dumps(found).replace(slug, "<slug>"))
    return blanked


@pytest.mark.parametrize("kind", ["private", "direct"])
def test_a_hidden_room_answers_every_event_and_route_like_a_room_that_does_not_exist(
    stage: Callable[[str], Scene], kind: str
) -> None:
    scene = stage(kind)
    with scene.app.app_context():
        assert call(scene.removed_socket, "message", {"room": scene.slug, "text": "x", "client_id": "s1"})[
            "ok"
        ]
    outsider = scene.browser("non-member")
    hidden, unused = answers_about(outsider, scene.slug), answers_about(outsider, UNUSED_SLUG)
    assert hidden == unused
    assert hidden["join"] == {
        "ok": False,
        "error": {"code": "not_found", "message": "There is no room '<slug>'."},
    }
    assert hidden["page"] == 404
    assert scene.stored() == 1, "nothing reached the hidden room"


def test_a_private_rooms_name_reserves_nothing_and_leads_nobody_into_it(
    stage: Callable[[str], Scene],
) -> None:
    scene = stage("private")  # "Meeting", ada's and bob's
    outsider = scene.browser("non-member")
    for private in ("1", "0"):
        response = outsider.post_form("/rooms", {"name": "Meeting", "private": private})
        assert response.status_code == 302, "as with a name nobody used"
        new_slug = response.headers["Location"].removeprefix("/r/")
        assert new_slug != scene.slug
        assert outsider.http.get(f"/r/{new_slug}").status_code == 200
        with scene.app.app_context():  # her own room of that name would block the next (she sees it)
            made = db.session.scalar(select(Room).where(Room.slug == new_slug))
            assert made is not None
            made.name = f"Mine {private}"
            db.session.commit()
    assert outsider.http.get(f"/r/{scene.slug}").status_code == 404


def test_opening_a_direct_room_lists_it_for_the_other_person_only_once_something_is_said(
    app: Flask, login: Login, ada: User, bob: User
) -> None:
    ada_browser, bob_browser = login(ada), login(bob)
    opened = ada_browser.post_form("/dm/bob", {})
    assert opened.status_code == 302
    slug = opened.headers["Location"].removeprefix("/r/")

    def listed_for(browser: Browser) -> bool:
        return f'href="/r/{slug}"' in browser.http.get("/rooms").get_data(as_text=True)

    assert listed_for(ada_browser)
    assert not listed_for(bob_browser), "a probe leaves nothing on bob's side"
    assert bob_browser.http.get(f"/r/{slug}").status_code == 404
    sent = ada_browser.post_form(
        f"/r/{slug}/messages", {"text": "hi bob", "client_id": "dm-1"}, token_from=f"/r/{slug}"
    )
    assert sent.status_code == 302
    assert listed_for(bob_browser)
    assert bob_browser.http.get(f"/r/{slug}").status_code == 200
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.slug == slug))
        assert room is not None
        assert room.member_names() == ["ada", "bob"]
