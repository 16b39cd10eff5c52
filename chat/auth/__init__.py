"""Accounts: register, log in, log out; Flask-Login's session handling."""

from flask import Blueprint, Flask

from chat.domain import accounts
from chat.extensions import login_manager

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Sessions carry the user id; pages that need a login send people to ``/login``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(accounts.load_user)


from chat.auth import routes  # noqa: E402,F401  (registers the routes on bp)
