"""Names people read: room names without hidden characters, usernames that do not pose as others.

A name is shown to other people, so what they see must be what it is:

- **Room names** may not hold bidirectional controls (which reorder what
  follows: ``"\\u202egnp.exe"`` reads as ``exe.png``) or invisible
  characters (zero-width spaces, fillers that render as nothing). An emoji
  may still use its zero-width joiner.
- **Usernames** are compared by their UTS #39 *skeleton* (``disarm``'s
  ``skeleton_key``, with TR39's own digit folding): a name whose skeleton is
  another user's (``adal`` beside ``ada1``, ``bob0`` beside ``bobO``) is
  refused at sign-up.
"""

from __future__ import annotations

import unicodedata

import emoji
from disarm import skeleton_key

from chat.domain.errors import BAD_REQUEST, ChatError

MAX_ROOM_NAME_CHARS = 80
MAX_TOPIC_CHARS = 250
# Control, format (bidi controls, zero-width characters), unassigned, private-use and surrogate
# code points, and line and paragraph separators.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"}
# Letters and symbols that render as blank space without being white space.
BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def clean_room_name(name: str) -> str:
    """``name`` with its runs of white space collapsed, if people can read it as it is; else refused."""
    name = " ".join(name.split())
    if "\x00" in name:
        raise ChatError(BAD_REQUEST, "Room names may not contain NUL characters.")
    if not name or len(name) > MAX_ROOM_NAME_CHARS:
        raise ChatError(BAD_REQUEST, f"Room names are 1-{MAX_ROOM_NAME_CHARS} characters.")
    if any(_hidden(ch) for ch in emoji.replace_emoji(name, "")):
        raise ChatError(
            BAD_REQUEST, "Room names may not contain invisible characters or text-direction controls."
        )
    return name


def clean_topic(topic: str) -> str:
    """A room's topic, one line with its white space collapsed (empty clears it), if people can read it."""
    return _readable_line(topic, MAX_TOPIC_CHARS, "A topic is", "Topics")


def _readable_line(text: str, limit: int, one: str, many: str) -> str:
    """``text`` on one line, white space collapsed; refused when longer than ``limit`` or hiding characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        raise ChatError(BAD_REQUEST, f"{one} at most {limit} characters.")
    if any(_hidden(ch) for ch in emoji.replace_emoji(text, "")):
        raise ChatError(
            BAD_REQUEST, f"{many} may not contain invisible characters or text-direction controls."
        )
    return text


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in HIDDEN_CATEGORIES or ch in BLANK_LOOKING


def username_skeleton(username: str) -> str:
    """The username's UTS #39 skeleton, case-folded: equal skeletons mean names that look alike."""
    return skeleton_key(username, digit_policy="tr39")[:128]


MAX_DISPLAY_NAME_CHARS = 64


def clean_display_name(name: str) -> str | None:
    """A display name with its white space collapsed (None when blank), if people can read it; else refused."""
    return _readable_line(name, MAX_DISPLAY_NAME_CHARS, "Display names are", "Display names") or None
