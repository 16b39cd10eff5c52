"""Domain: posting messages (seq, exactly-once, validation) and reading history."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from chat.domain import messages, rooms
from chat.domain.errors import BAD_REQUEST, EMPTY, RATE_LIMITED, TOO_LONG, ChatError
from chat.extensions import db
from chat.models import Message, Room, User
from tests.support.in_process import BOTH_DATABASES, loaded

pytestmark = BOTH_DATABASES


def post(room: Room, author: User, text: str, client_id: str) -> messages.Posted:
    return messages.post_message(loaded(room), loaded(author), text, client_id)


@pytest.mark.usefixtures("ctx")
def test_seqs_count_up_per_room_from_one(ada: User, general: Room) -> None:
    other, _ = rooms.ensure_room("random")
    seqs = [post(general, ada, f"hello {n}", f"g{n}").seq for n in range(3)]
    assert seqs == [1, 2, 3]
    assert post(other, ada, "elsewhere", "r1").seq == 1
    assert loaded(general).last_seq == 3


@pytest.mark.usefixtures("ctx")
def test_text_is_stored_trimmed_and_as_is(ada: User, general: Room) -> None:
    posted = post(general, ada, "  hi <b>there</b>\n", "c1")
    assert posted.payload["text"] == "hi <b>there</b>"
    stored = db.session.scalars(Message.select_whole().where(Message.id == posted.payload["id"])).one()
    assert stored.text == "hi <b>there</b>"
    assert stored.to_dict()["text"] == "hi <b>there</b>"


@pytest.mark.usefixtures("ctx")
def test_a_new_messages_object_is_the_one_its_row_gives(ada: User, bob: User, general: Room) -> None:
    # Built from what was inserted (no ORM object on the hot path): it must not drift from to_dict.
    rooms.admit(loaded(general), loaded(bob))
    post(general, bob, "the question", "q1")
    posted = messages.post_message(
        loaded(general), loaded(ada), "**yes**, @bob: see <https://example.com>", "a1", reply_to=1
    )
    assert posted.mentioned, "bob is named"
    row = db.session.scalars(Message.select_whole().where(Message.id == posted.payload["id"])).one()
    assert posted.payload == row.to_dict()
    assert (posted.payload["reply_to"], posted.payload["deleted"], posted.payload["edited_at"]) == (
        1,
        False,
        None,
    )


@pytest.mark.usefixtures("ctx")
def test_a_retry_with_the_same_client_id_stores_nothing_new(ada: User, general: Room) -> None:
    first = post(general, ada, "once", "retry-me")
    again = post(general, ada, "once", "retry-me")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.payload["id"] == first.payload["id"]
    assert again.seq == 1
    assert db.session.query(Message).count() == 1
    assert post(general, ada, "next", "another").seq == 2


@pytest.mark.usefixtures("ctx")
def test_client_ids_belong_to_their_user(ada: User, bob: User, general: Room) -> None:
    assert not post(general, ada, "from ada", "same").duplicate
    assert not post(general, bob, "from bob", "same").duplicate


@pytest.mark.parametrize(
    ("text", "client_id", "code"),
    [
        ("   \n\t ", "c", EMPTY),
        ("x" * 4001, "c", TOO_LONG),
        ("ok", "", BAD_REQUEST),
        ("ok", "x" * 65, BAD_REQUEST),
        ("nul \x00 inside", "c", BAD_REQUEST),
        ("lone \ud800 surrogate", "c", BAD_REQUEST),
    ],
)
@pytest.mark.usefixtures("ctx")
def test_bad_messages_are_refused_and_store_nothing(
    ada: User, general: Room, text: str, client_id: str, code: str
) -> None:
    with pytest.raises(ChatError) as refusal:
        post(general, ada, text, client_id)
    assert refusal.value.code == code
    assert db.session.query(Message).count() == 0
    assert post(general, ada, "fine", "after").seq == 1


@pytest.mark.usefixtures("ctx")
def test_exactly_4000_characters_fit(ada: User, general: Room) -> None:
    assert len(post(general, ada, "é" * 4000, "long").payload["text"]) == 4000


@pytest.mark.usefixtures("ctx")
def test_throttle_refuses_new_messages_but_never_a_retry(ada: User, general: Room) -> None:
    def closed() -> None:
        raise ChatError(RATE_LIMITED, "slow down")

    room, author = loaded(general), loaded(ada)
    messages.post_message(room, author, "first", "c1")
    assert messages.post_message(room, author, "first", "c1", throttle=closed).duplicate
    with pytest.raises(ChatError):
        messages.post_message(room, author, "second", "c2", throttle=closed)
    assert room.last_seq == 1


def fill(general: Room, ada: User, count: int) -> None:
    for n in range(1, count + 1):
        post(general, ada, f"m{n}", f"c{n}")


def seqs(page: messages.Page) -> list[int]:
    return [m.seq for m in page.messages]


@pytest.mark.usefixtures("ctx")
def test_history_slices(ada: User, general: Room) -> None:
    fill(general, ada, 12)
    room = loaded(general)
    assert seqs(messages.history(room, before=10, limit=3)) == [7, 8, 9]
    assert messages.history(room, before=10, limit=3).has_more
    assert seqs(messages.history(room, before=3, limit=5)) == [1, 2]
    assert not messages.history(room, before=3, limit=5).has_more
    assert seqs(messages.history(room, after=9, limit=2)) == [10, 11]
    assert messages.history(room, after=9, limit=2).has_more
    assert not messages.history(room, after=10, limit=2).has_more
    assert seqs(messages.history(room, after=3, before=7)) == [4, 5, 6]
    assert seqs(messages.history(room, limit=4)) == [9, 10, 11, 12]
    assert messages.history(room, limit=4).has_more
    assert seqs(messages.history(room)) == list(range(1, 13))
    assert not messages.history(room).has_more


@pytest.mark.usefixtures("ctx")
def test_history_limit_defaults_to_50_and_caps_at_200(ada: User, general: Room) -> None:
    fill(general, ada, 205)
    room = loaded(general)
    assert seqs(messages.history(room)) == list(range(156, 206))
    assert len(messages.history(room, after=0, limit=1000).messages) == 200
    joined = messages.recent(room, since=0)
    assert (len(joined.messages), joined.has_more) == (200, True)
    assert seqs(messages.recent(room, since=200)) == [201, 202, 203, 204, 205]


@pytest.mark.parametrize(
    "bad", [{"limit": 0}, {"limit": -1}, {"limit": "5"}, {"before": -1}, {"after": 1.5}, {"after": True}]
)
@pytest.mark.usefixtures("ctx")
def test_history_refuses_bad_bounds(general: Room, bad: dict[str, object]) -> None:
    with pytest.raises(ChatError) as refusal:
        messages.history(loaded(general), **bad)
    assert refusal.value.code == BAD_REQUEST


def test_concurrent_writers_get_gap_free_seqs(app: Flask, ada: User, bob: User, general: Room) -> None:
    """Writers on separate connections race into one room; seqs stay 1..N, each once."""
    writers, per_writer = 6, 15
    failures: list[BaseException] = []

    def write(author: User, worker: int) -> None:
        try:
            with app.app_context():
                for n in range(per_writer):
                    post(general, author, f"w{worker} m{n}", f"w{worker}-{n}")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=((ada, bob)[w % 2], w)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        stored = sorted(db.session.scalars(db.select(Message.seq).where(Message.room_id == general.id)))
        assert stored == list(range(1, writers * per_writer + 1))


@pytest.mark.usefixtures("ctx")
def test_a_retry_is_answered_whatever_text_it_carries(ada: User, general: Room) -> None:
    first = post(general, ada, "original", "same")
    for text in ("   ", "x" * 5000, "changed"):
        again = post(general, ada, text, "same")
        assert again.duplicate
        assert again.payload["id"] == first.payload["id"]
        assert again.payload["text"] == "original"


@pytest.mark.usefixtures("ctx")
def test_posting_changes_only_the_rooms_seq(ada: User, general: Room) -> None:
    # The seq bump is a prebuilt UPDATE fed with parameters: none may become a SET of another column.
    columns = Room.__table__.c
    before = db.session.execute(db.select(columns.name, columns.kind, columns.created_at)).one()
    post(general, ada, "hello", "c1")
    post(general, ada, "again", "c2")
    after = db.session.execute(db.select(columns.name, columns.kind, columns.created_at)).one()
    assert after == before
    assert db.session.execute(db.select(columns.last_seq)).scalar_one() == 2


def found_again(slug: str) -> Room:
    room = rooms.find_room(slug)
    assert room is not None, f"no room {slug}"
    return room


def test_a_room_found_again_reads_its_seq_fresh(app: Flask, ada: User, general: Room) -> None:
    # Rooms are kept per process after their first lookup; their last_seq must never come from that copy.
    with app.app_context():
        assert found_again("general").last_seq == 0
    with app.app_context():
        post(general, ada, "one", "c1")
        post(general, ada, "two", "c2")
    with app.app_context():
        assert found_again("general").last_seq == 2
