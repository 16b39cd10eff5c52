"""Accounts: register, log in, log out; Flask-Login's session handling."""

from flask import Blueprint, Flask, request, session

from chat.domain import accounts, sessions
from chat.extensions import login_manager
from chat.models import User

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Sessions carry the user id; pages that need a login send people to ``/login``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)


def load_session_user(user_id: str) -> User | None:
    """The session's user while its login is live on the server (``chat.domain.sessions``).

    Pages and socket connects check the login's row; a socket's later events
    do not (Flask-SocketIO's documented ``request.event`` names the event),
    because ending a login disconnects its sockets.
    """
    user = accounts.load_user(user_id)
    event = getattr(request, "event", None)
    if user is None or (isinstance(event, dict) and event.get("message") != "connect"):
        return user
    return user if sessions.is_live(user.id, session.get("login")) else None


from chat.auth import routes  # noqa: E402,F401  (registers the routes on bp)
