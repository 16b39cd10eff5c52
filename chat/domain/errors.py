"""Refusals with the contract's error codes."""

from __future__ import annotations

from typing import Any

# The contract's codes; pages map them to HTTP statuses, sockets to error acks.
BAD_REQUEST = "bad_request"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
NOT_JOINED = "not_joined"
TOO_LONG = "too_long"
EMPTY = "empty"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
CONFLICT = "conflict"

# The refusal of every write in an archived room (it is read-only until restored).
ARCHIVED_ROOM = "This room is archived: it is read-only until an admin restores it."

HTTP_STATUS = {
    BAD_REQUEST: 400,
    NOT_FOUND: 404,
    FORBIDDEN: 403,
    NOT_JOINED: 409,
    TOO_LONG: 400,
    EMPTY: 400,
    RATE_LIMITED: 429,
    UNAVAILABLE: 503,
    CONFLICT: 409,
}


class ChatError(Exception):
    """A request the chat refuses, with a code from the contract and a human message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        """The HTTP status a page answers this refusal with."""
        return HTTP_STATUS.get(self.code, 400)

    def ack(self) -> dict[str, Any]:
        """The contract's error acknowledgement for this refusal."""
        return {"ok": False, "error": {"code": self.code, "message": self.message}}
