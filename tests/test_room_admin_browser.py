"""Running a room in real Chromium: adding a member found by a directory search, a removal the
removed person sees at once, rename, topic and archive seen live by a member.

One server (SQLite, no Redis) and one Chromium per module; fresh people per test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import WAIT_MS, send, wait_for_texts
from tests.support.browser_fixtures import chromium, fresh_people, fresh_tabs, web_server

if TYPE_CHECKING:  # annotations only
    from playwright.sync_api import Page

    from tests.support.browser import Account, Tabs

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]
__all__ = ["chromium", "fresh_people", "fresh_tabs", "web_server"]


def in_sidebar(page: Page, slug: str) -> bool:
    return bool(
        page.evaluate("(slug) => !!document.querySelector('#sidebar li[data-room=\"' + slug + '\"]')", slug)
    )


def wait_sidebar(page: Page, slug: str, listed: bool) -> None:
    page.wait_for_function(
        "([slug, listed]) => !!document.querySelector('#sidebar li[data-room=\"' + slug + '\"]') === listed",
        arg=[slug, listed],
        timeout=WAIT_MS,
    )


def shell_page(tabs: Tabs, account: Account, path: str = "/rooms") -> Page:
    page = tabs.page(tabs.context(account))
    page.goto(path)
    page.wait_for_function("() => window.parleyShell && window.parleyShell.socket().connected")
    return page


def settings_of(tabs: Tabs, admin: Account, slug: str) -> Page:
    page = shell_page(tabs, admin, f"/r/{slug}/settings")
    page.get_by_role("heading", name="Members").wait_for()
    return page


def test_an_admin_adds_a_member_found_by_searching_the_directory(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada, bob = people("ada", "bob")
    slug = ada.create_room("Plans", private=True)
    bobs = shell_page(tabs, bob)
    assert not in_sidebar(bobs, slug)
    settings = settings_of(tabs, ada, slug)
    search = settings.get_by_role("searchbox", name="Find someone")
    typed = bob.username[:-2]
    search.press_sequentially(typed, delay=30)  # part of the name, as typed
    settings.wait_for_url(
        re.compile(f"q={typed}$")
    )  # the search answered the last keystroke; no button pressed
    add = settings.get_by_role("button", name=f"Add {bob.username}")
    add.click()
    settings.get_by_text(f"{bob.username} is now a member.").wait_for()
    wait_sidebar(bobs, slug, True)  # told live: the room appears in bob's sidebar
    bobs.locator(f'#sidebar li[data-room="{slug}"] a').click()
    bobs.wait_for_selector(f'#room[data-room="{slug}"][data-connection="online"]')


def test_a_removed_member_sees_at_once_that_they_are_no_longer_one(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada, bob = people("ada", "bob")
    slug = ada.create_room("Shortlist", private=True)
    assert ada.post(f"/r/{slug}/members", {"username": bob.username}).status_code == 303
    bobs = shell_page(tabs, bob, f"/r/{slug}")
    bobs.wait_for_selector('#room[data-connection="online"]')
    wait_sidebar(bobs, slug, True)
    settings = settings_of(tabs, ada, slug)
    settings.get_by_role("button", name=f"Remove {bob.username}").click()
    settings.get_by_text(f"{bob.username} is no longer a member.").wait_for()
    note = bobs.locator("#membership-ended")
    note.wait_for(state="visible")
    assert "no longer a member" in (note.text_content() or "")
    assert bobs.locator("#message-form").is_hidden(), "nothing more to write here"
    wait_sidebar(bobs, slug, False)
    ada.say(slug, "after bob left")
    bobs.wait_for_timeout(500)
    assert "after bob left" not in (bobs.locator("#messages").text_content() or "")
    gone = bobs.goto(f"/r/{slug}")
    assert gone is not None
    assert gone.status == 404


def test_rename_topic_and_archive_are_seen_live_by_a_member(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada, bob = people("ada", "bob")
    slug = ada.create_room("Old name")
    bobs = shell_page(tabs, bob, f"/r/{slug}")
    bobs.wait_for_selector('#room[data-connection="online"]')
    send(bobs, "hello before")
    wait_for_texts(bobs, ["hello before"])
    settings = settings_of(tabs, ada, slug)
    settings.get_by_label("Name", exact=True).fill("New <name>")
    settings.get_by_role("button", name="Rename").click()
    settings.get_by_text("Renamed to New <name>.").wait_for()
    bobs.wait_for_function("() => document.querySelector('#room-title').textContent === 'New <name>'")
    settings.get_by_label("Topic", exact=True).fill("Plans for <b>March</b>")
    settings.get_by_role("button", name="Set topic").click()
    # Bob may hear of the topic before the settings page has loaded its answer:
    # a click on the page being replaced would be lost.
    settings.get_by_text("Topic set.").wait_for()
    topic = bobs.locator("#room-topic")
    topic.wait_for(state="visible")
    assert topic.text_content() == "Plans for <b>March</b>", "as text"
    label = bobs.locator(f'#sidebar li[data-room="{slug}"] .room-name').text_content() or ""
    assert label.strip() == "New <name>"
    settings.get_by_role("button", name="Archive this room").click()
    settings.get_by_text("is archived.").wait_for()
    bobs.locator("#archived-note").wait_for(state="visible")
    assert bobs.locator("#message-form").is_hidden(), "read-only"
    wait_sidebar(bobs, slug, False)
    bobs.reload()
    assert bobs.locator("#room-topic").text_content() == "Plans for <b>March</b>", "the page renders it too"
    assert bobs.locator("#archived-note").is_visible()
    settings.get_by_role("button", name="Restore this room").click()
    settings.get_by_text("is restored.").wait_for()
    bobs.locator("#message-form").wait_for(state="visible")
    wait_sidebar(bobs, slug, True)


def test_a_room_admin_deletes_someone_elses_message(tabs: Tabs, people: Callable[..., list[Account]]) -> None:
    ada, bob = people("ada", "bob")
    slug = ada.create_room("Moderated")
    bob.say(slug, "something to take down")
    adas = tabs.room(ada, slug)  # bob's message rendered by the server, then live
    bobs = tabs.room(bob, slug)
    message = adas.locator("#m1")
    message.hover()
    offered = message.locator(".actions button:visible").all_inner_texts()
    assert [text.strip() for text in offered] == ["Reply", "React", "Delete"], "no Edit: it is bob's"
    message.locator(".actions").get_by_role("button", name="Delete", exact=True).click()
    dialog = adas.locator("#delete-dialog")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    bobs.wait_for_function("() => document.querySelector('#m1').classList.contains('deleted')")
    assert "something to take down" not in (bobs.locator("#messages").text_content() or "")
    bobs.locator("#m1").hover()
    offered = bobs.locator("#m1 .actions button:visible").all_inner_texts()
    assert offered == [], "a deleted message offers nothing"
