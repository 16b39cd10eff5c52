"""Search on both stores: words, stems, filters, snippets, edits and deletions, and who may find what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from chat.domain import changes, messages, rooms, search
from chat.domain.errors import ChatError
from chat.extensions import db
from chat.models import Membership, Message, Room, User
from tests.support.in_process import BOTH_DATABASES, Login

pytestmark = BOTH_DATABASES


def say(app: Flask, author: User, room_slug: str, text: str) -> int:
    """Post ``text`` as ``author`` in a room; its seq."""
    with app.app_context():
        room = rooms.find_room(room_slug)
        user = db.session.get(User, author.id)
        assert room is not None
        assert user is not None
        return messages.post_message(room, user, text, f"{room_slug}-{text}").seq


def found(app: Flask, user: User, raw: str, **options: bool) -> list[tuple[str, int]]:
    """``(room slug, seq)`` of each hit of ``raw`` for ``user``."""
    with app.app_context():
        reader = db.session.get(User, user.id)
        assert reader is not None
        hits, _more = search.search(reader, search.parse(raw, **options))
        return [(hit.room_slug, hit.seq) for hit in hits]


@pytest.fixture
def chatter(app: Flask, ada: User, bob: User, general: Room) -> None:
    """general: ada's deploy note and lunch question; bob's private 'ops' room, with ada, has a deploy plan."""
    with app.app_context():
        # At a fixed slug (create_room gives private rooms a suffix of their own), so that hits read "ops".
        ops = Room(slug="ops", name="ops", kind="private")
        db.session.add_all([ops, Membership(room=ops, user_id=bob.id), Membership(room=ops, user_id=ada.id)])
        db.session.commit()
    say(app, ada, general.slug, "We deploy the new build tonight")
    say(app, ada, general.slug, "lunch at noon?")
    say(app, bob, "ops", "the secret deploy plan: <b>blue</b>/green")
    say(app, bob, general.slug, "deploying is scary")


@pytest.mark.usefixtures("chatter", "bob")
def test_words_are_found_by_their_stems_in_every_room_one_may_read(app: Flask, ada: User, eve: User) -> None:
    assert sorted(found(app, ada, "deploy")) == [("general", 1), ("general", 3), ("ops", 1)]
    assert sorted(found(app, eve, "deploy")) == [("general", 1), ("general", 3)], "eve is not in ops"
    assert found(app, eve, "secret") == []
    assert found(app, eve, "plan in:ops") == [], "naming a private room reveals nothing"
    assert found(app, ada, "deploy tonight") == [("general", 1)], "every word must match"
    assert found(app, ada, "nothing-like-this") == []
    assert found(app, ada, "   ") == []


@pytest.mark.usefixtures("chatter")
def test_filters_narrow_by_room_author_and_day(app: Flask, ada: User) -> None:
    assert sorted(found(app, ada, "deploy in:ops")) == [("ops", 1)]
    assert sorted(found(app, ada, "deploy from:bob")) == [("general", 3), ("ops", 1)]
    assert sorted(found(app, ada, "deploy from:BOB in:general")) == [("general", 3)]
    today = datetime.now(UTC).date()
    assert len(found(app, ada, f"deploy after:{today - timedelta(days=1)}")) == 3
    assert found(app, ada, f"deploy after:{today}") == []
    assert found(app, ada, f"deploy before:{today}") == []
    assert len(found(app, ada, f"deploy before:{today + timedelta(days=1)}")) == 3
    with pytest.raises(ChatError):
        search.parse("deploy before:yesterday")


@pytest.mark.usefixtures("chatter")
def test_newest_first_or_best_match_first(app: Flask, ada: User) -> None:
    assert found(app, ada, "deploy in:general") == [("general", 3), ("general", 1)]
    best = found(app, ada, "deploy in:general", newest_first=False)
    assert sorted(best) == [("general", 1), ("general", 3)]


@pytest.mark.usefixtures("chatter")
def test_edits_reindex_and_deletions_remove(app: Flask, ada: User) -> None:
    with app.app_context():
        room = rooms.find_room("general")
        user = db.session.get(User, ada.id)
        assert room is not None
        assert user is not None
        changes.edit(room, user, 2, "dinner at eight?")
        changes.delete(room, user, 1)
    assert found(app, ada, "lunch") == []
    assert found(app, ada, "dinner") == [("general", 2)]
    assert found(app, ada, "tonight") == []
    assert found(app, ada, "deploy in:general") == [("general", 3)]


@pytest.mark.usefixtures("chatter")
def test_snippets_mark_the_words_and_escape_the_rest(app: Flask, ada: User) -> None:
    with app.app_context():
        reader = db.session.get(User, ada.id)
        assert reader is not None
        (hit,) = search.search(reader, search.parse("secret"))[0]
    assert "<mark>secret</mark>" in hit.snippet
    # SQLite shows the tag escaped; PostgreSQL's headline drops what looks like a tag.
    assert "blue" in hit.snippet
    assert "<b>" not in hit.snippet


@pytest.mark.usefixtures("backend")
def test_a_snippet_marker_typed_by_someone_makes_no_unbalanced_markup() -> None:
    assert search._marked("a\x02b") == "a<mark>b</mark>"
    assert search._marked("\x03a\x02b\x02c\x03\x03") == "a<mark>bc</mark>"


@pytest.mark.usefixtures("chatter")
def test_the_results_page_links_to_the_message_in_its_room(login: Login, ada: User, eve: User) -> None:
    page = login(ada).http.get("/search?q=deploy+in%3Aops").get_data(as_text=True)
    assert 'href="/r/ops?around=1#m1"' in page
    assert "<mark>deploy</mark>" in page
    opened = login(ada).http.get("/r/ops?around=1").get_data(as_text=True)
    assert 'id="m1"' in opened
    assert "Nothing found" in login(eve).http.get("/search?q=secret").get_data(as_text=True)
    refused = login(ada).http.get("/search?q=x+after%3Asoon")
    assert refused.status_code == 400
    assert "Dates are written" in refused.get_data(as_text=True)


@pytest.mark.usefixtures("general")
def test_a_room_page_opens_around_a_message_or_before_one_without_javascript(
    app: Flask,
    login: Login,
    ada: User,
) -> None:
    for n in range(1, 121):
        say(app, ada, "general", f"note {n}")
    browser = login(ada)
    around = browser.http.get("/r/general?around=60").get_data(as_text=True)
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', around)]
    assert seqs == list(range(36, 86))
    before = browser.http.get("/r/general?before=11").get_data(as_text=True)
    assert [int(s) for s in re.findall(r'data-seq="(\d+)"', before)] == list(range(1, 11))
    assert browser.http.get("/r/general?before=x").status_code == 400
    assert browser.http.get("/r/general?around=-3").status_code == 400


@pytest.mark.usefixtures("chatter")
def test_old_messages_are_found_by_date(app: Flask, ada: User) -> None:
    with app.app_context():
        long_ago = datetime(2025, 1, 15, 12, tzinfo=UTC)
        db.session.execute(update(Message).where(Message.seq == 2).values(created_at=long_ago))
        db.session.commit()
    assert found(app, ada, "lunch before:2025-01-16 after:2025-01-14") == [("general", 2)]
    assert found(app, ada, "lunch after:2025-01-15") == []
