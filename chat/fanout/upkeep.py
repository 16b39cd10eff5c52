"""The upkeep loop each process runs while processes share Redis.

Shared presence lapses unless renewed, so every tick each process renews its
own sockets' entries, reports the users of dead processes offline (once, by
whichever process sweeps first), and repairs rooms whose lost publishes left
this process's sockets behind what is stored.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from chat import live
from chat.extensions import socketio
from chat.fanout import presence, repair

log = logging.getLogger("parley.upkeep")


class Upkeep:
    """Started with the first socket (background tasks need the server's async mode running)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.every = app.config["PRESENCE_TTL_SECONDS"] / 3
        self._behind: dict[str, int] = {}  # rooms found behind their stored seq at the last tick
        self._started = False
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the loop once, if processes share state; a no-op afterwards and without Redis."""
        if self._started or not live.state(self.app).shared:
            return
        with self._lock:
            if not self._started:
                self._started = True
                socketio.start_background_task(self._loop)

    def _loop(self) -> None:
        while True:
            socketio.sleep(self.every)
            try:
                presence.renew_and_sweep(self.app)
            except Exception:
                log.exception("presence upkeep failed; retrying in %.0f s", self.every)
            try:
                with self.app.app_context():
                    self._behind = repair.reconcile(self._behind)
            except Exception as exc:  # the database may be down; the next tick tries again
                log.warning("reconcile skipped: %s", exc.__class__.__name__)
