"""The browser tests' fixtures: one server and one Chromium per module, fresh tabs and people per test.

A browser test module imports them (pytest finds fixtures imported into a
module, under the names given here: ``server``, ``browser``, ``tabs``,
``people``): ``from tests.support.browser_fixtures import chromium,
fresh_people, fresh_tabs, web_server``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.browser import CHROMIUM, SOCKETIO_JS, Account, Tabs, WebServer, launch_chromium, unique
from tests.support.services import require

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module", name="server")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    require(sync_playwright is not None, "Playwright for Python")
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    require(SOCKETIO_JS.exists(), "the vendored socket.io-client (npm ci)")
    web = WebServer(tmp_path_factory.mktemp("browser")).start()
    try:
        yield web
    finally:
        web.stop()


@pytest.fixture(scope="module", name="browser")
def chromium(server: WebServer) -> Iterator[Callable[[], Tabs]]:
    """One Chromium for the module, opening tabs on the module's server; it closes before the server stops."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield lambda: Tabs(chromium, server)
        finally:
            chromium.close()


@pytest.fixture(name="tabs")
def fresh_tabs(browser: Callable[[], Tabs]) -> Iterator[Tabs]:
    opened = browser()
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.errors, f"script errors on the page: {opened.errors}"


@pytest.fixture(name="people")
def fresh_people(server: WebServer) -> Iterator[Callable[..., list[Account]]]:
    """``people("ada", "bob")``: fresh accounts (unique names) registered over HTTP."""
    made: list[Account] = []

    def make(*prefixes: str) -> list[Account]:
        new = len(made)
        for prefix in prefixes:
            made.append(Account(server, unique(prefix)))
        return made[new:]

    try:
        yield make
    finally:
        for account in made:
            account.close()
