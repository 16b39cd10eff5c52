"""Prometheus metrics at ``/metrics``, readable only with ``METRICS_TOKEN``."""

from __future__ import annotations

import gc
import hmac
import sys

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

bp = Blueprint("metrics", __name__)

# One registry for the process: tests build many apps, metrics stay per process.
registry = CollectorRegistry()
MESSAGES_STORED = Counter("parley_messages_stored", "Messages stored (retries excluded)", registry=registry)
MESSAGES_BROADCAST = Counter(
    "parley_messages_broadcast", "Stored messages handed to the fan-out (once per message)", registry=registry
)
ACK_ERRORS = Counter(
    "parley_ack_errors", "Error acknowledgements by event and code", ["event", "code"], registry=registry
)
EVENT_SECONDS = Histogram(
    "parley_event_seconds",
    "Time to handle a client event, by event",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=registry,
)
SOCKETS = Gauge("parley_sockets_connected", "Sockets connected to this process", registry=registry)
ROOMS_JOINED = Gauge("parley_rooms_joined", "Room joins held by this process's sockets", registry=registry)
# Leak watch (the soak run reads these): memory and descriptors, greenlets, unsent packets.
ProcessCollector(registry=registry)
GREENLETS = Gauge(
    "parley_greenlets", "Live greenlets (gevent/eventlet), counted on scrape", registry=registry
)
OUTGOING = Gauge("parley_outgoing_packets", "Packets queued for sockets but not yet sent", registry=registry)


def refresh_live_gauges() -> None:
    live = current_app.extensions["parley"]
    sockets = list(live.sockets.values())
    SOCKETS.set(len(sockets))
    ROOMS_JOINED.set(sum(len(state.rooms) for state in sockets))
    greenlet = sys.modules.get("greenlet")
    if greenlet is not None:
        GREENLETS.set(
            sum(1 for obj in gc.get_objects() if isinstance(obj, greenlet.greenlet) and not obj.dead)
        )
    transports = list(current_app.extensions["socketio"].server.eio.sockets.values())
    OUTGOING.set(sum(transport.queue.qsize() for transport in transports))


@bp.route("/metrics")
def metrics() -> Response:
    """Prometheus text format. Without METRICS_TOKEN set, the endpoint does not exist."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return Response("metrics need the bearer token\n", 401, {"WWW-Authenticate": "Bearer"})
    refresh_live_gauges()
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
