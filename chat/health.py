"""What operators and browsers fetch besides pages: probes, metrics and the vendored client."""

from __future__ import annotations

import gc
import hmac
import logging
import sys
from pathlib import Path

import redis
from flask import Blueprint, abort, current_app, request, send_from_directory
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from chat import live, metrics
from chat.extensions import db, socketio
from chat.internals import queued_packets

bp = Blueprint("health", __name__)
log = logging.getLogger("parley.health")

# Browser libraries installed by npm from the lockfile (integrity-checked), served from
# node_modules: the official socket.io-client, and Hotwire Turbo (pages swapped in place).
SOCKETIO_CLIENT = Path("socket.io-client") / "dist" / "socket.io.min.js"
TURBO = Path("@hotwired") / "turbo" / "dist" / "turbo.es2017-esm.js"


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


@bp.route("/metrics")
def prometheus() -> Response:
    """Prometheus text format, for the bearer of ``METRICS_TOKEN``; without it the endpoint does not exist."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return Response("metrics need the bearer token\n", 401, {"WWW-Authenticate": "Bearer"})
    refresh_live_gauges()
    return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)


def refresh_live_gauges() -> None:
    """Set the gauges that are read on scrape: sockets, joins, greenlets, unsent packets."""
    states = live.sockets().states()
    metrics.SOCKETS.set(len(states))
    metrics.ROOMS_JOINED.set(sum(len(state.rooms) for state in states))
    greenlet = sys.modules.get("greenlet")
    if greenlet is not None:
        metrics.GREENLETS.set(
            sum(1 for obj in gc.get_objects() if isinstance(obj, greenlet.greenlet) and not obj.dead)
        )
    metrics.OUTGOING.set(queued_packets(socketio.server))


@bp.route("/vendor/socket.io.min.js")
def socketio_client() -> Response:
    """The official socket.io-client for the browser, from ``node_modules`` (``npm ci``)."""
    return vendored(SOCKETIO_CLIENT)


@bp.route("/vendor/turbo.js")
def turbo() -> Response:
    """Hotwire Turbo's ES module build, from ``node_modules`` (``npm ci``)."""
    return vendored(TURBO)


def vendored(path: Path) -> Response:
    """A file of an npm package, cacheable for an hour; 404 (logged) if ``npm ci`` was not run."""
    file = Path(current_app.config["VENDOR_DIR"]) / path
    if not file.is_file():
        log.error("%s missing in %s: run `npm ci`", path, current_app.config["VENDOR_DIR"])
        abort(404)
    return send_from_directory(file.parent, file.name, max_age=3600)
