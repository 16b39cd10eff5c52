"""Static files: versioned URLs cached for a year, compressed responses, the icon and manifest."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from chat.assets import ONE_YEAR, version_of


def test_pages_link_static_files_under_a_version_that_changes_with_their_contents(
    client: FlaskClient, tmp_path: Path
) -> None:
    page = client.get("/login").get_data(as_text=True)
    (css,) = re.findall(r'href="(/static/[0-9a-f]{12}/app\.css)"', page)
    with client.get(css) as response:
        assert response.status_code == 200
        assert f"max-age={ONE_YEAR}" in response.headers["Cache-Control"]
    (tmp_path / "a.js").write_text("one")
    before = version_of(tmp_path)
    (tmp_path / "a.js").write_text("two")
    assert version_of(tmp_path) != before


def test_a_file_asked_for_under_another_version_is_served_without_the_long_cache(client: FlaskClient) -> None:
    with client.get("/static/000000000000/app.css") as response:
        assert response.status_code == 200
        assert f"max-age={ONE_YEAR}" not in response.headers.get("Cache-Control", "")
    assert client.get("/static/000000000000/nothing-here.css").status_code == 404


def test_pages_are_compressed_for_browsers_that_ask(client: FlaskClient) -> None:
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers


def test_the_favicon_and_the_manifest_are_served(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.data[:4] == b"\x00\x00\x01\x00"
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    assert manifest.get_json()["start_url"] == "/rooms"
