"""``chat.runtime.off_loop``: CPU-bound work (password hashing) leaves the event loop free.

Each async mode is tried in a fresh interpreter patched the way the server
patches it, with a ticker on the loop: while four password hashes run, the
ticker must keep ticking. Called on the loop itself, it would not tick once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chat.runtime import off_loop

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys, time
{patch}
from werkzeug.security import generate_password_hash
from chat.runtime import detect_async_mode, off_loop

ticks = []
def ticker():
    while True:
        ticks.append(time.monotonic())
        {sleep}(0.005)

{spawn}(ticker)
{sleep}(0.05)
started = time.monotonic()
for _ in range(4):
    {call}
ended = time.monotonic()
during = [t for t in ticks if started < t < ended]
print(json.dumps({{"mode": detect_async_mode(), "ticks": len(during), "seconds": ended - started}}))
"""

MODES = {
    "gevent": {
        "patch": "from gevent import monkey; monkey.patch_all(); import gevent",
        "sleep": "gevent.sleep",
        "spawn": "gevent.spawn",
    },
    "eventlet": {
        "patch": "import eventlet; eventlet.monkey_patch()",
        "sleep": "eventlet.sleep",
        "spawn": "eventlet.spawn",
    },
}
OFF_LOOP = "off_loop(generate_password_hash, 'a password')"
ON_LOOP = "generate_password_hash('a password')"


def probe(mode: str, call: str) -> dict[str, object]:
    script = PROBE.format(call=call, **MODES[mode])
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("mode", sorted(MODES))
def test_hashing_off_the_loop_lets_the_loop_go_on(mode: str) -> None:
    result = probe(mode, OFF_LOOP)
    assert result["mode"] == mode
    assert isinstance(result["ticks"], int)
    assert result["ticks"] >= 10, result


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_probe_sees_a_loop_that_hashing_stalls(mode: str) -> None:
    """The same probe, hashing on the loop: it does tell a stalled loop."""
    result = probe(mode, ON_LOOP)
    assert result["ticks"] == 0, result


def test_threading_mode_is_a_plain_call_in_the_callers_thread() -> None:
    assert off_loop(lambda a, b: (a + b, threading.current_thread()), 2, 3) == (5, threading.current_thread())
