"""The process's Prometheus metrics (served at ``/metrics`` by ``chat.health``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

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
