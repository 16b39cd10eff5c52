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
from chat.fanout.queue import Delivered
from chat.models import Message, Room

log = logging.getLogger("parley.repair")

# At most this many messages per room per repair; clients fill larger gaps by seq themselves.
BATCH = 200


def catch_up(positions: dict[str, Delivered], why: str = "queue back") -> None:
    """Re-deliver, to this process's sockets only, what changed in each room after ``positions[slug]``.

    Messages newer than the position's seq go out as ``message``, changes of
    older ones as ``message_changed``; each in its current state.
    """
    queue = message_queue()
    if queue is None:
        return
    behind = sorted(live.sockets().rooms_with_sockets() & positions.keys())
    log.info("%s: catching up %d rooms with sockets here", why, len(behind))
    for slug, stored in Room.positions(behind).items():
        start = positions[slug]
        changed = Message.changed(stored.room_id, up_to_seq=None, after_rev=start.rev, limit=BATCH)
        for message in changed:
            event = "message" if message.seq > start.seq else "message_changed"
            queue.emit_here(event, message.to_dict(), channel(slug))
        # All up to the stored rev is out now, or up to the last one sent when the batch was full.
        reached = changed[-1].rev if len(changed) == BATCH else stored.last_rev
        queue.delivered.setdefault(slug, Delivered()).caught_up(
            reached, max([m.seq for m in changed], default=0)
        )
        if changed:
            log.info("re-delivered %d messages of %s (%s)", len(changed), slug, why)


def reconcile(behind_before: dict[str, int]) -> dict[str, int]:
    """Catch up the rooms still behind what is stored since the previous tick; the rooms behind now.

    Every stored message and every change bumps its room's rev, and the queue
    tracks the revs it delivered without holes, so a lost publish of either
    shows as a room whose delivered rev stays below the stored one. A room
    behind at one tick may only have an event in flight; one still behind the
    rev it was behind at the previous tick lost a publish.
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
        slug: position.last_rev
        for slug, position in stored.items()
        if position.last_rev > delivered[slug].rev
    }
    stuck = {
        slug: delivered[slug].copy()
        for slug in behind
        if slug in behind_before and delivered[slug].rev < behind_before[slug]
    }
    if stuck:
        log.warning("rooms behind what is stored for a whole upkeep tick: %s", ", ".join(sorted(stuck)))
        catch_up(stuck, why="reconcile")
    return behind


def redeliver(app: Flask, delivered: dict[str, Delivered], attempts: int = 8) -> None:
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
