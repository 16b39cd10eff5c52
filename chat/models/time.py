"""Timestamps: stored as aware UTC, sent as ISO 8601 with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind stored)."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """``2026-11-22T12:00:00.123Z``: milliseconds, always UTC."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def aware_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive ones of what was stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
