"""``flask users ...`` and ``flask invites ...``: the operator runs accounts and invitations.

The operator acts as a site administrator (``actor=None`` in the domain).
Every refusal is printed as an error with exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from chat.command_line import refused, say
from chat.domain import accounts, people, signups
from chat.models import Invite
from chat.models.time import iso_utc

users_cli = AppGroup("users", help="List, create, disable and enable accounts; make admins; reset passwords.")
invites_cli = AppGroup("invites", help="Create, list and revoke invitation links.")


def link(path: str) -> str:
    """An address people can open: PUBLIC_URL before ``path`` when it is set."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}{path}" if base else path


@users_cli.command("list")
def list_users() -> None:
    """Every account: name, display name, role and state."""
    for user in people.everyone():
        role = "admin" if user.is_admin else "member"
        state = "disabled" if user.is_disabled else "enabled"
        shown = f" ({user.display_name})" if user.display_name else ""
        say(f"{user.username}{shown}\t{role}\t{state}\tsince {iso_utc(user.created_at)[:10]}")


@users_cli.command("create")
@click.argument("username")
@click.password_option(help="Asked for when not given.")
@click.option("--admin", is_flag=True, help="A site administrator.")
def create_user(username: str, password: str, admin: bool) -> None:
    """Create the account USERNAME (the site's first account is an admin anyway)."""
    with refused():
        user = accounts.register_user(username, password, admin=admin)
    say(f"created {'admin' if user.is_admin else 'user'} {user.username}")


def _user_command(name: str, act: Callable[[str], object], done: str, doc: str) -> None:
    def command(username: str) -> None:
        with refused():
            act(username)
        say(done.format(username=username))

    command.__doc__ = doc
    users_cli.command(name)(click.argument("username")(command))


_user_command(
    "disable",
    lambda username: people.set_disabled(None, username, True),
    "disabled {username}: their sessions ended; their messages stay",
    "Disable USERNAME: no login, every session and socket ends at once; messages stay.",
)
_user_command(
    "enable",
    lambda username: people.set_disabled(None, username, False),
    "enabled {username}",
    "Enable USERNAME again.",
)
_user_command(
    "make-admin",
    lambda username: people.make_admin(None, username),
    "{username} is a site administrator",
    "Make USERNAME a site administrator.",
)


@users_cli.command("reset-password")
@click.argument("username")
@click.option(
    "--hours", type=float, default=people.RESET_LINK_HOURS, show_default=True, help="How long the link works."
)
def reset_password(username: str, hours: float) -> None:
    """Print a one-time link with which USERNAME sets a new password (earlier links stop working)."""
    with refused():
        token = people.create_reset_link(None, username, hours)
    say(f"{link('/reset/' + token)}\n(works once, for {hours:g} hours; give it to {username} privately)")


def describe(invite: Invite) -> str:
    """One line about an invitation: id, state, uses, expiry, rooms, link."""
    state = "revoked" if invite.revoked_at else ("usable" if signups.is_usable(invite) else "spent")
    uses = f"{invite.uses}/{invite.max_uses}" if invite.max_uses is not None else f"{invite.uses}/-"
    expires = iso_utc(invite.expires_at)[:16] + "Z" if invite.expires_at else "never"
    where = ",".join(room.slug for room in invite.rooms) or "-"
    return (
        f"{invite.id}\t{state}\tuses {uses}\texpires {expires}\trooms {where}\t{link('/join/' + invite.code)}"
    )


@invites_cli.command("create")
@click.option("--days", type=float, default=None, help="Expires after this many days (default: never).")
@click.option(
    "--uses", "max_uses", type=int, default=None, help="Good for this many sign-ups (default: any)."
)
@click.option(
    "--room", "room_slugs", multiple=True, metavar="SLUG", help="Newcomers join this room (repeatable)."
)
def create_invite(days: float | None, max_uses: int | None, room_slugs: tuple[str, ...]) -> None:
    """Create an invitation link and print it."""
    with refused():
        invite = signups.create_invite(None, days=days, max_uses=max_uses, room_slugs=room_slugs)
    say(describe(invite))
    if signups.signup_mode() == signups.CLOSED:
        say("note: sign-up is closed, so this link admits nobody until it is opened", err=True)


@invites_cli.command("list")
def list_invites() -> None:
    """The newest invitations, revoked and spent ones included."""
    for invite in signups.invites(None):
        say(describe(invite))


@invites_cli.command("revoke")
@click.argument("invite_id", type=int)
def revoke_invite(invite_id: int) -> None:
    """Revoke invitation INVITE_ID (as listed): its link stops working at once."""
    with refused():
        invite = signups.revoke_invite(None, invite_id)
    say(f"revoked invitation {invite.id}")


def init_app(app: Flask) -> None:
    """Register the commands with ``app``'s ``flask`` CLI."""
    app.cli.add_command(users_cli)
    app.cli.add_command(invites_cli)
