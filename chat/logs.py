"""Logging: one line per connect, disconnect and error, on stderr, as text or JSON.

With ``LOG_FORMAT=json`` every line the process writes is one JSON object:
Parley's, every library's (the root logger gets the JSON handler, Python's
warnings are logged), gunicorn's own (gunicorn.conf.py's
``logger_class``), the migration's (migrations/env.py) and the ``flask``
commands' (chat/cli.py), and the refusal to start (``refusal``).

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
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


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
        if logger.level == logging.NOTSET:
            # Their default level, set first: python-engineio and -socketio then add no plain-text
            # handler of their own, and their lines go to the root logger's (JSON) handler.
            logger.setLevel(logging.ERROR)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of every line, ``json`` or text."""
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS)
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def setup(log_format: str, level: str) -> None:
    """Give the ``parley`` loggers their handler once per process (tests build many apps)."""
    protect()
    if log.handlers:
        return
    log.addHandler(_handler(log_format))
    log.setLevel(level)
    log.propagate = False
    if log_format == "json":
        # Everything else too: a library logging without handlers of its own (engineio's
        # errors, alembic's progress), Python's warnings.
        logging.getLogger().addHandler(_handler(log_format))
        logging.captureWarnings(True)


def _handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RepeatFilter())
    return handler


def refusal(reason: str, log_format: str) -> str:
    """The one line that says why the process will not start (a ``ConfigError``)."""
    text = f"parley: refusing to start: {escape_controls(reason)}"
    if log_format != "json":
        return text
    fields = {"name": "parley", "levelno": logging.CRITICAL, "levelname": "CRITICAL", "msg": text}
    return formatter(log_format).format(logging.makeLogRecord(fields))
