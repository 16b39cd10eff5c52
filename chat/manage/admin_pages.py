"""The site admin's page: who may sign up, invitation links, and the people with accounts.

Every route checks, from the database, that the person is an admin (403
otherwise), and the domain function it calls checks again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from chat.decorators import login_required
from chat.domain import people, signups
from chat.domain.errors import ChatError
from chat.extensions import db
from chat.manage import bp
from chat.manage.forms import ConfirmForm, InviteForm, SignupModeForm
from chat.models import Membership, Room

PAGE = "manage/admin.html"
# The admin page lists this many accounts by name; `flask users list` lists them all.
PEOPLE_LISTED = 500


def require_admin() -> None:
    """403 for anyone but a site administrator."""
    if not people.is_admin(current_user):
        abort(403, description=people.ADMINS_ONLY)


def invitable_rooms() -> list[Room]:
    """Rooms an invitation from this admin may add people to: public ones and their private ones."""
    mine = select(Membership.room_id).where(Membership.user_id == current_user.id)
    query = select(Room).where((Room.kind == "public") | ((Room.kind == "private") & Room.id.in_(mine)))
    return list(db.session.scalars(query.order_by(Room.name).limit(500)))


def admin_page(
    status: int = 200, *, invite_form: InviteForm | None = None, error: str = ""
) -> tuple[str, int]:
    """The admin page; a refused form shows its error at the top."""
    form = invite_form or InviteForm(formdata=None)
    form.rooms.choices = [SelectChoice(room.slug, room.name) for room in invitable_rooms()]
    page = render_template(
        PAGE,
        error=error,
        mode=signups.signup_mode(),
        mode_fixed=signups.mode_from_environment() is not None,
        mode_form=SignupModeForm(formdata=None, mode=signups.signup_mode()),
        invite_form=form,
        invites=signups.invites(current_user),
        is_usable=signups.is_usable,
        people=people.everyone(PEOPLE_LISTED + 1),
        people_listed=PEOPLE_LISTED,
        confirm=ConfirmForm(formdata=None),
    )
    return page, status


@bp.route("/admin")
@login_required
def admin() -> tuple[str, int]:
    """Sign-up mode, invitations, people."""
    require_admin()
    return admin_page()


def act(action: Callable[[], str]) -> Response | tuple[str, int]:
    """Run an admin's action: its result flashed and the page again (303), or the page with the refusal."""
    require_admin()
    if not ConfirmForm().validate_on_submit():
        return admin_page(400, error="The form was incomplete or has expired; reload the page and try again.")
    try:
        done = action()
    except ChatError as refusal:
        return admin_page(refusal.http_status, error=refusal.message)
    flash(done)
    return redirect(url_for("manage.admin"), 303)


@bp.route("/admin/signup", methods=["POST"])
@login_required
def signup_mode() -> Response | tuple[str, int]:
    """Choose who may sign up."""
    form = SignupModeForm()
    chosen = str(form.mode.data or "")
    return act(lambda: f"Sign-up is now {signups.set_signup_mode(current_user, chosen)}.")


@bp.route("/admin/invites", methods=["POST"])
@login_required
def create_invite() -> Response | tuple[str, int]:
    """Create an invitation link."""
    require_admin()
    form = InviteForm()
    form.rooms.choices = [SelectChoice(room.slug, room.name) for room in invitable_rooms()]
    if not form.validate_on_submit():
        return admin_page(400, invite_form=form, error="Check the invitation's fields.")
    try:
        signups.create_invite(
            current_user,
            days=form.days.data,
            max_uses=form.max_uses.data,
            room_slugs=tuple(form.rooms.data or ()),
        )
    except ChatError as refusal:
        return admin_page(refusal.http_status, invite_form=form, error=refusal.message)
    flash("Invitation created: copy its link from the list below.")
    return redirect(url_for("manage.admin"), 303)


@bp.route("/admin/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required
def revoke_invite(invite_id: int) -> Response | tuple[str, int]:
    """Revoke an invitation link."""
    return act(lambda: f"Invitation {signups.revoke_invite(current_user, invite_id).id} is revoked.")


@bp.route("/admin/people/<username>/<action>", methods=["POST"])
@login_required
def person(username: str, action: str) -> Response | tuple[str, int]:
    """Disable, enable or promote one person, or make them a password reset link."""
    actions: dict[str, Callable[[], str]] = {
        "disable": lambda: (
            f"{people.set_disabled(current_user, username, True).username} is disabled; their sessions ended."
        ),
        "enable": lambda: f"{people.set_disabled(current_user, username, False).username} is enabled.",
        "make-admin": lambda: f"{people.make_admin(current_user, username).username} is an administrator.",
        "reset": lambda: "One-time password link for {}: {} (works for {:g} hours)".format(
            username,
            url_for("auth.reset", token=people.create_reset_link(current_user, username), _external=True),
            people.RESET_LINK_HOURS,
        ),
    }
    if action not in actions:
        abort(404)
    return act(actions[action])
