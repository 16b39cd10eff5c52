"""Machinery for the browser tests: the real server process, accounts over HTTP, page helpers.

``tests/test_browser.py`` drives Debian's Chromium through Playwright against
the Procfile's web command on a free port with its own SQLite file. Nothing
here downloads anything: Chromium is the system one, the socket.io client is
the one the server vendors from ``node_modules``.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"
HTTP_TIMEOUT = 15
STARTUP_TIMEOUT = 60
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def unique(prefix: str) -> str:
    """A username or room name no other test uses (usernames: at most 32 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class WebServer(ServerProcess):
    """The Procfile's ``web:`` command on 127.0.0.1:<free port>, SQLite in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        super().__init__(
            f"sqlite:///{self.db_path}",
            workdir,
            # Every test registers its own people from 127.0.0.1: lift the sign-up and login
            # throttles (10 per address) as the cluster tests do. The message rate limit keeps
            # its defaults.
            extra_env={"REGISTRATIONS_BURST": "1000", "LOGIN_ATTEMPTS_BURST": "1000"},
            startup_timeout=STARTUP_TIMEOUT,
            name="web",
        )

    @property
    def db_path(self) -> Path:
        return self.workdir / "parley.sqlite3"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the server's SQLite file directly (closed right away: no ResourceWarning)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)) as db:
            return list(db.execute(sql, params).fetchall())


class Account:
    """A user registered through the real /register form, with their own HTTP session."""

    def __init__(self, server: WebServer, username: str | None = None) -> None:
        self.server = server
        self.username = username or unique("u")
        self.http = requests.Session()
        self._token: str | None = None
        try:
            self._register()
        except BaseException:
            self.http.close()
            raise

    def _register(self) -> None:
        server = self.server
        page = self.http.get(f"{server.base_url}/register", timeout=HTTP_TIMEOUT)
        response = self.http.post(
            f"{server.base_url}/register",
            data={"username": self.username, "password": PASSWORD, "csrf_token": csrf(page.text)},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 302, f"register {self.username}: {response.status_code}"

    def close(self) -> None:
        self.http.close()

    @property
    def cookies(self) -> list[dict[str, Any]]:
        """The session cookie, in the form ``BrowserContext.add_cookies`` takes."""
        return [
            {"name": c.name, "value": c.value or "", "url": self.server.base_url}
            for c in self.http.cookies
            if c.name == "session"
        ]

    def token(self) -> str:
        if self._token is None:
            self._token = csrf(self.http.get(f"{self.server.base_url}/rooms", timeout=HTTP_TIMEOUT).text)
        return self._token

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(
            f"{self.server.base_url}{path}",
            data={**data, "csrf_token": self.token()},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    def create_room(self, name: str, *, private: bool = False) -> str:
        """Create a room through the /rooms form; its slug."""
        response = self.post("/rooms", {"name": name, **({"private": "1"} if private else {})})
        assert response.status_code == 302, response.status_code
        return response.headers["Location"].rsplit("/r/", 1)[1]

    def say(self, slug: str, text: str) -> None:
        """Post a message through the no-JavaScript form (stored and broadcast like a socket one)."""
        response = self.post(f"/r/{slug}/messages", {"text": text, "client_id": uuid.uuid4().hex})
        assert response.status_code == 302, (response.status_code, response.text[-500:])


def csrf(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


@contextlib.contextmanager
def accounts(server: WebServer, *prefixes: str) -> Iterator[list[Account]]:
    made: list[Account] = []
    try:
        for prefix in prefixes:
            made.append(Account(server, unique(prefix)))
        yield made
    finally:
        for account in made:
            account.close()


# -- reading the room page -------------------------------------------------------------------

SHOWN_JS = """() => Array.from(document.querySelectorAll('#messages li[data-seq]'), (li) => ({
    seq: Number(li.dataset.seq),
    author: li.querySelector('.author').textContent.trim(),
    text: li.querySelector('.text').textContent,
}))"""

PENDING_JS = "() => document.querySelectorAll('#messages li.pending, #messages li.failed').length"


def deadline_poll(condition: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll a Python ``condition`` until true (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
