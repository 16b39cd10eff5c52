"""The Socket.IO Admin UI (https://admin.socket.io), off unless an operator sets its password.

In production it only watches: it cannot disconnect sockets or move them
between rooms. Every login attempt spends a token of one shared bucket, so
the password cannot be guessed at speed (a guesser can keep the operator out
for a while, which is the price of that).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask

from chat import live
from chat.extensions import socketio

EXTENSION = "parley.admin_ui"


def init_app(app: Flask) -> None:
    """Instrument the Socket.IO server when ``SOCKETIO_ADMIN_PASSWORD`` is set."""
    password = app.config["SOCKETIO_ADMIN_PASSWORD"]
    if not password:
        return
    expected = {"username": app.config["SOCKETIO_ADMIN_USER"], "password": password}
    attempts = live.state(app).throttles.admin

    def authenticate(offered: Any) -> bool:
        if not attempts.allow("admin-ui"):
            return False
        if not isinstance(offered, dict):
            return False
        return all(
            isinstance(offered.get(key), str) and hmac.compare_digest(offered[key].encode(), value.encode())
            for key, value in expected.items()
        )

    production = app.config["PRODUCTION"]
    app.extensions[EXTENSION] = socketio.server.instrument(
        auth=authenticate, mode="production" if production else "development", read_only=production
    )
