"""Real server processes for tests: the Procfile's web command (or ``python app.py``) on a free port.

``ServerProcess`` is deploy/launcher.py's ``WebProcess`` (the command started the
way a platform would, in its own process group, waited for on ``/healthz``,
stopped as a group) with the tests' own environment: a fresh ``SECRET_KEY``, and
nothing of the app's settings from the developer's shell. Accounts are made
through its forms (tests/support/forms.py); tests/support/chat_client.py
connects to it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from deploy.launcher import WebProcess, free_port, server_environment

STARTUP_TIMEOUT = 30.0

# All the server inherits from the test's own environment: nothing of the app's settings
# (DATABASE_URL, REDIS_URL, rate limits, ...) may leak in from the developer's shell.
INHERITED_ENV = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")

# Test users all register and log in from 127.0.0.1: lift the per-address sign-up and login
# throttles (10 per address). The message rate limit keeps its defaults.
ROOMY_LIMITS = {"REGISTRATIONS_BURST": "1000", "LOGIN_ATTEMPTS_BURST": "1000"}


def server_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a platform would give the server (and the operator's ``flask`` commands)."""
    inherited = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
    return server_environment(database_url, secrets.token_hex(32), base=inherited, extra=extra)


class ServerProcess(WebProcess):
    """A real server on 127.0.0.1:<free port>, as a context manager.

    ``command`` defaults to the Procfile's ``web:`` command; pass e.g.
    ``"exec python app.py"`` to run the module directly.
    """

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        command: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        name: str = "server",
    ) -> None:
        port = free_port()
        super().__init__(
            port, server_env(database_url, extra_env), Path(log_dir) / f"{name}-{port}.log", command=command
        )
        self.base_url = self.url
        self.startup_timeout = startup_timeout

    def start(self, *, wait: bool = True, timeout: float | None = None) -> Self:
        return super().start(wait=wait, timeout=timeout or self.startup_timeout)


def sqlite_url(directory: Path) -> str:
    """A SQLite database of its own in ``directory`` (created by the server's migration)."""
    return f"sqlite:///{directory / 'parley.sqlite3'}"
