"""Soak: clients churn (connect, join, chat, leave, disconnect) against one real
instance for a bounded time; every few seconds the instance's own /metrics are
read and one line printed: RSS, open descriptors, greenlets, sockets, queued
packets. Flat lines mean no leak.

    .venv/bin/python -m benchmarks.soak --minutes 3 --clients 40

Not a test: it prints figures. Only 127.0.0.1; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.support.chat_client import ChatClient
from tests.support.forms import login_cookie, register_cookie
from tests.support.server import ServerProcess

METRICS_TOKEN = "soak"
WATCHED = {
    "process_resident_memory_bytes": "rss_mb",
    "process_open_fds": "fds",
    "parley_greenlets": "greenlets",
    "parley_sockets_connected": "sockets",
    "parley_outgoing_packets": "queued",
    "parley_messages_stored_total": "stored",
}


def scrape(base_url: str) -> dict[str, float]:
    request = urllib.request.Request(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    figures = {}
    for name, label in WATCHED.items():
        found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
        if found:
            value = float(found.group(1))
            figures[label] = value / 1e6 if label == "rss_mb" else value
    return figures


def churn(
    base_url: str, cookie: str, rooms: list[str], deadline: float, counter: list[int], seed: int
) -> None:
    """One simulated user: connect, join a room or two, chat, leave, disconnect; again until the deadline."""
    pick = random.Random(seed)
    n = 0
    while time.monotonic() < deadline:
        client = ChatClient(base_url, cookie, transports=["websocket"])
        try:
            client.connect()
            joined = pick.sample(rooms, k=pick.randint(1, len(rooms)))
            for room in joined:
                client.ask("join", {"room": room})
            for _ in range(pick.randint(1, 5)):
                n += 1
                client.ask(
                    "message", {"room": joined[0], "text": f"soak {seed}.{n}", "client_id": f"s{seed}-{n}"}
                )
                time.sleep(pick.uniform(0.05, 0.3))
            client.ask("typing", {"room": joined[0], "typing": True})
            client.ask("leave", {"room": joined[-1]})
            counter[0] += 1
        except Exception:  # noqa: S110 - a refused or dropped cycle is churn too; the figures tell
            pass
        finally:
            client.close()
        time.sleep(pick.uniform(0.0, 0.5))


def main() -> None:
    parser = argparse.ArgumentParser(description="Parley soak run")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="parley-soak-"))
    limits = {
        "METRICS_TOKEN": METRICS_TOKEN,
        "REGISTRATIONS_BURST": "100000",
        "LOGIN_ATTEMPTS_BURST": "100000",
        "RATE_LIMIT_BURST": "100000",
        "RATE_LIMIT_PER_SECOND": "100000",
        "EVENTS_BURST": "100000",
        "EVENTS_PER_SECOND": "100000",
        "MAX_SOCKETS_PER_ADDRESS": "100000",
    }
    with ServerProcess(
        f"sqlite:///{workdir / 'soak.sqlite3'}", workdir, extra_env=limits, name="soak"
    ) as server:
        server.flask("rooms", "create", "soak-a")
        server.flask("rooms", "create", "soak-b")
        rooms = ["general", "soak-a", "soak-b"]
        cookies = [register_cookie(server.base_url, f"soak{i}") for i in range(options.clients)]
        assert login_cookie(server.base_url, "soak0")
        deadline = time.monotonic() + options.minutes * 60
        cycles = [0]
        workers = [
            threading.Thread(
                target=churn, args=(server.base_url, cookie, rooms, deadline, cycles, i), daemon=True
            )
            for i, cookie in enumerate(cookies)
        ]
        started = time.monotonic()
        print("   t(s)  rss_mb  fds  greenlets  sockets  queued  stored  cycles", flush=True)
        for worker in workers:
            worker.start()
        while time.monotonic() < deadline + options.every:
            f = scrape(server.base_url)
            print(
                f"{time.monotonic() - started:7.0f} {f.get('rss_mb', 0):7.1f} {f.get('fds', 0):4.0f} "
                f"{f.get('greenlets', 0):10.0f} {f.get('sockets', 0):8.0f} {f.get('queued', 0):7.0f} "
                f"{f.get('stored', 0):7.0f} {cycles[0]:7d}",
                flush=True,
            )
            time.sleep(options.every)
        for worker in workers:
            worker.join(timeout=30)
        time.sleep(2)
        f = scrape(server.base_url)
        print(
            f"after the churn: rss {f.get('rss_mb', 0):.1f} MB, {f.get('fds', 0):.0f} fds, "
            f"{f.get('greenlets', 0):.0f} greenlets, {f.get('sockets', 0):.0f} sockets",
            flush=True,
        )


if __name__ == "__main__":
    main()
