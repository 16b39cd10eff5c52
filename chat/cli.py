"""``flask`` commands for operators: seed, create and delete rooms, announce; accounts are in ``accounts_cli``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from chat.domain import accounts, messages, rooms
from chat.domain.errors import NOT_FOUND, ChatError

SEED_ROOMS = ("general", "random")

# AppGroup runs each command inside an application context.
rooms_cli = AppGroup("rooms", help="Create, seed and delete rooms.")


@rooms_cli.command("seed")
def seed_rooms() -> None:
    """Create the default public rooms; running it again changes nothing."""
    for name in SEED_ROOMS:
        room, created = rooms.ensure_room(name)
        click.echo(f"{'created' if created else 'exists '} /r/{room.slug}")


@rooms_cli.command("create")
@click.argument("name")
@click.option("--private", is_flag=True, help="Members only (they add others on the room page).")
@click.option("--member", "members", multiple=True, metavar="USERNAME", help="A first member (repeatable).")
def create_room(name: str, private: bool, members: tuple[str, ...]) -> None:
    """Create a room called NAME."""
    try:
        people = [accounts.existing_user(username) for username in members]
        room = rooms.create_room(name, private=private)
        for person in people:
            rooms.admit(room, person)
    except ChatError as refusal:
        raise click.ClickException(refusal.message) from refusal
    click.echo(f"created {room.kind} room /r/{room.slug}")


@rooms_cli.command("delete")
@click.argument("slug")
def delete_room(slug: str) -> None:
    """Delete the room at /r/SLUG with its members and messages, at once (nothing is asked).

    Instances drop their copy of the room within 10 seconds; sockets still in
    it are answered not_found from then on.
    """
    try:
        room = rooms.delete_room(slug)
    except ChatError as refusal:
        raise click.ClickException(refusal.message) from refusal
    click.echo(f"deleted {room.kind} room /r/{room.slug} and its {room.last_seq} messages")


@click.command("announce")
@with_appcontext
@click.argument("room")
@click.argument("text")
def announce(room: str, text: str) -> None:
    """Post TEXT in ROOM as the system user, live to every server through Redis."""
    try:
        found = rooms.find_room(room)
        if found is None:
            raise ChatError(NOT_FOUND, f"There is no room {room!r}.")
        posted = messages.announce(found, text)
    except ChatError as refusal:
        raise click.ClickException(refusal.message) from refusal
    live = (
        "delivered live"
        if current_app.config["REDIS_URL"]
        else "stored (no REDIS_URL: clients see it when they next load the room)"
    )
    click.echo(f"announced in /r/{found.slug} as seq {posted.message.seq}, {live}")


def init_app(app: Flask) -> None:
    """Register the commands with ``app``'s ``flask`` CLI."""
    app.cli.add_command(announce)
    app.cli.add_command(rooms_cli)
