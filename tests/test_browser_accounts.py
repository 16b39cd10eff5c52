"""Accounts in real Chromium: invite-only sign-up through a link, and the settings page.

One server (SQLite, no Redis) and one Chromium for the module, as in
tests/test_browser.py. The module's first account is the site admin; the
others are fresh per test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import (
    AXE_JS,
    DESKTOP,
    PHONE,
    Account,
    WebServer,
    axe_violations,
    send,
    unique,
    wait_for_texts,
)
from tests.support.browser_fixtures import chromium, fresh_people, fresh_tabs, web_server
from tests.support.forms import PASSWORD
from tests.support.services import require

if TYPE_CHECKING:  # annotations only
    from playwright.sync_api import Page

    from tests.support.browser import Tabs

__all__ = ["chromium", "fresh_people", "fresh_tabs", "web_server"]
pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def admin(server: WebServer) -> Iterator[Account]:
    """The server's first account, so its site admin."""
    account = Account(server, unique("boss"))
    try:
        yield account
    finally:
        account.close()


def open_as(tabs: Tabs, account: Account | None, path: str) -> Page:
    page = tabs.page(tabs.context(account))
    response = page.goto(path)
    assert response is not None
    return page


def test_invite_only_sign_up_through_a_link_joins_the_invitations_room(
    admin: Account, tabs: Tabs, server: WebServer
) -> None:
    room = unique("Welcome")
    slug = admin.create_room(room)
    page = open_as(tabs, admin, "/rooms")
    page.get_by_role("link", name="Admin").click()
    page.get_by_label("Only people with an invitation link").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Sign-up is now invite-only.").wait_for()
    try:
        page.get_by_label("Sign-ups it allows").fill("1")
        page.get_by_label(room).check()
        page.get_by_role("button", name="Create invitation link").click()
        page.get_by_text("Invitation created").wait_for()
        link = page.locator("#invites .invite-link").first.input_value()
        assert re.fullmatch(rf"{re.escape(server.base_url)}/join/[A-Za-z0-9_-]+", link), link

        visitor = open_as(tabs, None, "/register")
        assert "invitation only" in visitor.locator("main").inner_text()
        visitor.goto(link)
        assert room in visitor.locator(".invited").inner_text()
        newcomer = unique("new")
        visitor.get_by_label("Username").fill(newcomer)
        visitor.get_by_label("Password").fill(PASSWORD)
        visitor.get_by_role("button", name="Join").click()
        visitor.wait_for_url("**/rooms")
        visitor.locator(f'#sidebar li[data-room="{slug}"]').wait_for()

        latecomer = open_as(tabs, None, link.removeprefix(server.base_url))
        assert "not valid" in latecomer.locator("main").inner_text(), "its one use is spent"
        page.reload()
        assert "usable" not in page.locator("#invites tbody tr").first.inner_text()
        assert server.query("SELECT is_admin FROM users WHERE username = ?", newcomer) == [(0,)]
    finally:
        page.goto("/admin")
        page.get_by_label("Anyone who reaches this server").check()
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Sign-up is now open.").wait_for()


def test_the_settings_page_names_you_changes_your_password_and_logs_out_everywhere(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    grace, reader = people("grace", "reader")
    slug = grace.create_room(unique("Lab"))
    page = open_as(tabs, grace, "/rooms")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("textbox", name="Display name").fill("Grace Hopper")
    page.get_by_role("button", name="Save display name").click()
    page.get_by_text("Your display name is saved.").wait_for()

    other_device = open_as(tabs, None, "/login")  # a login of its own: another session
    other_device.get_by_label("Username").fill(grace.username)
    other_device.get_by_label("Password").fill(PASSWORD)
    other_device.get_by_role("button", name="Log in").click()
    other_device.wait_for_url("**/rooms")
    other_device.goto(f"/r/{slug}")
    watcher = tabs.room(reader, slug)
    other_device.wait_for_selector('#room[data-connection="online"]')
    send(other_device, "first bug found")
    wait_for_texts(watcher, ["first bug found"])
    author = watcher.locator("#messages li[data-seq] .author").last.inner_text()
    assert author == f"Grace Hopper ({grace.username})", "shown live beside the username"

    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password").fill("moth-in-the-relay-1947")
    page.get_by_role("button", name="Change password").click()
    # The form's answer, not the page it replaces.
    page.get_by_text("The current password is wrong.").wait_for()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("moth-in-the-relay-1947")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password is changed; 1 other session ended.").wait_for()
    other_device.reload()
    assert "/login" in other_device.url, "the other device's session ended"

    page.get_by_role("button", name="Log out everywhere").click()
    page.get_by_text("You are logged out everywhere.").wait_for()
    page.goto("/settings")
    assert "/login" in page.url


def test_axe_finds_no_violation_on_the_admin_and_settings_pages(admin: Account, tabs: Tabs) -> None:
    require(AXE_JS.exists(), "axe-core (npm ci)")
    assert admin.post("/admin/invites", {"max_uses": "2"}).status_code == 303  # a table to check too
    problems: dict[str, list[str]] = {}
    for viewport in (DESKTOP, PHONE):
        for path in ("/admin", "/settings"):
            page = tabs.page(tabs.context(admin, viewport))
            page.goto(path)
            found = axe_violations(page)
            if found:
                problems[f"{path} at {viewport['width']} px"] = found
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} is wider than the screen at {viewport['width']} px"
            page.close()
    assert problems == {}, problems
