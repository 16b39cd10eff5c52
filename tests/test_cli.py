"""The flask CLI: seeding and creating rooms, creating users, announcing."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from chat.domain import messages, roles, rooms
from chat.extensions import db
from chat.models import Membership, Message, Room, User


def run(app: Flask, *args: str, input: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result.exit_code, result.output


def test_seeding_is_idempotent(app: Flask) -> None:
    assert run(app, "rooms", "seed") == (0, "created /r/general\ncreated /r/random\n")
    assert run(app, "rooms", "seed") == (0, "exists  /r/general\nexists  /r/random\n")
    with app.app_context():
        assert db.session.query(Room).count() == 2


@pytest.mark.usefixtures("ada", "bob")
def test_create_a_private_room_with_its_first_members(app: Flask) -> None:
    code, output = run(app, "rooms", "create", "Core Team", "--private", "--member", "ada", "--member", "BOB")
    assert code == 0
    created = re.fullmatch(r"created private room /r/(core-team-[0-9a-f]{6})\n", output)
    assert created is not None, "a private room gets a slug of its own"
    with app.app_context():
        room = rooms.find_room(created[1])
        assert room is not None
        assert room.kind == "private"
        assert room.member_names() == ["ada", "bob"]


@pytest.mark.usefixtures("ada")
def test_create_refuses_unknown_members_and_duplicates(app: Flask) -> None:
    code, output = run(app, "rooms", "create", "Ops", "--member", "nobody")
    assert code == 1
    assert "There is no user 'nobody'" in output
    with app.app_context():
        assert rooms.find_room("ops") is None, "nothing half-created"
    assert run(app, "rooms", "create", "Ops")[0] == 0
    code, output = run(app, "rooms", "create", "ops")
    assert code == 1
    assert "already exists" in output


def test_delete_a_room_with_its_members_and_messages_asking_nothing(app: Flask, ada: User) -> None:
    with app.app_context():
        owner = db.session.get(User, ada.id)
        assert owner is not None
        room = rooms.create_room("Doomed", owner)
        messages.send(room, owner, "last words", "c1")
        kept = rooms.create_room("kept", owner)
        messages.send(kept, owner, "still here", "c2")
    code, output = run(app, "rooms", "delete", "doomed")  # no input: nothing is asked
    assert (code, output) == (0, "deleted public room /r/doomed and its 1 messages\n")
    with app.app_context():
        assert rooms.find_room("doomed") is None, "this process forgot its copy at once"
        assert db.session.query(Room).filter_by(slug="doomed").count() == 0
        assert [m.text for m in db.session.query(Message)] == ["still here"]
        assert db.session.query(Membership).count() == 1, "the kept room's membership only"
    code, output = run(app, "rooms", "delete", "doomed")
    assert code == 1
    assert "There is no room 'doomed'" in output


def test_users_create_prompts_for_the_password(app: Flask) -> None:
    code, output = run(app, "users", "create", "grace", input="long-enough\nlong-enough\n")
    assert code == 0
    assert "created admin grace" in output, "the first account of a site is its admin"
    with app.app_context():
        user = User.by_username("grace")
        assert user is not None
        assert user.check_password("long-enough")
    assert run(app, "users", "create", "Grace", "--password", "long-enough")[0] == 1


@pytest.mark.usefixtures("general")
def test_announce_posts_as_the_system_user(app: Flask) -> None:
    code, output = run(app, "announce", "general", "  Maintenance at 18:00  ")
    assert code == 0
    assert "as seq 1" in output
    with app.app_context():
        message = db.session.query(Message).one()
        assert (message.author.username, message.text, message.seq) == ("parley", "Maintenance at 18:00", 1)
        assert not message.author.check_password(""), "nobody can log in as the system user"
    assert run(app, "announce", "nowhere", "hi")[0] == 1
    assert run(app, "announce", "general", "   ")[0] == 1


def test_nobody_can_register_the_system_name(app: Flask) -> None:
    assert run(app, "users", "create", "Parley", "--password", "long-enough")[0] == 1


# --- rooms an operator runs ----------------------------------------------------------------------


def test_a_private_room_is_never_born_unreachable(app: Flask) -> None:
    code, output = run(app, "rooms", "create", "Vault", "--private")
    assert code == 2
    assert "needs a --member or an --admin" in output
    with app.app_context():
        assert db.session.query(Room).count() == 0


@pytest.mark.usefixtures("ada", "bob")
def test_create_with_an_admin_who_runs_the_room(app: Flask) -> None:
    code, output = run(app, "rooms", "create", "Vault", "--private", "--admin", "bob")
    assert code == 0
    slug = output.strip().rsplit("/r/", 1)[1]
    with app.app_context():
        room = rooms.find_room(slug)
        assert room is not None
        assert roles.admin_names(room) == ["bob"]
        assert room.member_names() == ["bob"]


@pytest.mark.usefixtures("ada", "bob")
def test_members_added_and_removed_and_rooms_listed(app: Flask) -> None:
    assert run(app, "rooms", "create", "Ops")[0] == 0
    assert run(app, "rooms", "add-member", "ops", "ADA", "--admin") == (0, "ada is an admin of /r/ops\n")
    assert run(app, "rooms", "add-member", "ops", "bob") == (0, "bob is a member of /r/ops\n")
    code, output = run(app, "rooms", "list")
    assert (code, output) == (0, "/r/ops\tpublic\t2 members\tOps\n")
    assert run(app, "rooms", "remove-member", "ops", "bob") == (0, "bob is no longer a member of /r/ops\n")
    code, output = run(app, "rooms", "remove-member", "ops", "bob")
    assert code == 1
    assert "'bob' is not a member of this room" in output
    assert run(app, "rooms", "add-member", "nowhere", "bob")[0] == 1
    assert run(app, "rooms", "add-member", "ops", "nobody")[0] == 1
    with app.app_context():
        room = rooms.find_room("ops")
        assert room is not None
        assert room.member_names() == ["ada"]
        assert roles.admin_names(room) == ["ada"]


def test_archive_and_restore(app: Flask) -> None:
    assert run(app, "rooms", "create", "Old")[0] == 0
    assert run(app, "rooms", "archive", "old") == (0, "archived /r/old\n")
    assert run(app, "rooms", "list", "--archived") == (0, "/r/old\tpublic\t0 members\tOld  (archived)\n")
    assert run(app, "rooms", "archive", "old", "--restore") == (0, "restored /r/old\n")
    assert run(app, "rooms", "list", "--archived") == (0, "")
    assert run(app, "rooms", "archive", "nowhere")[0] == 1
