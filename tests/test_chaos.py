"""Chaos: an acknowledged message is stored exactly once and reaches every client,
and every acknowledged edit and reaction reaches every client in its final state,
while instances crash, Redis goes away and the database goes away.

Several real instances (the Procfile command) behind nginx, on a private Redis
and on PostgreSQL reached through a proxy that the test can cut. Thirty
clients send with client_ids, ack timeouts and retries, and re-join with
``since`` after every reconnect. The embedded default gets the same promise:
kill -9 during a burst of writes on SQLite, restart, every acked message is there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from deploy.cluster import Cluster
from tests.support.chat_client import ResumingClient, wait_until
from tests.support.cluster import PrivateRedis, held_messages, local_cluster, require_nginx, stored_messages
from tests.support.forms import register_cookie
from tests.support.server import ROOMY_LIMITS, ServerProcess
from tests.support.services import scratch_postgres_database
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.server

CLIENTS, MESSAGES_EACH = 30, 6


def test_nothing_is_lost_or_repeated_through_crashes_and_outages(tmp_path: Path) -> None:
    require_nginx()
    with (
        PrivateRedis(tmp_path) as private_redis,
        scratch_postgres_database() as database_url,
        TcpProxy(("127.0.0.1", 5432)) as proxy,
        local_cluster(
            tmp_path / "cluster", 3, proxy.reroute(database_url), private_redis.url, PRESENCE_TTL_SECONDS="3"
        ) as nodes,
    ):
        run_chaos(nodes, proxy, private_redis, database_url)


def run_chaos(nodes: Cluster, proxy: TcpProxy, private_redis: PrivateRedis, database_url: str) -> None:
    urls = [member.url for member in nodes.members]
    clients = [
        ResumingClient(nodes.url if n % 2 else urls[n % 3], register_cookie(nodes.url, f"chaos{n}")).connect()
        for n in range(CLIENTS)
    ]
    acked: dict[str, int] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def talk(index: int, client: ResumingClient) -> None:
        try:
            for n in range(MESSAGES_EACH):
                client_id = f"c{index}-{n}"
                ack = client.send(f"chaos {index}.{n}", client_id, attempts=80)
                assert ack["ok"], ack
                seq = ack["message"]["seq"]
                with lock:
                    acked[client_id] = seq
                if n % 3 == 1:  # fix a typo in what was just sent
                    assert client.change("edit", {"seq": seq, "text": f"chaos {index}.{n}, edited"}, 80)["ok"]
                if n % 3 == 2:  # and like someone's message
                    liked = {"seq": max(1, seq - 1), "emoji": "\U0001f44d", "on": True}
                    assert client.change("react", liked, 80)["ok"]
                time.sleep(0.3)
        except BaseException as exc:
            failures.append(exc)

    senders = [threading.Thread(target=talk, args=(i, c)) for i, c in enumerate(clients)]
    try:
        for sender in senders:
            sender.start()
        time.sleep(1.0)
        nodes.kill_instance(1)  # a crash
        time.sleep(2.0)
        nodes.start_instance(1)
        private_redis.kill()  # the queue and shared presence go away for 5 s
        time.sleep(5.0)
        private_redis.start()
        proxy.cut()  # so does the database
        time.sleep(5.0)
        proxy.restore()
        for sender in senders:
            sender.join(timeout=150)
        assert not failures, failures[:3]
        assert len(acked) == CLIENTS * MESSAGES_EACH, "every message was acknowledged in the end"
        # Life goes on after the storm: one more message. A client that missed the last
        # broadcasts while its instance was cut off sees the seq gap and fills it, as the
        # contract's client rules say (the server's own re-delivery is tested in test_cluster).
        acked["after-the-storm"] = clients[0].send("after the storm", "after-the-storm", attempts=80)[
            "message"
        ]["seq"]
        history = stored_messages(database_url)
        seqs = [seq for seq, *_ in history]
        assert seqs == list(range(1, len(history) + 1)), "seqs are gap-free"
        by_client_id = {client_id: seq for seq, client_id, *_ in history}
        assert len(by_client_id) == len(history), "nothing stored twice"
        assert by_client_id == acked, "every acknowledged message is stored, under the seq its ack named"
        last = len(history)
        for client in clients:
            try:
                client.wait_caught_up(last, 60, "every client's full history")
            except AssertionError as late:
                states = [
                    (c.url[-5:], c.contiguous(), c.disconnects, c.joins, c.sio.connected) for c in clients
                ]
                raise AssertionError(
                    f"{late} ({last}): (url, contiguous, disconnects, joins, connected) {states}"
                ) from None
        for client in clients:
            # Changes leave no seq gap: what a client missed comes by since_rev or the servers' repair.
            wait_until(lambda c=client: held_messages(c, last) == history, 60, "every change in every view")  # type: ignore[misc]
    finally:
        for client in clients:
            client.close()


def test_kill_9_during_a_burst_on_sqlite_keeps_every_acked_message(tmp_path: Path) -> None:
    database = tmp_path / "parley.sqlite3"
    url = f"sqlite:///{database}"
    acked: dict[str, int] = {}
    with ServerProcess(url, tmp_path, extra_env=ROOMY_LIMITS, name="burst") as first:
        writer = ResumingClient(first.base_url, register_cookie(first.base_url, "burst"), reconnect=False)
        writer.connect()
        stop = threading.Event()

        def burst() -> None:
            for n in range(100_000):
                if stop.is_set():
                    return
                try:
                    ack = writer.ask(
                        "message", {"room": "general", "text": f"burst {n}", "client_id": f"b{n}"}
                    )
                except Exception:
                    return  # the server died under us
                if ack.get("ok"):
                    acked[f"b{n}"] = ack["message"]["seq"]

        thread = threading.Thread(target=burst)
        thread.start()
        wait_until(lambda: len(acked) >= 50, 30, "a burst under way")
        first.kill()  # kill -9, mid-burst
        thread.join(timeout=30)
        stop.set()
        writer.close()
    with ServerProcess(url, tmp_path, extra_env=ROOMY_LIMITS, name="after") as second:
        assert second.alive
        with sqlite3.connect(database) as conn:
            rows = dict(conn.execute("SELECT client_id, seq FROM messages").fetchall())
    assert len(acked) >= 50
    missing = {cid: seq for cid, seq in acked.items() if rows.get(cid) != seq}
    assert not missing, f"acknowledged but not stored after the crash: {list(missing)[:5]}"
    assert sorted(rows.values()) == list(range(1, len(rows) + 1)), "gap-free after the crash too"
