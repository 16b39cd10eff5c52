"""The repair path: deliver here what was stored but never came through the queue.

Redis pub/sub keeps nothing for a subscriber that is away, and a publish can
fail on the sending instance with no sign on this side. Clients would fill
such a gap only when the room's next message arrives, which in a quiet room
may be never. So each process re-delivers, to its own sockets only, what the
database holds beyond what it delivered: when its subscriber comes back
(``redeliver``) and whenever a room stays behind for a whole upkeep tick
(``reconcile``). Clients drop seqs they already have, so re-delivering is
always safe.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from chat import live
from chat.extensions import socketio
from chat.fanout.emit import channel, message_queue
from chat.models import Message, Room

log = logging.getLogger("parley.repair")

# At most this many messages per room per repair; clients fill larger gaps by seq themselves.
BATCH = 200


def catch_up(delivered: dict[str, int], why: str = "queue back") -> None:
    """Re-deliver, to this process's sockets only, messages stored after ``delivered[slug]``."""
    queue = message_queue()
    if queue is None:
        return
    behind = sorted(live.sockets().rooms_with_sockets() & delivered.keys())
    log.info("%s: catching up %d rooms with sockets here", why, len(behind))
    for slug, position in Room.positions(behind).items():
        stored, _more = Message.page(position.room_id, before=None, after=delivered[slug], limit=BATCH)
        for message in stored:
            queue.emit_here("message", message.to_dict(), channel(slug))
            queue.note_delivered(slug, message.seq)
        if stored:
            log.info("re-delivered %d messages of %s (%s)", len(stored), slug, why)


def reconcile(behind_before: dict[str, int]) -> dict[str, int]:
    """Catch up the rooms still behind what is stored since the previous tick; the rooms behind now.

    A room behind at one tick may only have a message in flight; one that is
    still behind the seq it was behind at the previous tick lost a publish.
    """
    queue = message_queue()
    if queue is None:  # one process delivers everything itself
        return {}
    delivered = queue.delivered
    watched = live.sockets().rooms_with_sockets() & delivered.keys()
    if not watched:
        return {}
    stored = Room.positions(watched)
    behind = {
        slug: position.last_seq for slug, position in stored.items() if position.last_seq > delivered[slug]
    }
    stuck = {
        slug: delivered[slug]
        for slug in behind
        if slug in behind_before and delivered[slug] < behind_before[slug]
    }
    if stuck:
        log.warning("rooms behind what is stored for a whole upkeep tick: %s", ", ".join(sorted(stuck)))
        catch_up(stuck, why="reconcile")
    return behind


def redeliver(app: Flask, delivered: dict[str, int], attempts: int = 8) -> None:
    """After a Redis outage: hand this process's sockets what was stored while it was cut off.

    The database may be down too (outages come together); keep trying for a while.
    """
    for attempt in range(attempts):
        try:
            with app.app_context():
                catch_up(delivered)
            return
        except SQLAlchemyError as exc:
            pause = min(2.0**attempt, 15.0)
            log.warning(
                "re-delivery waits for the database (%s); retrying in %.0f s", exc.__class__.__name__, pause
            )
            socketio.sleep(pause)
        except Exception:  # a background task: nobody else would see it fail
            log.exception("could not re-deliver after the queue came back")
            return
    log.error("gave up re-delivering after the queue came back; clients will fill gaps from seq")
