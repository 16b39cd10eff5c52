"""Socket events with the Flask-SocketIO test client: who receives what, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import event

from chat import live
from chat.domain import rooms
from chat.extensions import db, socketio
from chat.live.throttles import LocalRateLimiter
from chat.models import Message, Room, User
from tests.support.in_process import (
    BOTH_DATABASES,
    Login,
    call,
    inbox,
    loaded,
    presence_told,
    received,
)

pytestmark = BOTH_DATABASES


def joined(sock: SocketIOTestClient, room: str = "general", **extra: Any) -> dict[str, Any]:
    ack: dict[str, Any] = call(sock, "join", {"room": room, **extra})
    assert ack["ok"], ack
    return ack


def send(sock: SocketIOTestClient, text: str, client_id: str, room: str = "general") -> dict[str, Any]:
    ack: dict[str, Any] = call(sock, "message", {"room": room, "text": text, "client_id": client_id})
    return ack


def error_code(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    assert set(ack) == {"ok", "error"}
    assert set(ack["error"]) == {"code", "message"}
    assert ack["error"]["message"]
    code: str = ack["error"]["code"]
    return code


@pytest.fixture
def ada_in_general(login: Login, ada: User, general: Room) -> SocketIOTestClient:
    """ada's socket, joined to general."""
    sock = login(ada).socket()
    joined(sock, general.slug)
    return sock


def private_room(app: Flask, owner: User, name: str = "secret") -> str:
    """A private room of ``owner``'s; its slug (``secret-`` and a suffix of its own)."""
    with app.app_context():
        return rooms.create_room(name, db.session.get(User, owner.id), private=True).slug


def aimed_at(payload: object, slug: str) -> object:
    """``payload`` with the room ``"secret"`` replaced by the private room's real slug."""
    if isinstance(payload, dict) and payload.get("room") == "secret":
        return {**payload, "room": slug}
    return payload


def test_a_connection_without_a_session_is_refused(app: Flask) -> None:
    anonymous = socketio.test_client(app)
    assert not anonymous.is_connected()


def test_a_logged_in_browser_connects(login: Login, ada: User) -> None:
    assert login(ada).socket().is_connected()


@pytest.mark.usefixtures("general")
def test_join_answers_room_members_and_recent_messages(login: Login, ada: User, bob: User) -> None:
    bob_sock = login(bob).socket()
    joined(bob_sock)
    for n in range(1, 56):
        assert send(bob_sock, f"m{n}", f"c{n}")["ok"]
    ack = joined(login(ada).socket())
    assert ack["room"] == {
        "slug": "general",
        "name": "general",
        "kind": "public",
        "topic": "",
        "archived": False,
    }
    assert {"username": "ada", "display_name": None, "online": True} in ack["members"]
    assert {"username": "bob", "display_name": None, "online": True} in ack["members"]
    assert [m["seq"] for m in ack["messages"]] == list(range(6, 56))
    assert ack["has_more"] is True
    assert ack["last_seq"] == 55
    first = ack["messages"][0]
    assert set(first) == {
        *("room", "seq", "id", "username", "text", "client_id", "created_at", "display_name"),
        *("rev", "edited_at", "deleted", "reactions", "reply_to", "html"),
    }
    assert first["username"] == "bob"
    assert first["text"] == "m6"
    assert first["created_at"].endswith("Z")
    assert first["html"] == "<p>m6</p>"
    assert first["rev"] == 6
    assert first["reactions"] == []
    assert first["deleted"] is False
    assert first["edited_at"] is None
    assert first["reply_to"] is None


def test_join_with_since_returns_only_what_was_missed(
    ada_in_general: SocketIOTestClient, login: Login, ada: User
) -> None:
    sock = ada_in_general
    for n in range(1, 6):
        send(sock, f"m{n}", f"c{n}")
    again = joined(login(ada).socket(), since=3)
    assert [m["seq"] for m in again["messages"]] == [4, 5]
    assert again["has_more"] is False
    assert again["last_seq"] == 5
    assert joined(sock, since=5)["messages"] == []


@pytest.mark.usefixtures("general")
def test_joining_an_empty_room_reports_last_seq_zero(login: Login, ada: User) -> None:
    ack = joined(login(ada).socket())
    assert (ack["messages"], ack["has_more"], ack["last_seq"]) == ([], False, 0)


def test_joining_a_public_room_makes_the_user_a_member(
    app: Flask, login: Login, ada: User, general: Room
) -> None:
    joined(login(ada).socket())
    with app.app_context():
        assert loaded(general).has_member(loaded(ada))


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": "nowhere"}, "not_found"),
        ({"room": "secret"}, "not_found"),
        ({"room": 7}, "bad_request"),
        ({}, "bad_request"),
        ({"room": "general", "since": -1}, "bad_request"),
        ({"room": "general", "since": "3"}, "bad_request"),
        ("general", "bad_request"),
        (None, "bad_request"),
    ],
)
@pytest.mark.usefixtures("general")
def test_join_refusals(app: Flask, login: Login, ada: User, eve: User, payload: object, code: str) -> None:
    slug = private_room(app, ada)
    assert error_code(call(login(eve).socket(), "join", aimed_at(payload, slug))) == code


@pytest.mark.usefixtures("general")
def test_a_member_of_a_private_room_may_join_it(app: Flask, login: Login, ada: User) -> None:
    slug = private_room(app, ada)
    assert joined(login(ada).socket(), slug)["room"]["kind"] == "private"


@pytest.mark.usefixtures("general")
def test_a_message_reaches_the_room_but_not_the_sender_or_outsiders(
    app: Flask, login: Login, ada: User, bob: User, eve: User
) -> None:
    ada_sock, bob_sock, eve_sock = login(ada).socket(), login(bob).socket(), login(eve).socket()
    joined(ada_sock)
    joined(bob_sock)
    with app.app_context():
        rooms.ensure_room("random")
    joined(eve_sock, "random")
    for sock in (ada_sock, bob_sock, eve_sock):
        sock.get_received()
    ack = send(ada_sock, "  hello <b>bob</b>  ", "c1")
    assert ack["ok"]
    assert ack["duplicate"] is False
    message = ack["message"]
    assert (message["seq"], message["text"], message["username"]) == (1, "hello <b>bob</b>", "ada")
    assert received(bob_sock, "message") == [message]
    assert received(ada_sock, "message") == []
    assert received(eve_sock, "message") == []


@pytest.mark.usefixtures("general")
def test_a_second_tab_of_the_sender_receives_the_message(login: Login, ada: User) -> None:
    browser = login(ada)
    first_tab, second_tab = browser.socket(), browser.socket()
    joined(first_tab)
    joined(second_tab)
    second_tab.get_received()
    ack = send(first_tab, "from tab one", "t1")
    assert received(second_tab, "message") == [ack["message"]]


def test_a_retry_is_answered_with_the_stored_message_and_not_broadcast_again(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient], app: Flask
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    bob_sock.get_received()
    first = send(ada_sock, "once", "same-id")
    retry = send(ada_sock, "once", "same-id")
    assert retry["duplicate"] is True
    assert retry["message"] == first["message"]
    assert len(received(bob_sock, "message")) == 1
    with app.app_context():
        assert db.session.query(Message).count() == 1


@pytest.mark.usefixtures("general")
def test_message_needs_a_join_on_this_very_socket(login: Login, ada: User) -> None:
    browser = login(ada)
    joined_tab, other_tab = browser.socket(), browser.socket()
    joined(joined_tab)
    assert error_code(send(other_tab, "hi", "c1")) == "not_joined"
    call(joined_tab, "leave", {"room": "general"})
    assert error_code(send(joined_tab, "hi", "c2")) == "not_joined"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": "general", "text": "   ", "client_id": "c"}, "empty"),
        ({"room": "general", "text": "x" * 4001, "client_id": "c"}, "too_long"),
        ({"room": "general", "text": "x" * 65536, "client_id": "c"}, "too_long"),
        ({"room": "general", "text": "hi", "client_id": ""}, "bad_request"),
        ({"room": "general", "text": "hi", "client_id": "x" * 65}, "bad_request"),
        ({"room": "general", "text": "hi"}, "bad_request"),
        ({"room": "general", "text": 5, "client_id": "c"}, "bad_request"),
        ({"room": "general", "text": ["hi"], "client_id": "c"}, "bad_request"),
        ({"room": "nowhere", "text": "hi", "client_id": "c"}, "not_found"),
        ({"room": "random", "text": "hi", "client_id": "c"}, "not_joined"),
        ([1, 2, 3], "bad_request"),
    ],
)
@pytest.mark.usefixtures("random_room")
def test_message_refusals_store_nothing_and_keep_the_connection(
    ada_in_general: SocketIOTestClient, payload: object, code: str
) -> None:
    sock = ada_in_general
    assert error_code(call(sock, "message", payload)) == code
    assert sock.is_connected()
    assert send(sock, "still here", "after")["message"]["seq"] == 1


@pytest.fixture
def contract_rate(app_config: dict[str, Any]) -> None:
    """The contract's default limit: a burst of 20, then 5 per second."""
    for name in ("RATE_LIMIT_BURST", "RATE_LIMIT_PER_SECOND"):
        app_config.pop(name)


@pytest.mark.usefixtures("contract_rate", "general")
def test_the_rate_limit_allows_a_burst_then_refuses(app: Flask, login: Login, ada: User) -> None:
    limiter = live.state(app).throttles.messages
    assert isinstance(limiter, LocalRateLimiter)
    assert (limiter.burst, limiter.per_second) == (20, 5.0)
    limiter.clock = lambda: 1000.0  # frozen: no token comes back while the test runs
    burst = limiter.burst
    sock = login(ada).socket()
    joined(sock)
    acks = [send(sock, f"m{n}", f"c{n}") for n in range(burst + 3)]
    assert all(ack["ok"] for ack in acks[:burst])
    assert [error_code(ack) for ack in acks[burst:]] == ["rate_limited"] * 3
    assert send(sock, "m0", "c0")["duplicate"] is True, "a retry is never rate limited"


@pytest.fixture
def slow_rate(app_config: dict[str, Any]) -> None:
    app_config.update(RATE_LIMIT_BURST=2, RATE_LIMIT_PER_SECOND=0.001)


@pytest.mark.usefixtures("slow_rate", "general")
def test_operators_can_change_the_rate_limit(login: Login, ada: User) -> None:
    sock = login(ada).socket()
    joined(sock)
    assert [send(sock, f"m{n}", f"c{n}")["ok"] for n in range(3)] == [True, True, False]


def test_history_pages_through_a_room(ada_in_general: SocketIOTestClient) -> None:
    sock = ada_in_general
    for n in range(1, 13):
        send(sock, f"m{n}", f"c{n}")
    page = call(sock, "history", {"room": "general", "before": 10, "limit": 3})
    assert [m["seq"] for m in page["messages"]] == [7, 8, 9]
    assert page["has_more"] is True
    page = call(sock, "history", {"room": "general", "after": 10})
    assert [m["seq"] for m in page["messages"]] == [11, 12]
    assert page["has_more"] is False
    page = call(sock, "history", {"room": "general", "after": 2, "before": 5})
    assert [m["seq"] for m in page["messages"]] == [3, 4]


@pytest.mark.usefixtures("general")
def test_history_of_a_public_room_needs_no_join(login: Login, ada: User) -> None:
    page = call(login(ada).socket(), "history", {"room": "general"})
    assert page == {"ok": True, "messages": [], "has_more": False}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": "secret"}, "not_found"),
        ({"room": "nowhere"}, "not_found"),
        ({"room": "general", "limit": 0}, "bad_request"),
        ({"room": "general", "before": "x"}, "bad_request"),
        ({"room": "general", "after": -5}, "bad_request"),
        ({"room": None}, "bad_request"),
    ],
)
@pytest.mark.usefixtures("general")
def test_history_refusals(app: Flask, login: Login, ada: User, eve: User, payload: object, code: str) -> None:
    slug = private_room(app, ada)
    assert error_code(call(login(eve).socket(), "history", aimed_at(payload, slug))) == code


def test_typing_reaches_the_others_and_ends_when_the_typist_sends(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient],
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    bob_sock.get_received()
    ada_sock.get_received()
    assert call(ada_sock, "typing", {"room": "general", "typing": True}) == {"ok": True}
    assert received(bob_sock, "typing") == [{"room": "general", "username": "ada", "typing": True}]
    assert received(ada_sock, "typing") == []
    send(ada_sock, "done typing", "c1")
    assert [event for event in inbox(bob_sock) if event[0] == "typing"] == [
        ("typing", {"room": "general", "username": "ada", "typing": False})
    ]


def test_typing_ends_when_the_typist_disconnects(
    app: Flask, ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    call(ada_sock, "typing", {"room": "general", "typing": True})
    bob_sock.get_received()
    ada_sock.disconnect()
    presence_told(app)
    events = inbox(bob_sock)
    assert ("typing", {"room": "general", "username": "ada", "typing": False}) in events
    assert ("presence", {"room": "general", "changes": [{"username": "ada", "online": False}]}) in events


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"room": "general", "typing": "yes"}, "bad_request"),
        ({"room": "general"}, "bad_request"),
        ({"room": "random", "typing": True}, "not_joined"),
        ({"room": "nowhere", "typing": True}, "not_found"),
    ],
)
@pytest.mark.usefixtures("random_room")
def test_typing_refusals(ada_in_general: SocketIOTestClient, payload: object, code: str) -> None:
    assert error_code(call(ada_in_general, "typing", payload)) == code


@pytest.mark.usefixtures("general")
def test_leave_is_idempotent_and_checks_its_payload(login: Login, ada: User) -> None:
    sock = login(ada).socket()
    joined(sock)
    assert call(sock, "leave", {"room": "general"}) == {"ok": True}
    assert call(sock, "leave", {"room": "general"}) == {"ok": True}
    assert error_code(call(sock, "leave", {"room": "nowhere"})) == "not_found"
    assert error_code(call(sock, "leave", {})) == "bad_request"


def test_an_unknown_event_gets_bad_request(login: Login, ada: User) -> None:
    sock = login(ada).socket()
    assert error_code(call(sock, "shout", {"room": "general"})) == "bad_request"
    assert sock.is_connected()


def test_a_storage_failure_is_answered_unavailable_and_stores_nothing(
    app: Flask, login: Login, ada: User, general: Room
) -> None:
    sock = login(ada).socket()
    joined(sock)
    with app.app_context():
        # Break storage for real: the messages table disappears under the app.
        db.session.execute(db.text("ALTER TABLE messages RENAME TO messages_away"))
        db.session.commit()
    ack = send(sock, "into the void", "c1")
    assert error_code(ack) == "unavailable"
    with app.app_context():
        db.session.execute(db.text("ALTER TABLE messages_away RENAME TO messages"))
        db.session.commit()
        assert loaded(general).last_seq == 0, "the seq was not half-allocated"
    assert send(sock, "back again", "c1")["message"]["seq"] == 1


@pytest.mark.parametrize("bound", [2**31, 2**63, 2**70])
@pytest.mark.usefixtures("general")
def test_seq_bounds_beyond_the_column_get_bad_request(login: Login, ada: User, bound: int) -> None:
    sock = login(ada).socket()
    assert error_code(call(sock, "join", {"room": "general", "since": bound})) == "bad_request"
    assert error_code(call(sock, "history", {"room": "general", "after": bound})) == "bad_request"
    assert error_code(call(sock, "history", {"room": "general", "before": bound})) == "bad_request"
    page = call(sock, "history", {"room": "general", "limit": bound})
    assert page["ok"], "a huge limit is capped, not refused"


def test_a_message_costs_only_its_writes(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient], app: Flask, backend: str
) -> None:
    """The hot path's budget: the user and the public room come from the process's copies, so
    a message is the seq bump, the insert and the sender's read mark (one statement on
    PostgreSQL), nothing else: no write per recipient."""
    ada_sock, _bob_sock = ada_and_bob_in_general
    assert send(ada_sock, "warm", "w1")["ok"]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split()[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert send(ada_sock, "counted", "c1")["ok"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == (["WITH"] if backend == "postgresql" else ["UPDATE", "INSERT", "UPDATE"])
