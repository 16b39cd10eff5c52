"""The room page without JavaScript shows messages that change: rich text, edits, deletions, reactions, replies.

The page renders each message from its wire object (``Message.to_dict``) with
the macro the browser client copies, and hands the script the same objects
and the room's rev as data. These tests read the HTML the server sends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from chat.domain import changes, messages
from chat.extensions import db
from chat.models import Room, User
from tests.support.in_process import Login, loaded, post_messages, shown_texts, text_of

pytestmark = pytest.mark.usefixtures("general")

ROOT = Path(__file__).resolve().parent.parent


def general_room() -> Room:
    room: Room | None = db.session.scalar(db.select(Room).where(Room.slug == "general"))
    assert room is not None
    return room


def change(app: Flask, verb: str, user: User, seq: int, *args: Any) -> None:
    """``changes.<verb>(general, user, seq, *args)`` as the socket event would."""
    with app.app_context():
        getattr(changes, verb)(general_room(), loaded(user), seq, *args)


def item(page: str, seq: int) -> str:
    """The rendered <li> of message ``seq``."""
    found = re.search(rf'<li class="message[^"]*" tabindex="-1" id="m{seq}".*?</li>', page, re.S)
    assert found, f"message {seq} is not on the page"
    return found.group(0)


def page_data(page: str) -> list[dict[str, Any]]:
    """The messages the page hands its script."""
    found = re.search(r'<script type="application/json" id="page-messages">(.*?)</script>', page, re.S)
    assert found, "the page hands its script no messages"
    data: list[dict[str, Any]] = json.loads(found.group(1))
    return data


def room_page(login: Login, user: User, query: str = "") -> str:
    return text_of(login(user).http.get("/r/general" + query))


def test_messages_show_their_sanitised_markdown(app: Flask, login: Login, ada: User) -> None:
    post_messages(app, ada, ["**bold** and `code`", "<img src=x onerror=alert(1)> [x](javascript:alert(1))"])
    page = room_page(login, ada)
    assert "<p><strong>bold</strong> and <code>code</code></p>" in item(page, 1)
    assert "<img" not in page
    assert 'href="javascript' not in item(page, 2)
    assert shown_texts(page) == ["bold and code", "<img src=x onerror=alert(1)> [x](javascript:alert(1))"]


def test_the_script_gets_the_rendered_messages_and_no_way_out_of_their_element(
    app: Flask, login: Login, ada: User
) -> None:
    post_messages(app, ada, ["one", "</script><script>alert(1)</script>"])
    page = room_page(login, ada)
    data = page_data(page)
    assert [(m["seq"], m["text"]) for m in data] == [(1, "one"), (2, "</script><script>alert(1)</script>")]
    assert data[0]["html"] == "<p>one</p>"
    assert page.count("<script>alert(1)") == 0


def test_an_edited_message_says_so_with_its_time(app: Flask, login: Login, ada: User) -> None:
    post_messages(app, ada, ["tpyo", "fine"])
    change(app, "edit", ada, 1, "typo, fixed")
    page = room_page(login, ada)
    edited = re.search(
        r'<time class="edited" datetime="([^"]+)" title="Edited ([^"]+) UTC">edited</time>', item(page, 1)
    )
    assert edited, item(page, 1)
    assert edited.group(2) == edited.group(1)[:16].replace("T", " ")
    assert '<time class="edited" hidden>' in item(page, 2)
    assert shown_texts(page) == ["typo, fixed", "fine"]


def test_a_deleted_message_leaves_a_line_in_its_place_and_no_text(
    app: Flask, login: Login, ada: User
) -> None:
    post_messages(app, ada, ["keep", "a secret", "keep too"])
    change(app, "react", ada, 2, "👍", True)
    change(app, "delete", ada, 2)
    page = room_page(login, ada)
    deleted = item(page, 2)
    assert re.search(r'class="message mine deleted( continued)?"', deleted)
    assert '<p class="tombstone">message deleted</p>' in deleted
    assert '<div class="text" hidden></div>' in deleted
    assert "a secret" not in page
    assert "👍" not in deleted
    assert '<div class="actions" role="group" aria-label="Message actions" hidden>' in deleted
    assert '<p class="tombstone" hidden>message deleted</p>' in item(page, 1)


def test_reactions_show_counts_names_and_the_readers_own(
    app: Flask, login: Login, ada: User, bob: User
) -> None:
    post_messages(app, ada, ["react to me"])
    for user, emoji in ((ada, "👍"), (bob, "👍"), (bob, "🎉")):
        change(app, "react", user, 1, emoji, True)
    chips = re.findall(
        r'<button type="button" class="reaction( mine)?" aria-pressed="(\w+)" data-emoji="([^"]+)" title="([^"]*)">\s*'
        r'<span class="emoji">[^<]+</span> <span class="count">(\d+)</span>',
        item(room_page(login, bob), 1),
    )
    assert chips == [(" mine", "true", "👍", "ada, bob", "2"), (" mine", "true", "🎉", "bob", "1")]
    ada_view = re.findall(r'aria-pressed="(\w+)" data-emoji="([^"]+)"', item(room_page(login, ada), 1))
    assert ada_view == [("true", "👍"), ("false", "🎉")]


def test_only_your_own_messages_offer_edit_and_delete(app: Flask, login: Login, ada: User, bob: User) -> None:
    post_messages(app, ada, ["ada's"])
    post_messages(app, bob, ["bob's"])
    page = room_page(login, bob)  # not ada: the site's first account is its admin, who deletes any
    actions = [re.findall(r'data-action="(\w+)"', item(page, seq)) for seq in (1, 2)]
    assert actions == [["reply", "react"], ["reply", "react", "edit", "delete"]]


def test_a_reply_quotes_its_original_and_links_to_it(app: Flask, login: Login, ada: User, bob: User) -> None:
    post_messages(app, ada, [f"m{n}" for n in range(1, 60)])
    with app.app_context():
        room, author = general_room(), loaded(bob)
        # Seq 60 answers a message the page does not show; seq 61 one it shows.
        messages.send(room, author, "to the first", "r1", reply_to=1)
        messages.send(room, author, "to **m55**", "r2", reply_to=55)
    change(app, "edit", ada, 55, "m55 *edited*")
    page = room_page(login, ada)
    far = item(page, 60)
    assert 'data-reply-to="1" href="/r/general?around=1#m1"' in far
    assert '<span class="quote-text">an earlier message</span>' in far
    near = item(page, 61)
    assert 'data-reply-to="55" href="#m55"' in near
    assert '<span class="quote-author">ada</span>' in near
    assert '<span class="quote-text">m55 edited</span>' in near
    change(app, "delete", ada, 55)
    assert '<span class="quote-text gone">message deleted</span>' in item(room_page(login, ada), 61)
    assert '<a class="quote" hidden>' in item(room_page(login, ada), 59), "a message that replies to none"


def test_the_page_resumes_from_a_rev_read_before_its_messages(
    app: Flask, login: Login, ada: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_messages(app, ada, ["one", "two"])
    browser = login(ada)
    with app.app_context():
        settled = general_room().last_rev
    assert f'data-last-rev="{settled}"' in text_of(browser.http.get("/r/general"))

    # An edit that commits while the page reads its messages shows in them, and is above the
    # page's rev: the script's first join (since_rev) then brings it again, so it is never lost.
    window = messages.window

    def edit_meanwhile(room: Room, **bounds: Any) -> Any:
        changes.edit(room, loaded(ada), 1, "one, edited meanwhile")
        return window(room, **bounds)

    monkeypatch.setattr(messages, "window", edit_meanwhile)
    page = text_of(browser.http.get("/r/general"))
    assert f'data-last-rev="{settled}"' in page
    (edited,) = [m for m in page_data(page) if m["seq"] == 1]
    assert edited["rev"] == settled + 1
    assert shown_texts(page)[0] == "one, edited meanwhile"


def test_the_only_html_pages_insert_is_a_messages_server_rendered_html() -> None:
    """Everything else is text: the one ``|safe`` and the client's two HTML parses take a message's ``html``.

    A new way of inserting HTML fails here, so that someone looks at it.
    """
    marked_safe = [
        line.strip()
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for line in path.read_text().splitlines()
        if re.search(r"\|\s*safe\b", line)
    ]
    assert marked_safe == [
        '<div class="text"{% if deleted %} hidden{% endif %}>'
        "{{ m.html.replace('<span class=\"mention\" ' ~ mention, '<span class=\"mention me\" ' ~ mention) | safe if m }}</div>"
    ]
    html_sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment"
    )
    inserted = [
        f"{path.name}: {line.strip()}"
        for path in sorted((ROOT / "static" / "js").glob("*.js"))
        for line in path.read_text().splitlines()
        if html_sinks.search(line)
    ]
    assert inserted == [
        "message-item.js: parsed.innerHTML = html;",
        "message-item.js: if (rendered) text.innerHTML = m.html;   // server-sanitised, see above",
    ]
