"""Logs an attacker can neither forge nor flood (chat/logs.py).

Every logger of the process, the libraries' included, writes a CR or LF that
came from a request as an escape, so no request can start a line of its own;
a complaint repeated by a flood of malformed frames is written a few times a
minute, not once per frame.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask

from chat.logs import EscapedRecord, RepeatFilter, escape_controls
from chat.models import User
from tests.support.in_process import Login

FORGED = "FORGED 2026-12-01 12:00:00 INFO parley: admin logged in"


def lines_starting_with_forged(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FORGED")]


@contextmanager
def written_by(name: str) -> Iterator[io.StringIO]:
    """What logger ``name`` writes while the block runs, formatted as a stream handler would."""
    logger = logging.getLogger(name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_control_characters_are_escaped_and_the_rest_kept() -> None:
    assert escape_controls("plain text, ünïcödé 👍") == "plain text, ünïcödé 👍"
    assert escape_controls("a\r\nb\x1b[31mc\x00d\u2028e\x85f") == "a\\r\\nb\\x1b[31mc\\x00d\\u2028e\\x85f"


def test_a_line_break_in_an_engine_io_sid_forges_no_line(app: Flask) -> None:
    """The case the tester found: python-engineio logs the sid it was sent, as it was sent."""
    client = app.test_client()
    with written_by("engineio.server") as stream:
        response = client.get(
            "/socket.io/?EIO=4&transport=polling&sid=abc%0D%0A" + FORGED.replace(" ", "%20")
        )
    assert response.status_code == 400
    err = stream.getvalue()
    assert "Invalid session abc\\r\\nFORGED" in err, err
    assert lines_starting_with_forged(err) == []


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.usefixtures("app")
def test_parleys_own_lines_escape_what_a_client_sent(fmt: str, capfd: pytest.CaptureFixture[str]) -> None:
    parley = logging.getLogger("parley")
    saved = parley.handlers[:]
    parley.handlers.clear()
    try:
        from chat import logs

        logs.setup(fmt, "INFO")
        logging.getLogger("parley.socket").warning(
            "connect refused (sid %s, %s)", "x\r\n" + FORGED, "10.0.0.1"
        )
    finally:
        parley.handlers[:] = saved
    err = capfd.readouterr().err
    assert lines_starting_with_forged(err) == []
    assert len(err.strip().splitlines()) == 1
    if fmt == "json":
        assert json.loads(err)["message"].startswith("connect refused (sid x\\r\\nFORGED")


@pytest.mark.usefixtures("app")
def test_any_librarys_logger_is_escaped_too() -> None:
    assert logging.getLogRecordFactory() is EscapedRecord, "installed by create_app (chat.logs.protect)"
    library = logging.getLogger("some.library")
    with written_by("some.library") as stream:
        library.error("GET %s", "/x\n" + FORGED)
        library.error("bad header " + "\r\n" + FORGED)  # the text in the message itself, not an argument
    assert len(stream.getvalue().splitlines()) == 2
    assert lines_starting_with_forged(stream.getvalue()) == []


def engine_io_session(browser: object) -> tuple[object, str]:
    http = browser.http  # type: ignore[attr-defined]
    opened = http.get("/socket.io/?EIO=4&transport=polling").get_data(as_text=True)
    sid = opened.split('"sid":"')[1].split('"')[0]
    assert http.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data="40").status_code == 200
    return http, sid


def test_a_flood_of_malformed_frames_writes_a_few_lines_not_a_traceback_each(login: Login, ada: User) -> None:
    http, sid = engine_io_session(login(ada))
    with written_by("engineio.server") as stream:
        for n in range(200):
            http.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data=f"4garbage{n}{{")  # type: ignore[attr-defined]
        time.sleep(0.5)  # handlers run on threads in threading mode
    err = stream.getvalue()
    assert "handler error" in err, "the flood did reach the library's complaint"
    assert err.count("Traceback") <= 5, err[:2000]
    assert len(err) < 20_000, f"{len(err)} characters of log for 200 malformed frames"


def test_repeats_are_counted_and_reported_when_logging_resumes() -> None:
    now = [0.0]
    gate = RepeatFilter(per_minute=3, clock=lambda: now[0])

    def record(msg: str, level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord("engineio.server", level, __file__, 1, msg, (), None)

    assert [gate.filter(record("bad frame %s")) for _ in range(10)] == [True] * 3 + [False] * 7
    assert gate.filter(record("another complaint")), "each kind counts apart"
    assert gate.filter(record("info lines are never held", logging.INFO))
    now[0] = 61.0
    resumed = record("bad frame %s")
    assert gate.filter(resumed)
    assert "7 more like this were not logged" in resumed.msg
