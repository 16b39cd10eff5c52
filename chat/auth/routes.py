"""Account pages. Errors re-render the form with a message; nothing here answers 500."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from chat import live
from chat.auth import bp
from chat.auth.forms import LoginForm, RegisterForm
from chat.decorators import login_required
from chat.domain import accounts
from chat.domain.errors import ChatError
from chat.fanout import emit
from chat.models import User
from chat.security import client_address

TOO_MANY = "Too many attempts; wait a minute and try again."


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session: nothing from before the login carries over."""
    session.clear()
    login_user(user)
    # Names this login, so that logging out can end the sockets opened with it.
    session["login"] = secrets.token_urlsafe(16)


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
    form = RegisterForm()
    if form.validate_on_submit():
        if not live.throttles().signups.allow(f"addr:{client_address()}"):
            form.username.errors = [*form.username.errors, TOO_MANY]
            return render_template("auth/register.html", form=form), 429
        try:
            user = accounts.register_user(form.username.data or "", form.password.data or "")
        except ChatError as refusal:
            form.username.errors = [*form.username.errors, refusal.message]
            return render_template("auth/register.html", form=form), refusal.http_status
        start_session(user)
        return redirect(url_for("rooms.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


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
    if isinstance(login_id, str):
        emit.login_ended(login_id)
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
