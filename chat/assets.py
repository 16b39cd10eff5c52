"""Static files under a versioned path, cached for a year; the favicon and the web app manifest.

``url_for('static', filename=...)`` gives ``/static/<version>/<filename>``,
where the version is a hash of everything in ``static/``. A browser may then
keep a file for a year: new code means a new version, so a new URL. ES
modules import each other by relative URL, so they inherit the version of
the page that loaded them. Every instance of one release computes the same
version; a file asked for under another version (a page of the previous
release, during a rolling deploy) is served as it is now, without the long
cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, send_from_directory, url_for
from werkzeug.wrappers import Response

ONE_YEAR = 365 * 24 * 3600
bp = Blueprint("assets", __name__)


def version_of(folder: Path) -> str:
    """A short hash of the names and contents of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def init_app(app: Flask, folder: Path) -> None:
    """Serve ``folder`` as the app's versioned ``static`` endpoint."""
    app.config["STATIC_VERSION"] = version_of(folder)
    app.config["STATIC_FOLDER"] = str(folder)
    app.add_url_rule("/static/<version>/<path:filename>", endpoint="static", view_func=static_file)

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values.setdefault("version", app.config["STATIC_VERSION"])


def static_file(version: str, filename: str) -> Response:
    """A static file; cached for a year when asked for under this release's version."""
    current = version == current_app.config["STATIC_VERSION"]
    return send_from_directory(
        current_app.config["STATIC_FOLDER"], filename, max_age=ONE_YEAR if current else 0
    )


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it at the root; the icon lives with the other static files."""
    return send_from_directory(current_app.config["STATIC_FOLDER"], "favicon.ico", max_age=86400)


@bp.route("/manifest.webmanifest")
def manifest() -> tuple[dict[str, Any], int, dict[str, str]]:
    """The web app manifest: Parley installed as an app opens on the room list."""
    body = {
        "name": "Parley",
        "short_name": "Parley",
        "start_url": url_for("rooms.index"),
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#2459c4",
        "icons": [{"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return body, 200, {"Content-Type": "application/manifest+json"}
