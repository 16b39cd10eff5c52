"""The real thing: the Procfile's server (and ``python app.py``) on a port, real clients over the wire.

Each test starts its own server process with its own database, logs in
through the HTML form and talks Socket.IO over websocket and long-polling,
as a browser or a script would. ``tests/support/`` holds the machinery.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import socketio
import websocket

from tests.support.chat_client import Recorder, close_websocket, connect
from tests.support.forms import create_users, login_cookie
from tests.support.server import ServerProcess, sqlite_url
from tests.support.services import scratch_postgres_database

pytestmark = [pytest.mark.server, pytest.mark.timeout(60)]

KIB = 1024


def assert_clean_exit(process: ServerProcess) -> None:
    """Gunicorn ends with 0 on SIGTERM, within the launcher's bounded wait (no SIGKILL needed)."""
    assert process.process is not None
    assert process.process.returncode == 0, f"exit code {process.process.returncode}\n{process.log_tail()}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh Procfile web server on SQLite, with the accounts ada and bob."""
    with ServerProcess(sqlite_url(tmp_path), tmp_path, name="procfile") as process:
        create_users(process.base_url, "ada", "bob")
        yield process
    assert_clean_exit(process)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """One Procfile server (and ada's and bob's session cookies) for the tests that need no fresh state.

    Each server start costs three imports of the app (two ``flask`` commands and
    gunicorn), seconds on a busy machine. Tests on this server count seqs from
    their own join and do not look at presence, so they do not depend on each other.
    """
    directory = tmp_path_factory.mktemp("shared")
    with ServerProcess(sqlite_url(directory), directory, name="procfile-shared") as process:
        create_users(process.base_url, "ada", "bob")
        yield process, {name: login_cookie(process.base_url, name) for name in ("ada", "bob")}
    assert_clean_exit(process)


def message(room: str, text: str, client_id: str | None = None) -> dict[str, str]:
    return {"room": room, "text": text, "client_id": client_id or uuid.uuid4().hex}


def sent_ok(ack: Any) -> dict[str, Any]:
    """The stored message of a successful ``message`` acknowledgement."""
    assert isinstance(ack, dict), ack
    assert ack.get("ok") is True, ack
    stored: dict[str, Any] = ack["message"]
    return stored


def refused(ack: Any, code: str) -> None:
    assert isinstance(ack, dict), ack
    assert ack.get("ok") is False, ack
    assert ack["error"]["code"] == code, ack
    assert isinstance(ack["error"]["message"], str), ack
    assert ack["error"]["message"], ack


def presence(recorder: Recorder, username: str, online: bool, room: str = "general") -> Any:
    """Wait for a ``presence`` event of ``room`` that says ``username`` is (or is not) online."""
    change = {"username": username, "online": online}
    return recorder.wait_event("presence", lambda p: p["room"] == room and change in p["changes"])


def first_websocket_frame(base_url: str, origin: str, cookie: str) -> str:
    """The first frame a bare Engine.IO websocket gets (``0{...}`` opens a session), or ``""``."""
    url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, origin=origin, cookie=cookie, timeout=5)
    try:
        frame = ws.recv()
    except websocket.WebSocketConnectionClosedException:
        frame = ""
    finally:
        close_websocket(ws)
    return frame if isinstance(frame, str) else frame.decode()


def healthz_seconds(base_url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}
    return time.monotonic() - started


# -- 1. a conversation, a disconnect, a resume ----------------------------------------------


def test_two_users_chat_live_and_a_reconnect_resumes_without_loss(server: ServerProcess) -> None:
    base = server.base_url
    ada_cookie, bob_cookie = login_cookie(base, "ada"), login_cookie(base, "bob")
    ada_sees, bob_sees = Recorder("ada"), Recorder("bob")

    with (
        connect(base, ada_cookie, ["websocket"], recorder=ada_sees) as ada,
        connect(base, bob_cookie, recorder=bob_sees) as bob,  # polling, then the upgrade
    ):
        assert ada.transport() == "websocket"

        joined = ada.ask("join", {"room": "general"})
        assert joined["ok"] is True, joined
        assert joined["room"] == {
            "slug": "general",
            "name": "general",
            "kind": "public",
            "topic": "",
            "archived": False,
        }
        assert joined["messages"] == []
        assert joined["last_seq"] == 0
        assert joined["has_more"] is False
        assert {"username": "ada", "display_name": None, "online": True} in joined["members"]

        joined = bob.ask("join", {"room": "general", "since": 0})
        assert joined["ok"] is True, joined
        members = {m["username"]: m["online"] for m in joined["members"]}
        assert members == {"ada": True, "bob": True}
        presence(ada_sees, "bob", online=True)

        # ada -> bob: the ack carries the stored message; bob gets the same object live.
        first = sent_ok(ada.ask("message", message("general", "  hi <b>bob</b>\n", "ada-1")))
        assert (first["seq"], first["username"], first["text"]) == (1, "ada", "hi <b>bob</b>")
        assert first["client_id"] == "ada-1"
        assert first["room"] == "general"
        assert bob_sees.wait_event("message") == first

        # bob -> ada, over the other transport.
        reply = sent_ok(bob.ask("message", message("general", "hello ada", "bob-1")))
        assert (reply["seq"], reply["username"]) == (2, "bob")
        assert ada_sees.wait_event("message") == reply
        # Each socket's own message came in its ack only: by the time ada has bob's reply,
        # an echo of hers (emitted earlier on the same socket) would already be here.
        assert ada_sees.of("message") == [reply]
        assert bob_sees.of("message") == [first]

        bob_last_seq = max(m["seq"] for m in [*bob_sees.of("message"), reply])  # contiguous: 1, 2
        bob.close()
        presence(ada_sees, "bob", online=False)

        missed = [sent_ok(ada.ask("message", message("general", f"missed {n}"))) for n in range(3)]
        assert [m["seq"] for m in missed] == [3, 4, 5]

        # A new client, plain long-polling this time, resumes from bob's last seq.
        bob_again_sees = Recorder("bob again")
        with connect(base, bob_cookie, ["polling"], recorder=bob_again_sees) as bob_again:
            assert bob_again.transport() == "polling"
            resumed = bob_again.ask("join", {"room": "general", "since": bob_last_seq})
            assert resumed["ok"] is True, resumed
            assert resumed["messages"] == missed  # exactly the missed ones, in order, once each
            assert resumed["has_more"] is False
            assert resumed["last_seq"] == 5
            presence(ada_sees, "bob", online=True)

            live = sent_ok(ada.ask("message", message("general", "welcome back")))
            assert live["seq"] == 6
            assert bob_again_sees.wait_event("message") == live
            assert bob_again_sees.of("message") == [live]


# -- 2. exactly once over the wire ----------------------------------------------------------


def test_a_retried_client_id_is_stored_and_delivered_once(
    shared: tuple[ServerProcess, dict[str, str]],
) -> None:
    (server, cookies), bob_sees = shared, Recorder("bob")
    with (
        connect(server.base_url, cookies["ada"], ["websocket"]) as ada,
        connect(server.base_url, cookies["bob"], recorder=bob_sees) as bob,
    ):
        assert bob.ask("join", {"room": "general"})["ok"] is True
        start = ada.ask("join", {"room": "general"})["last_seq"]

        retry_1, retry_2 = f"retry-1-{uuid.uuid4().hex}", f"retry-2-{uuid.uuid4().hex}"
        first = ada.ask("message", message("general", "only once", retry_1))
        again = ada.ask("message", message("general", "only once", retry_1))
        assert first["duplicate"] is False, (first, again)
        assert again["duplicate"] is True, (first, again)
        assert sent_ok(again) == sent_ok(first)
        assert first["message"]["seq"] == start + 1

        # Two sends of one client_id in flight at once (a retry racing its original).
        racing = [ada.emit("message", message("general", "racing", retry_2)) for _ in range(2)]
        acks = [pending.wait() for pending in racing]
        assert sorted(ack["duplicate"] for ack in acks) == [False, True], acks
        assert sent_ok(acks[0]) == sent_ok(acks[1])
        assert acks[0]["message"]["seq"] == start + 2

        marker = sent_ok(ada.ask("message", message("general", "marker")))
        assert marker["seq"] == start + 3  # the retries used no seq
        bob_sees.wait_event("message", lambda m: m["seq"] == marker["seq"])
        assert [m["seq"] for m in bob_sees.of("message")] == [start + 1, start + 2, start + 3]
        assert bob_sees.of("message")[0] == first["message"]

        stored = ada.ask("history", {"room": "general", "after": start})
        assert [m["client_id"] for m in stored["messages"]] == [retry_1, retry_2, marker["client_id"]]


# -- 3. who may connect -------------------------------------------------------------------


def test_connections_need_a_session_and_a_browser_needs_our_origin(
    shared: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, cookies = shared
    base, cookie = server.base_url, cookies["ada"]
    for transports in (["polling"], ["websocket"]):
        refusal = Recorder("anonymous")
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(base, None, transports, recorder=refusal)
        if transports == ["polling"]:  # the app's own words, from the handshake's 401
            reason = refusal.wait_event("connect_error")
            assert "log in" in reason["message"].lower(), reason
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(base, "session=forged.cookie.value", transports)
    # A WebSocket handshake without a session is not upgraded: a 401 with the same words.
    url = base.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused_upgrade:
        websocket.create_connection(url, timeout=5)
    assert refused_upgrade.value.status_code == 401
    assert b"Log in first" in (refused_upgrade.value.resp_body or b"")

    evil, own = "http://evil.example", base
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(base, cookie, ["polling"], headers={"Origin": evil})
    # Over a bare websocket the Procfile's worker (gevent-websocket) completes the upgrade
    # before the app sees the request, so the refusal is a close before Engine.IO's open
    # packet (python-socketio's client reports that as a ValueError, and leaks the socket).
    assert first_websocket_frame(base, evil, cookie) == ""
    assert first_websocket_frame(base, own, cookie).startswith("0{")

    for client in (
        connect(base, cookie, ["polling"], headers={"Origin": own}),
        connect(base, cookie, ["websocket"], websocket_extra_options={"origin": own}),
        connect(base, cookie, ["polling"]),  # a script sends no Origin at all
    ):
        with client:
            assert client.ask("join", {"room": "general"})["ok"] is True


# -- 4. sizes -------------------------------------------------------------------------------


def test_an_oversized_frame_costs_only_its_own_connection(
    shared: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, cookies = shared
    base, ada_cookie = server.base_url, cookies["ada"]
    bob_sees = Recorder("bob")
    with connect(base, cookies["bob"], ["websocket"], recorder=bob_sees) as bob:
        assert bob.ask("join", {"room": "general"})["ok"] is True
        for transports in (["websocket"], ["polling"]):
            ada_sees = Recorder(f"ada on {transports[0]}")
            with connect(base, ada_cookie, transports, recorder=ada_sees) as ada:
                last_seq = ada.ask("join", {"room": "general"})["last_seq"]

                # Up to 64 KiB, every event is answered.
                text = "x" * (64 * KIB - 128)
                assert len(json.dumps(["message", message("general", text)])) <= 64 * KIB
                refused(ada.ask("message", message("general", text)), "too_long")
                refused(ada.ask("history", {"room": text[: 60 * KIB]}), "not_found")

                huge = ada.emit("message", message("general", "y" * (2 * KIB * KIB)), "ack of 2 MiB")
                ada_sees.wait_event("disconnect", timeout=15)
                assert not huge.done

            # Everyone else is still served, at once.
            assert healthz_seconds(base) < 1.0
            still = sent_ok(bob.ask("message", message("general", f"still here after {transports[0]}")))
            assert still["seq"] == last_seq + 1  # the huge message was not stored

            with connect(base, ada_cookie, transports) as ada_again:
                back = ada_again.ask("join", {"room": "general", "since": last_seq})
                assert back["messages"] == [still]
                assert (
                    sent_ok(ada_again.ask("message", message("general", "back again")))["seq"]
                    == still["seq"] + 1
                )
        assert bob_sees.of("disconnect") == []
    assert server.alive


# -- 5. python app.py under eventlet --------------------------------------------------------


def test_python_app_py_serves_under_eventlet(tmp_path: Path) -> None:
    eventlet = ServerProcess(
        sqlite_url(tmp_path),
        tmp_path,
        command="exec python app.py",
        extra_env={"ASYNC_MODE": "eventlet"},
        name="eventlet",
    )
    # ``python app.py`` only serves: the operator migrates and seeds first.
    eventlet.flask("db", "upgrade")
    eventlet.flask("rooms", "seed")
    with eventlet as process:
        base = process.base_url
        assert f"Parley serves {base}" in process.log_path.read_text(), "it says where it listens"
        create_users(base, "ada", "bob")
        bob_sees = Recorder("bob")
        with (
            connect(base, login_cookie(base, "ada"), ["websocket"]) as ada,
            connect(base, login_cookie(base, "bob"), ["polling"], recorder=bob_sees) as bob,
        ):
            assert bob.ask("join", {"room": "general"})["ok"] is True
            assert ada.ask("join", {"room": "general"})["ok"] is True
            ack = ada.ask("message", message("general", "hello from eventlet"))
            assert ack["duplicate"] is False
            assert sent_ok(ack)["seq"] == 1
            assert bob_sees.wait_event("message") == ack["message"]
    assert "gunicorn" not in process.log_text()


# -- 6. PostgreSQL: a waiting query does not stall the server -------------------------------


def lock_waiters(observer: psycopg.Connection[Any]) -> int:
    row = observer.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%UPDATE rooms%'"
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.postgres
def test_a_message_waiting_for_a_row_lock_does_not_stall_other_sockets(tmp_path: Path) -> None:
    with scratch_postgres_database() as url, ServerProcess(url, tmp_path, name="postgres") as server:
        server.flask("rooms", "create", "slowroom")
        create_users(server.base_url, "ada")
        base, cookie = server.base_url, login_cookie(server.base_url, "ada")
        with (
            connect(base, cookie, ["websocket"]) as in_general,
            connect(base, cookie, ["websocket"]) as in_slowroom,
            psycopg.connect(url) as locker,
            psycopg.connect(url, autocommit=True) as observer,
        ):
            general_seq = in_general.ask("join", {"room": "general"})["last_seq"]
            slow_seq = in_slowroom.ask("join", {"room": "slowroom"})["last_seq"]

            locker.execute("SELECT 1 FROM rooms WHERE slug = 'slowroom' FOR UPDATE")
            released: list[float] = []

            def hold_the_lock() -> None:
                try:
                    locker.execute("SELECT pg_sleep(3)")
                finally:
                    locker.rollback()
                    released.append(time.monotonic())

            holder = threading.Thread(target=hold_the_lock, name="row-lock holder")
            holder.start()
            try:
                slow = in_slowroom.emit("message", message("slowroom", "waits for the lock"), "slowroom ack")
                deadline = time.monotonic() + 2.0
                while lock_waiters(observer) == 0:
                    assert time.monotonic() < deadline, "the slowroom post never waited for the row lock"
                    time.sleep(0.02)

                fast = in_general.emit("message", message("general", "not stuck"), "general ack")
                fast_ack = fast.wait(5)
                health = healthz_seconds(base)
                slow_was_pending = not slow.done
                slow_ack = slow.wait(10)
            finally:
                holder.join(10)

        print(f"general ack {fast.elapsed:.3f} s, /healthz {health:.3f} s, slowroom ack {slow.elapsed:.3f} s")
        assert fast.elapsed < 1.0, f"general ack took {fast.elapsed:.2f} s while slowroom waited for the lock"
        assert health < 1.0, f"/healthz took {health:.2f} s while slowroom waited for the lock"
        assert slow_was_pending, "the slowroom post should still have been waiting for the lock"
        assert sent_ok(fast_ack)["seq"] == general_seq + 1
        assert sent_ok(slow_ack)["seq"] == slow_seq + 1
        assert slow.elapsed >= 2.5, f"slowroom ack after {slow.elapsed:.2f} s, before the lock was released"
        assert released
        assert slow.at is not None
        assert slow.at >= released[0] - 0.5
