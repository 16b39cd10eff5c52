"""Domain: rooms (slugs, creation, access, direct rooms, visibility) and accounts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from chat.domain import accounts, directs, membership, rooms
from chat.domain.errors import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, RATE_LIMITED, ChatError
from chat.extensions import db
from chat.models import Membership, Room, User
from tests.support.forms import PASSWORD
from tests.support.in_process import BOTH_DATABASES, loaded

# Every test here runs inside an application context (ctx), on both databases.
pytestmark = [BOTH_DATABASES, pytest.mark.usefixtures("ctx")]


def refusal_code(action: Callable[..., object], *args: object, **kwargs: object) -> str:
    """Run ``action`` and return the code of the ChatError it must raise."""
    with pytest.raises(ChatError) as refusal:
        action(*args, **kwargs)
    return refusal.value.code


def members_of(room: Room) -> set[str]:
    return set(room.member_names())


# --- slugs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Team Chat!", "team-chat"),
        ("general", "general"),
        ("  Release -- 2.0  ", "release-2-0"),
        ("ALL_CAPS.room", "all-caps-room"),
    ],
)
def test_slugs_are_lowercase_words_joined_by_dashes(name: str, slug: str) -> None:
    assert rooms.slugify(name) == slug


def test_slugs_are_capped_at_64_characters_without_a_trailing_dash() -> None:
    assert rooms.slugify("a" * 100) == "a" * 64
    assert rooms.slugify("a" * 63 + " bcd") == "a" * 63


def test_a_long_name_makes_a_room_with_a_64_character_slug() -> None:
    room = rooms.create_room("x" * 80)
    assert room.slug == "x" * 64


@pytest.mark.parametrize("name", ["!!!", "   ", "", "--- ***"])
def test_names_without_letters_or_digits_are_refused(name: str) -> None:
    assert refusal_code(rooms.create_room, name) == BAD_REQUEST
    assert db.session.query(Room).count() == 0


# --- creating and finding rooms ------------------------------------------------


def test_the_creator_is_the_first_member(ada: User) -> None:
    room = rooms.create_room("Team Chat!", loaded(ada))
    assert (room.slug, room.name, room.kind) == ("team-chat", "Team Chat!", "public")
    assert members_of(room) == {"ada"}


def test_a_private_room_is_private(ada: User) -> None:
    assert rooms.create_room("Secret plans", loaded(ada), private=True).kind == "private"


def test_a_second_room_with_the_same_slug_is_a_conflict(ada: User) -> None:
    rooms.create_room("Team Chat", loaded(ada))
    assert refusal_code(rooms.create_room, "team-chat!", loaded(ada)) == CONFLICT
    assert db.session.query(Room).count() == 1


def test_ensure_room_creates_once_then_finds() -> None:
    first, created = rooms.ensure_room("general")
    again, created_again = rooms.ensure_room("General")
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert db.session.query(Room).count() == 1


def test_an_unknown_room_is_not_found(ada: User) -> None:
    assert refusal_code(rooms.room_for, loaded(ada), "nowhere") == NOT_FOUND
    assert refusal_code(rooms.room_for, loaded(ada), "Not A Slug!") == NOT_FOUND


def test_a_private_room_is_not_found_by_non_members(ada: User, eve: User) -> None:
    slug = rooms.create_room("Secret", loaded(ada), private=True).slug
    assert refusal_code(rooms.room_for, loaded(eve), slug) == NOT_FOUND
    assert rooms.room_for(loaded(ada), slug).slug == slug


def test_a_private_room_gets_a_slug_of_its_own(ada: User, bob: User, eve: User) -> None:
    first = rooms.create_room("Secret", loaded(ada), private=True)
    second = rooms.create_room("Secret", loaded(eve), private=True)
    public = rooms.create_room("Secret", loaded(bob))
    assert first.slug.startswith("secret-")
    assert second.slug.startswith("secret-")
    assert len({first.slug, second.slug, public.slug}) == 3
    assert public.slug == "secret", "a private room's name reserves nothing"


def test_a_public_room_on_a_hidden_rooms_slug_gets_one_of_its_own(ada: User, eve: User) -> None:
    hidden = Room(slug="plans", name="Plans", kind="private")  # as a private room made before suffixes
    db.session.add(hidden)
    db.session.commit()
    created = rooms.create_room("Plans", loaded(eve))
    assert created.slug.startswith("plans-")
    rooms.admit(hidden, loaded(ada))
    assert refusal_code(rooms.create_room, "Plans", loaded(ada)) == CONFLICT, "a member sees the room"


def test_a_public_room_is_open_to_anyone(eve: User, general: Room) -> None:
    assert rooms.room_for(loaded(eve), "general").id == general.id


@pytest.mark.usefixtures("general")
def test_entering_a_public_room_makes_a_member_once(eve: User) -> None:
    room = rooms.room_for(loaded(eve), "general")
    assert members_of(room) == set()
    rooms.enter(loaded(eve), "general")
    rooms.enter(loaded(eve), "general")
    assert members_of(room) == {"eve"}
    assert db.session.query(Membership).count() == 1


def test_entering_a_private_room_as_a_stranger_is_refused(ada: User, eve: User) -> None:
    room = rooms.create_room("Secret", loaded(ada), private=True)
    assert refusal_code(rooms.enter, loaded(eve), room.slug) == NOT_FOUND
    assert members_of(room) == {"ada"}


# --- adding members -------------------------------------------------------------


def test_an_admin_adds_someone_to_a_private_room(ada: User, bob: User) -> None:
    room = rooms.create_room("Secret", loaded(ada), private=True)
    added = membership.add_member(room, loaded(ada), "BOB")
    assert added.username == "bob"
    assert members_of(room) == {"ada", "bob"}
    assert rooms.room_for(loaded(bob), room.slug).id == room.id


@pytest.mark.usefixtures("bob")
def test_only_members_may_add_to_a_private_room(ada: User, eve: User) -> None:
    room = rooms.create_room("Secret", loaded(ada), private=True)
    assert refusal_code(membership.add_member, room, loaded(eve), "bob") == NOT_FOUND
    assert members_of(room) == {"ada"}


@pytest.mark.usefixtures("bob")
def test_members_are_added_to_private_rooms_only(ada: User) -> None:
    room = rooms.create_room("Open", loaded(ada))
    assert refusal_code(membership.add_member, room, loaded(ada), "bob") == BAD_REQUEST
    assert members_of(room) == {"ada"}


def test_adding_an_unknown_user_is_not_found(ada: User) -> None:
    room = rooms.create_room("Secret", loaded(ada), private=True)
    assert refusal_code(membership.add_member, room, loaded(ada), "nobody") == NOT_FOUND
    assert members_of(room) == {"ada"}


# --- direct rooms ---------------------------------------------------------------------


def test_a_direct_room_is_the_same_whoever_opens_it(ada: User, bob: User) -> None:
    opened_by_ada = directs.open_direct_room(loaded(ada), "bob")
    assert members_of(opened_by_ada) == {"ada"}, "bob's side only when he opens it or is written to"
    opened_by_bob = directs.open_direct_room(loaded(bob), "ADA")
    again = directs.open_direct_room(loaded(ada), "Bob")
    assert opened_by_ada.id == opened_by_bob.id == again.id
    assert opened_by_ada.kind == "direct"
    assert members_of(opened_by_ada) == {"ada", "bob"}
    assert db.session.query(Room).filter_by(kind="direct").count() == 1


@pytest.mark.usefixtures("bob")
def test_a_direct_room_is_closed_to_a_third_person(ada: User, eve: User) -> None:
    room = directs.open_direct_room(loaded(ada), "bob")
    assert refusal_code(rooms.room_for, loaded(eve), room.slug) == NOT_FOUND
    assert refusal_code(rooms.enter, loaded(eve), room.slug) == NOT_FOUND


def test_a_direct_room_with_yourself_is_refused(ada: User) -> None:
    assert refusal_code(directs.open_direct_room, loaded(ada), "ada") == BAD_REQUEST
    assert refusal_code(directs.open_direct_room, loaded(ada), "Ada") == BAD_REQUEST
    assert db.session.query(Room).count() == 0


def test_a_direct_room_with_an_unknown_user_is_not_found(ada: User) -> None:
    assert refusal_code(directs.open_direct_room, loaded(ada), "nobody") == NOT_FOUND
    assert db.session.query(Room).count() == 0


@pytest.mark.usefixtures("bob", "eve")
def test_direct_rooms_of_different_pairs_differ(ada: User) -> None:
    with_bob = directs.open_direct_room(loaded(ada), "bob")
    with_eve = directs.open_direct_room(loaded(ada), "eve")
    assert with_bob.id != with_eve.id
    directs.deliver(with_eve, loaded(ada))  # a message was sent
    assert members_of(with_eve) == {"ada", "eve"}


def test_a_room_named_like_a_direct_room_does_not_capture_the_conversation(
    ada: User, bob: User, eve: User
) -> None:
    squatted = directs.direct_slug(loaded(ada), loaded(bob))
    with contextlib.suppress(ChatError):  # create_room may refuse the dm- address outright
        rooms.create_room(squatted.replace("-", " "), loaded(eve))
    room = directs.open_direct_room(loaded(ada), "bob")
    directs.open_direct_room(loaded(bob), "ada")
    assert room.kind == "direct"
    assert members_of(room) == {"ada", "bob"}
    assert refusal_code(rooms.room_for, loaded(eve), room.slug) == NOT_FOUND


# --- what each user sees ----------------------------------------------------------------


def test_the_room_list_comes_a_page_at_a_time_and_can_be_searched(ada: User) -> None:
    for n in range(rooms.ROOMS_PER_PAGE + 5):
        db.session.add(Room(slug=f"room-{n:03d}", name=f"Room {n:03d}", kind="public"))
    db.session.commit()
    first = rooms.visible_rooms(loaded(ada))
    second = rooms.visible_rooms(loaded(ada), page=2)
    assert (len(first.rooms), first.has_next) == (rooms.ROOMS_PER_PAGE, True)
    assert (len(second.rooms), second.has_next) == (5, False)
    assert first.rooms[0].name == "Room 000"
    assert second.rooms[-1].name == f"Room {rooms.ROOMS_PER_PAGE + 4:03d}"
    assert [r.name for r in rooms.visible_rooms(loaded(ada), search="OM 01").rooms] == [
        f"Room 01{n}" for n in range(10)
    ]
    assert rooms.visible_rooms(loaded(ada), search="%").rooms == [], "the search is text, not a pattern"


@pytest.mark.usefixtures("general")
def test_visible_rooms_are_public_own_private_and_own_direct(ada: User, bob: User, eve: User) -> None:
    den = rooms.create_room("Ada's den", loaded(ada), private=True)
    lair = rooms.create_room("Eve's lair", loaded(eve), private=True)
    dm = directs.open_direct_room(loaded(ada), "bob")

    def visible(user: User) -> set[str]:
        return {room.slug for room in rooms.visible_rooms(loaded(user)).rooms}

    assert visible(ada) == {"general", den.slug, dm.slug}
    assert visible(bob) == {"general"}, "not until ada writes to him"
    directs.deliver(dm, loaded(ada))
    assert visible(bob) == {"general", dm.slug}
    assert visible(eve) == {"general", lair.slug}


@pytest.mark.usefixtures("bob")
def test_visible_rooms_come_public_then_private_then_direct(ada: User) -> None:
    directs.open_direct_room(loaded(ada), "bob")
    rooms.create_room("Zeta", loaded(ada), private=True)
    rooms.create_room("beta")
    rooms.create_room("Alpha")
    kinds_and_names = [(r.kind, r.name) for r in rooms.visible_rooms(loaded(ada)).rooms]
    assert kinds_and_names == [
        ("public", "Alpha"),
        ("public", "beta"),
        ("private", "Zeta"),
        ("direct", "ada & bob"),
    ]


# --- accounts ------------------------------------------------------------------------------


@pytest.mark.usefixtures("ada")
def test_usernames_are_unique_in_any_case() -> None:
    assert refusal_code(accounts.register_user, "Ada", PASSWORD) == CONFLICT
    assert refusal_code(accounts.register_user, "ADA", PASSWORD) == CONFLICT
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("username", ["a", "Ada_Lovelace-1.0", "x" * 32, "-._"])
def test_usernames_of_1_to_32_allowed_characters_are_accepted(username: str) -> None:
    assert accounts.register_user(username, PASSWORD).username == username


@pytest.mark.parametrize("username", ["a b", "", "x" * 33, "ada!", "émile", "a/b", " ada", "ada "])
def test_other_usernames_are_refused(username: str) -> None:
    assert refusal_code(accounts.register_user, username, PASSWORD) == BAD_REQUEST
    assert db.session.query(User).count() == 0


@pytest.mark.parametrize("username", ["ada\n", "x" * 32 + "\n"])
def test_a_username_with_a_trailing_newline_is_refused(username: str) -> None:
    # Caught as a ChatError only: on PostgreSQL the 33-character name would
    # otherwise fail in the database (varchar(32)), which is the same bug.
    assert refusal_code(accounts.register_user, username, PASSWORD) == BAD_REQUEST


@pytest.mark.parametrize("password", ["", "short", "x" * 257])
def test_passwords_outside_8_to_256_characters_are_refused(password: str) -> None:
    assert refusal_code(accounts.register_user, "ada", password) == BAD_REQUEST
    assert db.session.query(User).count() == 0


def test_passwords_are_stored_hashed(ada: User) -> None:
    stored = loaded(ada)
    assert stored.password_hash != PASSWORD
    assert PASSWORD not in stored.password_hash
    assert stored.check_password(PASSWORD)
    assert not stored.check_password(PASSWORD.upper())


def test_the_same_password_hashes_differently_for_two_users(ada: User, bob: User) -> None:
    assert loaded(ada).password_hash != loaded(bob).password_hash


def test_authenticate_needs_the_right_password(ada: User) -> None:
    assert accounts.authenticate("ada", "wrong-password") is None
    assert accounts.authenticate("ada", "") is None
    authenticated = accounts.authenticate("ada", PASSWORD)
    assert authenticated is not None
    assert authenticated.id == ada.id


@pytest.mark.parametrize("spelling", ["ada", "ADA", "aDa"])
@pytest.mark.usefixtures("ada")
def test_authenticate_takes_the_username_in_any_case(spelling: str) -> None:
    authenticated = accounts.authenticate(spelling, PASSWORD)
    assert authenticated is not None
    assert authenticated.username == "ada"


@pytest.mark.usefixtures("ada")
def test_authenticate_an_unknown_or_malformed_user_is_none() -> None:
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("a b", PASSWORD) is None
    assert accounts.authenticate("", PASSWORD) is None


# --- names people read ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "invoice\u202egpj.exe",  # right-to-left override: reads "invoiceexe.jpg"
        "a\u2066b\u2069",  # isolates
        "zero\u200bwidth",
        "soft\u00adhyphen",
        "filler\u3164",
        "word joiner\u2060",
        "bell\x07",
    ],
)
def test_room_names_with_hidden_characters_or_direction_controls_are_refused(ada: User, name: str) -> None:
    assert refusal_code(rooms.create_room, name, loaded(ada)) == BAD_REQUEST
    assert db.session.query(Room).count() == 0


@pytest.mark.parametrize("name", ["Café crème", "Straße 5", "👩\u200d💻 devs", "❤️ fans", "🇫🇷 Paris"])
def test_room_names_in_any_script_and_with_emoji_are_welcome(ada: User, name: str) -> None:
    assert rooms.create_room(name, loaded(ada)).name == name


@pytest.mark.parametrize(
    ("taken", "lookalike"),
    [("ada1", "adal"), ("adal", "adaI"), ("bobO", "bob0"), ("Ann", "ANN")],
)
def test_a_username_confusable_with_an_existing_one_is_refused(taken: str, lookalike: str) -> None:
    accounts.register_user(taken, PASSWORD)
    assert refusal_code(accounts.register_user, lookalike, PASSWORD) == CONFLICT
    assert db.session.query(User).count() == 1


def test_a_name_confusable_with_the_system_account_is_refused() -> None:
    assert refusal_code(accounts.register_user, "par1ey", PASSWORD) == CONFLICT


def test_distinct_looking_names_are_both_accepted() -> None:
    accounts.register_user("ian", PASSWORD)
    accounts.register_user("lan", PASSWORD)
    assert db.session.query(User).count() == 2


# --- caps and throttles on creating rooms -------------------------------------------------------


@pytest.fixture
def few_rooms(app: Flask) -> None:
    app.config.update(MAX_ROOMS_PER_USER=3, MAX_DIRECT_ROOMS_PER_USER=2)


@pytest.mark.usefixtures("few_rooms")
def test_one_person_may_create_only_so_many_rooms(ada: User, eve: User) -> None:
    for n in range(3):
        rooms.create_room(f"mine {n}", loaded(ada), private=n == 1)
    assert refusal_code(rooms.create_room, "one too many", loaded(ada)) == FORBIDDEN
    assert rooms.create_room("someone else's", loaded(eve)).created_by == eve.id
    rooms.delete_room("mine-0")
    assert rooms.create_room("room again", loaded(ada)).slug == "room-again", "a deleted room frees a place"
    assert rooms.create_room("by the operator").created_by is None, "the CLI has no cap"


@pytest.mark.usefixtures("few_rooms")
def test_one_person_may_open_only_so_many_direct_rooms(ada: User, bob: User, eve: User) -> None:
    directs.open_direct_room(loaded(ada), "bob")
    directs.open_direct_room(loaded(ada), "eve")
    grace = accounts.register_user("grace", PASSWORD)
    assert refusal_code(directs.open_direct_room, loaded(ada), "grace") == FORBIDDEN
    assert directs.open_direct_room(loaded(ada), "bob").kind == "direct", "an existing one still opens"
    assert directs.open_direct_room(grace, "ada").created_by == grace.id, "the others are not capped by ada's"
    assert loaded(bob).id != loaded(eve).id


def test_creating_rooms_is_throttled_per_person(app: Flask, ada: User, eve: User) -> None:
    app.config.update(ROOMS_BURST=3, ROOMS_PER_HOUR=0.01)
    app.extensions["parley.live"].throttles.__init__(app.config, None)  # the new limits, fresh buckets
    for n in range(3):
        rooms.create_room(f"fast {n}", loaded(ada))
    assert refusal_code(rooms.create_room, "fast 3", loaded(ada)) == RATE_LIMITED
    assert refusal_code(directs.open_direct_room, loaded(ada), "eve") == RATE_LIMITED, "direct rooms share it"
    assert rooms.create_room("eve's", loaded(eve)).kind == "public"
    assert db.session.query(Room).count() == 4


def test_probing_names_with_direct_rooms_is_throttled(app: Flask, ada: User) -> None:
    app.config.update(DIRECTS_BURST=3, DIRECTS_PER_HOUR=0.01)
    app.extensions["parley.live"].throttles.__init__(app.config, None)
    assert [refusal_code(directs.open_direct_room, loaded(ada), f"nobody{n}") for n in range(3)] == [
        NOT_FOUND
    ] * 3
    assert refusal_code(directs.open_direct_room, loaded(ada), "nobody3") == RATE_LIMITED


# --- members of a large room ---------------------------------------------------------------------


def test_member_lists_come_a_page_at_a_time_and_always_hold_the_reader(ada: User) -> None:
    room = rooms.create_room("Big", loaded(ada))
    for n in range(30):
        accounts.register_user(f"m{n:02d}", PASSWORD)
        rooms.admit(room, User.by_username(f"m{n:02d}"))  # type: ignore[arg-type]
    listed = [m["username"] for m in rooms.members_with_presence(room, limit=10)]
    assert listed == ["ada", *[f"m{n:02d}" for n in range(9)]]
    after = [m["username"] for m in rooms.members_with_presence(room, limit=10, after="m08")]
    assert after == [f"m{n:02d}" for n in range(9, 19)]
    reader = User.by_username("m29")
    assert reader is not None
    with_reader = [m["username"] for m in rooms.members_with_presence(room, limit=5, including=reader)]
    assert with_reader == ["ada", "m00", "m01", "m02", "m03", "m29"]
    assert room.member_count() == 31
