"""Many processes, one chat: real instances on one real Redis and one real PostgreSQL.

The cluster is the one ``make cluster`` runs (deploy/cluster.py): instances of
the Procfile's web command behind nginx.
"""

from __future__ import annotations

import re
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from deploy.cluster import Cluster
from tests.support.chat_client import ChatClient, Recorder, ResumingClient, wait_until
from tests.support.cluster import (
    PrivateRedis,
    cluster_on_redis,
    held_messages,
    local_cluster,
    require_nginx,
    stored_messages,
)
from tests.support.forms import FormSession, login_cookie, logout, register_cookie
from tests.support.services import scratch_postgres_database
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.server

REDIS_DB = 11  # this module's own database number on the shared Redis


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three instances on a scratch PostgreSQL database and a flushed Redis database."""
    with cluster_on_redis(tmp_path_factory.mktemp("cluster"), 3, REDIS_DB, PRESENCE_TTL_SECONDS="3") as nodes:
        yield nodes


def stored_seqs(cluster: Cluster, room: str = "general") -> list[int]:
    url = cluster.database_url
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT m.seq FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = %s ORDER BY m.seq",
            (room,),
        ).fetchall()
    return [row[0] for row in rows]


def clients_for(cluster: Cluster, names: list[str], urls: list[str], **options: Any) -> list[ResumingClient]:
    clients = []
    for index, name in enumerate(names):
        cookie = register_cookie(cluster.url, name)
        clients.append(ResumingClient(urls[index % len(urls)], cookie, **options).connect())
    return clients


def close_all(clients: list[ResumingClient]) -> None:
    for client in clients:
        client.close()


def instance_of(cluster: Cluster, client: ResumingClient) -> int:
    """Which instance holds ``client``'s socket, read from the instances' connect log lines."""
    wait_until(lambda: client.sid is not None, 10, "a sid")
    for member in cluster.members:
        if f"(sid {client.sid}," in member.log_path.read_text(errors="replace"):
            return member.index
    raise AssertionError(f"no instance logged sid {client.sid}")


def test_thirty_clients_on_three_instances_see_every_message_exactly_once(cluster: Cluster) -> None:
    urls = [member.url for member in cluster.members]
    names = [f"fan{n}" for n in range(30)]
    clients = clients_for(cluster, names, urls)
    try:
        senders, per_sender = clients[:10], 10
        acked: list[dict[str, Any]] = []
        lock = threading.Lock()

        def talk(client: ResumingClient, number: int) -> None:
            for n in range(per_sender):
                ack = client.send(f"sender {number} message {n}", f"s{number}-{n}")
                with lock:
                    acked.append(ack["message"])

        threads = [threading.Thread(target=talk, args=(c, i)) for i, c in enumerate(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        total = len(senders) * per_sender
        assert sorted(m["seq"] for m in acked) == list(range(1, total + 1)), (
            "acked seqs are gap-free and unique"
        )
        assert stored_seqs(cluster) == list(range(1, total + 1)), "every acked message is stored exactly once"
        for client in clients:
            client.wait_caught_up(total, 30, "every message on every client")
        own = {c.sid: set() for c in clients}  # type: dict[str | None, set[int]]
        by_sender = {m["client_id"]: m["seq"] for m in acked}
        for index, client in enumerate(senders):
            own[client.sid] = {by_sender[f"s{index}-{n}"] for n in range(per_sender)}
        for client in clients:
            others = set(range(1, total + 1)) - own[client.sid]
            assert {seq: client.live[seq] for seq in others} == dict.fromkeys(others, 1), "each live once"
            assert not any(client.live[seq] for seq in own[client.sid]), "the sender gets its own in the ack"
        # Presence agrees on every instance: ask one client per instance for the member list. With
        # PRESENCE_TTL_SECONDS=3 an instance starved of CPU for 3 s sees its people swept offline
        # by another until its next renewal puts them back, so agreement may take a tick or two.
        for member in cluster.members:
            client = next(c for i, c in enumerate(clients) if i % len(urls) == member.index)
            online: set[str] = set()
            for _ in range(20):
                online = {
                    m["username"] for m in client.ask("join", {"room": "general"})["members"] if m["online"]
                }
                if set(names) <= online:
                    break
                time.sleep(0.5)
            assert set(names) <= online, f"instance {member.index} sees {len(online)} online"
    finally:
        close_all(clients)


def test_clients_of_a_killed_instance_reconnect_elsewhere_and_miss_nothing(cluster: Cluster) -> None:
    start = max(stored_seqs(cluster), default=0)
    clients = clients_for(cluster, [f"kill{n}" for n in range(9)], [cluster.url])
    victim = instance_of(cluster, clients[0])
    survivor = next(m for m in cluster.members if m.index != victim)
    ghost = clients_for(cluster, ["ghost"], [cluster.members[victim].url], reconnect=False)[0]
    observer = clients_for(cluster, ["observer"], [survivor.url])[0]
    try:
        wait_until(
            lambda: (
                {"username": "ghost", "room": "general", "online": True} in observer.presence
                or "ghost"
                in {
                    m["username"] for m in observer.ask("join", {"room": "general"})["members"] if m["online"]
                }
            ),
            10,
            "ghost online",
        )
        cluster.kill_instance(victim)  # kill -9: no disconnect handlers run
        for n in range(5):
            observer.send(f"while {victim} is down {n}", f"down-{n}")
        last = start + 5
        for client in clients:
            try:
                client.wait_caught_up(last, 45, "full history after the reconnect")
            except AssertionError as late:
                states = [(c.contiguous(), c.disconnects, c.joins, c.sio.connected) for c in clients]
                raise AssertionError(
                    f"{late}; (contiguous, disconnects, joins, connected): {states}"
                ) from None
            assert sorted(client.messages) == list(range(1, last + 1))
        assert clients[0].disconnects >= 1, "the victim's clients were cut off and came back"
        offline = {"room": "general", "username": "ghost", "online": False}
        wait_until(lambda: offline in observer.presence, 60, "ghost shown offline after the kill")
        seen = len(observer.presence)
        returned = ResumingClient(cluster.url, login_cookie(cluster.url, "ghost")).connect()
        online = {"room": "general", "username": "ghost", "online": True}
        wait_until(lambda: online in observer.presence[seen:], 15, "ghost back online from another instance")
        returned.close()
    finally:
        close_all([*clients, ghost, observer])
        cluster.start_instance(victim)


def test_a_redis_outage_loses_no_message_and_fan_out_resumes(tmp_path: Path) -> None:
    require_nginx()
    with (
        PrivateRedis(tmp_path) as private,
        scratch_postgres_database() as database_url,
        local_cluster(tmp_path / "cluster", 2, database_url, private.url) as nodes,
    ):
        one, two = (m.url for m in nodes.members)
        ada = ResumingClient(one, register_cookie(nodes.url, "ada")).connect()
        bob = ResumingClient(two, register_cookie(nodes.url, "bob")).connect()
        try:
            ada.send("before the outage", "r0")
            wait_until(lambda: bob.contiguous() >= 1, 10, "live fan-out before the outage")
            private.kill()
            for n in range(1, 4):
                ack = ada.send(f"during the outage {n}", f"r{n}")
                assert ack["ok"], "accepted and stored on its instance"
                assert ack["message"]["seq"] == n + 1, "accepted and stored on its instance"
            assert stored_seqs(nodes) == [1, 2, 3, 4]
            private.start()
            # Nobody sends anything more: bob's instance re-delivers what was stored
            # while it was cut off, when its subscriber is back or, if sooner, when its
            # upkeep finds the room behind the database for a whole tick.
            wait_until(lambda: bob.contiguous() >= 4, 45, "the missed messages re-delivered")
            assert sorted(bob.messages) == [1, 2, 3, 4]
            ack = ada.send("after the outage", "r-after")
            wait_until(lambda: bob.live[ack["message"]["seq"]] == 1, 15, "live fan-out resumed")
            for member in nodes.members:
                assert member.process is not None, "no instance crashed"
                assert member.process.poll() is None, "no instance crashed"
            logs = "".join(m.log_path.read_text(errors="replace") for m in nodes.members)
            assert "Cannot receive from redis" in logs
            assert logs.count("subscribed to the Redis message queue") >= 4, "each subscriber re-subscribed"
            assert re.search(r"re-delivered \d messages of general \((queue back|reconcile)\)", logs)
        finally:
            close_all([ada, bob])


def test_a_database_outage_is_answered_unavailable_and_nothing_is_half_stored(tmp_path: Path) -> None:
    require_nginx()
    with (
        scratch_postgres_database() as database_url,
        TcpProxy(("127.0.0.1", 5432)) as proxy,
        local_cluster(tmp_path / "cluster", 1, proxy.reroute(database_url), "") as nodes,
    ):
        ada = ResumingClient(nodes.url, register_cookie(nodes.url, "ada")).connect()
        try:
            assert ada.send("stored", "d1")["message"]["seq"] == 1
            proxy.cut()
            started = time.monotonic()
            ack = ada.ask("message", {"room": "general", "text": "during", "client_id": "d2"})
            assert ack == {
                "ok": False,
                "error": {"code": "unavailable", "message": ack["error"]["message"]},
            }
            assert time.monotonic() - started < 10, "the refusal comes promptly"
            with urllib.request.urlopen(f"{nodes.url}/healthz", timeout=5) as alive:
                assert alive.status == 200
            with pytest.raises(urllib.error.HTTPError) as not_ready:
                urllib.request.urlopen(f"{nodes.url}/readyz", timeout=10)
            assert not_ready.value.code == 503
            assert b"database" in not_ready.value.read()
            not_ready.value.close()
            proxy.restore()
            retried = ada.send("during", "d2")  # the client's retry, same client_id
            assert (retried["message"]["seq"], retried["duplicate"]) == (2, False)
            assert stored_seqs(nodes) == [1, 2], "nothing was half-stored"
            with psycopg.connect(database_url) as conn:
                row = conn.execute("SELECT last_seq FROM rooms WHERE slug = 'general'").fetchone()
            assert row is not None
            assert row[0] == 2
        finally:
            ada.close()


def test_sigterm_hands_clients_to_another_instance_and_loses_no_acked_message(cluster: Cluster) -> None:
    writer = clients_for(cluster, ["drainer"], [cluster.url])[0]
    reader = clients_for(cluster, ["drainreader"], [cluster.url])[0]
    victim = instance_of(cluster, writer)
    start = max(stored_seqs(cluster), default=0)
    acked: list[int] = []

    def talk() -> None:
        for n in range(40):
            acked.append(writer.send(f"through the drain {n}", f"drain-{n}")["message"]["seq"])
            time.sleep(0.05)

    sender = threading.Thread(target=talk)
    try:
        sender.start()
        wait_until(lambda: len(acked) >= 10, 20, "traffic before the SIGTERM")
        began = time.monotonic()
        cluster.kill_instance(victim, signal.SIGTERM)
        assert time.monotonic() - began < 15, "the instance exits within its grace period"
        sender.join(timeout=90)
        assert not sender.is_alive()
        assert writer.disconnects >= 1, "the writer was handed over"
        assert sorted(acked) == list(range(start + 1, start + 41))
        stored = stored_seqs(cluster)
        assert set(acked) <= set(stored)
        assert stored == list(range(1, len(stored) + 1))
        last = start + 40
        wait_until(lambda: reader.contiguous() >= last, 30, "the reader has everything")
        assert [reader.messages[s]["client_id"] for s in acked] == [f"drain-{n}" for n in range(40)]
        log = cluster.members[victim].log_path.read_text(errors="replace")
        assert "draining: asking" in log
    finally:
        close_all([writer, reader])
        cluster.start_instance(victim)


def test_a_message_whose_publish_was_lost_still_reaches_every_instance(cluster: Cluster) -> None:
    """Pub/sub can drop a publish without a sign on the receiving side. Each instance's upkeep
    notices a room whose stored seq stays ahead of what it delivered and catches its sockets up,
    without waiting for the room's next message (which a quiet room may never get)."""
    caught_up = "re-delivered 1 messages of general (reconcile)"

    def logged() -> int:
        return sum(m.log_path.read_text(errors="replace").count(caught_up) for m in cluster.members)

    urls = [member.url for member in cluster.members]
    clients = clients_for(cluster, [f"quiet{n}" for n in range(3)], urls)
    before = logged()
    try:
        assert {instance_of(cluster, client) for client in clients} == {m.index for m in cluster.members}
        # Stored the way post_message stores, but never published: as if the publish was lost.
        with psycopg.connect(cluster.database_url) as conn:
            row = conn.execute(
                "WITH bumped AS (UPDATE rooms SET last_seq = last_seq + 1, last_rev = last_rev + 1"
                " WHERE slug = 'general' RETURNING id, last_seq, last_rev)"
                " INSERT INTO messages (room_id, seq, rev, user_id, client_id, text, html, created_at)"
                " SELECT bumped.id, bumped.last_seq, bumped.last_rev, users.id, 'never-published',"
                " 'behind the queue', '<p>behind the queue</p>', now()"
                " FROM bumped, users WHERE users.username = 'quiet0' RETURNING seq"
            ).fetchone()
        assert row is not None
        seq = row[0]
        # PRESENCE_TTL_SECONDS=3: an upkeep tick every second; the second tick finds the room stuck.
        wait_until(lambda: all(seq in client.live for client in clients), 15, f"seq {seq} on every instance")
        time.sleep(3)  # a few more ticks: caught up means delivered once, not on every tick
        assert [client.live[seq] for client in clients] == [1, 1, 1]
        assert [client.messages[seq]["text"] for client in clients] == ["behind the queue"] * 3
        assert logged() - before == 3
    finally:
        close_all(clients)


def test_a_client_back_on_another_instance_gets_each_change_made_while_away_once(cluster: Cluster) -> None:
    """Edits, a deletion and reactions made through one instance while a client was away reach it,
    resuming on a third instance with since and since_rev, each once and in its stored state."""
    first, second, third = (member.url for member in cluster.members)
    away, editor = clients_for(cluster, ["wanderer", "editor"], [first, second])
    opened = [away, editor]
    try:
        sent = [editor.send(f"plan {n}", f"plan-{n}")["message"] for n in range(4)]
        last = sent[-1]["seq"]
        away.wait_caught_up(last, 15, "the plans before going away")
        away.close()
        edited, deleted, liked, _untouched = (message["seq"] for message in sent)
        assert editor.change("edit", {"seq": edited, "text": "plan 0, revised"})["ok"]
        assert editor.change("edit", {"seq": edited, "text": "plan 0, final"})["ok"]
        assert editor.change("delete", {"seq": deleted})["ok"]
        assert editor.change("react", {"seq": liked, "emoji": "\U0001f389", "on": True})["ok"]
        back = ResumingClient(third, login_cookie(cluster.url, "wanderer"))
        opened.append(back)
        back.messages, back.last_rev = dict(away.messages), away.last_rev  # what it held when it left
        back.connect()
        history = stored_messages(cluster.database_url)
        wait_until(lambda: held_messages(back, history[-1][0]) == history, 10, "the stored states")
        assert back.resumed == {edited: 1, deleted: 1, liked: 1}, "each change once, in the join's answer"
        assert back.messages[deleted]["deleted"] is True
        assert back.messages[liked]["reactions"] == [{"emoji": "\U0001f389", "usernames": ["editor"]}]
    finally:
        close_all(opened)


def test_a_read_and_a_new_membership_reach_the_persons_sockets_on_every_instance(cluster: Cluster) -> None:
    """Read marks clear badges everywhere, and a room one was added to is followed on every
    instance at once: its activity reaches sidebars held by other processes."""
    first, second, third = (member.url for member in cluster.members)
    reader_cookie, owner_cookie = (
        register_cookie(cluster.url, "reader"),
        register_cookie(cluster.url, "owner"),
    )
    owner = ResumingClient(first, owner_cookie)
    reading_tab = ResumingClient(second, reader_cookie).connect()
    sidebar = Recorder("reader's other tab")
    other_tab = ChatClient(third, login_cookie(cluster.url, "reader"), recorder=sidebar).connect()
    try:
        owner.connect()
        seq = owner.send("please read", "please-read")["message"]["seq"]
        assert reading_tab.ask("read", {"room": "general", "seq": seq})["last_read_seq"] == seq
        sidebar.wait_event("read", lambda e: e == {"room": "general", "last_read_seq": seq}, timeout=1.0)
        with FormSession(cluster.url, owner_cookie) as page:
            created = page.submit("/rooms", {"name": "Launch plan", "private": "1"})
            assert created.status_code == 302
            slug = created.headers["Location"].rsplit("/r/", 1)[1]  # a private room's address has a suffix
            added = page.submit(f"/r/{slug}/members", {"username": "reader"}, token=page.token(f"/r/{slug}"))
            assert added.status_code == 303
        sidebar.wait_event("activity", lambda e: e["room"] == slug, timeout=5.0)
        planner = ResumingClient(first, owner_cookie, room=slug).connect()
        try:
            planner.send("first item", "plan-1")
            sidebar.wait_event(
                "activity",
                lambda e: e == {"room": slug, "last_seq": 1, "mention": False, "username": "owner"},
            )
        finally:
            planner.close()
    finally:
        close_all([owner, reading_tab])
        other_tab.close()


def test_a_removal_ends_the_removed_persons_live_events_on_every_instance_within_a_second(
    cluster: Cluster,
) -> None:
    """The removed person's sockets on two instances leave the room when an admin on a third removes them."""
    runner_cookie, removed_cookie = (
        register_cookie(cluster.url, "runner"),
        register_cookie(cluster.url, "removee"),
    )
    with FormSession(cluster.members[2].url, runner_cookie) as page:
        created = page.submit("/rooms", {"name": "Short list", "private": "1"})
        slug = created.headers["Location"].rsplit("/r/", 1)[1]
        settings = f"/r/{slug}/settings"
        assert (
            page.submit(f"/r/{slug}/members", {"username": "removee"}, token=page.token(settings)).status_code
            == 303
        )
        runner = ResumingClient(cluster.members[2].url, runner_cookie, room=slug).connect()
        recorders = [Recorder(f"removee on instance {n}") for n in (0, 1)]
        tabs = [
            ChatClient(cluster.members[n].url, removed_cookie, recorder=recorders[n]).connect()
            for n in (0, 1)
        ]
        try:
            for tab in tabs:
                assert tab.ask("join", {"room": slug})["ok"]
            seq = runner.send("still with us", "before")["message"]["seq"]
            for recorder in recorders:
                recorder.wait_event("message", lambda m: m["seq"] == seq, timeout=5.0)
            removed = page.submit(
                f"/r/{slug}/members/remove", {"username": "removee"}, token=page.token(settings)
            )
            assert removed.status_code == 303
            for recorder in recorders:
                told = recorder.wait_event("membership_ended", lambda e: e["room"] == slug, timeout=1.0)
                assert told == {"room": slug, "reason": "removed"}
            after = runner.send("without you", "after")["message"]["seq"]
            time.sleep(1.0)  # what would still arrive has arrived by now
            for recorder in recorders:
                assert [m["seq"] for m in recorder.of("message")] == [seq], f"{recorder.name}: nothing after"
                assert not [e for e in recorder.of("typing") + recorder.of("activity") if e["room"] == slug]
            for tab in tabs:
                assert tab.ask("message", {"room": slug, "text": "hello?", "client_id": "late"})["error"][
                    "code"
                ] == ("not_found")
            assert after == seq + 1
        finally:
            runner.close()
            for tab in tabs:
                tab.close()


def test_a_change_whose_publish_was_lost_still_reaches_every_instance(cluster: Cluster) -> None:
    """A lost change leaves no seq gap for clients to notice: the instances find it by the room's rev."""
    clients = clients_for(cluster, [f"editor{n}" for n in range(3)], [m.url for m in cluster.members])
    try:
        sent = clients[0].send("first draft", "draft-1")["message"]
        wait_until(
            lambda: all(sent["seq"] in client.messages for client in clients), 10, "the draft everywhere"
        )
        # Changed the way an edit changes a message, but never published: as if the publish was lost.
        with psycopg.connect(cluster.database_url) as conn:
            conn.execute(
                "WITH bumped AS (UPDATE rooms SET last_rev = last_rev + 1 WHERE slug = 'general'"
                " RETURNING id, last_rev)"
                " UPDATE messages SET text = 'final', html = '<p>final</p>', rev = bumped.last_rev,"
                " edited_at = now() FROM bumped WHERE messages.room_id = bumped.id AND messages.seq = %s",
                (sent["seq"],),
            )
        wait_until(
            lambda: all(client.messages[sent["seq"]]["text"] == "final" for client in clients),
            15,
            "the lost edit on every instance",
        )
        assert [client.messages[sent["seq"]]["rev"] for client in clients] == [sent["rev"] + 1] * 3
    finally:
        close_all(clients)


def test_logging_out_on_one_instance_ends_that_logins_sockets_on_every_instance(cluster: Cluster) -> None:
    cookie = register_cookie(cluster.url, "leaver")
    other_device = login_cookie(cluster.url, "leaver")
    tabs = [ResumingClient(member.url, cookie, reconnect=False).connect() for member in cluster.members[:2]]
    elsewhere = ResumingClient(cluster.members[2].url, other_device, reconnect=False).connect()
    try:
        logout(cluster.members[2].url, cookie)  # through the instance that holds neither tab
        wait_until(lambda: all(tab.disconnects == 1 for tab in tabs), 10, "both tabs disconnected")
        assert elsewhere.disconnects == 0
        assert elsewhere.send("still here", "after-the-logout")["ok"]
    finally:
        close_all([*tabs, elsewhere])


def test_presence_is_per_person_across_instances_and_pages(cluster: Cluster) -> None:
    """pia is online in general while any socket of hers is connected, on any instance, in a room or not."""
    first, second, third = (member.url for member in cluster.members)
    watcher = clients_for(cluster, ["watcher"], [second])[0]
    cookie = register_cookie(cluster.url, "pia")
    online = {"room": "general", "username": "pia", "online": True}
    offline = {**online, "online": False}
    sockets: list[ChatClient] = []
    try:
        visit = ResumingClient(first, cookie).connect()  # her first join makes her a member
        wait_until(lambda: online in watcher.presence, 15, "pia online as she joins")
        visit.close()
        wait_until(lambda: offline in watcher.presence, 15, "pia offline after her first visit")
        seen = len(watcher.presence)
        sockets.append(ChatClient(third, cookie, transports=["websocket"]).connect())  # the room list
        wait_until(
            lambda: online in watcher.presence[seen:], 15, "pia online from a page that joined nothing"
        )
        another_tab = ChatClient(first, cookie, transports=["websocket"]).connect()
        another_tab.close()  # on another instance, closed: she is still online
        time.sleep(2.0)  # four ticks
        assert offline not in watcher.presence[seen:], "her other socket keeps her online"
        members = {m["username"]: m["online"] for m in watcher.ask("join", {"room": "general"})["members"]}
        assert members["pia"] is True
        sockets.pop().close()
        wait_until(lambda: offline in watcher.presence[seen:], 15, "pia offline once her last socket closed")
        assert all(set(event) == {"room", "changes"} for event in watcher.presence_events)
    finally:
        for sock in sockets:
            sock.close()
        close_all([watcher])


def test_people_of_an_instance_held_up_past_the_lapse_time_come_back_online(cluster: Cluster) -> None:
    """An instance paused longer than PRESENCE_TTL_SECONDS (3): its people are swept offline, then back."""
    first, second, _ = cluster.members
    watcher = clients_for(cluster, ["holdwatch"], [second.url])[0]
    held = clients_for(cluster, ["holdup"], [first.url])[0]
    online = {"room": "general", "username": "holdup", "online": True}
    offline = {**online, "online": False}
    try:
        wait_until(
            lambda: (
                "holdup"
                in {m["username"] for m in watcher.ask("join", {"room": "general"})["members"] if m["online"]}
            ),
            10,
            "holdup online",
        )
        seen = len(watcher.presence)
        first.signal_group(signal.SIGSTOP)
        try:
            wait_until(lambda: offline in watcher.presence[seen:], 15, "holdup swept offline while held up")
        finally:
            first.signal_group(signal.SIGCONT)
        swept = watcher.presence.index(offline, seen)
        wait_until(lambda: online in watcher.presence[swept:], 15, "holdup back online, same socket")
        assert held.disconnects == 0, "the held-up instance's client never reconnected"
    finally:
        close_all([watcher, held])
