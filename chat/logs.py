"""Logging: one line per connect, disconnect and error, on stderr, as text or JSON.

Two defences hold for every logger of the process, the libraries' included:

- **Nothing from outside can break a line.** Every record's message is
  escaped: a CR, LF or any other control character (an Engine.IO ``sid``
  carrying ``%0D%0A``) is written as ``\\r``, ``\\n``, ``\\x1b``, so no
  client can forge a log line. Tracebacks keep their own line breaks.
- **Repeats are counted, not written.** A warning or error repeated within a
  minute (a client sending malformed frames, each raising in the library) is
  written a few times, then held back, and the next one that gets through
  says how many were held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("parley")

# Loggers of the libraries that handle raw client input before Parley's code sees it.
LIBRARY_LOGGERS = ("engineio.server", "socketio.server")
REPEATS_PER_MINUTE = 5
# Line and paragraph separators a log viewer may also break on.
LINE_BREAKERS = {"\u0085", "\u2028", "\u2029"}


def escape_controls(text: str) -> str:
    """``text`` with control characters (and Unicode line separators) escaped, so it stays one line."""
    if text.isprintable():
        return text
    return "".join(
        repr(ch)[1:-1] if (ch < " " or "\x7f" <= ch < "\xa0" or ch in LINE_BREAKERS) else ch for ch in text
    )


class EscapedRecord(logging.LogRecord):
    """A log record whose message never holds a control character (see the module's note)."""

    def getMessage(self) -> str:
        """The message with its arguments, control characters escaped."""
        return escape_controls(super().getMessage())


class RepeatFilter(logging.Filter):
    """Lets through ``per_minute`` warnings (or worse) of each kind a minute; counts the rest.

    A kind is the logger, the level and the message before its arguments:
    the same complaint about different clients is one kind.
    """

    def __init__(self, per_minute: int = REPEATS_PER_MINUTE, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int, int]] = {}  # start, let through, held back

    def filter(self, record: logging.LogRecord) -> bool:
        """True to write ``record``; a record that gets through says how many were held back."""
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = self.clock()
        start, passed, held = self._seen.get(key, (now, 0, 0))
        if now - start >= 60.0:
            start, passed = now, 0
        if passed >= self.per_minute:
            self._seen[key] = (start, passed, held + 1)
            return False
        if held:
            record.msg = f"{record.msg} ({held} more like this were not logged)"
        if len(self._seen) > 10_000:  # kinds are few; this only bounds a pathological logger
            self._seen.clear()
        self._seen[key] = (start, passed + 1, 0)
        return True


def protect() -> None:
    """Escape every record of the process and rate-limit the libraries' repeats (once per process)."""
    if logging.getLogRecordFactory() is not EscapedRecord:
        logging.setLogRecordFactory(EscapedRecord)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())


def setup(log_format: str, level: str) -> None:
    """Give the ``parley`` loggers their handler once per process (tests build many apps)."""
    protect()
    if log.handlers:
        return
    handler = logging.StreamHandler()
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    handler.addFilter(RepeatFilter())
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
