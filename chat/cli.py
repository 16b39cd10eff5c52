"""``flask`` commands for operators: seed, create and delete rooms, create users."""

from __future__ import annotations

import logging
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from chat.domain import accounts, messages, rooms
from chat.domain.errors import NOT_FOUND, ChatError

SEED_ROOMS = ("general", "random")
log = logging.getLogger("parley.cli")


def say(line: str) -> None:
    """What a command did: a line on stdout, or with LOG_FORMAT=json a JSON line on stderr."""
    if current_app.config["LOG_FORMAT"] == "json":
        log.info(line)
    else:
        click.echo(line)


class Refusal(click.ClickException):
    """Why a command did nothing: click's "Error: ..." line, or with LOG_FORMAT=json a JSON line."""

    def __init__(self, refusal: ChatError) -> None:
        super().__init__(refusal.message)
        self.as_json = current_app.config["LOG_FORMAT"] == "json"  # shown after the app context ends

    def show(self, file: IO[Any] | None = None) -> None:
        """Write the one line (click calls this before it exits with 1)."""
        if self.as_json:
            log.error(self.message)
        else:
            super().show(file)


# AppGroup runs each command inside an application context.
rooms_cli = AppGroup("rooms", help="Create, seed and delete rooms.")
users_cli = AppGroup("users", help="Create users.")


@rooms_cli.command("seed")
def seed_rooms() -> None:
    """Create the default public rooms; running it again changes nothing."""
    for name in SEED_ROOMS:
        room, created = rooms.ensure_room(name)
        say(f"{'created' if created else 'exists '} /r/{room.slug}")


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
        raise Refusal(refusal) from refusal
    say(f"created {room.kind} room /r/{room.slug}")


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
        raise Refusal(refusal) from refusal
    say(f"deleted {room.kind} room /r/{room.slug} and its {room.last_seq} messages")


@users_cli.command("create")
@click.argument("username")
@click.password_option(help="Asked for when not given.")
def create_user(username: str, password: str) -> None:
    """Create the account USERNAME."""
    try:
        user = accounts.register_user(username, password)
    except ChatError as refusal:
        raise Refusal(refusal) from refusal
    say(f"created user {user.username}")


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
        raise Refusal(refusal) from refusal
    live = (
        "delivered live"
        if current_app.config["REDIS_URL"]
        else "stored (no REDIS_URL: clients see it when they next load the room)"
    )
    say(f"announced in /r/{found.slug} as seq {posted.message.seq}, {live}")


def init_app(app: Flask) -> None:
    """Register the commands with ``app``'s ``flask`` CLI."""
    app.cli.add_command(announce)
    app.cli.add_command(rooms_cli)
    app.cli.add_command(users_cli)
