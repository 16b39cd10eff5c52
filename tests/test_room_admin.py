"""Rooms people run: admins, members added and removed at once, rename, topic, archive and delete.

Each act and its refusals, on SQLite and PostgreSQL, through the pages and
the domain functions the pages, sockets and CLI share.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from chat.domain import changes, directs, membership, messages, roles, rooms, running
from chat.domain.errors import ARCHIVED_ROOM, BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, ChatError
from chat.extensions import db
from chat.models import Room, User
from tests.support.in_process import BOTH_DATABASES, Login, call, inbox, loaded, make_user, received

pytestmark = BOTH_DATABASES


@pytest.fixture(autouse=True)
def root(app: Flask) -> User:
    """The site's first account, so its admin: made before ada, bob and eve, who run nothing of the site."""
    return make_user(app, "root")


def refusal(act: object, *args: object) -> str:
    try:
        act(*args)  # type: ignore[operator]
    except ChatError as refused:
        db.session.rollback()
        return refused.code
    raise AssertionError("not refused")


@pytest.fixture
def secret(app: Flask, ada: User, bob: User) -> Room:
    """A private room: ada made it (its admin), bob is a member."""
    with app.app_context():
        room = rooms.create_room("Secret", loaded(ada), private=True)
        rooms.admit(room, loaded(bob))
        db.session.expunge(room)
        return room


def fresh(room: Room) -> Room:
    found: Room | None = db.session.get(Room, room.id)
    assert found is not None
    db.session.refresh(found)
    return found


@pytest.mark.usefixtures("ctx")
def test_the_creator_is_the_rooms_first_admin(secret: Room, ada: User, bob: User) -> None:
    room = fresh(secret)
    assert roles.admin_names(room) == ["ada"]
    assert roles.may_manage(room, loaded(ada))
    assert not roles.may_manage(room, loaded(bob))


@pytest.mark.usefixtures("ctx")
def test_an_admin_makes_another_member_admin_and_the_last_admin_stays(
    secret: Room, ada: User, bob: User
) -> None:
    room = fresh(secret)
    assert refusal(roles.set_admin, room, loaded(bob), "ada", False) == FORBIDDEN
    assert refusal(roles.set_admin, room, loaded(ada), "ada", False) == BAD_REQUEST, "the last admin"
    roles.set_admin(room, loaded(ada), "BOB")
    assert roles.admin_names(room) == ["ada", "bob"]
    roles.set_admin(room, loaded(bob), "ada", False)
    assert roles.admin_names(room) == ["bob"]
    assert refusal(roles.set_admin, room, loaded(ada), "bob", False) == FORBIDDEN


@pytest.mark.usefixtures("ctx")
def test_only_admins_add_and_remove_members(secret: Room, ada: User, bob: User, eve: User) -> None:
    room = fresh(secret)
    assert refusal(membership.add_member, room, loaded(bob), "eve") == FORBIDDEN
    assert refusal(membership.add_member, room, loaded(eve), "eve") == NOT_FOUND, "eve cannot see it"
    assert membership.add_member(room, loaded(ada), "Eve").username == "eve"
    assert refusal(membership.add_member, room, loaded(ada), "eve") == BAD_REQUEST, "already a member"
    assert refusal(membership.remove_member, room, loaded(bob), "eve") == FORBIDDEN
    assert refusal(membership.remove_member, room, loaded(ada), "ada") == BAD_REQUEST, "leave instead"
    assert refusal(membership.remove_member, room, loaded(ada), "nobody") == NOT_FOUND
    membership.remove_member(room, loaded(ada), "eve")
    assert set(room.member_names()) == {"ada", "bob"}
    assert refusal(rooms.room_for, loaded(eve), room.slug) == NOT_FOUND


@pytest.mark.usefixtures("ctx")
def test_public_rooms_have_no_added_or_removed_members(ada: User, bob: User) -> None:
    room = rooms.create_room("Open", loaded(ada))
    rooms.admit(room, loaded(bob))
    assert refusal(membership.add_member, room, loaded(ada), "bob") == BAD_REQUEST
    assert refusal(membership.remove_member, room, loaded(ada), "bob") == BAD_REQUEST


@pytest.mark.usefixtures("ctx")
def test_members_leave_but_the_last_admin_hands_over_first(
    secret: Room, ada: User, bob: User, eve: User
) -> None:
    room = fresh(secret)
    assert refusal(membership.leave, room, loaded(ada)) == BAD_REQUEST, "the only admin, with bob still in"
    assert refusal(membership.leave, room, loaded(eve)) == NOT_FOUND
    membership.leave(room, loaded(bob))
    assert room.member_names() == ["ada"]
    assert refusal(membership.leave, room, loaded(bob)) == NOT_FOUND, "now he cannot see it"
    membership.leave(room, loaded(ada))  # the last one out
    assert room.member_names() == []


@pytest.mark.usefixtures("ctx")
def test_leaving_a_public_room_takes_it_off_the_sidebar(bob: User, general: Room) -> None:
    room = fresh(general)
    rooms.admit(room, loaded(bob))
    membership.leave(room, loaded(bob))
    assert not room.has_member(loaded(bob))
    assert rooms.room_for(loaded(bob), "general").id == room.id, "still open to anyone"


@pytest.mark.usefixtures("ctx")
def test_rename_and_topic_are_plain_text_by_admins_only(secret: Room, ada: User, bob: User) -> None:
    room = fresh(secret)
    assert refusal(running.rename, room, loaded(bob), "Mine") == FORBIDDEN
    assert refusal(running.set_topic, room, loaded(bob), "Mine") == FORBIDDEN
    assert refusal(running.rename, room, loaded(ada), "x" * 81) == BAD_REQUEST
    assert refusal(running.rename, room, loaded(ada), "evil\u202eexe") == BAD_REQUEST
    assert refusal(running.set_topic, room, loaded(ada), "t" * 251) == BAD_REQUEST
    running.rename(room, loaded(ada), "  Plans   <b>2027</b> ")
    running.set_topic(room, loaded(ada), "What we do\nnext")
    room = fresh(secret)
    assert (room.name, room.topic) == ("Plans <b>2027</b>", "What we do next")
    assert room.slug == secret.slug, "the address stays"


@pytest.mark.usefixtures("ctx")
def test_names_are_unique_among_the_live_rooms_a_person_sees(secret: Room, ada: User, eve: User) -> None:
    room = fresh(secret)
    rooms.create_room("General talk", loaded(eve))
    assert refusal(running.rename, room, loaded(ada), "GENERAL TALK") == CONFLICT, "a public room's name"
    other = rooms.create_room("Other", loaded(ada), private=True)
    assert refusal(running.rename, other, loaded(ada), "secret") == CONFLICT, "her own private room"
    hidden = rooms.create_room("Hidden", loaded(eve), private=True)
    running.rename(other, loaded(ada), "hidden")  # eve's private room blocks nothing, says nothing
    running.rename(hidden, loaded(eve), "HIDDEN")  # and ada's blocks nothing for eve
    running.archive(fresh(secret), loaded(ada))
    running.rename(other, loaded(ada), "Secret")  # an archived room's name is free again
    assert refusal(running.restore, fresh(secret), loaded(ada)) == CONFLICT, "until it is taken"


@pytest.mark.usefixtures("ctx")
def test_an_archived_room_is_read_only_and_off_the_sidebar_until_restored(
    secret: Room, ada: User, bob: User
) -> None:
    from chat.domain.sidebar import sidebar_of

    room = fresh(secret)
    messages.send(room, loaded(bob), "before", "c1")
    assert refusal(running.archive, room, loaded(bob)) == FORBIDDEN
    running.archive(room, loaded(ada))
    room = fresh(secret)
    assert refusal(messages.send, room, loaded(bob), "after", "c2") == BAD_REQUEST
    assert refusal(changes.edit, room, loaded(bob), 1, "changed") == BAD_REQUEST
    assert room.last_seq == 1
    assert [e.slug for e in sidebar_of(loaded(bob)).rooms] == []
    assert rooms.room_for(loaded(bob), room.slug).id == room.id, "still opened and read"
    assert room in rooms.visible_rooms(loaded(bob), search="secr").rooms, "still found"
    running.restore(room, loaded(ada))
    assert messages.send(fresh(secret), loaded(bob), "after", "c3").seq == 2
    assert [e.slug for e in sidebar_of(loaded(bob)).rooms] == [room.slug]


@pytest.mark.usefixtures("ctx")
def test_delete_asks_for_the_name_and_takes_the_messages(secret: Room, ada: User, bob: User) -> None:
    room = fresh(secret)
    messages.send(room, loaded(bob), "gone soon", "c1")
    assert refusal(running.delete, room, loaded(bob), "Secret") == FORBIDDEN
    assert refusal(running.delete, room, loaded(ada), "secre") == BAD_REQUEST
    running.delete(room, loaded(ada), " secret ")
    assert db.session.scalar(db.select(Room).where(Room.id == secret.id)) is None
    assert refusal(rooms.room_for, loaded(ada), secret.slug) == NOT_FOUND


@pytest.mark.usefixtures("ctx")
def test_room_admins_delete_anyones_message_members_only_their_own(
    secret: Room, ada: User, bob: User
) -> None:
    room = fresh(secret)
    messages.send(room, loaded(ada), "by ada", "c1")
    messages.send(room, loaded(bob), "by bob", "c2")
    assert refusal(changes.delete, room, loaded(bob), 1) == FORBIDDEN
    assert changes.delete(room, loaded(ada), 2).message.deleted
    messages.send(room, loaded(bob), "bob's again", "c3")
    assert refusal(changes.edit, room, loaded(ada), 3, "not hers") == FORBIDDEN, "deleting is all"


# --- live: what sockets hear, at once ---------------------------------------------------------


def test_removal_ends_the_removed_sockets_events_and_tells_their_pages(
    login: Login, secret: Room, ada: User, bob: User
) -> None:
    ada_browser, bob_browser = login(ada), login(bob)
    bob_in_room, bob_elsewhere = bob_browser.socket(), bob_browser.socket()
    ada_sock = ada_browser.socket()
    for sock in (bob_in_room, ada_sock):
        assert call(sock, "join", {"room": secret.slug})["ok"]
        assert call(sock, "typing", {"room": secret.slug, "typing": True})["ok"]
    inbox(bob_in_room), inbox(bob_elsewhere), inbox(ada_sock)
    response = ada_browser.post_form(
        f"/r/{secret.slug}/members/remove", {"username": "bob"}, token_from=f"/r/{secret.slug}/settings"
    )
    assert response.status_code == 303
    for sock in (bob_in_room, bob_elsewhere):
        assert received(sock, "membership_ended") == [{"room": secret.slug, "reason": "removed"}]
    heard_by_ada = inbox(ada_sock)
    assert not [e for e in heard_by_ada if e[0] == "presence"], "he is still online: he left the room's list"
    assert ("typing", {"room": secret.slug, "username": "bob", "typing": False}) in heard_by_ada
    assert ("member", {"room": secret.slug, "username": "bob", "member": False}) in heard_by_ada
    ack = call(ada_sock, "message", {"room": secret.slug, "text": "bob is gone", "client_id": "a1"})
    assert ack["ok"]
    assert inbox(bob_in_room) == [], "nothing of the room reaches him"
    assert inbox(bob_elsewhere) == []
    for event, extra in (
        ("message", {"text": "x", "client_id": "b1"}),
        ("typing", {"typing": True}),
        ("history", {}),
    ):
        assert call(bob_in_room, event, {"room": secret.slug, **extra})["error"]["code"] == "not_found"
    assert bob_browser.http.get(f"/r/{secret.slug}").status_code == 404


def test_someone_added_sees_the_room_appear_and_everyone_hears_a_rename(
    login: Login, secret: Room, ada: User, eve: User
) -> None:
    ada_browser, eve_browser = login(ada), login(eve)
    eve_sock, ada_sock = eve_browser.socket(), ada_browser.socket()
    assert call(ada_sock, "join", {"room": secret.slug})["ok"]
    inbox(ada_sock)
    settings = f"/r/{secret.slug}/settings"
    assert (
        ada_browser.post_form(
            f"/r/{secret.slug}/members", {"username": "eve"}, token_from=settings
        ).status_code
        == 303
    )
    assert [e["room"] for e in received(eve_sock, "activity")] == [secret.slug], "her sidebar reloads"
    assert received(ada_sock, "member") == [{"room": secret.slug, "username": "eve", "member": True}]
    assert ada_browser.post_form(f"{settings}/topic", {"topic": "Q3"}, token_from=settings).status_code == 303
    changed = {"slug": secret.slug, "name": "Secret", "kind": "private", "topic": "Q3", "archived": False}
    assert received(ada_sock, "room_changed") == [changed], "the open page"
    assert received(eve_sock, "room_changed") == [changed], "a member's sidebar"
    page = eve_browser.http.get(f"/r/{secret.slug}").get_data(as_text=True)
    assert '<p id="room-topic" class="topic muted">Q3</p>' in page


# --- group conversations -----------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_a_group_conversation_of_up_to_eight_people(ada: User, bob: User, eve: User, app: Flask) -> None:
    from chat.domain import groups
    from chat.domain.sidebar import sidebar_of

    carol = make_user(app, "carol")
    group = groups.open_group(loaded(ada), ["bob", " EVE", "ada"])
    assert groups.is_group(group)
    assert (group.kind, group.name) == ("direct", "ada, bob, eve")
    assert set(group.member_names()) == {"ada", "bob", "eve"}, "everyone is in it from the start"
    assert [e.label for e in sidebar_of(loaded(bob)).directs] == ["ada, eve"]
    assert groups.open_group(loaded(eve), ["ada", "bob"]).id == group.id, "one group per set of people"
    assert refusal(rooms.room_for, loaded(carol), group.slug) == NOT_FOUND
    assert refusal(groups.open_group, loaded(ada), ["bob"]) == BAD_REQUEST, "a pair is a direct message"
    assert refusal(groups.open_group, loaded(ada), ["bob", "nobody"]) == NOT_FOUND
    many = [make_user(app, f"p{n}").username for n in range(8)]
    assert refusal(groups.open_group, loaded(ada), many) == BAD_REQUEST, "nine with ada"
    eight = groups.open_group(loaded(ada), many[:7])
    assert eight.member_count() == 8
    assert refusal(running.rename, group, loaded(ada), "Ours") == FORBIDDEN, "nobody runs a conversation"
    membership.leave(group, loaded(bob))
    assert set(group.member_names()) == {"ada", "eve"}
    assert refusal(rooms.room_for, loaded(bob), group.slug) == NOT_FOUND
    pair = directs.open_direct_room(loaded(ada), "eve")
    assert refusal(membership.leave, pair, loaded(ada)) == BAD_REQUEST


@pytest.mark.usefixtures("eve")
def test_starting_a_group_from_the_people_page(login: Login, ada: User, bob: User) -> None:
    browser = login(ada)
    response = browser.post_form("/groups", {"usernames": "bob, eve"}, token_from="/people")
    assert response.status_code == 303
    slug = response.headers["Location"].removeprefix("/r/")
    assert slug.startswith("group-")
    assert login(bob).http.get(f"/r/{slug}").status_code == 200
    refused = browser.post_form("/groups", {"usernames": "bob"}, token_from="/people")
    assert (refused.status_code, refused.headers["Location"]) == (303, "/people")
    assert "at least two other people" in browser.http.get("/people").get_data(as_text=True)


def test_the_room_page_offers_admins_the_delete_of_anyones_message(
    app: Flask, login: Login, secret: Room, ada: User, bob: User
) -> None:
    with app.app_context():
        messages.send(fresh(secret), loaded(bob), "by bob", "b1")
        messages.send(fresh(secret), loaded(ada), "by ada", "a1")

    def buttons(browser_of: User) -> list[list[str]]:
        page = login(browser_of).http.get(f"/r/{secret.slug}").get_data(as_text=True)
        items = re.findall(
            r'<li class="message.*?</li>', page.split('<ol id="messages"')[1].split("</ol>")[0], re.S
        )
        return [re.findall(r'data-action="(edit|delete)"', item) for item in items]

    assert buttons(ada) == [["delete"], ["edit", "delete"]], "bob's message, then her own"
    assert buttons(bob) == [["edit", "delete"], []]


def test_an_archived_room_refuses_every_write_on_the_socket_and_still_reads(
    app: Flask, login: Login, secret: Room, ada: User, bob: User
) -> None:
    sock = login(bob).socket()
    assert call(sock, "join", {"room": secret.slug})["ok"]
    assert call(sock, "message", {"room": secret.slug, "text": "before", "client_id": "b0"})["ok"]
    with app.app_context():
        running.archive(fresh(secret), loaded(ada))
    assert received(sock, "room_changed")[-1]["archived"] is True
    writes: list[tuple[str, dict[str, object]]] = [
        ("message", {"text": "after", "client_id": "b1"}),
        ("typing", {"typing": True}),
        ("edit", {"seq": 1, "text": "changed"}),
        ("delete", {"seq": 1}),
        ("react", {"seq": 1, "emoji": "\U0001f44d", "on": True}),
    ]
    for event, extra in writes:
        ack = call(sock, event, {"room": secret.slug, **extra})
        assert ack["error"] == {"code": "bad_request", "message": ARCHIVED_ROOM}, event
    assert [m["text"] for m in call(sock, "history", {"room": secret.slug})["messages"]] == ["before"]
    assert call(sock, "typing", {"room": secret.slug, "typing": False})["ok"], "stopping is no write"
