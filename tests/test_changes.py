"""Messages that change: edit, delete, react, reply, and a resume that gets every change once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import select

from chat import live
from chat.domain import changes
from chat.extensions import db
from chat.live.throttles import LocalRateLimiter
from chat.models import Message, Room, User
from tests.support.in_process import BOTH_DATABASES, Login, call, received

pytestmark = BOTH_DATABASES


def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    return ack


def refused(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    assert set(ack["error"]) == {"code", "message"}, ack
    return str(ack["error"]["code"])


def post(sock: SocketIOTestClient, text: str, **extra: Any) -> dict[str, Any]:
    """Send ``text`` to general; the stored message."""
    ack = ok(call(sock, "message", {"room": "general", "text": text, "client_id": f"c-{text}", **extra}))
    message: dict[str, Any] = ack["message"]
    return message


def room_rev(app: Flask) -> int:
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.slug == "general"))
        assert room is not None
        return int(room.last_rev)


@pytest.fixture
def ada_and_bob(
    login: Login, ada: User, bob: User, general: Room
) -> tuple[SocketIOTestClient, SocketIOTestClient]:
    """ada's and bob's sockets in general, after ada posted "one", "two" and "three"."""
    ada_sock, bob_sock = login(ada).socket(), login(bob).socket()
    for sock in (ada_sock, bob_sock):
        ok(call(sock, "join", {"room": general.slug}))
    for text in ("one", "two", "three"):
        post(ada_sock, text)
    ada_sock.get_received()
    bob_sock.get_received()
    return ada_sock, bob_sock


def test_an_edit_changes_the_text_everywhere_and_a_retry_changes_nothing(
    app: Flask, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob
    before = room_rev(app)
    edited = ok(call(ada_sock, "edit", {"room": "general", "seq": 2, "text": " **two**, fixed "}))["message"]
    assert edited["seq"] == 2
    assert edited["text"] == "**two**, fixed"
    assert edited["html"] == "<p><strong>two</strong>, fixed</p>"
    assert edited["edited_at"].endswith("Z")
    assert edited["rev"] == before + 1 == room_rev(app)
    assert received(bob_sock, "message_changed") == [edited]
    assert received(ada_sock, "message_changed") == [edited]
    again = ok(call(ada_sock, "edit", {"room": "general", "seq": 2, "text": "**two**, fixed"}))["message"]
    assert again == edited
    assert room_rev(app) == before + 1
    assert received(bob_sock, "message_changed") == []
    history = ok(call(bob_sock, "history", {"room": "general"}))["messages"]
    assert history[1] == edited


def test_edits_are_refused_as_the_contract_says(
    login: Login, eve: User, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob
    assert refused(call(bob_sock, "edit", {"room": "general", "seq": 1, "text": "mine now"})) == "forbidden"
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": 99, "text": "x"})) == "not_found"
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "   "})) == "empty"
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "x" * 4001})) == "too_long"
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": 0, "text": "x"})) == "bad_request"
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": "1", "text": "x"})) == "bad_request"
    assert (
        refused(call(login(eve).socket(), "edit", {"room": "general", "seq": 1, "text": "x"})) == "not_joined"
    )
    ok(call(ada_sock, "delete", {"room": "general", "seq": 1}))
    assert refused(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "back"})) == "bad_request"
    assert received(bob_sock, "message_changed")[-1]["deleted"] is True


def test_a_deleted_message_keeps_its_seq_and_loses_its_text_and_reactions(
    app: Flask, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob
    ok(call(bob_sock, "react", {"room": "general", "seq": 3, "emoji": "\U0001f44d", "on": True}))
    assert refused(call(bob_sock, "delete", {"room": "general", "seq": 3})) == "forbidden"
    gone = ok(call(ada_sock, "delete", {"room": "general", "seq": 3}))["message"]
    assert (gone["seq"], gone["text"], gone["html"], gone["deleted"], gone["reactions"]) == (
        3,
        "",
        "",
        True,
        [],
    )
    rev = room_rev(app)
    assert ok(call(ada_sock, "delete", {"room": "general", "seq": 3}))["message"] == gone
    assert room_rev(app) == rev
    seqs = [m["seq"] for m in ok(call(bob_sock, "history", {"room": "general"}))["messages"]]
    assert seqs == [1, 2, 3]
    assert post(ada_sock, "four")["seq"] == 4, "a deleted message's seq is never reused"
    with app.app_context():
        assert "three" not in {m.text for m in db.session.scalars(db.select(Message))}


def test_reactions_count_who_reacted_in_first_reaction_order_and_toggle_idempotently(
    app: Flask, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob
    thumbs, party = "\U0001f44d", "\U0001f389"

    def react(sock: SocketIOTestClient, emoji: str, on: bool) -> list[dict[str, Any]]:
        ack = ok(call(sock, "react", {"room": "general", "seq": 1, "emoji": emoji, "on": on}))
        reactions: list[dict[str, Any]] = ack["message"]["reactions"]
        return reactions

    assert react(bob_sock, party, True) == [{"emoji": party, "usernames": ["bob"]}]
    assert react(ada_sock, thumbs, True) == [
        {"emoji": party, "usernames": ["bob"]},
        {"emoji": thumbs, "usernames": ["ada"]},
    ]
    assert react(bob_sock, thumbs, True)[1] == {"emoji": thumbs, "usernames": ["ada", "bob"]}
    rev = room_rev(app)
    assert react(bob_sock, thumbs, True)[1]["usernames"] == ["ada", "bob"]
    assert room_rev(app) == rev
    assert react(bob_sock, party, False) == [{"emoji": thumbs, "usernames": ["ada", "bob"]}]
    assert react(bob_sock, party, False) == [{"emoji": thumbs, "usernames": ["ada", "bob"]}]
    assert react(ada_sock, "\U0001f44d\U0001f3fd", True)[1]["emoji"] == "\U0001f44d\U0001f3fd"
    for not_one_emoji in ("", "x", ":+1:", thumbs * 2, "\x00"):
        ack = call(ada_sock, "react", {"room": "general", "seq": 1, "emoji": not_one_emoji, "on": True})
        assert refused(ack) == "bad_request", not_one_emoji
    assert refused(call(ada_sock, "react", {"room": "general", "seq": 1, "emoji": thumbs})) == "bad_request"
    changed = received(ada_sock, "message_changed")
    assert [event["rev"] for event in changed] == sorted({event["rev"] for event in changed})


def test_a_reply_names_the_seq_it_answers(ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]) -> None:
    ada_sock, bob_sock = ada_and_bob
    reply = post(bob_sock, "agreed", reply_to=2)
    assert reply["reply_to"] == 2
    assert received(ada_sock, "message")[-1]["reply_to"] == 2
    ack = call(
        bob_sock, "message", {"room": "general", "text": "to nothing", "client_id": "r9", "reply_to": 99}
    )
    assert refused(ack) == "not_found"
    ack = call(bob_sock, "message", {"room": "general", "text": "odd", "client_id": "r-1", "reply_to": -1})
    assert refused(ack) == "bad_request"


def test_changes_spend_the_message_rate_limit_but_a_retry_is_never_refused(
    app: Flask, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, _bob_sock = ada_and_bob
    limiter = live.state(app).throttles.messages
    assert isinstance(limiter, LocalRateLimiter)
    limiter.burst, limiter.per_second = 2, 0.001  # two more, then nearly none
    ok(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one, take 2"}))
    ok(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one, take 3"}))
    limited = call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one, take 4"})
    assert refused(limited) == "rate_limited"
    assert ok(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one, take 3"}))["message"][
        "text"
    ] == ("one, take 3")


@pytest.mark.usefixtures("general")
def test_a_client_that_resumes_gets_each_change_it_missed_once_in_its_current_state(
    app: Flask,
    login: Login,
    ada: User,
    bob: User,
) -> None:
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": "general"}))
    for text in ("one", "two", "three", "four"):
        post(ada_sock, text)
    bob_browser = login(bob)
    away = ok(call(bob_browser.socket(), "join", {"room": "general"}))
    assert (away["last_seq"], away["last_rev"], away["changed"], away["changes_truncated"]) == (
        4,
        4,
        [],
        False,
    )
    # While bob is away: an edit, a deletion, reactions (one taken back), a new message.
    ok(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one!"}))
    ok(call(ada_sock, "edit", {"room": "general", "seq": 1, "text": "one!!"}))
    ok(call(ada_sock, "delete", {"room": "general", "seq": 2}))
    ok(call(ada_sock, "react", {"room": "general", "seq": 3, "emoji": "\U0001f389", "on": True}))
    ok(call(ada_sock, "react", {"room": "general", "seq": 3, "emoji": "\U0001f389", "on": False}))
    ok(call(ada_sock, "react", {"room": "general", "seq": 4, "emoji": "\U0001f44d", "on": True}))
    post(ada_sock, "five")
    back = ok(call(bob_browser.socket(), "join", {"room": "general", "since": 4, "since_rev": 4}))
    stored = ok(call(ada_sock, "history", {"room": "general"}))["messages"]
    assert [m["seq"] for m in back["changed"]] == [1, 2, 3, 4], "each changed message once, in rev order"
    assert back["changed"] == [stored[0], stored[1], stored[2], stored[3]]
    assert back["messages"] == [stored[4]]
    assert back["last_seq"] == 5
    assert back["last_rev"] == room_rev(app) == 11
    again = ok(
        call(bob_browser.socket(), "join", {"room": "general", "since": 5, "since_rev": back["last_rev"]})
    )
    assert again["changed"] == []
    assert again["messages"] == []


def test_too_many_changes_to_list_tell_the_client_to_reload(
    monkeypatch: pytest.MonkeyPatch, ada_and_bob: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob
    monkeypatch.setattr(changes, "MAX_CHANGES", 2)
    for seq in (1, 2, 3):
        ok(call(ada_sock, "edit", {"room": "general", "seq": seq, "text": f"edited {seq}"}))
    back = ok(call(bob_sock, "join", {"room": "general", "since": 3, "since_rev": 3}))
    assert back["changes_truncated"] is True
    assert len(back["changed"]) == 2
