"""Every form route answers a body that is not a form with a 400 or the form's error, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.models import User

NOT_FORMS: list[Any] = [[1, 2], [["username", "ada"]], "text", 7, None, {"username": ["x"], "password": 5}]
# Routes whose forms have fields; /dm/<name> and /logout carry only the CSRF token (sent in a header here).
FORM_ROUTES = [
    "/register",
    "/login",
    "/rooms",
    "/r/general/messages",
    "/r/general/members",
    "/settings/profile",
    "/settings/password",
    "/admin/signup",
    "/admin/invites",
]


@pytest.mark.usefixtures("bob", "general")
@pytest.mark.parametrize("path", FORM_ROUTES)
@pytest.mark.parametrize("body", NOT_FORMS, ids=repr)
def test_a_json_body_gets_the_forms_error(
    login: Callable[[User], Any], ada: User, path: str, body: Any
) -> None:
    browser = login(ada)
    token = browser.token()
    if path in ("/register", "/login"):  # only anonymous visitors see these forms
        browser.http.post("/logout", data={"csrf_token": token})
        token = browser.token("/login")
    response = browser.http.post(path, json=body, headers={"X-CSRFToken": token})
    if path == "/r/general/messages":  # refused, it goes back to the room with the error (303)
        assert response.status_code == 303, response.status_code
        assert '<p class="error" role="alert">' in browser.http.get("/r/general").get_data(as_text=True)
        return
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
