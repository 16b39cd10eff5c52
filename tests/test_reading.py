"""Read marks on the server, activity for rooms not open, and mentions that reach the person named."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_socketio import SocketIOTestClient

from chat.domain import reading, rooms
from chat.extensions import db
from chat.models import Mention, Room, User
from tests.support.in_process import BOTH_DATABASES, Login, call, received

pytestmark = BOTH_DATABASES


def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    return ack


def post(sock: SocketIOTestClient, text: str, room: str = "general") -> int:
    ack = ok(call(sock, "message", {"room": room, "text": text, "client_id": f"{room}-{text}"}))
    seq: int = ack["message"]["seq"]
    return seq


def unread(app: Flask, user: User, slug: str = "general") -> reading.Unread:
    with app.app_context():
        reader = db.session.get(User, user.id)
        room = rooms.find_room(slug)
        assert reader is not None
        assert room is not None
        return reading.unread_by_room(reader).get(room.id, reading.Unread(0, 0))


def test_a_mark_moves_forward_only_and_every_other_socket_of_the_person_hears(
    app: Flask, login: Login, ada: User, bob: User, general: Room
) -> None:
    writer = login(ada).socket()
    ok(call(writer, "join", {"room": general.slug}))
    first_tab, second_tab, elsewhere = login(bob).socket(), login(bob).socket(), login(ada).socket()
    ok(call(first_tab, "join", {"room": general.slug}))
    for n in range(5):
        post(writer, f"m{n}")
    assert unread(app, bob).messages == 5
    for sock in (first_tab, second_tab, elsewhere):
        sock.get_received()
    assert ok(call(first_tab, "read", {"room": general.slug, "seq": 3}))["last_read_seq"] == 3
    assert received(second_tab, "read") == [{"room": general.slug, "last_read_seq": 3}]
    assert received(first_tab, "read") == [], "the socket that read knows from its ack"
    assert received(elsewhere, "read") == [], "another person's sockets hear nothing"
    assert unread(app, bob).messages == 2
    assert ok(call(first_tab, "read", {"room": general.slug, "seq": 1}))["last_read_seq"] == 3
    assert received(second_tab, "read") == [], "a mark that did not move is not announced"
    assert ok(call(first_tab, "read", {"room": general.slug, "seq": 999}))["last_read_seq"] == 5
    assert unread(app, bob).messages == 0
    assert ok(call(second_tab, "join", {"room": general.slug}))["last_read_seq"] == 5


def test_read_is_refused_as_other_room_events_are(login: Login, bob: User, general: Room) -> None:
    sock = login(bob).socket()
    assert call(sock, "read", {"room": general.slug, "seq": 1})["error"]["code"] == "not_joined"
    ok(call(sock, "join", {"room": general.slug}))
    for bad in (
        {"room": general.slug},
        {"room": general.slug, "seq": -1},
        {"room": general.slug, "seq": "1"},
    ):
        assert call(sock, "read", bad)["error"]["code"] == "bad_request"


def test_own_messages_are_never_unread_and_newcomers_start_having_read_the_past(
    app: Flask, login: Login, ada: User, bob: User, general: Room
) -> None:
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": general.slug}))
    for n in range(3):
        post(ada_sock, f"before bob {n}")
    assert unread(app, ada).messages == 0
    bob_sock = login(bob).socket()
    assert ok(call(bob_sock, "join", {"room": general.slug}))["last_read_seq"] == 3
    assert unread(app, bob).messages == 0
    post(ada_sock, "to bob")
    post(bob_sock, "and back")
    assert unread(app, bob).messages == 0, "posting marks the room read up to one's message"
    assert unread(app, ada).messages == 1


def test_activity_reaches_members_sockets_that_have_not_joined_the_room_and_no_one_else(
    login: Login, ada: User, bob: User, eve: User, general: Room, random_room: Room
) -> None:
    bob_in_room, bob_elsewhere = login(bob).socket(), login(bob).socket()
    ok(call(bob_in_room, "join", {"room": general.slug}))
    ok(call(bob_elsewhere, "join", {"room": random_room.slug}))
    eve_sock = login(eve).socket()  # never joined general: not a member
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": general.slug}))
    for sock in (bob_in_room, bob_elsewhere, eve_sock):
        sock.get_received()
    seq = post(ada_sock, "hello")
    assert received(bob_elsewhere, "activity") == [
        {"room": general.slug, "last_seq": seq, "mention": False, "username": "ada"}
    ]
    assert received(bob_in_room, "activity") == [], "the open room gets the message itself"
    assert received(eve_sock, "activity") == []
    ok(call(bob_in_room, "leave", {"room": general.slug}))
    post(ada_sock, "again")
    assert [a["room"] for a in received(bob_in_room, "activity")] == [general.slug], (
        "followed again after leave"
    )


def test_a_mention_reaches_the_person_named_and_is_counted_until_read(
    app: Flask, login: Login, ada: User, bob: User, general: Room, random_room: Room
) -> None:
    bob_sock = login(bob).socket()
    ok(call(bob_sock, "join", {"room": general.slug}))
    ok(call(bob_sock, "leave", {"room": general.slug}))
    ok(call(bob_sock, "join", {"room": random_room.slug}))
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": general.slug}))
    bob_sock.get_received()
    ack = ok(
        call(ada_sock, "message", {"room": general.slug, "text": "@Bob look, @nobody", "client_id": "m1"})
    )
    assert '<span class="mention" data-user="bob">@Bob</span>' in ack["message"]["html"]
    assert "@nobody" in ack["message"]["html"]
    assert {"room": general.slug, "last_seq": 1, "mention": True, "username": "ada"} in received(
        bob_sock, "activity"
    )
    assert unread(app, bob) == reading.Unread(1, 1)
    post(ada_sock, "no mention here")
    assert unread(app, bob) == reading.Unread(2, 1)
    ok(call(bob_sock, "join", {"room": general.slug}))
    ok(call(bob_sock, "read", {"room": general.slug, "seq": 2}))
    assert unread(app, bob) == reading.Unread(0, 0)


def test_naming_someone_in_a_private_room_they_are_not_in_tells_them_nothing(
    app: Flask, login: Login, ada: User, eve: User
) -> None:
    with app.app_context():
        owner = db.session.get(User, ada.id)
        assert owner is not None
        secret = rooms.create_room("secret", owner, private=True)
        slug = secret.slug
    eve_sock = login(eve).socket()
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": slug}))
    eve_sock.get_received()
    post(ada_sock, "@eve would love this", room=slug)
    assert received(eve_sock, "activity") == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Mention)) == 0


def test_an_edit_adds_and_removes_mentions_and_a_deletion_clears_them(
    app: Flask, login: Login, ada: User, bob: User, general: Room
) -> None:
    login(bob).socket().emit("join", {"room": general.slug}, callback=True)
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": general.slug}))
    seq = post(ada_sock, "hi all")
    assert unread(app, bob).mentions == 0
    ok(call(ada_sock, "edit", {"room": general.slug, "seq": seq, "text": "hi @bob"}))
    assert unread(app, bob).mentions == 1
    ok(call(ada_sock, "delete", {"room": general.slug, "seq": seq}))
    assert unread(app, bob).mentions == 0


def test_the_authors_other_sockets_hear_whose_message_it_was(
    login: Login, ada: User, general: Room, random_room: Room
) -> None:
    """Posting moved the author's mark: their sidebars see it was theirs and count it read, with no other emit."""
    ada_sidebar = login(ada).socket()
    ok(call(ada_sidebar, "join", {"room": random_room.slug}))
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": general.slug}))
    ok(call(ada_sidebar, "join", {"room": general.slug}))
    ok(call(ada_sidebar, "leave", {"room": general.slug}))
    ada_sidebar.get_received()
    seq = post(ada_sock, "mine")
    assert received(ada_sidebar, "activity") == [
        {"room": general.slug, "last_seq": seq, "mention": False, "username": "ada"}
    ]
    assert received(ada_sidebar, "read") == []


def test_a_direct_room_appears_on_the_openers_sockets_and_on_the_others_with_its_first_message(
    login: Login, ada: User, bob: User
) -> None:
    bob_sock, ada_other_tab = login(bob).socket(), login(ada).socket()
    response = login(ada).post_form("/dm/bob", {})
    slug = response.headers["Location"].rsplit("/r/", 1)[1]
    assert received(ada_other_tab, "activity") == [{"room": slug, "last_seq": 0, "mention": False}]
    assert received(bob_sock, "activity") == [], "opening a direct room leaves no trace on the other side"
    ada_sock = login(ada).socket()
    ok(call(ada_sock, "join", {"room": slug}))
    post(ada_sock, "hi", room=slug)
    assert [a["last_seq"] for a in received(bob_sock, "activity")] == [1], "told once, with the message"


def test_someone_added_to_a_room_hears_of_it_on_their_open_sockets(
    app: Flask, login: Login, ada: User, bob: User
) -> None:
    bob_sock = login(bob).socket()
    ada_browser = login(ada)
    ada_sock = ada_browser.socket()
    with app.app_context():
        owner = db.session.get(User, ada.id)
        assert owner is not None
        slug = rooms.create_room("plans", owner, private=True).slug
    bob_sock.get_received()
    response = ada_browser.post_form(f"/r/{slug}/members", {"username": "bob"}, token_from=f"/r/{slug}")
    assert response.status_code == 303
    assert received(bob_sock, "activity") == [{"room": slug, "last_seq": 0, "mention": False}]
    ok(call(ada_sock, "join", {"room": slug}))
    post(ada_sock, "welcome", room=slug)
    assert received(bob_sock, "activity") == [
        {"room": slug, "last_seq": 1, "mention": False, "username": "ada"}
    ]
