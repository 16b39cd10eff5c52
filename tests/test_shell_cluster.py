"""The app shell across instances, in real Chromium: two instances on one Redis and one PostgreSQL.

A person's tabs are on different instances (as a load balancer would spread
them): a message and a mention stored through one instance raise the sidebar
counts on the other, reading on one clears them on the other within a second,
and a room someone is added to on one appears on the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import CHROMIUM, SOCKETIO_JS, Account, Tabs, launch_chromium, unique, wait_online
from tests.support.cluster import cluster_on_redis
from tests.support.services import require
from tests.support.shell import badges, sidebar_page, wait_badges

if TYPE_CHECKING:  # annotations only
    pass

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]

REDIS_DB = 14  # this module's own database number on the shared Redis


@dataclass(frozen=True)
class Instance:
    """One instance of the cluster, addressed directly (no balancer between the tab and it)."""

    base_url: str


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instance]]:
    require(sync_playwright is not None, "Playwright for Python")
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    require(SOCKETIO_JS.exists(), "the vendored socket.io-client (npm ci)")
    with cluster_on_redis(tmp_path_factory.mktemp("shell-cluster"), 2, REDIS_DB) as cluster:
        yield [Instance(f"http://127.0.0.1:{member.port}") for member in cluster.members]


@pytest.fixture(scope="module")
def browser(instances: list[Instance]) -> Iterator[Callable[[Instance], Tabs]]:
    del instances  # asked for so that the instances start first and Chromium closes before they stop
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield lambda instance: Tabs(chromium, instance)
        finally:
            chromium.close()


@pytest.fixture
def tabs_on(browser: Callable[[Instance], Tabs], instances: list[Instance]) -> Iterator[list[Tabs]]:
    """Fresh tabs on each instance: ``tabs_on[0]`` opens pages on the first, ``tabs_on[1]`` on the second."""
    opened = [browser(instance) for instance in instances]
    try:
        yield opened
    finally:
        for tabs in opened:
            tabs.close()
    errors = [error for tabs in opened for error in tabs.errors]
    assert not errors, f"script errors on the page: {errors}"


def test_counts_and_read_marks_follow_a_person_across_instances(
    instances: list[Instance], tabs_on: list[Tabs]
) -> None:
    first, second = instances
    ada, bob = Account(first, unique("ada")), Account(second, unique("bob"))
    try:
        slug = bob.create_room(unique("plans "))
        opened = tabs_on[0].room(ada, slug)  # Ada becomes a member through the first instance
        opened.close()
        ada_first = sidebar_page(tabs_on[0], ada)
        ada_second = sidebar_page(tabs_on[1], ada)

        # Stored through the second instance: both of Ada's tabs count it, mention included.
        bob.say(slug, "minutes are up")
        bob.say(slug, f"@{ada.username} can you check the numbers?")
        for page in (ada_first, ada_second):
            wait_badges(page, slug, 2, 1)

        # Ada reads on the second instance: the first instance's tab clears within a second.
        reader = tabs_on[1].room(ada, slug)
        wait_online(reader)
        wait_badges(ada_first, slug, 0, 0, timeout=1000)
        reader.close()

        # A private room Bob adds her to (on the second instance) appears on the first at once.
        private = bob.create_room(unique("secret "), private=True)
        bob.post(f"/r/{private}/members", {"username": ada.username})
        ada_first.wait_for_selector(f'#sidebar li[data-room="{private}"]')
        bob.say(private, "welcome in")
        wait_badges(ada_first, private, 1)
        assert badges(sidebar_page(tabs_on[1], ada), private) == {"unread": 1, "mentions": 0}
    finally:
        ada.close()
        bob.close()
