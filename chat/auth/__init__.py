"""Accounts: register, log in, log out."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from chat.auth import routes  # noqa: E402,F401
