"""Logging: one line per connect, disconnect and error, on stderr, as text or JSON."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("parley")


def setup(log_format: str, level: str) -> None:
    """Give the ``parley`` loggers their handler once per process (tests build many apps)."""
    if log.handlers:
        return
    handler = logging.StreamHandler()
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
