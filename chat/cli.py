"""``flask`` commands for operators: rooms and their members, announcements; accounts are in ``accounts_cli``.

The operator runs every room (``by=None`` in the domain). A refusal is an
error with exit code 1; a command used wrongly (a private room with nobody
in it) exits 2, as click's usage errors do.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from chat.command_line import refused, say
from chat.domain import accounts, membership, messages, rooms, running
from chat.domain.errors import NOT_FOUND, ChatError
from chat.models import Room

SEED_ROOMS = ("general", "random")


# AppGroup runs each command inside an application context.
rooms_cli = AppGroup("rooms", help="List, create, seed, archive and delete rooms; add and remove members.")


@rooms_cli.command("seed")
def seed_rooms() -> None:
    """Create the default public rooms; running it again changes nothing."""
    for name in SEED_ROOMS:
        room, created = rooms.ensure_room(name)
        say(f"{'created' if created else 'exists '} /r/{room.slug}")


@rooms_cli.command("list")
@click.option("--archived", is_flag=True, help="Archived rooms only.")
def list_rooms(archived: bool) -> None:
    """Every public and private room: address, kind, members, name (archived ones marked)."""
    for room, members in running.every_room(archived_only=archived):
        mark = "  (archived)" if room.archived else ""
        say(f"/r/{room.slug}\t{room.kind}\t{members} members\t{room.name}{mark}")


@rooms_cli.command("create")
@click.argument("name")
@click.option("--private", is_flag=True, help="Members only: needs at least one --member or --admin.")
@click.option("--member", "members", multiple=True, metavar="USERNAME", help="A first member (repeatable).")
@click.option("--admin", "admins", multiple=True, metavar="USERNAME", help="A first admin (repeatable).")
def create_room(name: str, private: bool, members: tuple[str, ...], admins: tuple[str, ...]) -> None:
    """Create a room called NAME."""
    if private and not (members or admins):
        raise click.UsageError(
            "A private room needs a --member or an --admin: nobody could enter it otherwise."
        )
    with refused():
        for username in (*members, *admins):
            accounts.existing_user(username)  # all known before anything is made
        room = rooms.create_room(name, private=private)
        for username in members:
            membership.enrol(room, username)
        for username in admins:
            membership.enrol(room, username, admin=True)
    say(f"created {room.kind} room /r/{room.slug}")


@rooms_cli.command("add-member")
@click.argument("slug")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make them one of the room's admins too.")
def add_member(slug: str, username: str, admin: bool) -> None:
    """Make USERNAME a member (or an --admin) of the room at /r/SLUG; the room shows in their sidebar at once."""
    with refused():
        person = membership.enrol(_room(slug), username, admin=admin)
    say(f"{person.username} is {'an admin' if admin else 'a member'} of /r/{slug}")


@rooms_cli.command("remove-member")
@click.argument("slug")
@click.argument("username")
def remove_member(slug: str, username: str) -> None:
    """End USERNAME's membership of /r/SLUG: their open pages and sockets lose the room at once."""
    with refused():
        person = membership.dismiss(_room(slug), username)
    say(f"{person.username} is no longer a member of /r/{slug}")


@rooms_cli.command("archive")
@click.argument("slug")
@click.option("--restore", is_flag=True, help="Restore an archived room instead.")
def archive_room(slug: str, restore: bool) -> None:
    """Archive the room at /r/SLUG (read-only, off the sidebars), or --restore it."""
    with refused():
        room = _room(slug)
        (running.restore if restore else running.archive)(room, None)
    say(f"{'restored' if restore else 'archived'} /r/{slug}")


@rooms_cli.command("delete")
@click.argument("slug")
def delete_room(slug: str) -> None:
    """Delete the room at /r/SLUG with its members and messages, at once (nothing is asked).

    Its members' open pages and sockets lose the room at once, on every
    instance; instances drop their copy of the room within 10 seconds.
    """
    with refused():
        room = _room(slug)
        running.delete(room, None, room.name)
    say(f"deleted {room.kind} room /r/{room.slug} and its {room.last_seq} messages")


def _room(slug: str) -> Room:
    found = rooms.find_room(slug)
    if found is None:
        raise rooms.not_found(slug)
    return found


@click.command("announce")
@with_appcontext
@click.argument("room")
@click.argument("text")
def announce(room: str, text: str) -> None:
    """Post TEXT in ROOM as the system user, live to every server through Redis."""
    with refused():
        found = rooms.find_room(room)
        if found is None:
            raise ChatError(NOT_FOUND, f"There is no room {room!r}.")
        posted = messages.announce(found, text)
    live = (
        "delivered live"
        if current_app.config["REDIS_URL"]
        else "stored (no REDIS_URL: clients see it when they next load the room)"
    )
    say(f"announced in /r/{found.slug} as seq {posted.seq}, {live}")


def init_app(app: Flask) -> None:
    """Register the commands with ``app``'s ``flask`` CLI."""
    app.cli.add_command(announce)
    app.cli.add_command(rooms_cli)
