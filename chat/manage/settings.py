"""Each person's settings: display name, password, and ending every session."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from chat import live
from chat.decorators import login_required
from chat.domain import people, sessions
from chat.domain.errors import ChatError
from chat.manage import bp
from chat.manage.forms import ConfirmForm, PasswordForm, ProfileForm

PAGE = "manage/settings.html"
TOO_MANY = "Too many attempts; wait a minute and try again."


def settings_page(status: int = 200, **forms: object) -> tuple[str, int]:
    """The settings page with its forms (those given carry what was posted and its errors)."""
    shown = {
        "profile": forms.get("profile") or ProfileForm(display_name=current_user.display_name or ""),
        "password": forms.get("password") or PasswordForm(formdata=None),
        "everywhere": ConfirmForm(formdata=None),
    }
    return render_template(PAGE, sessions_open=sessions.count(current_user.id), **shown), status


@bp.route("/settings")
@login_required
def settings() -> tuple[str, int]:
    """Your display name, password and sessions."""
    return settings_page()


@bp.route("/settings/profile", methods=["POST"])
@login_required
def profile() -> Response | tuple[str, int]:
    """Set (or clear) your display name."""
    form = ProfileForm()
    # A blank name clears it, so the field must have been sent: a body without it is no form of ours.
    if not form.validate_on_submit() or "display_name" not in request.form:
        return settings_page(400, profile=form)
    try:
        people.set_display_name(current_user, form.display_name.data or "")
    except ChatError as refusal:
        form.display_name.errors = [*form.display_name.errors, refusal.message]
        return settings_page(refusal.http_status, profile=form)
    flash("Your display name is saved.")
    return redirect(url_for("manage.settings"), 303)


@bp.route("/settings/password", methods=["POST"])
@login_required
def password() -> Response | tuple[str, int]:
    """Change your password (the current one first); your other sessions end."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return settings_page(400, password=form)
    # Guessing the current password here costs login attempts, as at /login.
    if not live.throttles().logins.allow(f"user:{current_user.username.lower()}"):
        form.current_password.errors = [*form.current_password.errors, TOO_MANY]
        return settings_page(429, password=form)
    try:
        ended = people.change_password(
            current_user,
            form.current_password.data or "",
            form.new_password.data or "",
            keep=session.get("login"),
        )
    except ChatError as refusal:
        field = form.current_password if refusal.code == "forbidden" else form.new_password
        field.errors = [*field.errors, refusal.message]
        return settings_page(refusal.http_status, password=form)
    others = f"; {ended} other session{'s' if ended != 1 else ''} ended" if ended else ""
    flash(f"Your password is changed{others}.")
    return redirect(url_for("manage.settings"), 303)


@bp.route("/settings/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response | tuple[str, int]:
    """End every session of yours, this one too: pages and sockets, on every device."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return settings_page(400)
    user_id = current_user.id
    logout_user()
    sessions.end_all(user_id)
    flash("You are logged out everywhere.")
    return redirect(url_for("auth.login"), 303)
