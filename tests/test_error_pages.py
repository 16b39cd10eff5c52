"""Every error page is in the app's layout, says what happened in a sentence of its own, and offers a way back."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from chat.models import User
from tests.support.in_process import Login


def assert_friendly(page: str, title: str) -> None:
    assert '<header class="topbar">' in page, "in the app's layout"
    assert f'<h1 id="error-title">{title}</h1>' in page
    assert "Back to your rooms" in page or ">Log in</a>" in page
    for werkzeug_says in (
        "The requested URL was not found",
        "The method is not allowed",
        "Internal Server Error",
    ):
        assert werkzeug_says not in page


def test_not_found_and_method_not_allowed(login: Login, ada: User) -> None:
    browser = login(ada)
    missing = browser.http.get("/no/such/page")
    assert missing.status_code == 404
    assert_friendly(missing.get_data(as_text=True), "Nothing here")
    wrong = browser.http.get("/logout")
    assert wrong.status_code == 405
    assert_friendly(wrong.get_data(as_text=True), "Not like that")


def test_too_large(client: FlaskClient) -> None:
    large = client.post("/login", data={"username": "x" * (300 * 1024)})
    assert large.status_code == 413
    assert_friendly(large.get_data(as_text=True), "Too large")


def test_a_bug_is_our_mistake_not_a_traceback(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", view_func=broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert_friendly(page, "Our mistake")
    assert "RuntimeError" not in page
