"""What every ``flask`` command shares: the lines it prints and the way it refuses.

With ``LOG_FORMAT=json`` every line a process writes is JSON, the commands'
included: their output and refusals then go through the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from flask import current_app

from chat.domain.errors import ChatError

log = logging.getLogger("parley.cli")


def say(line: str, *, err: bool = False) -> None:
    """What a command did: a line on stdout (``err``: stderr), or with LOG_FORMAT=json a JSON line on stderr."""
    if current_app.config["LOG_FORMAT"] == "json":
        (log.warning if err else log.info)(line)
    else:
        click.echo(line, err=err)


class Refusal(click.ClickException):
    """Why a command did nothing: click's "Error: ..." line, or with LOG_FORMAT=json a JSON line."""

    def __init__(self, refusal: ChatError) -> None:
        super().__init__(refusal.message)
        self.as_json = current_app.config["LOG_FORMAT"] == "json"  # shown after the app context ends

    def show(self, file: IO[Any] | None = None) -> None:
        """Write the one line (click calls this before it exits with 1)."""
        if self.as_json:
            log.error(self.message)
        else:
            super().show(file)


@contextmanager
def refused() -> Iterator[None]:
    """A refusal of the domain becomes the command's error: its message, exit code 1."""
    try:
        yield
    except ChatError as refusal:
        raise Refusal(refusal) from refusal
