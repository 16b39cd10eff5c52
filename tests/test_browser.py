"""End to end in a real browser: Chromium (Playwright) against the Procfile's server process.

One server (SQLite, no Redis) and one Chromium per module; every test opens
fresh browser contexts (one per user, so cookies and localStorage are their
own) with users nobody else uses, mostly in rooms of their own. Every wait is
bounded. Screenshots of the room page at 375 px and 1280 px are taken into the
test's temporary folder; ``make screenshots`` refreshes the README's.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from tests.support.browser import (
    DESKTOP,
    PENDING_JS,
    PHONE,
    SHOWN_JS,
    WAIT_MS,
    Account,
    Tabs,
    WebServer,
    accounts,
    act_on,
    message_view,
    screenshot_while_typing,
    send,
    set_online,
    show_room_at,
    unique,
    wait_for_texts,
    wait_member,
    wait_message,
    wait_online,
)
from tests.support.forms import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page, Route

pytestmark = [pytest.mark.server, pytest.mark.timeout(90)]


# -- fixtures ---------------------------------------------------------------------------------
# server, browser, tabs and people: tests/support/browser_fixtures.py.


class RoomOfTwo(NamedTuple):
    ada_account: Account
    bob_account: Account
    slug: str
    ada: Page
    bob: Page


@pytest.fixture
def ada_and_bob(tabs: Tabs, people: Callable[..., list[Account]]) -> RoomOfTwo:
    """Fresh accounts ada and bob, each on the page of a new room of theirs, joined live."""
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("room "))
    return RoomOfTwo(
        ada_account, bob_account, slug, tabs.room(ada_account, slug), tabs.room(bob_account, slug)
    )


# -- page helpers -------------------------------------------------------------------------------


def shown(page: Page) -> list[dict[str, Any]]:
    """The stored messages on the page, in DOM order: seq, author, text."""
    result: list[dict[str, Any]] = page.evaluate(SHOWN_JS)
    return result


def seqs(page: Page) -> list[int]:
    return [m["seq"] for m in shown(page)]


def pending(page: Page) -> int:
    count: int = page.evaluate(PENDING_JS)
    return count


def texts_of(page: Page, texts: list[str]) -> list[str]:
    """The shown texts that are among ``texts``, in page order."""
    return [m["text"] for m in shown(page) if m["text"] in texts]


def socket_call(page: Page, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Emit on the page's own Socket.IO connection and return the acknowledgement (bounded)."""
    ack: dict[str, Any] = page.evaluate(
        """([event, payload]) => new Promise((resolve) => {
            window.parley.socket.timeout(5000).emit(event, payload, (err, ack) =>
                resolve(err ? {ok: false, error: {code: 'timeout'}} : ack));
        })""",
        [event, payload],
    )
    return ack


def member_state(page: Page, username: str) -> str | None:
    """``online``/``offline`` as the member list shows ``username``, or None if not listed."""
    state: str | None = page.evaluate(
        """(name) => {
            const li = Array.from(document.querySelectorAll('#members li[data-username]'))
                .find((li) => li.dataset.username === name);
            if (!li) return null;
            return li.classList.contains('online') ? 'online' : li.classList.contains('offline') ? 'offline' : '?';
        }""",
        username,
    )
    return state


def stored(server: WebServer, slug: str) -> list[tuple[int, str, str]]:
    """What the server stored in ``slug``: (seq, author, text), by seq."""
    rows = server.query(
        "SELECT m.seq, u.username, m.text FROM messages m JOIN rooms r ON r.id = m.room_id "
        "JOIN users u ON u.id = m.user_id WHERE r.slug = ? ORDER BY m.seq",
        slug,
    )
    return [(int(seq), str(author), str(text)) for seq, author, text in rows]


# -- 1. register, log in, rooms, exchange -------------------------------------------------------


def test_two_people_register_log_in_and_talk_in_general(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    # Ada registers through the form (which logs her in).
    ada_name = unique("ada")
    ada = tabs.page(tabs.context())
    ada.goto("/register")
    ada.get_by_label("Username").fill(ada_name)
    ada.get_by_label("Password").fill(PASSWORD)
    ada.get_by_role("button", name="Register").click()
    ada.wait_for_url(re.compile(r"/rooms$"))
    assert ada.locator(".whoami strong").inner_text() == ada_name

    # Bob's account exists already; he logs in through the form.
    (bob_account,) = people("bob")
    bob = tabs.page(tabs.context())
    bob.goto("/r/general")
    bob.wait_for_url(re.compile(r"/login\?next="))  # the room needs a login first
    bob.get_by_label("Username").fill(bob_account.username)
    bob.get_by_label("Password").fill(PASSWORD)
    bob.get_by_role("button", name="Log in").click()
    bob.wait_for_url(re.compile(r"/r/general$"))
    wait_online(bob)

    # Ada sees the room list and opens general from it.
    assert ada.locator('.room-list li[data-room="general"]').is_visible()
    assert ada.locator('.room-list li[data-room="random"]').is_visible()
    ada.get_by_role("link", name=re.compile(r"general")).click()
    ada.wait_for_url(re.compile(r"/r/general$"))
    wait_online(ada)

    lines = [
        (ada, f"hello from {ada_name}"),
        (bob, f"hi {ada_name}, {bob_account.username} here"),
        (ada, "how are you?"),
        (bob, "fine, thanks <b>really</b>"),
    ]
    for page, text in lines:
        send(page, text)
        wait_for_texts(page, [text])  # acknowledged before the next one, so the order is fixed
    texts = [text for _, text in lines]
    for page in (ada, bob):
        wait_for_texts(page, texts)
        assert texts_of(page, texts) == texts, "each message once, in the order sent"
    # Both pages show the same stored messages, in seq order, with the right authors.
    assert shown(ada) == shown(bob)
    assert seqs(ada) == sorted(set(seqs(ada)))
    authors = {m["text"]: m["author"] for m in shown(ada)}
    assert [authors[t] for t in texts] == [ada_name, bob_account.username, ada_name, bob_account.username]
    # Own messages are told apart from the others'.
    mine = ada.locator("#messages li.mine .text").all_inner_texts()
    assert lines[0][1] in mine
    assert lines[1][1] not in mine
    assert ada.locator(f"#messages li[data-seq]:has-text('{lines[0][1]}') time.sent").inner_text()

    # Unread markers: Ada leaves for the room list, Bob writes, general shows one unread.
    ada.goto("/rooms")
    send(bob, "while you were away")
    wait_for_texts(bob, ["while you were away"])
    ada.reload()
    badge = ada.locator('.room-list li[data-room="general"] .unread')
    assert badge.is_visible()
    assert badge.locator("[aria-hidden=true]").inner_text() == "1"
    ada.locator('.room-list li[data-room="general"] a').click()
    wait_for_texts(ada, ["while you were away"])
    wait_online(ada)
    # The page read the room (on the server): the mark is Ada's, wherever she looks next.
    ada.wait_for_function("() => window.parley.marker.mark === window.parley.timeline.contiguous")
    ada.goto("/rooms")
    assert ada.locator('.room-list li[data-room="general"] .unread').is_hidden()


# -- 2. typing and presence ---------------------------------------------------------------------


def test_typing_shows_and_lapses_and_the_member_list_follows_presence(ada_and_bob: RoomOfTwo) -> None:
    ada_account, bob_account, _, ada, bob = ada_and_bob

    # Both are listed online on both pages (Bob reached Ada's list live, by presence).
    for page in (ada, bob):
        wait_member(page, ada_account.username, "online")
        wait_member(page, bob_account.username, "online")

    typing = ada.locator("#typing")
    assert typing.inner_text() == ""
    bob.get_by_label("Message", exact=True).press_sequentially("I am wri", delay=20)
    stopped = time.monotonic()  # no keystroke after this
    ada.wait_for_function(
        "(name) => document.getElementById('typing').textContent.includes(name)",
        arg=bob_account.username,
        timeout=5000,
    )
    assert "typing" in typing.inner_text()
    ada.wait_for_function("() => document.getElementById('typing').textContent === ''", timeout=6500)
    assert time.monotonic() - stopped <= 6.0, "the typing indicator must go within 6 s"
    # Bob's own page never shows himself typing.
    assert bob.locator("#typing").inner_text() == ""

    # Bob closes his page: Ada's list shows him offline, herself still online.
    bob.close()
    wait_member(ada, bob_account.username, "offline", timeout=8000)
    assert member_state(ada, ada_account.username) == "online"
    assert ada.locator(f'#members li[data-username="{bob_account.username}"] .state').inner_text() == (
        "offline"
    )


def test_presence_follows_the_person_across_pages_and_a_cut_off_page_says_so(
    tabs: Tabs, ada_and_bob: RoomOfTwo
) -> None:
    ada_account, bob_account, _, ada, bob = ada_and_bob
    bob_name = bob_account.username
    wait_member(ada, bob_name, "online")

    # Bob opens the room list in the same tab (Turbo keeps his socket): still online for Ada.
    bob.locator("#sidebar").get_by_role("link", name="Browse rooms").click()
    bob.wait_for_url("**/rooms")
    time.sleep(1.5)  # three presence ticks
    assert member_state(ada, bob_name) == "online"
    # His only page closes: offline. A fresh tab of his on the people directory: online again.
    bob.close()
    wait_member(ada, bob_name, "offline", timeout=8000)
    directory = tabs.page(tabs.context(bob_account))
    directory.goto("/people")
    wait_member(ada, bob_name, "online", timeout=8000)

    # Ada is cut off: her page says so, shows her offline and nobody green.
    set_online(ada, False)
    ada.wait_for_selector("#members-stale", state="visible")
    assert "offline" in ada.locator("#connection").inner_text()
    assert member_state(ada, ada_account.username) == "offline"
    bob_item = ada.locator(f'#members li[data-username="{bob_name}"]')
    assert "unknown" in (bob_item.get_attribute("class") or "")
    assert bob_item.locator(".state").inner_text() == "unknown while you are disconnected"
    assert ada.locator("#my-connection").is_visible(), "the sidebar says it too"
    # Back online: the join's list is the whole picture again.
    set_online(ada, True)
    wait_member(ada, bob_name, "online")
    wait_member(ada, ada_account.username, "online")
    assert not ada.locator("#members-stale").is_visible()
    assert not ada.locator("#my-connection").is_visible()


# -- 3. markup is text ---------------------------------------------------------------------------


def test_a_message_that_looks_like_html_is_shown_as_text(ada_and_bob: RoomOfTwo) -> None:
    ada, bob = ada_and_bob.ada, ada_and_bob.bob
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    for page in (ada, bob):
        page.on("dialog", record)

    payload = "<img src=x onerror=alert(1)>"
    send(ada, payload)
    for page in (ada, bob):
        wait_for_texts(page, [payload])
    # Server-rendered too: a fresh load of Bob's page shows it escaped.
    bob.reload()
    wait_online(bob)
    bob.on("dialog", record)
    ada.wait_for_timeout(500)  # give a (wrongly) created image the time to fail and fire onerror
    for page in (ada, bob):
        assert page.locator("#messages li[data-seq] .text").all_text_contents() == [payload]
        assert page.locator("#messages img").count() == 0
    assert dialogs == []


# -- 4. offline and back ----------------------------------------------------------------------------


def test_messages_sent_offline_go_out_once_when_back_online(
    server: WebServer, ada_and_bob: RoomOfTwo
) -> None:
    _, _, slug, ada, bob = ada_and_bob
    set_online(ada, False)
    assert ada.locator("#connection").inner_text() != "online"

    ada_texts = ["offline one", "offline two"]
    bob_texts = ["bob one", "bob two", "bob three"]
    for text in ada_texts:
        send(ada, text)
    for text in bob_texts:
        send(bob, text)
    wait_for_texts(bob, bob_texts)
    # Ada's two wait on her page, unsent; the server has Bob's three only.
    assert pending(ada) == 2
    assert [text for _, _, text in stored(server, slug)] == bob_texts

    online_at = time.monotonic()
    # The page re-joins with since = its last seq (Bob's three arrive) and then sends the
    # two pending ones with their original client_ids.
    set_online(ada, True)
    everything = bob_texts + ada_texts
    remaining = max(1000, int((10 - (time.monotonic() - online_at)) * 1000))
    for page in (ada, bob):
        wait_for_texts(page, everything, timeout=remaining)
    assert time.monotonic() - online_at <= 10

    for page in (ada, bob):
        got = shown(page)
        assert sorted(m["text"] for m in got) == sorted(everything), "each of the five exactly once"
        assert [m["seq"] for m in got] == sorted(m["seq"] for m in got)
        assert pending(page) == 0
    assert shown(ada) == shown(bob), "the same seq order on both pages"
    # Sent offline in this order, stored in this order.
    assert texts_of(ada, ada_texts) == ada_texts

    rows = stored(server, slug)
    assert sorted(text for _, _, text in rows) == sorted(everything), "stored once each"
    assert [(m["seq"], m["author"], m["text"]) for m in shown(ada)] == rows
    # And a fresh load renders exactly what the server stored.
    ada.reload()
    wait_online(ada)
    assert [(m["seq"], m["author"], m["text"]) for m in shown(ada)] == rows


def test_a_page_holding_more_than_a_restored_database_starts_over(
    tabs: Tabs, server: WebServer, people: Callable[..., list[Account]]
) -> None:
    (ada_account,) = people("ada")
    slug = ada_account.create_room(unique("restore "))
    ada = tabs.room(ada_account, slug)
    for text in ["kept", "lost one", "lost two"]:
        send(ada, text)
    wait_for_texts(ada, ["kept", "lost one", "lost two"])
    # The operator restores a backup taken after the first message (docs/security.md).
    with sqlite3.connect(server.db_path) as database:
        database.execute(
            "DELETE FROM messages WHERE seq > 1 AND room_id = (SELECT id FROM rooms WHERE slug = ?)", (slug,)
        )
        database.execute("UPDATE rooms SET last_seq = 1 WHERE slug = ?", (slug,))
    database.close()
    # The page reconnects (its transport dropped here), re-joins with since = 3 and hears
    # last_seq = 1: what it shows beyond that is gone, so it loads the room afresh.
    with ada.expect_navigation(timeout=WAIT_MS):
        ada.evaluate("() => window.parley.socket.io.engine.close()")
    wait_online(ada)
    assert [(m["seq"], m["text"]) for m in shown(ada)] == [(1, "kept")]
    # The next message takes seq 2 again, and the page shows it rather than the old seq 2.
    send(ada, "after the restore")
    wait_for_texts(ada, ["kept", "after the restore"])
    assert [(m["seq"], m["text"]) for m in shown(ada)] == [(1, "kept"), (2, "after the restore")]


# -- 5. reload and older history ----------------------------------------------------------------


def test_reload_agrees_with_the_live_view_and_older_history_pages_in(
    tabs: Tabs, server: WebServer, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("history "))
    # 110 messages over the plain form, round robin from six people (each within the
    # default burst of 20, so the rate limit never slows this down).
    posted = [f"older message {n:03d}" for n in range(1, 111)]
    with accounts(server, *["poster"] * 6) as posters:
        for n, text in enumerate(posted):
            posters[n % len(posters)].say(slug, text)

    ada = tabs.room(ada_account, slug)
    bob = tabs.room(bob_account, slug)
    assert seqs(ada) == list(range(61, 111)), "the last 50 rendered by the server"
    assert ada.locator("#load-older").is_visible()
    live = ["live one", "live two"]
    for text in live:
        send(bob, text)
        wait_for_texts(bob, [text])
    wait_for_texts(ada, live)
    before = shown(ada)
    assert [m["seq"] for m in before] == list(range(61, 113))

    ada.reload()
    wait_online(ada)
    after = shown(ada)
    assert [m["seq"] for m in after] == list(range(63, 113))
    assert after == [m for m in before if m["seq"] >= 63], "server-rendered == what was live"

    older = ada.locator("#load-older")
    older.click()
    ada.wait_for_function("() => document.querySelector('#messages li[data-seq]').dataset.seq === '13'")
    assert seqs(ada) == list(range(13, 113))
    assert older.is_visible()
    older.click()
    ada.wait_for_function("() => document.querySelector('#messages li[data-seq]').dataset.seq === '1'")
    ada.wait_for_selector("#load-older", state="hidden")
    final = shown(ada)
    assert [m["seq"] for m in final] == list(range(1, 113)), "in order, no duplicates, no gaps"
    assert [m["text"] for m in final] == [*posted, *live]
    assert [(m["seq"], m["author"], m["text"]) for m in final] == stored(server, slug)


# -- 6. private and direct rooms -------------------------------------------------------------------


def test_private_rooms_refuse_outsiders_and_direct_rooms_open_from_a_name(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    secret = ada_account.create_room(unique("secret "), private=True)
    ada_account.say(secret, "inner circle only")

    bob = tabs.page(tabs.context(bob_account))
    response = bob.goto(f"/r/{secret}")
    assert response is not None
    assert response.status == 404, "a room bob may not see is no room at all"
    assert "inner circle only" not in bob.content()
    # Bob's socket (from a page he may open) is refused too.
    bob.goto("/r/general")
    wait_online(bob)
    for event, payload in (("join", {"room": secret}), ("history", {"room": secret})):
        ack = socket_call(bob, event, payload)
        assert ack["ok"] is False, (event, ack)
        assert ack["error"]["code"] == "not_found", (event, ack)

    # Both in a public room: each opens the direct room from the other's name.
    lobby = ada_account.create_room(unique("lobby "))
    ada = tabs.room(ada_account, lobby)
    bob.goto(f"/r/{lobby}")
    wait_online(bob)
    wait_member(ada, bob_account.username, "online")  # added to Ada's list live
    ada.get_by_role("button", name=f"Message {bob_account.username}").click()
    bob.get_by_role("button", name=f"Message {ada_account.username}").click()
    for page in (ada, bob):
        page.wait_for_url(re.compile(r"/r/dm-\d+-\d+$"))
        wait_online(page)
    assert ada.url == bob.url, "the same direct room whichever of the two opens it"
    assert ada.locator(".kind").inner_text().lower() == "direct"
    assert ada.get_by_role("button", name=re.compile(r"^Message ")).count() == 0
    send(ada, "just between us")
    send(bob, "indeed")
    for page in (ada, bob):
        wait_for_texts(page, ["just between us", "indeed"])
    direct = ada.url.rsplit("/r/", 1)[1]
    for account in (ada_account, bob_account):
        assert f'href="/r/{direct}"' in account.http.get(f"{account.server.base_url}/rooms").text


# -- 7. keyboard, labels, layout ---------------------------------------------------------------------

UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, textarea, select'))
    .filter((el) => el.type !== 'hidden' && el.getClientRects().length > 0)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML)"""

LAYOUT_JS = """() => {
    const box = document.querySelector('#message-form textarea').getBoundingClientRect();
    const send = document.querySelector('#message-form button[type=submit]').getBoundingClientRect();
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        innerHeight: window.innerHeight,
        box: [box.left, box.top, box.right, box.bottom],
        send: [send.left, send.top, send.right, send.bottom],
    };
}"""


def test_keyboard_labels_and_layout_at_phone_and_desktop_widths(
    tabs: Tabs, people: Callable[..., list[Account]], tmp_path: Path
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("design "))
    ada = tabs.room(ada_account, slug)

    # A new room says so.
    empty = ada.locator("#empty-state")
    assert empty.is_visible()
    assert "No messages yet" in empty.inner_text()

    box = ada.get_by_label("Message", exact=True)
    box.focus()
    ada.keyboard.type("first, by keyboard")
    ada.keyboard.press("Enter")
    wait_for_texts(ada, ["first, by keyboard"])
    assert box.input_value() == ""
    assert ada.evaluate("() => document.activeElement === document.querySelector('#message-form textarea')")
    assert empty.is_hidden()
    # Shift+Enter is a new line, not a send.
    ada.keyboard.type("line one")
    ada.keyboard.press("Shift+Enter")
    ada.keyboard.type("line two")
    assert pending(ada) == 0
    assert len(seqs(ada)) == 1
    ada.keyboard.press("Enter")
    wait_for_texts(ada, ["line one\nline two"])
    # A click on Send gives the focus back to the message box.
    box.fill("sent with the button")
    ada.get_by_role("button", name="Send").click()
    wait_for_texts(ada, ["sent with the button"])
    assert ada.evaluate("() => document.activeElement === document.querySelector('#message-form textarea')")

    # Every visible field is labelled: room page, room list, and the logged-out forms.
    assert ada.evaluate(UNLABELLED_JS) == []
    rooms = tabs.page(ada.context)
    rooms.goto("/rooms")
    assert rooms.evaluate(UNLABELLED_JS) == []
    anonymous = tabs.page(tabs.context())
    for path in ("/login", "/register"):
        anonymous.goto(path)
        assert anonymous.evaluate(UNLABELLED_JS) == []
    rooms.close()
    anonymous.close()

    # A conversation worth looking at, then the layout at both widths.
    bob = tabs.room(bob_account, slug)
    for page, text in (
        (bob, f"Welcome, {ada_account.username}! This room is for the redesign."),
        (ada, "Thanks! The composer stays in view on phones now."),
        (bob, "A long unbroken word must wrap: " + "x" * 120),
        (ada, "<b>markup</b> stays text"),
    ):
        send(page, text)
        wait_for_texts(page, [text])
    for viewport, name in ((PHONE, "room-375.png"), (DESKTOP, "room-1280.png")):
        show_room_at(ada, viewport, bob_account.username)
        layout = ada.evaluate(LAYOUT_JS)
        assert layout["scrollWidth"] <= layout["innerWidth"], (viewport, layout)
        left, top, right, bottom = layout["box"]
        in_view = left >= 0 and top >= 0 and right <= layout["innerWidth"] and bottom <= layout["innerHeight"]
        assert in_view, f"the message box is in view without scrolling at {viewport}: {layout}"
        assert layout["send"][2] <= layout["innerWidth"]
        assert layout["send"][3] <= layout["innerHeight"]
        assert ada.locator("#message-form textarea").is_visible()
        assert ada.locator("#connection").inner_text() == "online"
        screenshot_while_typing(ada, bob, tmp_path / name)


# -- 8. messages that change ---------------------------------------------------------------------


def stored_message(server: WebServer, slug: str, seq: int) -> dict[str, Any]:
    """Message ``seq`` of ``slug`` as the server stored it: rev, text, deleted, reactions."""
    ((rev, text, deleted),) = server.query(
        "SELECT m.rev, m.text, m.deleted FROM messages m JOIN rooms r ON r.id = m.room_id "
        "WHERE r.slug = ? AND m.seq = ?",
        slug,
        seq,
    )
    rows = server.query(
        "SELECT x.emoji, u.username FROM reactions x JOIN messages m ON m.id = x.message_id "
        "JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = x.user_id "
        "WHERE r.slug = ? AND m.seq = ? ORDER BY x.id",
        slug,
        seq,
    )
    reactions: dict[str, list[str]] = {}
    for emoji, username in rows:
        reactions.setdefault(str(emoji), []).append(str(username))
    return {
        "rev": int(rev),
        "text": str(text),
        "deleted": bool(deleted),
        "reactions": [{"emoji": emoji, "usernames": names} for emoji, names in reactions.items()],
    }


def held_message(page: Page, seq: int) -> dict[str, Any]:
    """Message ``seq`` as the page's timeline holds it, in the shape of ``stored_message``."""
    held: dict[str, Any] = page.evaluate(
        """(seq) => {
            const m = window.parley.timeline.get(seq);
            return {rev: m.rev, text: m.text, deleted: m.deleted, reactions: m.reactions};
        }""",
        seq,
    )
    return held


def room_rev(server: WebServer, slug: str) -> int:
    ((rev,),) = server.query("SELECT last_rev FROM rooms WHERE slug = ?", slug)
    return int(rev)


def actions_offered(page: Page, seq: int) -> list[str]:
    """The actions message ``seq`` shows now (none while they are not shown)."""
    offered: list[str] = page.evaluate(
        """(seq) => {
            const box = document.querySelector('#m' + seq + ' > .actions');
            if (box.hidden || getComputedStyle(box).opacity !== '1') return [];
            return Array.from(box.querySelectorAll('button:not([hidden])'), (b) => b.textContent.trim());
        }""",
        seq,
    )
    return offered


def confirm_delete(page: Page, answer: str) -> None:
    """Answer the page's "Delete this message?" with the button named ``answer``."""
    dialog = page.locator("#delete-dialog")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name=answer, exact=True).click()
    dialog.wait_for(state="hidden")


def test_people_edit_and_delete_their_own_messages(server: WebServer, ada_and_bob: RoomOfTwo) -> None:
    _, _, slug, ada, bob = ada_and_bob
    for text in ("tpyo here", "second thought"):
        send(ada, text)
    for page in (ada, bob):
        wait_for_texts(page, ["tpyo here", "second thought"])

    # A message's actions show when it is pointed at; only the author is offered Edit and Delete.
    assert actions_offered(ada, 1) == []
    ada.locator("#m1").hover()
    assert actions_offered(ada, 1) == ["Reply", "React", "Edit", "Delete"]
    bob.locator("#m1").hover()
    assert actions_offered(bob, 1) == ["Reply", "React"]

    # Edit inline with the keyboard: Shift+Tab from the message box reaches the action (which
    # shows), Enter opens the editor, Enter saves. Both pages show the new text, rendered,
    # and "edited" with the date.
    ada.mouse.move(0, 0)
    ada.get_by_label("Message", exact=True).focus()
    for _ in range(10):
        ada.keyboard.press("Shift+Tab")
        if ada.evaluate("() => document.activeElement.matches('#m1 [data-action=edit]')"):
            break
    assert ada.evaluate("() => document.activeElement.matches('#m1 [data-action=edit]')")
    assert actions_offered(ada, 1) == ["Reply", "React", "Edit", "Delete"]
    ada.keyboard.press("Enter")
    editor = ada.get_by_label("Edit the message")
    assert editor.input_value() == "tpyo here"
    editor.fill("typo, **fixed**")
    editor.press("Enter")
    year = time.strftime("%Y")
    for page in (ada, bob):
        view = wait_message(page, 1, "m.edited && m.text === 'typo, fixed'")
        assert "<strong>fixed</strong>" in view["html"]
        assert view["edited"].startswith("Edited "), view["edited"]
        assert year in view["edited"], view["edited"]
    ada.locator(".editor").wait_for(state="detached")  # once the edit's ack is in
    assert stored_message(server, slug, 1)["text"] == "typo, **fixed**"

    # Up in the empty box edits the last own message; Escape cancels and gives the box back.
    box = ada.get_by_label("Message", exact=True)
    box.focus()
    ada.keyboard.press("ArrowUp")
    assert editor.input_value() == "second thought"
    ada.keyboard.type(" (never mind)")
    ada.keyboard.press("Escape")
    assert ada.locator(".editor").count() == 0
    assert ada.evaluate("() => document.activeElement === document.querySelector('#message-form textarea')")
    assert message_view(ada, 2)["text"] == "second thought"  # type: ignore[index]

    # Delete asks first: keeping it changes nothing, deleting leaves a line in its place.
    act_on(ada, 2, "Delete")
    confirm_delete(ada, "Keep it")
    assert message_view(ada, 2)["deleted"] is False  # type: ignore[index]
    act_on(ada, 2, "Delete")
    confirm_delete(ada, "Delete")
    for page in (ada, bob):
        view = wait_message(page, 2, "m.deleted")
        assert view["text"] is None
        assert page.locator("#m2").inner_text().strip().endswith("message deleted")
        assert "second thought" not in page.locator("#messages").inner_text()
    assert stored_message(server, slug, 2) == {"rev": 4, "text": "", "deleted": True, "reactions": []}

    # A fresh load renders the same.
    bob.reload()
    wait_online(bob)
    assert message_view(bob, 2)["deleted"] is True  # type: ignore[index]
    assert message_view(bob, 1)["text"] == "typo, fixed"  # type: ignore[index]


def test_reactions_toggle_count_and_name_who_reacted(ada_and_bob: RoomOfTwo) -> None:
    ada_account, bob_account, _, ada, bob = ada_and_bob
    send(ada, "react to this")
    wait_for_texts(bob, ["react to this"])

    # Bob picks one of the picker's emoji.
    act_on(bob, 1, "React")
    bob.locator("#reaction-picker").get_by_role("button", name="React with 👍").click()
    thumbs = "m.reactions.length === 1 && m.reactions[0].count === {n}"
    assert wait_message(bob, 1, thumbs.format(n=1))["reactions"] == [
        {"emoji": "👍", "count": 1, "names": bob_account.username, "mine": True}
    ]
    assert wait_message(ada, 1, thumbs.format(n=1))["reactions"][0]["mine"] is False

    # Ada adds hers with one click on the chip; both see two, named on hover.
    chip = ada.locator("#m1 .reaction[data-emoji='👍']")
    chip.click()
    names = f"{bob_account.username}, {ada_account.username}"
    for page in (ada, bob):
        view = wait_message(page, 1, thumbs.format(n=2))
        assert view["reactions"][0]["names"] == names
    chip.hover()
    assert chip.get_attribute("title") == names
    assert chip.get_attribute("aria-pressed") == "true"
    # A second click takes hers back.
    chip.click()
    for page in (ada, bob):
        wait_message(page, 1, thumbs.format(n=1))
    assert chip.get_attribute("aria-pressed") == "false"

    # Any one emoji may be typed; text is refused in the server's words.
    act_on(ada, 1, "React")
    other = ada.get_by_label("Any one emoji")
    other.fill("🚀")
    other.press("Enter")
    wait_message(bob, 1, "m.reactions.map((r) => r.emoji).join() === '👍,🚀'")
    act_on(ada, 1, "React")
    other.fill("hello")
    other.press("Enter")
    ada.wait_for_selector("#send-error:not([hidden])")
    assert ada.locator("#send-error").inner_text() == "A reaction is one emoji."


def test_a_reply_quotes_its_original_and_jumps_to_it(
    server: WebServer, tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("replies "))
    with accounts(server, *["poster"] * 6) as posters:  # each within the default burst of 20
        for n in range(1, 81):
            posters[n % len(posters)].say(slug, f"point number {n}")
    ada = tabs.room(ada_account, slug)
    bob = tabs.room(bob_account, slug)

    # Ada answers the newest message: the composer says to what; Escape or Cancel drops it.
    act_on(ada, 80, "Reply")
    bar = ada.locator("#reply-bar")
    assert bar.is_visible()
    assert bar.locator(".quote-text").inner_text() == "point number 80"
    ada.keyboard.press("Escape")
    assert bar.is_hidden()
    act_on(ada, 80, "Reply")
    bar.get_by_role("button", name="Cancel reply").click()
    assert bar.is_hidden()
    act_on(ada, 80, "Reply")
    send(ada, "agreed")
    assert bar.is_hidden()
    for page in (ada, bob):
        view = wait_message(page, 81, "m.quote && m.text === 'agreed'")
        assert view["quote"]["text"] == "point number 80"
    assert server.query(
        "SELECT m.reply_to FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = ? AND m.seq = 81",
        slug,
    ) == [(80,)]

    # She answers an old one, from older history: Bob's page does not hold it, fetches the
    # quote, and a click on it loads the older messages, then shows and marks the original.
    ada.locator("#load-older").click()
    ada.wait_for_selector("#m3")
    act_on(ada, 3, "Reply")
    send(ada, "about the third point")
    view = wait_message(bob, 82, "m.quote && m.quote.text === 'point number 3'")
    assert view["quote"]["href"] == "?around=3#m3"
    assert message_view(bob, 3) is None
    bob.locator("#m82 .quote").click()
    bob.wait_for_selector("#m3.jumped")
    assert bob.evaluate("() => document.activeElement.id") == "m3"
    assert in_view(bob, 3)
    assert seqs(bob) == list(range(1, 83)), "loaded gap-free down to the original"

    # Deleting an original leaves "message deleted" in its quotes.
    act_on(bob, 81, "Reply")
    send(bob, "me too")
    for page in (ada, bob):
        wait_message(page, 83, "m.quote && m.quote.text === 'agreed'")
    act_on(ada, 81, "Delete")
    confirm_delete(ada, "Delete")
    for page in (ada, bob):
        view = wait_message(page, 83, "m.quote.text === 'message deleted'")
        assert view["quote"]["author"] == ada_account.username
    assert shown(ada) == shown(bob)


def in_view(page: Page, seq: int) -> bool:
    """Whether message ``seq`` is wholly inside the message list's visible part."""
    inside: bool = page.evaluate(
        """(seq) => {
            const list = document.getElementById('messages').getBoundingClientRect();
            const item = document.getElementById('m' + seq).getBoundingClientRect();
            return item.top >= list.top && item.bottom <= list.bottom;
        }""",
        seq,
    )
    return inside


def test_search_from_the_top_bar_opens_the_room_at_the_message(
    server: WebServer, tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = bob_account.create_room(unique("plans "))
    word = unique("deploy")  # found in this room only, whatever other tests wrote
    with accounts(server, *["poster"] * 6) as posters:  # each within the default burst of 20
        for n in range(1, 91):
            text = f"the quarterly {word} checklist" if n == 12 else f"chatter {n}"
            posters[n % len(posters)].say(slug, text)
    ada = tabs.room(ada_account, slug)
    assert message_view(ada, 12) is None, "seq 12 is older than the room page shows"

    search = ada.get_by_role("searchbox", name="Search messages")
    search.fill(word)
    search.press("Enter")
    ada.wait_for_url(re.compile(r"/search\?q="))
    result = ada.locator(".search-results li")
    assert result.count() == 1
    assert result.locator("mark").inner_text() == word
    result.get_by_role("link").click()
    ada.wait_for_url(re.compile(rf"/r/{slug}\?around=12#m12$"))
    wait_online(ada)
    ada.wait_for_selector("#m12.jumped")
    assert message_view(ada, 12)["text"] == f"the quarterly {word} checklist"  # type: ignore[index]
    assert in_view(ada, 12)
    # The page is live around the message: what is newer comes in, and new messages too.
    wait_for_texts(ada, ["chatter 90"])
    send(ada, "found it")
    wait_for_texts(ada, ["found it"])
    assert seqs(ada) == list(range(1, 92))


def test_changes_made_while_a_page_was_offline_appear_once_it_is_back(
    server: WebServer, ada_and_bob: RoomOfTwo
) -> None:
    _, _, slug, ada, bob = ada_and_bob
    for text in ("one", "two", "three"):
        send(ada, text)
    wait_for_texts(bob, ["one", "two", "three"])
    socket_call(bob, "react", {"room": slug, "seq": 3, "emoji": "👍", "on": True})
    wait_message(bob, 3, "m.reactions.length === 1")

    set_online(bob, False)
    # While Bob is away Ada edits one, deletes two, and reacts twice to three, then takes
    # one back: three revs of one message, of which the last counts.
    ada_changes: list[tuple[str, dict[str, Any]]] = [
        ("edit", {"seq": 1, "text": "one, edited while Bob was away"}),
        ("delete", {"seq": 2}),
        ("react", {"seq": 3, "emoji": "🎉", "on": True}),
        ("react", {"seq": 3, "emoji": "👍", "on": True}),
        ("react", {"seq": 3, "emoji": "👍", "on": False}),
    ]
    for event, payload in ada_changes:
        assert socket_call(ada, event, {"room": slug, **payload})["ok"] is True
    wait_message(ada, 3, "m.reactions.length === 2")
    assert message_view(bob, 1)["text"] == "one"  # type: ignore[index]
    away_rev = bob.evaluate("() => window.parley.revs.last")
    assert away_rev == room_rev(server, slug) - len(ada_changes)

    set_online(bob, True)
    wait_online(bob)
    wait_message(bob, 1, "m.edited && m.text === 'one, edited while Bob was away'")
    wait_message(bob, 2, "m.deleted")
    view = wait_message(bob, 3, "m.reactions.length === 2")
    assert [(r["emoji"], r["count"], r["mine"]) for r in view["reactions"]] == [
        ("👍", 1, True),
        ("🎉", 1, False),
    ]
    # Exactly the stored states, the page's rev caught up, and nothing shown twice.
    for seq in (1, 2, 3):
        assert held_message(bob, seq) == stored_message(server, slug, seq)
    assert bob.evaluate("() => window.parley.revs.last") == room_rev(server, slug)
    assert seqs(bob) == [1, 2, 3]
    assert shown(bob) == shown(ada)


# Where each message sits in the list: what the script must not move when it starts.
LAYOUT_OF_MESSAGES_JS = """() => Array.from(document.querySelectorAll('#messages > li, #room-title, #message-form'),
    (el) => [el.id, el.offsetLeft, el.offsetTop, el.offsetWidth, el.offsetHeight])"""


def test_the_script_starts_without_moving_what_the_server_rendered(
    tabs: Tabs, people: Callable[..., list[Account]]
) -> None:
    ada_account, bob_account = people("ada", "bob")
    slug = ada_account.create_room(unique("layout "))
    ada_account.say(slug, "**Rich** text with `code`,\n\n> a quote\n\n- and\n- a list")
    bob_account.say(slug, "gone soon")
    ada = tabs.room(ada_account, slug)
    for event, payload in (
        ("edit", {"seq": 1, "text": "**Rich** text with `code`, edited"}),
        ("react", {"seq": 1, "emoji": "🎉", "on": True}),
        ("message", {"text": "a reply", "client_id": unique("c"), "reply_to": 1}),
        ("message", {"text": "a reply to what is gone", "client_id": unique("c"), "reply_to": 2}),
    ):
        assert socket_call(ada, event, {"room": slug, **payload})["ok"] is True
    bob = tabs.room(bob_account, slug)
    assert socket_call(bob, "delete", {"room": slug, "seq": 2})["ok"] is True
    wait_message(bob, 4, "m.quote.text === 'message deleted'")

    held: list[Route] = []  # the page's app.js, held back until the first paint is measured
    for viewport in (PHONE, DESKTOP):
        # What the first paint shows (boot.js has marked the page scripted; the modules are
        # held back) is where everything stays once the script runs and the page is live.
        page = tabs.page(tabs.context(ada_account, viewport))
        held.clear()
        page.route("**/js/app.js", lambda route: held.append(route))
        page.goto(f"/r/{slug}", wait_until="commit")
        page.wait_for_function("() => document.getElementById('message-form') && document.body.dataset.user")
        before = page.evaluate(LAYOUT_OF_MESSAGES_JS)
        # The day's divider, and the four messages (Bob's two unread by Ada, but her own reply
        # after them moved her mark: no "new messages" divider).
        assert [item[0] for item in before] == ["room-title", "d1", "m1", "m2", "m3", "m4", "message-form"]
        page.wait_for_function("(n) => n > 0", arg=len(held))
        for route in held:
            route.continue_()
        wait_online(page)
        assert page.evaluate(LAYOUT_OF_MESSAGES_JS) == before, viewport
        # Without JavaScript the messages are where the live page has them (the composer has
        # no "Enter to send" hint, and the header no toggles: those are the script's).
        if viewport == DESKTOP:
            plain = tabs.page(tabs.context(ada_account, viewport, javascript=False))
            plain.goto(f"/r/{slug}")
            assert plain.evaluate(LAYOUT_OF_MESSAGES_JS)[:-1] == before[:-1]
