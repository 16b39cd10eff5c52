"""How the room page lays its messages out: day dividers, runs of one author, the first unread.

The browser's script (static/js/layout.js) applies the same rules on the
reader's clock; the server uses UTC, so in a UTC time zone nothing moves when
the script starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

RUN_GAP = timedelta(minutes=5)  # messages of one author this close follow on without a header


@dataclass(frozen=True)
class Placed:
    """One message of the page (its wire form), and what comes with it."""

    message: dict[str, Any]
    day: str | None  # the day divider above it, if it begins a day on the page
    continued: bool  # it follows its author's previous message: no name and time repeated
    first_unread: bool  # the "new messages" divider goes above it


def day_label(day: date, today: date) -> str:
    """ "Today", "Yesterday", or the date written out."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return f"{day:%A}, {day.day} {day:%B %Y}"


def lay_out(messages: list[dict[str, Any]], read_mark: int, me: str) -> list[Placed]:
    """The page's messages, oldest first, each with its divider and run; ``read_mark`` is the reader's."""
    today = datetime.now(UTC).date()
    placed: list[Placed] = []
    previous: tuple[dict[str, Any], datetime] | None = None
    unread_shown = False
    for message in messages:
        at = datetime.fromisoformat(message["created_at"])
        first_unread = not unread_shown and message["seq"] > read_mark and message["username"] != me
        unread_shown = unread_shown or first_unread
        new_day = previous is None or previous[1].date() != at.date()
        continued = (
            previous is not None
            and not new_day
            and not first_unread
            and previous[0]["username"] == message["username"]
            and timedelta(0) <= at - previous[1] <= RUN_GAP
        )
        placed.append(
            Placed(message, day_label(at.date(), today) if new_day else None, continued, first_unread)
        )
        previous = (message, at)
    return placed
