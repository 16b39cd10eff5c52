"""HTTP pages with the Flask test client: accounts, rooms, the no-JavaScript forms and probes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient

from chat import create_app
from chat.domain import accounts, directs, rooms
from chat.extensions import db
from chat.models import Membership, Message, Room, User
from tests.support.forms import PASSWORD, csrf_token
from tests.support.in_process import Browser, Login, base_config, loaded, post_messages, shown_texts, text_of

# --- helpers ------------------------------------------------------------------------


def location(response: Any) -> str:
    """Where a redirect points, as the browser would follow it on this site."""
    assert response.status_code == 302, (response.status_code, text_of(response)[:500])
    target = urlsplit(str(response.headers["Location"]))
    assert target.netloc in ("", "localhost"), response.headers["Location"]
    return (
        target.path
        + (f"?{target.query}" if target.query else "")
        + (f"#{target.fragment}" if target.fragment else "")
    )


def refused_back(browser: Browser, response: Any, page: str) -> str:
    """A refused form: redirected (303) back to ``page``, which shows the error once; the page's HTML."""
    assert response.status_code == 303, (response.status_code, text_of(response)[:500])
    assert urlsplit(str(response.headers["Location"])).path == page
    shown = text_of(browser.http.get(page))
    assert '<p class="error" role="alert">' in shown
    assert '<p class="error" role="alert">' not in text_of(browser.http.get(page)), (
        "shown once: a reload is clean"
    )
    return shown


def login_next(response: Any) -> str:
    """The ``next`` of a redirect to the login page."""
    target = urlsplit(location(response))
    assert target.path == "/login", response.headers["Location"]
    (next_value,) = parse_qs(target.query)["next"]
    return next_value


def register(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_token(text_of(client.get("/register")))
    return client.post("/register", data={"username": username, "password": password, "csrf_token": token})


def log_in(client: FlaskClient, username: str, password: str = PASSWORD, query: str = "") -> Any:
    token = csrf_token(text_of(client.get("/login" + query)))
    return client.post(
        "/login" + query, data={"username": username, "password": password, "csrf_token": token}
    )


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(User).count()


def stored_texts(app: Flask, slug: str = "general") -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Message.text).join(Room, Room.id == Message.room_id).where(Room.slug == slug)
            )
        )


def room_row(app: Flask, slug: str) -> Room | None:
    with app.app_context():
        room: Room | None = db.session.scalar(db.select(Room).where(Room.slug == slug))
        if room is not None:
            db.session.expunge(room)
        return room


def member_names(app: Flask, slug: str) -> set[str]:
    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.slug == slug))
        assert room is not None
        return set(room.member_names())


def private_room(app: Flask, owner: User, name: str) -> str:
    with app.app_context():
        return rooms.create_room(name, loaded(owner), private=True).slug


def direct_room(app: Flask, one: User, other: User) -> str:
    """The direct room of ``one`` and ``other``, opened by both (so on both lists)."""
    with app.app_context():
        directs.open_direct_room(loaded(other), one.username)
        return directs.open_direct_room(loaded(one), other.username).slug


def room_links(page: str) -> set[str]:
    return set(re.findall(r'href="(/r/[^"#]+)"', page))


def members_listed(page: str) -> list[str]:
    found = re.search(r'<ul id="members">(.*?)</ul>', page, re.S)
    assert found, "the page has no member list"
    return re.findall(r'data-username="([^"]+)"', found.group(1))


# --- register -------------------------------------------------------------------------


def test_the_register_form_carries_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/register")
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(
        r'<input[^>]*name="csrf_token"[^>]*type="hidden"|type="hidden"[^>]*name="csrf_token"', page
    )
    assert csrf_token(page)
    assert 'name="username"' in page
    assert 'name="password"' in page


def test_registering_creates_the_user_and_logs_in(app: Flask, client: FlaskClient) -> None:
    assert location(register(client, "Newbie")) == "/rooms"
    rooms_page = client.get("/rooms")
    assert rooms_page.status_code == 200
    assert "Signed in as <strong>Newbie</strong>" in text_of(rooms_page)
    with app.app_context():
        user = User.by_username("newbie")
        assert user is not None
        assert user.username == "Newbie"
        assert user.password_hash != PASSWORD
        assert user.check_password(PASSWORD)


@pytest.mark.usefixtures("ada")
def test_a_name_taken_in_another_case_gets_the_form_again_with_an_error(
    app: Flask, client: FlaskClient
) -> None:
    response = register(client, "ADA")
    assert response.status_code in (200, 400, 409)
    page = text_of(response)
    assert 'name="username"' in page
    assert 'class="error"' in page
    assert "taken" in page
    assert user_count(app) == 1
    assert login_next(client.get("/rooms")) == "/rooms"


@pytest.mark.parametrize("username", ["a b", "x" * 33, "ada!"])
def test_a_bad_username_gets_the_form_again_with_an_error(
    app: Flask, client: FlaskClient, username: str
) -> None:
    response = register(client, username)
    assert response.status_code in (200, 400)
    assert 'class="error"' in text_of(response)
    assert user_count(app) == 0


def test_a_short_password_gets_the_form_again_with_an_error(app: Flask, client: FlaskClient) -> None:
    response = register(client, "newbie", "short")
    assert response.status_code in (200, 400)
    assert "at least 8" in text_of(response).lower() or "8-256" in text_of(response)
    assert user_count(app) == 0


@pytest.mark.parametrize(
    "common", ["12345678", "password1", "P@ssw0rd", "qwertyuiop", "aaaaaaaa", "87654321"]
)
def test_a_common_password_gets_the_form_again_with_a_clear_error(
    app: Flask, client: FlaskClient, common: str
) -> None:
    response = register(client, "newbie", common)
    assert response.status_code == 400
    assert "lists attackers try first" in text_of(response)
    assert user_count(app) == 0


@pytest.mark.usefixtures("ada")
def test_a_lookalike_name_with_a_trailing_newline_is_refused(app: Flask, client: FlaskClient) -> None:
    response = register(client, "ada\n")
    assert response.status_code in (200, 400, 409)
    assert user_count(app) == 1


def test_registering_without_a_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    client.get("/register")
    response = client.post("/register", data={"username": "newbie", "password": PASSWORD})
    assert response.status_code == 400
    assert user_count(app) == 0


def test_registering_with_a_forged_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    client.get("/register")
    response = client.post(
        "/register", data={"username": "newbie", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert user_count(app) == 0


# --- login and logout ---------------------------------------------------------------------


def test_the_login_form_carries_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert csrf_token(text_of(response))


@pytest.mark.usefixtures("ada")
def test_logging_in_leads_to_the_room_list(client: FlaskClient) -> None:
    assert location(log_in(client, "ada")) == "/rooms"
    assert client.get("/rooms").status_code == 200


@pytest.mark.usefixtures("ada")
def test_logging_in_takes_the_username_in_any_case(client: FlaskClient) -> None:
    assert location(log_in(client, "ADA")) == "/rooms"
    assert "Signed in as <strong>ada</strong>" in text_of(client.get("/rooms"))


@pytest.mark.usefixtures("ada", "general")
def test_logging_in_honours_a_local_next(client: FlaskClient) -> None:
    assert location(log_in(client, "ada", query="?next=/r/general")) == "/r/general"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/r/general",
        "http://evil.example/",
        "https://evil.example/rooms",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
@pytest.mark.usefixtures("ada")
def test_logging_in_ignores_a_next_that_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = log_in(client, "ada", query="?" + urlencode({"next": target}))
    assert location(response) == "/rooms"
    assert "evil" not in response.headers["Location"]


def test_a_logged_in_visit_to_login_ignores_a_next_that_leaves_the_site(login: Login, ada: User) -> None:
    browser = login(ada)
    assert location(browser.http.get("/login?" + urlencode({"next": "//evil.example"}))) == "/rooms"
    assert location(browser.http.get("/login?next=/r/general")) == "/r/general"


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong-password"), ("nobody", PASSWORD)])
@pytest.mark.usefixtures("ada")
def test_wrong_credentials_show_the_form_again_with_an_error(
    client: FlaskClient, username: str, password: str
) -> None:
    response = log_in(client, username, password)
    assert response.status_code in (200, 401)
    page = text_of(response)
    assert "Wrong username or password." in page
    assert 'name="username"' in page
    assert login_next(client.get("/rooms")) == "/rooms"


@pytest.mark.usefixtures("ada")
def test_the_session_cookie_is_http_only_and_same_site_lax(client: FlaskClient) -> None:
    response = log_in(client, "ada")
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    attributes = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_logout_is_not_a_get(login: Login, ada: User) -> None:
    browser = login(ada)
    assert browser.http.get("/logout").status_code == 405
    assert browser.http.get("/rooms").status_code == 200


def test_logging_out_ends_the_session(login: Login, ada: User) -> None:
    browser = login(ada)
    assert location(browser.post_form("/logout", {})) == "/login"
    assert login_next(browser.http.get("/rooms")) == "/rooms"


def test_logging_out_needs_the_csrf_token(login: Login, ada: User) -> None:
    browser = login(ada)
    assert browser.http.post("/logout").status_code == 400
    assert browser.http.get("/rooms").status_code == 200


@pytest.mark.parametrize("path", ["/rooms", "/r/general"])
@pytest.mark.usefixtures("general")
def test_pages_that_need_a_login_send_strangers_to_it(client: FlaskClient, path: str) -> None:
    assert login_next(client.get(path)) == path


@pytest.mark.usefixtures("ada", "general")
def test_after_the_detour_the_login_returns_to_the_page(client: FlaskClient) -> None:
    detour = location(client.get("/r/general"))
    assert location(log_in(client, "ada", query=detour.removeprefix("/login"))) == "/r/general"


@pytest.mark.parametrize("path", ["/rooms", "/r/general/messages", "/r/general/members", "/dm/ada"])
@pytest.mark.usefixtures("ada", "general")
def test_forms_that_need_a_login_store_nothing_for_strangers(
    app: Flask, client: FlaskClient, path: str
) -> None:
    token = csrf_token(text_of(client.get("/login")))
    response = client.post(
        path, data={"name": "x", "text": "x", "client_id": "c", "username": "ada", "csrf_token": token}
    )
    assert login_next(response) == path
    assert stored_texts(app) == []
    with app.app_context():
        assert db.session.query(Room).count() == 1


# --- the room list ---------------------------------------------------------------------------


@pytest.mark.usefixtures("general")
def test_the_room_list_shows_what_the_user_may_see(
    app: Flask, login: Login, ada: User, bob: User, eve: User
) -> None:
    den = private_room(app, ada, "Ada's den")
    lair = private_room(app, eve, "Eve's lair")
    dm = direct_room(app, ada, bob)
    page = text_of(login(ada).http.get("/rooms"))
    assert room_links(page) == {"/r/general", f"/r/{den}", f"/r/{dm}"}
    assert "Eve&#39;s lair" not in page
    assert lair not in page
    assert room_links(text_of(login(eve).http.get("/rooms"))) == {"/r/general", f"/r/{lair}"}


def test_creating_a_room_leads_to_it_with_the_creator_a_member(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    assert location(browser.post_form("/rooms", {"name": "Team Chat!"})) == "/r/team-chat"
    room = room_row(app, "team-chat")
    assert room is not None
    assert (room.name, room.kind) == ("Team Chat!", "public")
    assert member_names(app, "team-chat") == {"ada"}
    assert "/r/team-chat" in room_links(text_of(browser.http.get("/rooms")))


def test_private_1_makes_a_private_room(app: Flask, login: Login, ada: User, eve: User) -> None:
    address = location(login(ada).post_form("/rooms", {"name": "Secret", "private": "1"}))
    assert re.fullmatch(r"/r/secret-[0-9a-f]{6}", address), "a slug of its own"
    room = room_row(app, address.removeprefix("/r/"))
    assert room is not None
    assert room.kind == "private"
    assert login(eve).http.get(address).status_code == 404


def test_private_0_makes_a_public_room(app: Flask, login: Login, ada: User) -> None:
    assert location(login(ada).post_form("/rooms", {"name": "Open", "private": "0"})) == "/r/open"
    room = room_row(app, "open")
    assert room is not None
    assert room.kind == "public"


def test_a_duplicate_room_gets_a_clear_error(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    browser.post_form("/rooms", {"name": "Team Chat"})
    response = browser.post_form("/rooms", {"name": "team-chat!"})
    assert response.status_code in (200, 400, 409)
    assert "already exists" in text_of(response)
    with app.app_context():
        assert db.session.query(Room).count() == 1


@pytest.mark.parametrize(
    ("name", "error"), [("", "required"), ("   ", "required"), ("!!!", "letter or digit")]
)
def test_a_room_needs_a_name_with_a_letter_or_digit(
    app: Flask, login: Login, ada: User, name: str, error: str
) -> None:
    response = login(ada).post_form("/rooms", {"name": name})
    assert response.status_code == 400
    assert error in text_of(response)
    with app.app_context():
        assert db.session.query(Room).count() == 0


def test_creating_a_room_needs_the_csrf_token(app: Flask, login: Login, ada: User) -> None:
    assert login(ada).http.post("/rooms", data={"name": "Team"}).status_code == 400
    assert room_row(app, "team") is None


# --- a room page -------------------------------------------------------------------------------


def test_an_unknown_room_is_404(login: Login, ada: User) -> None:
    assert login(ada).http.get("/r/nowhere").status_code == 404


def test_a_private_room_is_closed_to_non_members(app: Flask, login: Login, ada: User, eve: User) -> None:
    slug = private_room(app, ada, "Secret")
    post_messages(app, ada, ["for members only"], slug)
    response = login(eve).http.get(f"/r/{slug}")
    assert response.status_code == 404
    assert "for members only" not in text_of(response)
    assert login(ada).http.get(f"/r/{slug}").status_code == 200


def test_a_direct_room_is_closed_to_a_third_person(
    app: Flask, login: Login, ada: User, bob: User, eve: User
) -> None:
    slug = direct_room(app, ada, bob)
    assert login(eve).http.get(f"/r/{slug}").status_code == 404
    assert login(bob).http.get(f"/r/{slug}").status_code == 200


@pytest.mark.usefixtures("general")
def test_the_page_shows_the_last_50_messages_oldest_first(app: Flask, login: Login, ada: User) -> None:
    post_messages(app, ada, [f"m{n}" for n in range(1, 56)])
    page = text_of(login(ada).http.get("/r/general"))
    assert shown_texts(page) == [f"m{n}" for n in range(6, 56)]
    assert re.findall(r'data-seq="(\d+)"', page) == [str(n) for n in range(6, 56)]
    assert 'id="m5"' not in page
    assert 'id="m6"' in page
    assert 'data-has-more="true"' in page


@pytest.mark.usefixtures("general")
def test_message_text_is_shown_as_text_not_html(app: Flask, login: Login, ada: User) -> None:
    post_messages(app, ada, ["<b>x</b>", "<script>alert(1)</script>", "\"quoted\" & 'single'"])
    page = text_of(login(ada).http.get("/r/general"))
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert shown_texts(page) == ["<b>x</b>", "<script>alert(1)</script>", "\"quoted\" & 'single'"]


def test_a_room_name_is_shown_as_text_not_html(login: Login, ada: User) -> None:
    assert location(login(ada).post_form("/rooms", {"name": "<i>fancy</i>"})) == "/r/i-fancy-i"
    page = text_of(login(ada).http.get("/r/i-fancy-i"))
    assert "<i>fancy</i>" not in page
    assert "&lt;i&gt;fancy&lt;/i&gt;" in page
    assert "<i>fancy</i>" not in text_of(login(ada).http.get("/rooms"))


@pytest.mark.usefixtures("general")
def test_the_page_lists_the_members(login: Login, ada: User, bob: User) -> None:
    login(bob).http.get("/r/general")
    assert members_listed(text_of(login(ada).http.get("/r/general"))) == ["ada", "bob"]


@pytest.mark.usefixtures("general")
def test_visiting_a_public_room_makes_a_member(app: Flask, login: Login, eve: User) -> None:
    assert member_names(app, "general") == set()
    page = text_of(login(eve).http.get("/r/general"))
    assert member_names(app, "general") == {"eve"}
    assert members_listed(page) == ["eve"]


@pytest.mark.usefixtures("general")
def test_the_page_has_a_message_form_with_token_and_client_id(login: Login, ada: User) -> None:
    browser = login(ada)
    page = text_of(browser.http.get("/r/general"))
    form = re.search(
        r'<form id="message-form"[^>]*action="/r/general/messages"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, "the page has no message form posting to /r/general/messages"
    assert csrf_token(form.group(1))
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', form.group(1))
    assert client_id
    assert 1 <= len(client_id.group(1)) <= 64
    assert 'name="text"' in form.group(1)
    again = re.search(
        r'name="client_id" type="hidden" value="([^"]+)"', text_of(browser.http.get("/r/general"))
    )
    assert again
    assert again.group(1) != client_id.group(1)


@pytest.mark.usefixtures("general")
def test_the_room_page_loads_the_socket_client(login: Login, ada: User) -> None:
    assert 'src="/vendor/socket.io.min.js"' in text_of(login(ada).http.get("/r/general"))


# --- the message form without JavaScript ------------------------------------------------------


def send_form(browser: Browser, text: str, client_id: str, slug: str = "general") -> Any:
    return browser.post_form(
        f"/r/{slug}/messages", {"text": text, "client_id": client_id}, token_from=f"/r/{slug}"
    )


@pytest.mark.usefixtures("general")
def test_the_message_form_stores_and_redirects_to_the_room(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    assert location(send_form(browser, "  hello from a form  ", "form-1")).startswith("/r/general")
    assert stored_texts(app) == ["hello from a form"]
    assert shown_texts(text_of(browser.http.get("/r/general"))) == ["hello from a form"]


@pytest.mark.usefixtures("general")
def test_submitting_the_same_form_twice_stores_once(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    first = location(send_form(browser, "only once", "same-id"))
    second = location(send_form(browser, "only once", "same-id"))
    assert first == second
    assert stored_texts(app) == ["only once"]


@pytest.mark.parametrize("text", ["", "   \n "])
@pytest.mark.usefixtures("general")
def test_an_empty_message_is_refused_with_an_error(app: Flask, login: Login, ada: User, text: str) -> None:
    browser = login(ada)
    refused_back(browser, send_form(browser, text, "empty-1"), "/r/general")
    assert stored_texts(app) == []


@pytest.mark.usefixtures("general")
def test_a_too_long_message_is_refused_with_an_error(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    page = refused_back(browser, send_form(browser, "too long " + "x" * 4001, "long-1"), "/r/general")
    assert "at most 4000" in page
    assert "\ntoo long xxx" in page, "the text comes back in the box (its first 1000 characters)"
    assert stored_texts(app) == []


def test_the_message_form_is_rate_limited_but_a_retry_is_not(app_config: dict[str, Any]) -> None:
    app_config.update(RATE_LIMIT_BURST=2, RATE_LIMIT_PER_SECOND=0.001)
    app = create_app(app_config)
    with app.app_context():
        flask_migrate.upgrade()
        rooms.ensure_room("general")
        accounts.register_user("ada", PASSWORD)
    try:
        browser = Browser(app, "ada")
        assert location(send_form(browser, "one", "rl-1")).startswith("/r/general")
        assert location(send_form(browser, "two", "rl-2")).startswith("/r/general")
        assert "three</textarea>" in refused_back(browser, send_form(browser, "three", "rl-3"), "/r/general")
        assert location(send_form(browser, "one", "rl-1")).startswith("/r/general")
        assert sorted(stored_texts(app)) == ["one", "two"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.usefixtures("general")
def test_the_message_form_needs_the_csrf_token(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    response = browser.http.post("/r/general/messages", data={"text": "forged", "client_id": "c1"})
    assert response.status_code == 400
    assert stored_texts(app) == []


def test_a_non_member_cannot_post_to_a_private_room(app: Flask, login: Login, ada: User, eve: User) -> None:
    slug = private_room(app, ada, "Secret")
    response = login(eve).post_form(f"/r/{slug}/messages", {"text": "let me in", "client_id": "e1"})
    assert response.status_code == 404
    assert stored_texts(app, slug) == []


# --- adding members ---------------------------------------------------------------------------


def test_an_admin_adds_someone_who_can_then_read_the_room(
    app: Flask, login: Login, ada: User, bob: User
) -> None:
    slug = private_room(app, ada, "Secret")
    bob_browser = login(bob)
    assert bob_browser.http.get(f"/r/{slug}").status_code == 404
    response = login(ada).post_form(f"/r/{slug}/members", {"username": "bob"}, token_from=f"/r/{slug}")
    assert (response.status_code, response.headers["Location"]) == (303, f"/r/{slug}/settings")
    assert bob_browser.http.get(f"/r/{slug}").status_code == 200
    assert member_names(app, slug) == {"ada", "bob"}


@pytest.mark.usefixtures("bob")
def test_a_non_member_cannot_add_anyone(app: Flask, login: Login, ada: User, eve: User) -> None:
    slug = private_room(app, ada, "Secret")
    response = login(eve).post_form(f"/r/{slug}/members", {"username": "eve"})
    assert response.status_code == 404
    assert member_names(app, slug) == {"ada"}
    assert login(eve).http.get(f"/r/{slug}").status_code == 404


def test_adding_an_unknown_user_shows_an_error(app: Flask, login: Login, ada: User) -> None:
    slug = private_room(app, ada, "Secret")
    browser = login(ada)
    response = browser.post_form(f"/r/{slug}/members", {"username": "nobody"}, token_from=f"/r/{slug}")
    page = settings_refusal(browser, response, f"/r/{slug}/settings")
    assert "There is no user &#39;nobody&#39;." in page
    assert member_names(app, slug) == {"ada"}


@pytest.mark.usefixtures("bob")
def test_members_are_not_added_to_public_rooms(app: Flask, login: Login, ada: User) -> None:
    browser = login(ada)
    browser.post_form("/rooms", {"name": "Open"})
    response = browser.post_form("/r/open/members", {"username": "bob"}, token_from="/r/open")
    page = settings_refusal(browser, response, "/r/open/settings")
    assert "Members are added to private rooms only" in page
    assert member_names(app, "open") == {"ada"}


def settings_refusal(browser: Browser, response: Any, page: str) -> str:
    """A refused settings form: 303 back to the settings page, which shows the reason once, as an alert."""
    assert response.status_code == 303, (response.status_code, text_of(response)[:500])
    assert urlsplit(str(response.headers["Location"])).path == page
    shown = text_of(browser.http.get(page))
    assert '<p class="flash error" role="alert">' in shown
    assert '<p class="flash error" role="alert">' not in text_of(browser.http.get(page)), "shown once"
    return shown


# --- direct rooms ----------------------------------------------------------------------------------


def test_a_direct_room_is_the_same_whoever_opens_it(app: Flask, login: Login, ada: User, bob: User) -> None:
    ada_browser, bob_browser = login(ada), login(bob)
    opened_by_ada = location(ada_browser.post_form("/dm/bob", {}))
    opened_by_bob = location(bob_browser.post_form("/dm/ada", {}))
    assert opened_by_ada == opened_by_bob
    assert location(ada_browser.post_form("/dm/BOB", {})) == opened_by_ada
    with app.app_context():
        direct = db.session.scalars(db.select(Room).where(Room.kind == "direct")).all()
        assert [f"/r/{room.slug}" for room in direct] == [opened_by_ada]
        assert db.session.query(Membership).count() == 2
    assert ada_browser.http.get(opened_by_ada).status_code == 200
    assert bob_browser.http.get(opened_by_bob).status_code == 200


def test_a_room_named_like_a_direct_room_does_not_capture_the_conversation(
    app: Flask, login: Login, ada: User, bob: User, eve: User
) -> None:
    with app.app_context():
        squatted = directs.direct_slug(loaded(ada), loaded(bob))
    login(eve).post_form("/rooms", {"name": squatted.replace("-", " ")})
    conversation = location(login(ada).post_form("/dm/bob", {}))
    assert login(eve).http.get(conversation).status_code == 404
    assert location(login(bob).post_form("/dm/ada", {})) == conversation
    assert login(bob).http.get(conversation).status_code == 200


def test_a_direct_room_with_an_unknown_user_is_404(app: Flask, login: Login, ada: User) -> None:
    assert login(ada).post_form("/dm/nobody", {}).status_code == 404
    with app.app_context():
        assert db.session.query(Room).count() == 0


@pytest.mark.parametrize("spelling", ["ada", "ADA"])
def test_a_direct_room_with_yourself_is_400(app: Flask, login: Login, ada: User, spelling: str) -> None:
    assert login(ada).post_form(f"/dm/{spelling}", {}).status_code == 400
    with app.app_context():
        assert db.session.query(Room).count() == 0


@pytest.mark.usefixtures("bob")
def test_a_link_opens_a_direct_room_too(app: Flask, login: Login, ada: User) -> None:
    opened = location(login(ada).http.get("/dm/bob"))
    assert opened == location(login(ada).post_form("/dm/bob", {}))
    with app.app_context():
        assert [f"/r/{room.slug}" for room in db.session.scalars(db.select(Room))] == [opened]


@pytest.mark.usefixtures("bob")
def test_opening_a_direct_room_needs_the_csrf_token(app: Flask, login: Login, ada: User) -> None:
    assert login(ada).http.post("/dm/bob").status_code == 400
    with app.app_context():
        assert db.session.query(Room).count() == 0


# --- probes and the vendored client -------------------------------------------------------------


def test_healthz_says_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, text_of(response)
    assert response.get_json()["status"] == "ok"


def probe_app(tmp_path: Path, **settings: Any) -> Flask:
    """An app of the test's own (no migrations needed: readyz only runs SELECT 1)."""
    return create_app({**base_config(tmp_path), **settings})


def readyz_of(app: Flask) -> Any:
    try:
        return app.test_client().get("/readyz")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_readyz_is_503_naming_redis_when_redis_does_not_answer(tmp_path: Path) -> None:
    response = readyz_of(probe_app(tmp_path, REDIS_URL="redis://127.0.0.1:1/0"))
    assert response.status_code == 503
    assert "redis" in response.get_json()["failing"]
    assert "database" not in response.get_json()["failing"]


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'parley.sqlite3'}"
    response = readyz_of(probe_app(tmp_path, SQLALCHEMY_DATABASE_URI=unreachable))
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database"]


def test_the_socket_io_client_is_served(app: Flask, client: FlaskClient) -> None:
    bundle = Path(app.config["VENDOR_DIR"]) / "socket.io-client" / "dist" / "socket.io.min.js"
    if not bundle.is_file():
        pytest.skip("node_modules is not installed (run `npm ci`)")
    response = client.get("/vendor/socket.io.min.js")
    assert response.status_code == 200
    assert "javascript" in (response.mimetype or "")
    assert response.get_data() == bundle.read_bytes()
    response.close()


def test_a_missing_socket_io_client_is_404(app_config: dict[str, Any], tmp_path: Path) -> None:
    app = create_app({**app_config, "VENDOR_DIR": str(tmp_path / "empty")})
    response = app.test_client().get("/vendor/socket.io.min.js")
    assert response.status_code == 404


# --- lists that grow with the site, and their bounds ------------------------------------------------


def test_the_room_list_pages_and_searches(app: Flask, login: Login, ada: User) -> None:
    with app.app_context():
        for n in range(rooms.ROOMS_PER_PAGE + 3):
            db.session.add(Room(slug=f"r-{n:03d}", name=f"Room {n:03d}", kind="public"))
        db.session.commit()
    browser = login(ada)
    first = text_of(browser.http.get("/rooms"))
    assert len(room_links(first)) == rooms.ROOMS_PER_PAGE
    assert 'href="/rooms?page=2"' in first
    second = text_of(browser.http.get("/rooms?page=2"))
    assert room_links(second) == {f"/r/r-{n:03d}" for n in range(50, 53)}
    assert room_links(text_of(browser.http.get("/rooms?q=room+05"))) == {
        f"/r/r-{n:03d}" for n in range(50, 53)
    }
    for bad in ("0", "x", "99999999"):
        assert browser.http.get(f"/rooms?page={bad}").status_code == 400


def test_a_large_rooms_members_are_listed_a_page_at_a_time(app: Flask, login: Login, ada: User) -> None:
    with app.app_context():
        room, _ = rooms.ensure_room("crowd")
        for n in range(130):
            db.session.add(User(username=f"u{n:03d}", password_hash="!", skeleton=f"u{n:03d}"))
        db.session.commit()
        for user in db.session.scalars(db.select(User)):
            rooms.admit(room, user)
    browser = login(ada)
    page = text_of(browser.http.get("/r/crowd"))
    assert 'href="/r/crowd/members">All 131 members' in page
    listing = text_of(browser.http.get("/r/crowd/members"))
    assert listing.count("<li>") == 100
    assert 'href="/r/crowd/members?after=u098"' in listing
    rest = text_of(browser.http.get("/r/crowd/members?after=u098"))
    assert rest.count("<li>") == 31
    assert "More members" not in rest


@pytest.mark.usefixtures("ada")
def test_a_username_that_looks_like_a_taken_one_is_refused_at_sign_up(
    app: Flask, client: FlaskClient
) -> None:
    assert register(client, "ADA").status_code == 409
    with app.app_context():
        accounts.register_user("bob1", PASSWORD)
    response = register(client, "bobl")
    assert response.status_code == 409
    assert "looks too much like someone else" in text_of(response)
    assert user_count(app) == 2


@pytest.mark.usefixtures("ada", "bob")
def test_direct_room_probes_are_throttled(app_config: dict[str, Any]) -> None:
    app_config.update(DIRECTS_BURST=2, DIRECTS_PER_HOUR=0.01)
    app = create_app(app_config)
    browser = Browser(app, "ada")
    assert [browser.post_form(f"/dm/{name}", {}).status_code for name in ("nobody", "bob", "bob")] == [
        404,
        302,
        429,
    ]
