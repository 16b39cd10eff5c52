"""Probes for load balancers and orchestrators, and the vendored browser client."""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from flask import Blueprint, abort, current_app, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from chat.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger("parley.health")

# The official socket.io-client, installed by npm from the lockfile (integrity-checked).
SOCKETIO_CLIENT = Path("socket.io-client") / "dist"


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Alive: the process serves requests."""
    return {"status": "ok"}, 200


@bp.route("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """Ready: the database (and Redis, when configured) answer; else 503 naming what failed."""
    failing: list[str] = []
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        failing.append("database")
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
            client.ping()
            client.close()
        except redis.RedisError:
            failing.append("redis")
    if failing:
        log.warning("not ready: %s", ", ".join(failing))
        return {"status": "unavailable", "failing": failing}, 503
    return {"status": "ok"}, 200


@bp.route("/vendor/socket.io.min.js")
def socketio_client() -> Response:
    directory = Path(current_app.config["VENDOR_DIR"]) / SOCKETIO_CLIENT
    if not (directory / "socket.io.min.js").is_file():
        log.error("socket.io-client missing in %s: run `npm ci`", directory)
        abort(404)
    return send_from_directory(directory, "socket.io.min.js", max_age=3600)
