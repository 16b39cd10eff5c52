"""Account pages. Errors re-render the form with a message; nothing here answers 500."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from chat import live
from chat.auth import bp
from chat.auth.forms import LoginForm, NewPasswordForm, RegisterForm
from chat.decorators import login_required
from chat.domain import accounts, people, sessions, signups
from chat.domain.errors import FORBIDDEN, ChatError
from chat.extensions import db
from chat.models import Invite, User
from chat.security import client_address

TOO_MANY = "Too many attempts; wait a minute and try again."
DISABLED = "This account is disabled; ask an administrator."


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session: nothing from before the login carries over.

    ``login`` names the session's row on the server: the cookie works while it exists.
    """
    session.clear()
    login_user(user)
    session["login"] = sessions.begin(user)


def safe_next(target: str | None) -> str:
    """``next`` only if it stays on this site (a path), else the room list."""
    target = target or ""
    local = target.startswith("/") and not target.startswith("//")
    # Control characters (a line break) would make an invalid Location header.
    local = local and not any(ch < " " or ch == "\x7f" for ch in target)
    if local and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("rooms.index")


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | tuple[str, int] | str:
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("rooms.index"))
    mode = signups.signup_mode()
    if mode != signups.OPEN:
        return render_template("auth/refused.html", mode=mode), 403
    return signup_form(lambda username, password: signups.sign_up(username, password))


@bp.route("/join/<code>", methods=["GET", "POST"])
def join(code: str) -> Response | tuple[str, int] | str:
    """Sign up through an invitation link (refused once it is revoked, expired or used up)."""
    if current_user.is_authenticated:
        return redirect(url_for("rooms.index"))
    try:
        invite = signups.usable_invite(code)
        if signups.signup_mode() == signups.CLOSED:
            raise ChatError(FORBIDDEN, "Sign-up on this server is closed.")
    except ChatError as refusal:
        return render_template("auth/refused.html", refusal=refusal.message), refusal.http_status
    return signup_form(lambda username, password: signups.sign_up_invited(code, username, password), invite)


def signup_form(
    create: Callable[[str, str], User], invite: Invite | None = None
) -> Response | tuple[str, int] | str:
    """The sign-up form; a valid one creates the account (with ``create``) and logs in."""
    form = RegisterForm()
    page = "auth/register.html"
    if form.validate_on_submit():
        if not live.throttles().signups.allow(f"addr:{client_address()}"):
            form.username.errors = [*form.username.errors, TOO_MANY]
            return render_template(page, form=form, invite=invite), 429
        try:
            user = create(form.username.data or "", form.password.data or "")
        except ChatError as refusal:
            form.username.errors = [*form.username.errors, refusal.message]
            return render_template(page, form=form, invite=invite), refusal.http_status
        start_session(user)
        return redirect(url_for("rooms.index"))
    status = 400 if form.is_submitted() else 200
    return render_template(page, form=form, invite=invite), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Log in with username and password; then go where ``next`` pointed."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        attempts = live.throttles().logins
        # The address first: a throttled address spends (and creates) no username's bucket, so one
        # client can neither lock out names in bulk nor grow the buckets without bound.
        if not (attempts.allow(f"addr:{client_address()}") and attempts.allow(f"user:{username.lower()}")):
            form.password.errors = [*form.password.errors, TOO_MANY]
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(username, form.password.data or "")
        if user is not None and user.is_disabled:  # said only to someone who knows the password
            form.password.errors = [*form.password.errors, DISABLED]
            return render_template("auth/login.html", form=form), 403
        if user is not None:
            start_session(user)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors = [*form.password.errors, "Wrong username or password."]
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End this login's session, and its sockets on every instance."""
    login_id = session.get("login")
    logout_user()
    sessions.end(login_id)
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Response | tuple[str, int] | str:
    """Set a new password through a one-time link from ``flask users reset-password``."""
    try:
        found = people.reset_for(token)
    except ChatError as refusal:
        page = render_template(
            "auth/refused.html",
            heading="Password reset",
            refusal=refusal.message,
            hint="Ask an administrator for a new link.",
        )
        return page, refusal.http_status
    user = db.session.get(User, found.user_id)
    username = user.username if user is not None else ""
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            people.reset_password(token, form.password.data or "")
        except ChatError as refusal:
            form.password.errors = [*form.password.errors, refusal.message]
            return render_template("auth/reset.html", form=form, username=username), refusal.http_status
        if current_user.is_authenticated:  # whoever this browser was logged in as, it is nobody now
            login_id = session.get("login")
            logout_user()
            sessions.end(login_id)
        flash("Your password is set; log in with it.")
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form, username=username), status
