"""Typed forms of the untyped decorators we use, so that mypy keeps checking what they wrap.

Flask-Login and Flask-SocketIO ship no type hints; each decorator here
returns the function it was given, as the library's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask_login

from chat.extensions import socketio

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Flask-Login's ``login_required``: anonymous visitors go to the login page."""
    return cast(F, flask_login.login_required(view))


def socket_event(name: str) -> Callable[[F], F]:
    """Flask-SocketIO's ``socketio.on(name)``: ``handler`` handles the client event ``name``."""
    return cast(Callable[[F], F], socketio.on(name))
