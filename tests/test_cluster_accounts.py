"""Sessions end everywhere: two real instances on one Redis and one PostgreSQL.

A session cookie copied to another client (a stolen cookie) works on both
instances until its owner logs out everywhere, through one of them; then
every socket opened with it closes, on both instances, within a second or
two, and both instances refuse it for pages and for new sockets. An admin
disabling an account through one instance ends its sockets on the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import socketio

from deploy.cluster import Cluster
from tests.support.chat_client import ChatClient, wait_until
from tests.support.cluster import cluster_on_redis
from tests.support.forms import HTTP_TIMEOUT, PASSWORD, FormSession, login_cookie, register_cookie

pytestmark = pytest.mark.server

REDIS_DB = 12  # this module's own database number on the shared Redis
# How long closing a login's sockets may take across instances (the queue's hop, and a busy machine).
ENDED_WITHIN_SECONDS = 2.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two instances on a scratch PostgreSQL database and a flushed Redis database."""
    with cluster_on_redis(tmp_path_factory.mktemp("pair"), 2, REDIS_DB) as nodes:
        register_cookie(nodes.members[0].url, "boss")  # the first account: the site admin
        yield nodes


def page_status(url: str, cookie: str) -> int:
    """The status of ``/settings`` for ``cookie`` (200: logged in; 302: sent to log in)."""
    response = requests.get(
        f"{url}/settings", headers={"Cookie": cookie}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    return response.status_code


def socket_refused(url: str, cookie: str) -> bool:
    """Whether a new socket with ``cookie`` is refused."""
    try:
        ChatClient(url, cookie).connect().close()
    except socketio.exceptions.ConnectionError:
        return True
    return False


def test_a_copied_cookie_is_refused_on_both_instances_after_logging_out_everywhere(pair: Cluster) -> None:
    first, second = (member.url for member in pair.members)
    cookie = register_cookie(first, "roamer")
    copied = cookie  # the same cookie in a thief's client
    other_device = login_cookie(second, "roamer")
    sockets = [ChatClient(first, cookie).connect(), ChatClient(second, copied).connect()]
    sockets.append(ChatClient(first, other_device).connect())
    try:
        assert [page_status(url, copied) for url in (first, second)] == [200, 200]
        with FormSession(second, other_device) as owner:
            response = owner.submit("/settings/logout-everywhere", {}, token=owner.token("/settings"))
        assert response.status_code == 303
        ended_at = time.monotonic()
        wait_until(lambda: all(s.disconnects == 1 for s in sockets), 10, "every socket of roamer closed")
        assert time.monotonic() - ended_at < ENDED_WITHIN_SECONDS
        for url in (first, second):
            for refused in (copied, other_device):
                assert page_status(url, refused) == 302
                assert socket_refused(url, refused)
    finally:
        for sock in sockets:
            sock.close()


def test_disabling_an_account_through_one_instance_ends_its_sockets_on_the_other(pair: Cluster) -> None:
    first, second = (member.url for member in pair.members)
    cookie = register_cookie(first, "leaver")
    sock = ChatClient(first, cookie).connect()
    try:
        with FormSession(second, login_cookie(second, "boss")) as admin:
            response = admin.submit("/admin/people/leaver/disable", {}, token=admin.token("/admin"))
        assert response.status_code == 303
        wait_until(lambda: sock.disconnects == 1, ENDED_WITHIN_SECONDS, "leaver's socket closed")
        assert page_status(first, cookie) == 302
        assert socket_refused(first, cookie)
        with FormSession(first) as again:
            refused = again.submit("/login", {"username": "leaver", "password": PASSWORD})
        assert refused.status_code == 403
    finally:
        sock.close()
