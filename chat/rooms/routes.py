"""Room pages: the list, a room, and the forms that create rooms, messages and members."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from chat.decorators import login_required
from chat.domain import directs, groups, messages, reading, roles, rooms
from chat.domain.errors import ChatError
from chat.models import Room
from chat.rooms import bp, failed_forms, layout
from chat.rooms.forms import ConfirmForm, GroupForm, MessageForm, NewRoomForm

# The room page lists this many members (and the reader); /r/<slug>/members pages through the rest.
MEMBERS_ON_PAGE = 100
# Far past any real list; bounds the OFFSET a request can ask for.
MAX_PAGE = 10_000


def readable_room(slug: str) -> Room:
    """The room for the page, or 404: for an unknown room and for one this user may not see alike."""
    try:
        return rooms.room_for(current_user, slug)
    except ChatError as refusal:
        abort(refusal.http_status)


def render_room(room: Room) -> str:
    """The room page with a stretch of its messages and its members, and a form that failed, if one did.

    The stretch is the newest messages, or the one asked for by ``?before=``,
    ``?after=`` or ``?around=`` (a seq): links that work without JavaScript.
    """
    bounds = {name: _seq_argument(name) for name in ("before", "after", "around")}
    # The room's rev is read before its messages, as a join reads it: every change up to it
    # shows in what is rendered, so the page's script can resume from it with since_rev.
    last_rev = room.last_rev
    read_mark = reading.read_mark(room, current_user)
    window = messages.window(room, **bounds)
    shown = [m.to_dict() for m in window.messages]
    return render_template(
        "rooms/room.html",
        room=room,
        page=window,
        shown=shown,
        placed_messages=layout.lay_out(shown, read_mark, current_user.username),
        originals={m["seq"]: m for m in shown},
        read_mark=read_mark,
        members=rooms.members_with_presence(room, limit=MEMBERS_ON_PAGE, including=current_user),
        members_total=room.member_count(),
        last_seq=room.last_seq,
        last_rev=last_rev,
        may_manage=roles.may_manage(room, current_user),
        can_leave=(room.kind != "direct" or groups.is_group(room)) and room.has_member(current_user),
        leave_form=ConfirmForm(formdata=None),
        **failed_forms.take(room.slug, message_form=MessageForm),
    )


def _seq_argument(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return messages.check_seq(int(raw) if raw.isdigit() else raw, name)
    except ChatError as refusal:
        abort(400, refusal.message)


@bp.route("/")
def home() -> Response:
    """The home page is the room list."""
    return redirect(url_for("rooms.index"))


@bp.route("/rooms", methods=["GET", "POST"])
@login_required
def index() -> Response | tuple[str, int]:
    """The rooms this user may see; POST creates a room with the user as its first member."""
    form = NewRoomForm()
    status = 200
    if form.validate_on_submit():
        try:
            room = rooms.create_room(form.name.data or "", current_user, private=form.private.data)
        except ChatError as refusal:
            form.name.errors = [*form.name.errors, refusal.message]
            status = refusal.http_status
        else:
            return redirect(url_for("rooms.room", slug=room.slug))
    elif form.is_submitted():
        status = 400
    search = (request.args.get("q") or "").strip()[:80]
    listing = rooms.visible_rooms(current_user, page=_page_argument(), search=search)
    unread = reading.unread_by_room(current_user)
    page = render_template(
        "rooms/list.html", rooms=listing.rooms, listing=listing, search=search, unread=unread, form=form
    )
    return page, status


def _page_argument() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, f"page is a number from 1 to {MAX_PAGE}.")
    return int(raw)


@bp.route("/r/<slug>")
@login_required
def room(slug: str) -> str:
    """A room: the last 50 messages (escaped by the template), members, the message form."""
    found = readable_room(slug)
    if found.is_public:
        rooms.admit(found, current_user)
    return render_room(found)


@bp.route("/r/<slug>/messages", methods=["POST"])
@login_required
def post(slug: str) -> Response:
    """The message form without JavaScript: stored and broadcast like a socket message.

    Refused, it goes back to the room with the error and the text kept
    (post/redirect/get: reloading the page never sends the form again).
    """
    found = readable_room(slug)
    form = MessageForm()
    if not form.validate_on_submit():
        return failed_forms.back(found.slug, "message_form", form.text.data, form.text.errors)
    try:
        posted = messages.send(found, current_user, form.text.data or "", form.client_id.data or "")
    except ChatError as refusal:
        return failed_forms.back(found.slug, "message_form", form.text.data, [refusal.message])
    return redirect(url_for("rooms.room", slug=found.slug) + f"#m{posted.seq}")


@bp.route("/r/<slug>/members")
@login_required
def member_list(slug: str) -> str:
    """Every member of a room, a page of them at a time (by name, after ``?after=``)."""
    found = readable_room(slug)
    after = request.args.get("after") or None
    try:
        members, has_next = rooms.members_page(found, after)
    except ChatError as refusal:
        abort(refusal.http_status, refusal.message)
    return render_template(
        "rooms/members.html",
        room=found,
        members=members,
        members_total=found.member_count(),
        has_next=has_next,
    )


@bp.route("/groups", methods=["POST"])
@login_required
def group() -> Response:
    """Open the group conversation of the asker and the people named (2 to 7, by commas or spaces)."""
    form = GroupForm()
    if not form.validate_on_submit():
        abort(400, "Name the people of the group.")
    try:
        found = groups.open_group(current_user, re.split(r"[\s,]+", form.usernames.data or ""))
    except ChatError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("shell.people"), 303)
    return redirect(url_for("rooms.room", slug=found.slug), 303)


@bp.route("/dm/<username>", methods=["GET", "POST"])
@login_required
def direct(username: str) -> Response:
    """Open the one direct room with ``username`` (created the first time); a link does it as well as a form."""
    try:
        found = directs.open_direct_room(current_user, username)
    except ChatError as refusal:
        abort(refusal.http_status, refusal.message)
    return redirect(url_for("rooms.room", slug=found.slug))
