"""``flask`` commands for operators: seed and create rooms, create users."""

from __future__ import annotations

import click
from flask import Flask

from chat.domain import accounts, rooms
from chat.domain.errors import ChatError

SEED_ROOMS = ("general", "random")

rooms_cli = click.Group("rooms", help="Create and seed rooms.")
users_cli = click.Group("users", help="Create users.")


@rooms_cli.command("seed")
def seed_rooms() -> None:
    """Create the default public rooms; running it again changes nothing."""
    for name in SEED_ROOMS:
        room, created = rooms.ensure_room(name)
        click.echo(f"{'created' if created else 'exists '} /r/{room.slug}")


@rooms_cli.command("create")
@click.argument("name")
@click.option("--private", is_flag=True, help="Members only (add them on the room page).")
def create_room(name: str, private: bool) -> None:
    """Create a room called NAME."""
    try:
        room = rooms.create_room(name, private=private)
    except ChatError as refusal:
        raise click.ClickException(refusal.message) from refusal
    click.echo(f"created {room.kind} room /r/{room.slug}")


@users_cli.command("create")
@click.argument("username")
@click.password_option(help="Asked for when not given.")
def create_user(username: str, password: str) -> None:
    """Create the account USERNAME."""
    try:
        user = accounts.register_user(username, password)
    except ChatError as refusal:
        raise click.ClickException(refusal.message) from refusal
    click.echo(f"created user {user.username}")


def init_app(app: Flask) -> None:
    app.cli.add_command(rooms_cli)
    app.cli.add_command(users_cli)
