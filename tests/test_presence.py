"""Presence per person, told per room in one event per tick, and the member lists joins give.

In-process (Flask-SocketIO's test client); ``presence_told`` ends a tick at
once instead of waiting for it. Across instances and after kill -9:
test_cluster.py; in the browser: test_browser.py and test_shell_pages.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import event

from chat.domain import rooms
from chat.extensions import db, socketio
from chat.models import Membership, User
from tests.support.in_process import BOTH_DATABASES, Login, call, make_user, presence_told, received

pytestmark = BOTH_DATABASES


def joined(sock: SocketIOTestClient, room: str = "general") -> dict[str, Any]:
    ack: dict[str, Any] = call(sock, "join", {"room": room})
    assert ack["ok"], ack
    return ack


def error_code(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    return str(ack["error"]["code"])


def went_offline(*names: str, room: str = "general") -> dict[str, Any]:
    return {"room": room, "changes": [{"username": name, "online": False} for name in names]}


def came_online(*names: str, room: str = "general") -> dict[str, Any]:
    return {"room": room, "changes": [{"username": name, "online": True} for name in names]}


@pytest.mark.usefixtures("general")
def test_presence_is_per_person_on_any_page(app: Flask, login: Login, ada: User, bob: User) -> None:
    """ada is online in general while any socket of hers is connected, joined to a room or not."""
    bob_sock = login(bob).socket()
    joined(bob_sock)
    first_tab = login(ada).socket()
    joined(first_tab)  # she becomes a member; her next socket on any page counts
    first_tab.disconnect()
    presence_told(app)
    bob_sock.get_received()
    browser = login(ada)
    room_list_tab, second_tab = browser.socket(), browser.socket()  # neither joins a room
    presence_told(app)
    assert received(bob_sock, "presence") == [came_online("ada")]
    room_list_tab.disconnect()
    presence_told(app)
    assert received(bob_sock, "presence") == [], "ada is still online in her second tab"
    call(second_tab, "join", {"room": "general"})
    call(second_tab, "leave", {"room": "general"})
    presence_told(app)
    assert received(bob_sock, "presence") == [], "leaving a room is not going offline"
    assert {"username": "ada", "display_name": None, "online": True} in joined(bob_sock)["members"]
    second_tab.disconnect()
    presence_told(app)
    assert received(bob_sock, "presence") == [went_offline("ada")]
    assert {"username": "ada", "display_name": None, "online": False} in joined(bob_sock)["members"]


@pytest.mark.usefixtures("general")
def test_presence_of_one_tick_is_one_event_per_room_with_its_net_changes(
    app: Flask, login: Login, bob: User
) -> None:
    """Several people arriving within a tick make one event; someone who came and went makes none."""
    bob_sock = login(bob).socket()
    joined(bob_sock)
    presence_told(app)
    bob_sock.get_received()
    socks = {name: login(make_user(app, name)).socket() for name in ("cleo", "dan", "eve", "fay")}
    for sock in socks.values():
        joined(sock)  # each a new member, online
    socks["fay"].disconnect()  # ... and fay gone again within the tick
    assert presence_told(app) == 1, "one event for the room"
    assert received(bob_sock, "presence") == [came_online("cleo", "dan", "eve")]
    socks["cleo"].disconnect()
    socks["eve"].disconnect()
    dans_other_tab = login(existing_user(app, "dan")).socket()
    dans_other_tab.disconnect()  # dan's second socket comes and goes: he was online throughout
    presence_told(app)
    assert received(bob_sock, "presence") == [went_offline("cleo", "eve")]


def existing_user(app: Flask, name: str) -> User:
    with app.app_context():
        found = User.by_username(name)
        assert found is not None
        db.session.expunge(found)
        return found


def crowd_of(app: Flask, size: int) -> None:
    """The public room crowd, with ``size`` members who are not ada."""
    with app.app_context():
        room, _ = rooms.ensure_room("crowd")
        for n in range(
            size - db.session.scalar(db.select(db.func.count(User.id)).where(User.username != "ada"))
        ):
            db.session.add(User(username=f"a{n:03d}", password_hash="!", skeleton=f"a{n:03d}"))
        db.session.commit()
        for user in db.session.scalars(db.select(User).where(User.username != "ada")):
            rooms.admit(room, user)


def test_a_small_room_is_listed_whole_in_a_join(app: Flask, login: Login, ada: User) -> None:
    crowd_of(app, 199)
    ack = joined(login(ada).socket(), "crowd")
    assert (ack["members_total"], len(ack["members"]), ack["members_online"]) == (200, 200, 1)
    assert {"username": "ada", "display_name": None, "online": True} in ack["members"]


def test_a_large_room_lists_who_is_online_and_pages_the_rest_on_request(
    app: Flask, login: Login, ada: User
) -> None:
    present = [make_user(app, name) for name in ("bea", "zed")]
    crowd_of(app, 250)  # bea and zed among them
    for person in present:
        login(person).socket()  # online, on some page
    ack = joined(login(ada).socket(), "crowd")
    assert ack["members_total"] == 251
    assert ack["members_online"] == 3
    assert ack["members"] == [
        {"username": name, "display_name": None, "online": True} for name in ("ada", "bea", "zed")
    ]
    sock = login(ada).socket()
    first = call(sock, "members", {"room": "crowd"})
    assert first["ok"]
    assert first["has_more"]
    assert first["members_total"] == 251
    assert [m["username"] for m in first["members"]][:3] == ["a000", "a001", "a002"]
    pages, after = [first], first["members"][-1]["username"]
    while pages[-1]["has_more"] and len(pages) < 5:
        pages.append(call(sock, "members", {"room": "crowd", "after": after}))
        after = pages[-1]["members"][-1]["username"]
    listed = {m["username"]: m["online"] for page in pages for m in page["members"]}
    assert len(listed) == 251, "every member once, in three pages"
    assert {name for name, online in listed.items() if online} == {"ada", "bea", "zed"}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": 5}, "bad_request"),
        ({"room": "crowd", "after": 3}, "bad_request"),
        ({"room": "x"}, "not_found"),
        ({"room": "crowd", "after": "a\x00b"}, "bad_request"),
        ({"room": "crowd", "after": "x" * 33}, "bad_request"),
    ],
)
def test_members_refusals(app: Flask, login: Login, ada: User, payload: object, code: str) -> None:
    crowd_of(app, 1)
    assert error_code(call(login(ada).socket(), "members", payload)) == code


def test_connecting_costs_the_same_for_someone_in_200_rooms(app: Flask, login: Login, ada: User) -> None:
    """One query for all the rooms at connect, none at disconnect; one presence event per room per tick."""
    with app.app_context():
        member = db.session.get(User, ada.id)
        assert member is not None
        for n in range(200):
            rooms.admit(rooms.create_room(f"room {n}"), member)
    presence_told(app)
    browser = login(ada)
    statements: list[str] = []
    emitted: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0])

    original_emit = socketio.server.emit

    def counting_emit(event_name: str, *args: Any, **kwargs: Any) -> Any:
        emitted.append(event_name)
        return original_emit(event_name, *args, **kwargs)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    socketio.server.emit = counting_emit
    try:
        sock = browser.socket()
        at_connect = len(statements)
        assert presence_told(app) == 200, "one event for each of her rooms"
        sock.disconnect()
        at_disconnect = len(statements) - at_connect
        assert presence_told(app) == 200
    finally:
        socketio.server.emit = original_emit
        event.remove(engine, "before_cursor_execute", record)
    # Her session's user, her login's row before and after its channel is joined (chat.domain.sessions),
    # her rooms: the same for 1 room or 200.
    assert at_connect <= 4, f"connect ran {statements}"
    assert at_disconnect == 0, statements[at_connect:]
    assert emitted.count("presence") == 400


def test_a_member_admitted_anywhere_is_in_the_next_join_at_once(app: Flask, login: Login, ada: User) -> None:
    """Joins read a kept roster, but never one that misses a member (another process's admit)."""
    crowd_of(app, 5)
    sock = login(ada).socket()
    assert joined(sock, "crowd")["members_total"] == 6
    with app.app_context():  # as another process would: straight into the database
        room = rooms.find_room("crowd")
        assert room is not None
        db.session.add(User(username="late", password_hash="!", skeleton="late"))
        db.session.flush()
        late = User.by_username("late")
        assert late is not None
        db.session.execute(db.insert(Membership).values(room_id=room.id, user_id=late.id, last_read_seq=0))
        db.session.commit()
    ack = joined(sock, "crowd")
    assert ack["members_total"] == 7
    assert {"username": "late", "display_name": None, "online": False} in ack["members"]


def test_the_members_page_refuses_an_after_that_is_no_username(app: Flask, login: Login, ada: User) -> None:
    crowd_of(app, 3)
    browser = login(ada)
    assert browser.http.get("/r/crowd/members?after=a001").status_code == 200
    assert browser.http.get("/r/crowd/members?after=a%00b").status_code == 400
