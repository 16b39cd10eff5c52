"""A real browser on the real server: Chromium through Playwright, accounts over HTTP, the room page.

``tests/test_browser.py`` and ``make screenshots`` (tests/screenshots.py) drive
Debian's Chromium against the Procfile's web command on a free port with its
own SQLite file. Nothing here downloads anything: Chromium is the system one,
the socket.io client is the one the server vendors from ``node_modules``.
Playwright itself is imported by its users, so that its absence skips the
browser tests instead of breaking their collection.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import requests

from deploy.launcher import ROOT
from tests.support.forms import FormSession
from tests.support.server import ROOMY_LIMITS, ServerProcess, sqlite_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SOCKETIO_JS = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STARTUP_TIMEOUT = 60
WAIT_MS = 10_000
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 740}


def unique(prefix: str) -> str:
    """A username or room name no other test uses (usernames: at most 32 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def launch_chromium(playwright: Playwright) -> Browser:
    """The system's Chromium, headless."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


class Site(Protocol):
    """Where pages and forms are served: a ``WebServer``, or one instance of a cluster."""

    @property
    def base_url(self) -> str: ...


class WebServer(ServerProcess):
    """The Procfile's ``web:`` command on 127.0.0.1:<free port>, SQLite in ``workdir``.

    Every test registers its own people from 127.0.0.1, hence the roomy sign-up
    and login limits; the message rate limit keeps its defaults.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        super().__init__(
            sqlite_url(workdir), workdir, extra_env=ROOMY_LIMITS, startup_timeout=STARTUP_TIMEOUT, name="web"
        )

    @property
    def db_path(self) -> Path:
        return self.workdir / "parley.sqlite3"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the server's SQLite file directly (closed right away: no ResourceWarning)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)) as db:
            return list(db.execute(sql, params).fetchall())


class Account(FormSession):
    """A user registered through the real /register form of ``server``, with their own HTTP session."""

    def __init__(self, server: Site, username: str | None = None) -> None:
        super().__init__(server.base_url)
        self.server = server
        self.username = username or unique("u")
        self._token: str | None = None
        try:
            self.sign_in("/register", self.username)
        except BaseException:
            self.close()
            raise

    @property
    def cookies(self) -> list[dict[str, Any]]:
        """The session cookie, in the form ``BrowserContext.add_cookies`` takes."""
        return [
            {"name": c.name, "value": c.value or "", "url": self.server.base_url}
            for c in self.http.cookies
            if c.name == "session"
        ]

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        """Submit a form of the logged-in pages (one token serves them all: it is the session's)."""
        if self._token is None:
            self._token = self.token("/rooms")
        return self.submit(path, data, token=self._token)

    def create_room(self, name: str, *, private: bool = False) -> str:
        """Create a room through the /rooms form; its slug."""
        response = self.post("/rooms", {"name": name, **({"private": "1"} if private else {})})
        assert response.status_code == 302, response.status_code
        return response.headers["Location"].rsplit("/r/", 1)[1]

    def say(self, slug: str, text: str) -> None:
        """Post a message through the no-JavaScript form (stored and broadcast like a socket one)."""
        response = self.post(f"/r/{slug}/messages", {"text": text, "client_id": uuid.uuid4().hex})
        assert response.status_code == 302, (response.status_code, response.text[-500:])


@contextlib.contextmanager
def accounts(server: Site, *prefixes: str) -> Iterator[list[Account]]:
    made: list[Account] = []
    try:
        for prefix in prefixes:
            made.append(Account(server, unique(prefix)))
        yield made
    finally:
        for account in made:
            account.close()


class Tabs:
    """Opens pages in fresh contexts (one per user, so cookies and localStorage are their own)."""

    def __init__(self, browser: Browser, server: Site) -> None:
        self.browser, self.server = browser, server
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def context(
        self, account: Account | None = None, viewport: ViewportSize = DESKTOP, *, javascript: bool = True
    ) -> BrowserContext:
        context = self.browser.new_context(
            viewport=viewport, base_url=self.server.base_url, java_script_enabled=javascript
        )
        context.set_default_timeout(WAIT_MS)
        if account is not None:
            context.add_cookies(account.cookies)  # type: ignore[arg-type]
        self.contexts.append(context)
        return context

    def page(self, context: BrowserContext) -> Page:
        page = context.new_page()
        # Any uncaught script error on any page is kept for the test (or the script) to fail on.
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def room(self, account: Account, slug: str, viewport: ViewportSize = DESKTOP) -> Page:
        """``account`` on /r/<slug> in a context of their own, joined live."""
        page = self.page(self.context(account, viewport))
        response = page.goto(f"/r/{slug}")
        assert response is not None, response
        assert response.status == 200, response
        wait_online(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


# -- the room page ------------------------------------------------------------------------------

SHOWN_JS = """() => Array.from(document.querySelectorAll('#messages li[data-seq]'), (li) => ({
    seq: Number(li.dataset.seq),
    author: li.querySelector('.author').textContent.trim(),
    text: li.querySelector('.text').textContent,
}))"""

PENDING_JS = "() => document.querySelectorAll('#messages li.pending, #messages li.failed').length"


def wait_online(page: Page) -> None:
    page.wait_for_selector('#room[data-connection="online"]', timeout=WAIT_MS)


def wait_for_texts(page: Page, texts: list[str], timeout: int = WAIT_MS) -> None:
    """Until every text is shown as a stored message and nothing is pending on the page."""
    page.wait_for_function(
        """(texts) => {
            const shown = Array.from(document.querySelectorAll('#messages li[data-seq] .text'), (e) => e.textContent);
            return texts.every((t) => shown.includes(t))
                && !document.querySelector('#messages li.pending, #messages li.failed');
        }""",
        arg=texts,
        timeout=timeout,
    )


def send(page: Page, text: str) -> None:
    """Type into the message box and press Enter, as a person would."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def wait_member(page: Page, username: str, state: str, timeout: int = WAIT_MS) -> None:
    page.wait_for_function(
        """([name, state]) => Array.from(document.querySelectorAll('#members li[data-username]'))
            .some((li) => li.dataset.username === name && li.classList.contains(state))""",
        arg=[username, state],
        timeout=timeout,
    )


def show_room_at(page: Page, viewport: ViewportSize, online: str) -> None:
    """``page`` reloaded at the size of ``viewport``, live again, and showing ``online`` online."""
    page.set_viewport_size(viewport)
    page.reload()
    wait_online(page)
    wait_member(page, online, "online")


def screenshot_while_typing(page: Page, typist: Page, path: Path) -> None:
    """A picture of ``page`` while ``typist`` types, so that it shows the typing indicator too."""
    box = typist.get_by_label("Message", exact=True)
    box.fill("")
    box.press_sequentially("soon", delay=10)
    page.wait_for_function("() => document.getElementById('typing').textContent !== ''", timeout=5000)
    page.screenshot(path=str(path))


# -- messages that change -------------------------------------------------------------------------

MESSAGE_JS = """(seq) => {
    const li = document.getElementById('m' + seq);
    if (!li) return null;
    const part = (name) => li.querySelector(':scope > .' + name);
    const shown = (el) => !el.hidden;
    const quote = part('quote');
    return {
        text: shown(part('text')) ? part('text').textContent : null,
        html: part('text').innerHTML,
        deleted: shown(part('tombstone')),
        edited: shown(part('edited')) ? part('edited').title : null,
        rev: Number(li.dataset.rev),
        reactions: Array.from(part('reactions').children, (chip) => ({
            emoji: chip.dataset.emoji,
            count: Number(chip.querySelector('.count').textContent),
            names: chip.title,
            mine: chip.getAttribute('aria-pressed') === 'true',
        })),
        quote: shown(quote) ? {
            author: quote.querySelector('.quote-author').textContent,
            text: quote.querySelector('.quote-text').textContent,
            href: quote.getAttribute('href'),
        } : null,
    };
}"""


def message_view(page: Page, seq: int) -> dict[str, Any] | None:
    """What the page shows of message ``seq``: text, deletion, "edited", reactions, quote (None if absent)."""
    view: dict[str, Any] | None = page.evaluate(MESSAGE_JS, seq)
    return view


def wait_message(page: Page, seq: int, condition: str, timeout: int = WAIT_MS) -> dict[str, Any]:
    """Until ``condition`` (a JavaScript expression of ``m``, the view above) holds for message ``seq``."""
    page.wait_for_function(
        f"(seq) => {{ const m = ({MESSAGE_JS})(seq); return m !== null && Boolean({condition}); }}",
        arg=seq,
        timeout=timeout,
    )
    view = message_view(page, seq)
    assert view is not None
    return view


def act_on(page: Page, seq: int, action: str) -> None:
    """Point at message ``seq`` and click its ``action`` (Reply, React, Edit, Delete), as a person would."""
    item = page.locator(f"#m{seq}")
    item.hover()
    item.locator(".actions").get_by_role("button", name=action, exact=True).click()


# What brings a page's socket in line when the network change has not reached it in time
# (see set_online).
NUDGE = {
    False: "() => window.parley.socket.io.engine.close()",
    True: "() => { window.parley.socket.disconnect(); window.parley.socket.connect(); }",
}


def set_online(page: Page, online: bool) -> None:
    """``page``'s browser context online or offline, and its socket connected or not to match."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.context.set_offline(not online)
    # Offline: current Chromium drops open WebSockets when a context goes offline, and the
    # page notices at once. Should a build keep the socket open (older ones did: emulated
    # offline only affected new requests), the Engine.IO transport is closed by hand, and
    # socket.io's reconnection then fails for as long as the context stays offline.
    # Online: socket.io's own reconnection (1 s, 2 s, ... up to 5 s apart) brings the socket
    # back; should the manager still be backing off after a few seconds, a
    # disconnect()+connect() reconnects at once.
    connected = f"() => window.parley.socket.connected === {'true' if online else 'false'}"
    try:
        page.wait_for_function(connected, timeout=6000 if online else 2000)
    except PlaywrightTimeout:
        page.evaluate(NUDGE[online])
        page.wait_for_function(connected, timeout=WAIT_MS)


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on ``page`` (injected from node_modules, beside the page's CSP)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    found: list[str] = page.evaluate(
        """async () => (await axe.run(document)).violations.map(
            (v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '))"""
    )
    return found
