"""A room's settings page and its forms: what admins (and site admins) do to run a room, and leaving it.

Every form posts to its own route, which asks the domain (``roles``,
``membership``, ``running``) to do it: the domain authorises. A room the
person may not see is 404, a room they may see but not run is 403, and a
refusal of what was asked (a taken name, the last admin) goes back to the
settings page with the reason (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from chat.decorators import login_required
from chat.domain import membership, roles, rooms, running
from chat.domain.directory import find_people
from chat.domain.errors import ChatError
from chat.extensions import db
from chat.forms import PageForm
from chat.models import Membership, Room, User
from chat.rooms import bp
from chat.rooms.forms import ConfirmForm, DeleteRoomForm, PersonForm, RenameForm, TopicForm

MEMBERS_ON_SETTINGS = 200


def _room_to_run(slug: str) -> Room:
    try:
        return roles.managed_room(current_user, slug)
    except ChatError as refusal:
        abort(refusal.http_status, refusal.message)


def _back(room: Room, note: str, category: str = "message") -> Response:
    flash(note, category)
    return redirect(url_for("rooms.settings", slug=room.slug), 303)


def _act(slug: str, form: PageForm, act: Callable[[Room], str]) -> Response:
    """Check the form and who asks, do ``act`` (which says what it did), and go back to the settings."""
    room = _room_to_run(slug)
    if not form.validate_on_submit():
        reasons = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _back(room, reasons or "Try again.", "error")
    try:
        note = act(room)
    except ChatError as refusal:  # who asks was checked above: this is about what was asked
        db.session.rollback()
        return _back(room, refusal.message, "error")
    return _back(room, note)


@bp.route("/r/<slug>/settings")
@login_required
def settings(slug: str) -> str:
    """The settings of a room for who runs it: name, topic, members and admins, archive, delete."""
    room = _room_to_run(slug)
    query = request.args.get("q")
    found = None if query is None else find_people(query, current_user, limit=20)
    return render_template(
        "rooms/settings.html",
        room=room,
        members=room.member_names(limit=MEMBERS_ON_SETTINGS),
        members_total=room.member_count(),
        admins=set(roles.admin_names(room)),
        q=query or "",
        found=found,
        already=_members_among(room, found.usernames if found else []),
        rename_form=RenameForm(formdata=None, name=room.name),
        topic_form=TopicForm(formdata=None, topic=room.topic),
        delete_form=DeleteRoomForm(formdata=None),
        person_form=PersonForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    )


def _members_among(room: Room, usernames: list[str]) -> set[str]:
    if not usernames:
        return set()
    return set(
        db.session.scalars(
            select(User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.room_id == room.id, User.username.in_(usernames))
        )
    )


@bp.route("/r/<slug>/settings/name", methods=["POST"])
@login_required
def rename(slug: str) -> Response:
    """Rename the room (its address stays)."""
    form = RenameForm()
    return _act(
        slug,
        form,
        lambda room: f"Renamed to {running.rename(room, current_user, form.name.data or '').name}.",
    )


@bp.route("/r/<slug>/settings/topic", methods=["POST"])
@login_required
def topic(slug: str) -> Response:
    """Set or clear the topic."""
    form = TopicForm()

    def act(room: Room) -> str:
        return (
            "Topic set."
            if running.set_topic(room, current_user, form.topic.data or "").topic
            else "Topic cleared."
        )

    return _act(slug, form, act)


@bp.route("/r/<slug>/settings/archive", methods=["POST"])
@login_required
def archive(slug: str) -> Response:
    """Archive the room: read-only, off the sidebar."""
    return _act(slug, ConfirmForm(), lambda room: f"{running.archive(room, current_user).name} is archived.")


@bp.route("/r/<slug>/settings/restore", methods=["POST"])
@login_required
def restore(slug: str) -> Response:
    """Restore an archived room."""
    return _act(slug, ConfirmForm(), lambda room: f"{running.restore(room, current_user).name} is restored.")


@bp.route("/r/<slug>/settings/delete", methods=["POST"])
@login_required
def delete(slug: str) -> Response:
    """Delete the room and its messages, once its name is typed; off to the room list."""
    room = _room_to_run(slug)
    form = DeleteRoomForm()
    if not form.validate_on_submit():
        return _back(room, "Type the room's name to delete it.", "error")
    try:
        gone = running.delete(room, current_user, form.confirmation.data or "")
    except ChatError as refusal:
        return _back(room, refusal.message, "error")
    flash(f"{gone.name} is deleted, with its {gone.last_seq} messages.")
    return redirect(url_for("rooms.index"), 303)


def _about_person(slug: str, act: Callable[[Room, User, str], User], note: str) -> Response:
    """A form about one person: ``act(room, by, username)``, then ``note`` with their name."""
    form = PersonForm()
    return _act(
        slug, form, lambda room: note.format(act(room, current_user, form.username.data or "").username)
    )


@bp.route("/r/<slug>/members", methods=["POST"])
@login_required
def add_member(slug: str) -> Response:
    """An admin adds someone (chosen from the directory search) to a private room."""
    return _about_person(slug, membership.add_member, "{} is now a member.")


@bp.route("/r/<slug>/members/remove", methods=["POST"])
@login_required
def remove_member(slug: str) -> Response:
    """An admin removes a member of a private room: their access ends at once."""
    return _about_person(slug, membership.remove_member, "{} is no longer a member.")


@bp.route("/r/<slug>/members/admin", methods=["POST"])
@login_required
def set_admin(slug: str) -> Response:
    """An admin makes a member admin (``admin=1``) or takes it back (``admin=0``)."""
    form = PersonForm()

    def act(room: Room) -> str:
        making = form.admin.data != "0"
        person = roles.set_admin(room, current_user, form.username.data or "", making)
        return f"{person.username} {'is' if making else 'is no longer'} an admin."

    return _act(slug, form, act)


@bp.route("/r/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str) -> Response:
    """A member leaves the room; refused, back to the room with the reason."""
    try:
        room = rooms.room_for(current_user, slug)
    except ChatError as refusal:
        abort(refusal.http_status)
    if not ConfirmForm().validate_on_submit():
        abort(400, "The form expired; reload the page.")
    try:
        membership.leave(room, current_user)
    except ChatError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("rooms.room", slug=room.slug), 303)
    flash(f"You left {room.name}.")
    return redirect(url_for("rooms.index"), 303)
