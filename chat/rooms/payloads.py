"""Reading client event payloads: anything malformed becomes ``bad_request``."""

from __future__ import annotations

from typing import Any

from chat.domain.errors import BAD_REQUEST, ChatError
from chat.domain.messages import check_seq


def as_object(payload: object) -> dict[str, Any]:
    """The payload if it is an object, else ``bad_request``."""
    if not isinstance(payload, dict):
        raise ChatError(BAD_REQUEST, "The payload must be an object.")
    return payload


def text_field(payload: dict[str, Any], name: str) -> str:
    """A required string field, else ``bad_request``."""
    value = optional_text_field(payload, name)
    if value is None:
        raise ChatError(BAD_REQUEST, f"{name!r} must be a string.")
    return value


def optional_text_field(payload: dict[str, Any], name: str) -> str | None:
    """An optional string field (absent or null is None), else ``bad_request``."""
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise ChatError(BAD_REQUEST, f"{name!r} must be a string.")
    return value


def bool_field(payload: dict[str, Any], name: str) -> bool:
    """A required boolean field, else ``bad_request``."""
    value = payload.get(name)
    if not isinstance(value, bool):
        raise ChatError(BAD_REQUEST, f"{name!r} must be true or false.")
    return value


def seq_field(payload: dict[str, Any], name: str) -> int | None:
    """An optional seq bound: absent/null, or an integer from 0 to the largest seq."""
    return check_seq(payload.get(name), name)


def required_seq(payload: dict[str, Any], name: str) -> int:
    """A seq that must be there: a positive integer up to the largest seq."""
    value = check_seq(payload.get(name), name)
    if value is None or value == 0:
        raise ChatError(BAD_REQUEST, f"{name!r} must be the seq of a message.")
    return value
