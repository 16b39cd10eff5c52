"""The app shell in real Chromium: sidebar, unread that follows you, mentions, drawers, no-JS paging, axe.

One server (SQLite, no Redis) and one Chromium per module, as in
tests/test_browser.py; fresh people per test. The cross-instance case (two
processes on Redis and PostgreSQL) is tests/test_shell_cluster.py.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import pytest

from tests.support.browser import (
    AXE_JS,
    DESKTOP,
    PHONE,
    WAIT_MS,
    accounts,
    axe_violations,
    send,
    unique,
    wait_for_texts,
    wait_online,
)
from tests.support.services import require
from tests.support.shell import badges, sidebar_page, wait_badges

if TYPE_CHECKING:  # annotations only
    from playwright.sync_api import BrowserContext, Page

    from tests.support.browser import Account, Tabs, WebServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

SWITCH_BUDGET_MS = 300


# -- reading the shell ------------------------------------------------------------------------


def wait_room(page: Page, slug: str) -> None:
    """Until ``page`` shows the room ``slug``, joined live (not the page it was on before)."""
    page.wait_for_selector(f'#room[data-room="{slug}"][data-connection="online"]', timeout=WAIT_MS)


def read_mark(server: WebServer, username: str, slug: str) -> int:
    ((mark,),) = server.query(
        "SELECT m.last_read_seq FROM memberships m JOIN users u ON u.id = m.user_id "
        "JOIN rooms r ON r.id = m.room_id WHERE u.username = ? AND r.slug = ?",
        username,
        slug,
    )
    return int(mark)


# -- switching rooms ------------------------------------------------------------------------------

SWITCH_JS = """([slug, text]) => new Promise((resolve) => {
    const link = document.querySelector('#sidebar li[data-room="' + slug + '"] a');
    const started = performance.now();
    link.click();
    (function check() {
        const room = document.getElementById('room');
        const shown = room && room.dataset.room === slug && Array.from(
            document.querySelectorAll('#messages li[data-seq] .text'), (e) => e.textContent).includes(text);
        if (shown) resolve(performance.now() - started);
        else requestAnimationFrame(check);
    })();
})"""


def test_switching_rooms_keeps_the_connection_shows_the_room_within_300_ms_and_back_works(
    tabs: Tabs, people: Callable[..., list[Account]], server: WebServer
) -> None:
    (ada_account,) = people("ada")
    rooms = [ada_account.create_room(unique(name)) for name in ("north ", "south ")]
    with accounts(server, *["poster"] * 4) as posters:  # each within the default burst of 20
        for slug in rooms:
            for n in range(30):
                posters[n % len(posters)].say(slug, f"{slug} line {n}")
    ada = tabs.room(ada_account, rooms[0])
    socket_id = ada.evaluate("() => window.parley.socket.id")
    timings = []
    for turn in range(8):
        slug = rooms[(turn + 1) % 2]
        timings.append(ada.evaluate(SWITCH_JS, [slug, f"{slug} line 29"]))
        assert ada.url.endswith(f"/r/{slug}")
        wait_room(ada, slug)
        assert ada.evaluate("() => window.parley.socket.id") == socket_id, "the same connection"
    median = statistics.median(timings)
    print(
        f"\nroom switch, click to messages shown: median {median:.0f} ms, all {[round(t) for t in timings]}"
    )
    assert median < SWITCH_BUDGET_MS, timings

    # The back button shows the room before, live; the current room is marked in the sidebar.
    ada.go_back()
    wait_room(ada, rooms[1])
    wait_for_texts(ada, [f"{rooms[1]} line 29"])
    current = ada.locator('#sidebar a[aria-current="page"]')
    assert current.get_attribute("href") == f"/r/{rooms[1]}"
    assert ada.evaluate("() => window.parley.socket.id") == socket_id
    # The message box has the focus when a room opens.
    assert ada.evaluate("() => document.activeElement === document.querySelector('#message-form textarea')")


# -- unread on the server, across tabs and devices ----------------------------------------------


def test_unread_counts_follow_the_person_across_tabs_and_their_own_messages_never_count(
    server: WebServer, tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = bob_account.create_room(unique("plans "))
    ada_account.post(f"/dm/{bob_account.username}", {})  # a room of Ada's too, for the sidebar
    ada_tab = tabs.room(ada_account, slug)  # Ada becomes a member, reads, then leaves for the list
    ada_tab.goto("/rooms")
    ada_tab.wait_for_function("() => window.parleyShell && window.parleyShell.socket().connected")

    # A new message elsewhere raises the count live.
    for n in range(3):
        bob_account.say(slug, f"news {n}")
    wait_badges(ada_tab, slug, 3)
    # A fresh browser of Ada's renders the same count on the server.
    fresh = sidebar_page(tabs, ada_account)
    assert badges(fresh, slug) == {"unread": 3, "mentions": 0}
    assert fresh.locator(f'.room-list li[data-room="{slug}"] .unread [aria-hidden=true]').inner_text() == "3"

    # Another device opens the room: it opens at the divider, reads, and every tab clears within a second.
    phone = tabs.room(ada_account, slug, PHONE)
    divider = phone.locator("#unread-divider")
    assert divider.is_visible()
    assert divider.evaluate("(li) => li.nextElementSibling.querySelector('.text').textContent") == "news 0"
    for page in (ada_tab, fresh):
        wait_badges(page, slug, 0, timeout=1000)
    assert read_mark(server, ada_account.username, slug) == 3

    # Ada writes from the phone: never unread for her, anywhere.
    send(phone, "on my way")
    wait_for_texts(phone, ["on my way"])
    phone.close()
    bob_account.say(slug, "see you")
    wait_badges(ada_tab, slug, 1)
    assert read_mark(server, ada_account.username, slug) == 4
    assert badges(fresh, slug) == {"unread": 1, "mentions": 0}

    # A room Ada is added to appears in her open sidebars at once.
    private = bob_account.create_room(unique("secret "), private=True)
    bob_account.post(f"/r/{private}/members", {"username": ada_account.username})
    ada_tab.wait_for_selector(f'#sidebar li[data-room="{private}"]')
    bob_account.say(private, "welcome in")
    wait_badges(ada_tab, private, 1)


def test_a_mention_elsewhere_raises_its_count_the_title_and_a_notification_that_opens_it(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    here = ada_account.create_room(unique("here "))
    there_name = unique("there ")
    there = bob_account.create_room(there_name)
    context = tabs.context(ada_account)
    record_notifications(context)
    context.grant_permissions(["notifications"])
    ada = tabs.page(context)
    ada.goto(f"/r/{there}")  # Ada is a member of both
    wait_online(ada)
    ada.goto(f"/r/{here}")
    wait_online(ada)
    assert ada.evaluate("() => window.asked") == 0, "permission is never asked on page load"

    bob_account.say(there, f"@{ada_account.username} can you check the numbers?")
    wait_badges(ada, there, 1, 1)
    ada.wait_for_function("() => document.title.startsWith('(1) ')")
    ada.wait_for_function("() => window.notes.length === 1")
    note = ada.evaluate("() => ({title: window.notes[0].title, tag: window.notes[0].options.tag})")
    assert note == {"title": f"You were mentioned in {there_name}", "tag": f"parley:{there}:1"}
    # The mention is marked in the room, and clicking the notification opens it there.
    ada.evaluate("() => window.notes[0].dispatchEvent(new Event('click'))")
    ada.wait_for_url(re.compile(rf"/r/{there}#m1$"))
    wait_room(ada, there)
    assert ada.locator("#m1").get_attribute("class").split().count("mentions-me") == 1  # type: ignore[union-attr]
    assert ada.locator("#m1 .mention.me").inner_text() == f"@{ada_account.username}"
    wait_badges(ada, there, 0, 0)
    ada.wait_for_function("() => !document.title.startsWith('(')")

    # Without permission yet, the sidebar offers to ask, and asks only on a click.
    plain = tabs.page(tabs.context(ada_account))
    plain.context.add_init_script(script=ASK_COUNTER_JS)
    plain.goto("/rooms")
    button = plain.get_by_role("button", name="Notify me of mentions")
    button.wait_for()
    assert plain.evaluate("() => window.asked") == 0
    button.click()
    plain.wait_for_function("() => window.asked === 1")


ASK_COUNTER_JS = """window.asked = 0;
const ask = Notification.requestPermission.bind(Notification);
Notification.requestPermission = (...args) => { window.asked += 1; return ask(...args); };"""

# Headless Chromium shows no notifications: the page's are recorded as they are made.
NOTES_JS = """window.notes = [];
const Real = window.Notification;
class Recorded extends Real {
    constructor(title, options) { super(title, options); this.options = options; window.notes.push(this); }
}
window.Notification = Recorded;"""


def record_notifications(context: BrowserContext) -> None:
    context.add_init_script(script=NOTES_JS + "\n" + ASK_COUNTER_JS)


def test_typing_at_offers_the_rooms_members_and_the_draft_stays_per_room(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("team "))
    other = ada_account.create_room(unique("other "))
    tabs.room(bob_account, slug).close()  # Bob is a member now
    ada = tabs.room(ada_account, slug)
    box = ada.get_by_label("Message", exact=True)
    box.press_sequentially(f"thanks @{bob_account.username[:3]}", delay=10)
    picker = ada.get_by_role("listbox", name="People to mention")
    picker.wait_for()
    assert picker.get_by_role("option").all_inner_texts() == [f"@{bob_account.username}"]
    box.press("Enter")  # completes, does not send
    assert box.input_value() == f"thanks @{bob_account.username} "
    assert picker.is_hidden()

    # The draft waits in its room while Ada is elsewhere.
    ada.locator(f'#sidebar li[data-room="{other}"] a').click()
    wait_room(ada, other)
    assert ada.get_by_label("Message", exact=True).input_value() == ""
    ada.go_back()
    wait_room(ada, slug)
    assert ada.get_by_label("Message", exact=True).input_value() == f"thanks @{bob_account.username} "
    ada.get_by_label("Message", exact=True).press("Enter")
    wait_for_texts(ada, [f"thanks @{bob_account.username}"])
    assert (
        ada.evaluate("(key) => localStorage.getItem(key)", f"parley:draft:{ada_account.username}:{slug}")
        is None
    )


# -- small screens ----------------------------------------------------------------------------


def test_at_375_px_the_sidebar_and_the_members_are_drawers_with_visible_toggles(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    (ada_account,) = people("ada")
    slug = ada_account.create_room(unique("a room with a long name that must wrap rather than be cut "))
    other = ada_account.create_room(unique("a room with a long name that must wrap rather than be cut "))
    ada = tabs.room(ada_account, slug, PHONE)
    sidebar, members = ada.locator("#sidebar"), ada.locator("#members-panel")
    assert sidebar.is_hidden()
    assert members.is_hidden()
    rooms_toggle = ada.get_by_role("button", name="Rooms")
    assert rooms_toggle.is_visible()
    rooms_toggle.click()
    sidebar.wait_for(state="visible")
    assert rooms_toggle.get_attribute("aria-expanded") == "true"
    names = sidebar.locator(".room-name").all_inner_texts()
    assert len(set(names)) == len(names) == 2, "long names are shown whole, never cut alike"
    ada.keyboard.press("Escape")
    sidebar.wait_for(state="hidden")

    ada.get_by_role("button", name=re.compile("^Members")).click()
    members.wait_for(state="visible")
    assert members.get_by_text(ada_account.username).is_visible()
    ada.locator(".drawer-backdrop").click(position={"x": 20, "y": 300})
    members.wait_for(state="hidden")

    rooms_toggle.click()
    sidebar.locator(f'li[data-room="{other}"] a').click()
    wait_room(ada, other)
    assert sidebar.is_hidden(), "a new page closes the drawer"
    assert ada.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


# -- without JavaScript -----------------------------------------------------------------------------


def test_without_javascript_older_messages_page_in_by_link_and_posting_works(
    tabs: Tabs, people: Callable[..., list[Account]], server: WebServer
) -> None:
    (ada_account,) = people("ada")
    slug = ada_account.create_room(unique("plain "))
    with accounts(server, *["poster"] * 4) as posters:
        for n in range(1, 61):
            posters[n % len(posters)].say(slug, f"plain {n}")
    page = tabs.page(tabs.context(ada_account, PHONE, javascript=False))
    page.goto(f"/r/{slug}")
    assert page.locator("#messages li[data-seq]").count() == 50
    assert page.locator("#connection").is_hidden(), "no offline badge when no script runs"
    assert page.locator("#composer-hint").is_hidden(), "no Enter-to-send hint either"
    page.get_by_role("link", name="Load older messages").click()
    page.wait_for_url(re.compile(r"\?before=11$"))
    assert page.locator("#messages li[data-seq] .text").all_inner_texts() == [
        f"plain {n}" for n in range(1, 11)
    ]
    page.get_by_role("link", name="Newer messages").click()
    page.wait_for_url(re.compile(r"\?after=10$"))
    assert page.locator("#messages li[data-seq]").first.inner_text().count("plain 11") == 1

    page.goto(f"/r/{slug}")
    page.get_by_label("Message", exact=True).fill("sent without a script")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(rf"/r/{slug}#m61$"))
    assert page.locator("#m61 .text").inner_text() == "sent without a script"
    # A refused form comes back with its error; reloading does not send it again.
    page.get_by_label("Message", exact=True).fill("   ")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector('p.error[role="alert"]:not([hidden])')
    page.reload()
    assert page.locator('p.error[role="alert"]:not([hidden])').count() == 0
    assert page.locator("#messages li[data-seq]").last.get_attribute("id") == "m61"


# -- accessibility ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_the_main_pages(
    tabs: Tabs, people: Callable[..., list[Account]], scheme: Literal["light", "dark"]
) -> None:
    require(AXE_JS.exists(), "axe-core (npm ci)")
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("accessible "))
    bob_account.say(slug, f"Hello @{ada_account.username}, see https://example.com")
    ada_account.say(slug, "**Thanks**, looking now")
    problems: dict[str, list[str]] = {}
    for viewport in (DESKTOP, PHONE):
        anonymous = tabs.browser.new_context(
            viewport=viewport, base_url=tabs.server.base_url, color_scheme=scheme
        )
        tabs.contexts.append(anonymous)
        signed_in = tabs.browser.new_context(
            viewport=viewport, base_url=tabs.server.base_url, color_scheme=scheme
        )
        signed_in.add_cookies(ada_account.cookies)  # type: ignore[arg-type]
        tabs.contexts.append(signed_in)
        for context, path in (
            (anonymous, "/login"),
            (anonymous, "/register"),
            (signed_in, "/rooms"),
            (signed_in, f"/r/{slug}"),
            (signed_in, "/people"),
            (signed_in, "/settings"),
        ):
            page = tabs.page(context)
            page.goto(path)
            if path.startswith("/r/"):
                wait_online(page)
            found = axe_violations(page)
            if found:
                problems[f"{path} at {viewport['width']} px"] = found
            page.close()
    assert problems == {}, problems


ABANDONED_FETCH_JS = """() => new Promise((resolve) => {
    const controller = new AbortController();
    fetch('/healthz', {signal: controller.signal});  // nobody awaits it, as Turbo's abandoned visits
    controller.abort();
    setTimeout(resolve, 200);
})"""


def test_a_request_that_navigation_abandons_is_no_script_error(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    (ada_account,) = people("ada")
    page = sidebar_page(tabs, ada_account)
    page.evaluate(ABANDONED_FETCH_JS)
    assert tabs.errors == [], "an AbortError nobody awaits is expected, not an error"
