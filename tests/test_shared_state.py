"""Presence and rate-limit stores: the in-process ones and the Redis ones behave alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from chat.live.presence import LocalPresence, RedisPresence
from chat.live.redis_client import fail_fast_options
from chat.live.throttles import LocalRateLimiter, RedisRateLimiter
from tests.support.services import REDIS_HOST, REDIS_PORT, port_open, require

REDIS_TEST_DB = 13


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The shared local Redis, on a database number of these tests' own, flushed."""
    require(port_open(REDIS_HOST, REDIS_PORT), f"Redis on {REDIS_HOST}:{REDIS_PORT}")
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_TEST_DB)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["local", "redis"])
def presence(request: pytest.FixtureRequest) -> Any:
    if request.param == "local":
        return LocalPresence()
    return RedisPresence(request.getfixturevalue("redis_client"), prefix="t")


def test_first_socket_connects_and_last_socket_disconnects(presence: Any) -> None:
    assert presence.connect("ada", "tab1") is True
    assert presence.connect("ada", "tab2") is False
    assert presence.connect("bob", "b1") is True
    assert presence.online_among(["ada", "bob", "eve"]) == {"ada", "bob"}
    assert presence.disconnect("ada", "tab1") is False
    assert presence.online_among(["ada", "bob"]) == {"ada", "bob"}
    assert presence.disconnect("ada", "tab2") is True
    assert presence.online_among(["ada", "bob"]) == {"bob"}
    assert presence.online_among([]) == set()


def test_disconnecting_twice_or_unknown_reports_nothing(presence: Any) -> None:
    presence.connect("ada", "tab1")
    assert presence.disconnect("ada", "tab1") is True
    assert presence.disconnect("ada", "tab1") is False
    assert presence.disconnect("nobody", "x") is False


def test_redis_presence_lapses_unless_renewed(redis_client: redis.Redis) -> None:
    alive = RedisPresence(redis_client, prefix="t", ttl=1.0)
    alive.connect("ada", "a1")  # ada's server keeps renewing
    alive.connect("bob", "b1")  # bob's server dies: nobody renews
    for _ in range(3):
        time.sleep(0.5)
        alive.renew([("ada", "a1")])
    assert alive.online_among(["ada", "bob"]) == {"ada"}
    assert alive.sweep() == ["bob"]
    assert alive.sweep() == [], "each lapse is reported once"
    assert alive.connect("bob", "b2") is True, "bob comes back on another server"


def test_renewing_after_a_sweep_reports_who_is_back(redis_client: redis.Redis) -> None:
    """A process held up past the lapse time: another sweeps its users offline, its next renewal brings them back."""
    held_up = RedisPresence(redis_client, prefix="t", ttl=0.5)
    other = RedisPresence(redis_client, prefix="t", ttl=0.5)
    held_up.connect("ada", "a1")
    held_up.connect("ada", "a2")
    held_up.connect("bob", "b1")
    assert held_up.renew([("ada", "a1"), ("ada", "a2"), ("bob", "b1")]) == [], "nobody had lapsed"
    time.sleep(0.6)
    assert sorted(other.sweep()) == ["ada", "bob"]
    assert held_up.online_among(["ada", "bob"]) == set()
    assert held_up.renew([("ada", "a1"), ("ada", "a2"), ("bob", "b1")]) == ["ada", "bob"], "each back once"
    assert held_up.online_among(["ada", "bob"]) == {"ada", "bob"}
    assert held_up.renew([("ada", "a1"), ("bob", "b1")]) == []
    assert other.sweep() == []


def test_a_lapsed_socket_elsewhere_does_not_keep_its_user_online(redis_client: redis.Redis) -> None:
    """bob had a socket on a server that died, and one here: closing this one is his last live one."""
    store = RedisPresence(redis_client, prefix="t", ttl=1.0)
    store.connect("bob", "on-dead-server")
    store.connect("bob", "here")
    time.sleep(1.1)
    store.renew([("bob", "here")])
    assert store.disconnect("bob", "here") is True


def test_two_processes_see_one_presence(redis_client: redis.Redis) -> None:
    one, two = RedisPresence(redis_client, prefix="t"), RedisPresence(redis_client, prefix="t")
    assert one.connect("ada", "on-one") is True
    assert two.connect("ada", "on-two") is False
    assert two.online_among(["ada"]) == one.online_among(["ada"]) == {"ada"}
    assert one.disconnect("ada", "on-one") is False
    assert two.disconnect("ada", "on-two") is True


def test_redis_presence_degrades_when_redis_is_gone() -> None:
    gone = RedisPresence(unreachable_redis(), prefix="t")
    assert gone.connect("ada", "a1") is False
    assert gone.online_among(["ada"]) == set()
    assert gone.sweep() == []


def unreachable_redis() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=1, **fail_fast_options())


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_local_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(burst=20, per_second=5, clock=clock)
    assert [limiter.allow("ada") for _ in range(21)] == [True] * 20 + [False]
    assert limiter.allow("bob"), "buckets are per user"
    clock.now += 1.0
    assert [limiter.allow("ada") for _ in range(6)] == [True] * 5 + [False]


def test_local_buckets_left_alone_until_full_again_are_dropped() -> None:
    """20,000 made-up names, one a second: only the buckets touched within twice the refill time are kept."""
    clock = FakeClock()
    limiter = LocalRateLimiter(burst=10, per_second=5 / 60, clock=clock)  # full again after 120 s
    sizes = []
    for n in range(20_000):
        assert limiter.allow(f"user:name-{n}")
        clock.now += 1.0
        sizes.append(len(limiter))
    assert max(sizes) <= 242, "twice the refill time: a bucket may be as deep in debt as its burst"
    assert [limiter.allow("user:name-19999") for _ in range(10)] == [True] * 9 + [False], "live ones stay"


def test_redis_bucket_is_shared_between_processes(redis_client: redis.Redis) -> None:
    one = RedisRateLimiter(redis_client, burst=4, per_second=0.01, prefix="t")
    two = RedisRateLimiter(redis_client, burst=4, per_second=0.01, prefix="t")
    assert [one.allow(1), two.allow(1), one.allow(1), two.allow(1)] == [True] * 4
    assert (one.allow(1), two.allow(1)) == (False, False)
    assert one.allow(2)


def test_redis_bucket_refills_at_the_rate(redis_client: redis.Redis) -> None:
    limiter = RedisRateLimiter(redis_client, burst=2, per_second=10, prefix="t")
    assert [limiter.allow(1) for _ in range(3)] == [True, True, False]
    time.sleep(0.25)
    assert [limiter.allow(1) for _ in range(3)] == [True, True, False]


def test_redis_bucket_lets_messages_through_while_redis_is_gone() -> None:
    gone = RedisRateLimiter(unreachable_redis(), 1, 1.0, "t")
    assert gone.allow(1)
    assert gone.allow(1)


def test_local_bucket_takes_a_cost_and_charges_into_debt_no_deeper_than_a_burst() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(burst=10, per_second=1, clock=clock)
    assert limiter.take("ada", 4)
    assert not limiter.take("ada", 7), "six left: refused, and nothing spent"
    assert limiter.take("ada", 6)
    assert limiter.take("ada", 50, into_debt=True), "a charge always goes through"
    assert not limiter.allow("ada")
    clock.now += 10.0
    assert not limiter.allow("ada"), "ten seconds pay back ten of the ten owed"
    clock.now += 1.0
    assert limiter.allow("ada")


def test_redis_bucket_takes_a_cost_and_charges_into_debt(redis_client: redis.Redis) -> None:
    limiter = RedisRateLimiter(redis_client, burst=10, per_second=0.01, prefix="t-debt")
    assert limiter.take(1, 4)
    assert not limiter.take(1, 7)
    assert limiter.take(1, 6)
    assert limiter.take(1, 50, into_debt=True)
    assert not limiter.allow(1)
    assert limiter.allow(2), "another key's bucket is its own"
