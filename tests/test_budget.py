"""Every socket event is throttled: a flood from one account is answered ``rate_limited``, never a disconnect.

One user's events, on all their sockets, spend one budget (a burst of 100,
then 20 a second here, the defaults): a flood of any kind of event gets a
bounded number of answers that did something, the rest ``rate_limited``, and
the other people in the room see a bounded amount of traffic. Typing is
relayed at most once a second per user and room; ``history`` costs by the
size of what it returns.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from chat.domain import messages, rooms
from chat.extensions import db
from chat.fanout.presence import TICK_SECONDS
from chat.models import Room, User
from tests.support.in_process import Login, call, inbox

BURST, PER_SECOND = 100, 20.0
FLOOD = 300


@pytest.fixture(autouse=True)
def default_budget(app_config: dict[str, Any]) -> None:
    app_config.update(EVENTS_BURST=BURST, EVENTS_PER_SECOND=PER_SECOND)


def allowed_in(seconds: float) -> float:
    """The most tokens a full budget can give in ``seconds``."""
    return BURST + PER_SECOND * seconds


FLOODS: dict[str, Any] = {
    "typing": lambda _n: {"room": "general", "typing": True},
    "join": lambda _n: {"room": "general"},
    "leave": lambda _n: {"room": "general"},
    "history": lambda _n: {"room": "general", "limit": 1},
    "message": lambda n: {"room": "general", "text": f"spam {n}", "client_id": f"flood-{n}"},
    "edit": lambda n: {"room": "general", "seq": 1, "text": f"edit {n}"},
    "react": lambda n: {"room": "general", "seq": 1, "emoji": "\U0001f44d", "on": n % 2 == 0},
    "delete": lambda _n: {"room": "general", "seq": 1},
    "no such event": lambda n: {"n": n},
}


@pytest.mark.parametrize("event", sorted(FLOODS))
def test_a_flood_of_any_event_is_answered_rate_limited_and_the_room_sees_bounded_traffic(
    app: Flask, ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient], ada: User, event: str
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    with app.app_context():
        general = rooms.find_room("general")
        author = db.session.get(User, ada.id)
        assert general is not None
        assert author is not None
        messages.send(general, author, "to edit and react to", "seed")
    bob_sock.get_received()
    started = time.monotonic()
    acks = [call(ada_sock, event, FLOODS[event](n)) for n in range(FLOOD)]
    elapsed = time.monotonic() - started
    codes = Counter("ok" if ack["ok"] else ack["error"]["code"] for ack in acks)
    assert codes["rate_limited"] > 0, codes
    served = FLOOD - codes["rate_limited"]
    assert served <= allowed_in(elapsed) + 2, (codes, elapsed)
    assert ada_sock.is_connected(), "refused, never disconnected"
    seen = inbox(bob_sock)
    assert len(seen) <= allowed_in(elapsed), f"{len(seen)} events reached bob"
    if event == "typing":
        assert len(seen) <= elapsed + 2, "typing is relayed once a second at most"


def test_connect_and_disconnect_cycles_send_at_most_one_presence_a_tick(
    login: Login, ada: User, ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient]
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    ada_sock.disconnect()
    browser = login(ada)
    started = time.monotonic()
    for _ in range(40):  # each cycle takes ada online and offline again
        browser.socket().disconnect()
    time.sleep(TICK_SECONDS + 0.5)  # the last tick ends on its own
    elapsed = time.monotonic() - started
    presence = [payload for name, payload in inbox(bob_sock) if name == "presence"]
    assert 1 <= len(presence) <= elapsed / TICK_SECONDS + 1, (
        f"{len(presence)} presence events in {elapsed:.1f} s"
    )
    assert presence[-1]["changes"] == [{"username": "ada", "online": False}]


def test_typing_is_relayed_once_a_second_per_user_and_room_but_every_ack_is_ok(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient],
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    acks = [call(ada_sock, "typing", {"room": "general", "typing": True}) for _ in range(20)]
    assert all(ack["ok"] for ack in acks)
    relayed = [p for name, p in inbox(bob_sock) if name == "typing"]
    assert relayed == [{"room": "general", "username": "ada", "typing": True}]
    time.sleep(1.1)
    assert call(ada_sock, "typing", {"room": "general", "typing": True})["ok"]
    assert call(ada_sock, "typing", {"room": "general", "typing": False})["ok"]
    assert [p["typing"] for name, p in inbox(bob_sock) if name == "typing"] == [True, False]


def test_history_costs_by_the_size_it_returns(app: Flask, login: Login, ada: User, general: Room) -> None:
    with app.app_context():
        author = db.session.get(User, ada.id)
        room = db.session.get(Room, general.id)
        assert author is not None
        assert room is not None
        for n in range(200):
            messages.post_message(room, author, f"{n:04d}" + "x" * 3996, f"big-{n}")
    socks = [login(ada).socket() for _ in range(4)]  # four sockets, one account, one budget
    received = 0
    answers: Counter[str] = Counter()
    started = time.monotonic()
    for n in range(40):
        ack = call(socks[n % 4], "history", {"room": "general", "limit": 200})
        answers["ok" if ack["ok"] else ack["error"]["code"]] += 1
        received += sum(len(m["text"]) for m in ack.get("messages", ()))
    elapsed = time.monotonic() - started
    assert answers["rate_limited"] >= 30, answers
    # A full page costs about 400 tokens (text and html): the budget allows about one page, plus what
    # refills meanwhile. The tester's four sockets pulled 40 MB in 5 s.
    pages_allowed = 1 + allowed_in(elapsed) / 400
    assert received <= pages_allowed * 200 * 4000, (received, elapsed, answers)
    assert all(sock.is_connected() for sock in socks)


def test_another_users_budget_is_their_own(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient],
) -> None:
    ada_sock, bob_sock = ada_and_bob_in_general
    for _ in range(FLOOD):
        call(ada_sock, "history", {"room": "general", "limit": 1})
    assert call(ada_sock, "history", {"room": "general", "limit": 1})["error"]["code"] == "rate_limited"
    assert call(bob_sock, "history", {"room": "general", "limit": 1})["ok"]


def test_a_typing_that_comes_too_soon_is_sent_when_the_second_is_over(
    ada_and_bob_in_general: tuple[SocketIOTestClient, SocketIOTestClient],
) -> None:
    """Stop and start again within the second: bob still learns ada types, a second later."""
    ada_sock, bob_sock = ada_and_bob_in_general
    for typing in (True, False, True):
        assert call(ada_sock, "typing", {"room": "general", "typing": typing})["ok"]
    assert [p["typing"] for name, p in inbox(bob_sock) if name == "typing"] == [True, False]
    deadline = time.monotonic() + 3
    later: list[bool] = []
    while not later and time.monotonic() < deadline:
        time.sleep(0.05)
        later = [p["typing"] for name, p in inbox(bob_sock) if name == "typing"]
    assert later == [True]
