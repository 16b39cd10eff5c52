"""Accounts and forms: the tests' one password, one CSRF reader, and log-ins over HTTP.

Pages from the Flask test client (tests/support/in_process.py) and from real
servers (``FormSession``) are read by the same ``csrf_token``. A real server's
accounts are made the way a person makes them, through its ``/register``
form: a request costs milliseconds where ``flask users create`` costs the
app's import time, seconds on a busy machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Self
from urllib.parse import urlsplit

import requests

# Every test account's password (the app wants 8 to 256 characters).
PASSWORD = "correct-horse"
HTTP_TIMEOUT = 15.0
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page: str) -> str:
    """The CSRF token of the form on ``page`` (the first one, if it has several)."""
    found = CSRF_TOKEN.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


class FormSession:
    """One person's HTTP session on a running server, filling its forms as a browser does.

    ``cookie`` (a ``Cookie`` header) resumes a session opened elsewhere.
    """

    def __init__(self, base_url: str, cookie: str | None = None) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        if cookie is not None:
            # Into the jar, so that a cookie the server refreshes (the CSRF seed) goes back too.
            host = urlsplit(base_url).hostname
            for pair in cookie.split("; "):
                name, _, value = pair.partition("=")
                self.http.cookies.set(name, value, domain=host, path="/")

    def token(self, path: str) -> str:
        """GET the page at ``path``; the CSRF token of its form."""
        page = self.http.get(f"{self.base_url}{path}", timeout=HTTP_TIMEOUT)
        page.raise_for_status()
        return csrf_token(page.text)

    def submit(self, path: str, data: Mapping[str, str], *, token: str | None = None) -> requests.Response:
        """POST ``data`` to ``path`` with a CSRF token, by default the one of the form at ``path``.

        Redirects are not followed: a test looks at the 302 itself.
        """
        return self.http.post(
            f"{self.base_url}{path}",
            data={**data, "csrf_token": token or self.token(path)},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    def sign_in(self, path: str, username: str, password: str = PASSWORD) -> None:
        """Fill the form at ``/register`` or ``/login``; a 302 means this session is logged in."""
        response = self.submit(path, {"username": username, "password": password})
        assert response.status_code == 302, (
            f"{path} as {username}: {response.status_code} {response.text[:300]}"
        )

    @property
    def cookie(self) -> str:
        """The session's ``Cookie`` header, for a Socket.IO client."""
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        assert cookie, f"{self.base_url} set no cookie"
        return cookie

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def register_cookie(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Register through the real form; the ``Cookie`` header of the new, logged-in session."""
    with FormSession(base_url) as session:
        session.sign_in("/register", username, password)
        return session.cookie


def login_cookie(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form; the ``Cookie`` header of that session."""
    with FormSession(base_url) as session:
        session.sign_in("/login", username, password)
        return session.cookie


def create_users(base_url: str, *usernames: str, password: str = PASSWORD) -> None:
    """Accounts on a running server, made through its ``/register`` form."""
    for username in usernames:
        register_cookie(base_url, username, password)


def logout(base_url: str, cookie: str) -> None:
    """Log the session of ``cookie`` out through the real button (a form on every page)."""
    with FormSession(base_url, cookie) as session:
        response = session.submit("/logout", {}, token=session.token("/rooms"))
        assert response.status_code == 302, f"/logout: {response.status_code} {response.text[:300]}"
