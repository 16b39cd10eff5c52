"""The app shell's pages with the Flask test client: the sidebar's counts, the directory, the room's dividers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from chat.domain import directory, rooms, sidebar
from chat.extensions import db
from chat.models import User
from chat.rooms.layout import day_label, lay_out
from tests.support.in_process import Browser, Login, loaded, text_of

pytestmark = pytest.mark.usefixtures("general")


def post_messages(browser: Browser, slug: str, texts: list[str]) -> None:
    """Post ``texts`` through the room's form, as its page would."""
    for text in texts:
        response = browser.post_form(f"/r/{slug}/messages", {"text": text, "client_id": uuid.uuid4().hex})
        assert response.status_code == 302, response.status_code


def entry(page: str, slug: str) -> str:
    """The sidebar's <li> of ``slug`` on ``page``."""
    found = re.search(rf'<li data-room="{slug}".*?</li>', page, re.S)
    assert found, f"the sidebar does not list {slug}"
    return found.group(0)


def badge(li: str, name: str) -> str | None:
    """The number a badge shows, or None when it is hidden."""
    found = re.search(rf'<span class="{name}"( hidden)?><span aria-hidden="true">@?([^<]*)</span>', li)
    assert found, li
    return None if found.group(1) else found.group(2)


def test_the_sidebar_renders_unread_and_mentions_from_the_read_marks(
    login: Login, ada: User, bob: User
) -> None:
    bob_browser, ada_browser = login(bob), login(ada)
    ada_browser.http.get("/r/general")  # Ada becomes a member having read what was there
    post_messages(bob_browser, "general", ["one", "@ada two", "three"])
    page = text_of(ada_browser.http.get("/rooms"))
    li = entry(page, "general")
    assert badge(li, "unread") == "3"
    assert badge(li, "mentions") == "1"
    assert 'data-read-seq="0"' in li
    assert 'data-last-seq="3"' in li
    # Bob wrote them: nothing is unread for him; and the room he is in is marked current.
    bob_page = text_of(bob_browser.http.get("/r/general"))
    assert badge(entry(bob_page, "general"), "unread") is None
    assert 'href="/r/general" aria-current="page"' in bob_page


def test_direct_conversations_are_listed_by_the_other_person(
    login: Login, ada: User, bob: User, eve: User
) -> None:
    slug = login(ada).http.get("/dm/bob").headers["Location"].rsplit("/r/", 1)[1]
    assert '<span class="room-name">bob</span>' in entry(text_of(login(ada).http.get("/rooms")), slug)
    assert f'data-room="{slug}"' not in text_of(login(bob).http.get("/rooms")), (
        "listed once something is said"
    )
    post_messages(login(ada), slug, ["hello"])
    for who, other in ((ada, "bob"), (bob, "ada")):
        li = entry(text_of(login(who).http.get("/rooms")), slug)
        assert f'<span class="room-name">{other}</span>' in li
    assert f'data-room="{slug}"' not in text_of(login(eve).http.get("/rooms"))


def test_a_private_room_never_shows_in_the_sidebar_of_someone_named_in_it(
    app: Flask, login: Login, ada: User, eve: User
) -> None:
    with app.app_context():
        secret = rooms.create_room("secret", loaded(ada), private=True).slug
    post_messages(login(ada), secret, ["@eve should not hear of this"])
    with app.app_context():
        bar = sidebar.sidebar_of(loaded(eve))
    assert [e.slug for e in bar.rooms + bar.directs] == []
    assert bar.mentions == 0
    assert secret not in text_of(login(eve).http.get("/sidebar"))


def test_the_sidebar_frame_is_the_lists_alone(login: Login, ada: User) -> None:
    login(ada).http.get("/r/general")
    page = text_of(login(ada).http.get("/sidebar?current=general"))
    assert '<turbo-frame id="sidebar-rooms"' in page
    assert 'href="/r/general" aria-current="page"' in page
    assert "<nav" not in page


def test_the_directory_finds_people_by_part_of_their_name(app: Flask, login: Login, ada: User) -> None:
    with app.app_context():
        for name in ("bob", "Bobby", "abbot", "rob_b", "carol"):
            db.session.add(User(username=name, password_hash="!"))
        db.session.commit()
        viewer = loaded(ada)
        assert directory.find_people("bo", viewer).usernames == ["bob", "Bobby", "abbot"]
        assert directory.find_people("_", viewer).usernames == ["rob_b"], "a wildcard is a character"
        assert "ada" not in directory.find_people("", viewer).usernames, "not oneself"
        assert "parley" not in directory.find_people("par", viewer).usernames
        assert directory.find_people("", viewer, limit=2).more is True
    page = text_of(login(ada).http.get("/people?q=BOB"))
    assert re.findall(r'href="/dm/([^"]+)"', page) == ["bob", "Bobby"]
    assert "name contains" in text_of(login(ada).http.get("/people?q=zzz"))


def test_the_room_opens_with_a_divider_above_the_first_unread_message(
    login: Login, ada: User, bob: User
) -> None:
    ada_browser, bob_browser = login(ada), login(bob)
    ada_browser.http.get("/r/general")  # a member from now on
    post_messages(ada_browser, "general", ["read already"])
    post_messages(bob_browser, "general", ["new one", "new two"])
    page = text_of(ada_browser.http.get("/r/general"))
    order = re.findall(r'<li class="(day-divider|unread-divider|message[^"]*)"', page)
    assert order[:4] == ["day-divider", "message mine", "unread-divider", "message"]
    assert order[4] == "message continued", "Bob's second follows his first"
    assert 'data-read-seq="1"' in page
    assert 'id="unread-divider" data-before="2"' in page
    bob_browser.http.get("/r/general")
    post_messages(bob_browser, "general", ["one more"])
    bob_page = text_of(bob_browser.http.get("/r/general"))
    assert 'id="unread-divider" data-before' not in bob_page, "his own messages are read"


def test_days_and_runs_follow_the_clock() -> None:
    today = datetime.now(UTC).date()
    assert day_label(today, today) == "Today"
    assert day_label(today - timedelta(days=1), today) == "Yesterday"
    assert day_label(date(2026, 11, 3), today) == "Tuesday, 3 November 2026"

    def message(seq: int, username: str, at: str) -> dict[str, object]:
        return {"seq": seq, "username": username, "created_at": at}

    placed = lay_out(
        [
            message(1, "ada", "2026-11-03T23:58:00.000Z"),
            message(2, "ada", "2026-11-04T00:01:00.000Z"),
            message(3, "ada", "2026-11-04T00:05:00.000Z"),
            message(4, "ada", "2026-11-04T00:10:01.000Z"),
            message(5, "bob", "2026-11-04T00:11:00.000Z"),
            message(6, "bob", "2026-11-04T00:12:00.000Z"),
        ],
        read_mark=5,
        me="ada",
    )
    assert [(p.day is not None, p.continued, p.first_unread) for p in placed] == [
        (True, False, False),
        (True, False, False),
        (False, True, False),
        (False, False, False),
        (False, False, False),
        (False, False, True),
    ]
