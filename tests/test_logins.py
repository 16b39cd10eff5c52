"""Logins that give nothing away and stall nothing.

How long a failed login takes must not tell an attacker whether the name
exists; the per-address throttle runs first, so one address cannot fill
memory with usernames' buckets; password hashing leaves the event loop free
(tests/test_runtime.py shows the loop keeps turning).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chat import live
from tests.support.forms import PASSWORD, csrf_token

TRIES = 12


def post_login(client: FlaskClient, username: str, password: str) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def timed_login(client: FlaskClient, username: str) -> float:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    started = time.perf_counter()
    response = client.post(
        "/login", data={"username": username, "password": "not-the-password", "csrf_token": token}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    return elapsed


@pytest.mark.usefixtures("ada")
def test_a_wrong_password_and_an_unknown_name_take_the_same_time(app: Flask) -> None:
    """Medians over interleaved tries, so that load on the machine weighs on both alike.

    Without the decoy check, an unknown name answered in a few milliseconds
    and a known one after a full scrypt check (tens to hundreds): a ratio of
    25 or more. Noise between two equal costs stays well inside 2.
    """
    client = app.test_client()
    timed_login(client, "nobody-here")  # the decoy hash is made on first use
    known, unknown = [], []
    for n in range(TRIES):
        known.append(timed_login(client, "ada"))
        unknown.append(timed_login(client, f"nobody-{n}"))
        unknown.append(timed_login(client, "not a valid name!"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.5 < ratio < 2.0, (statistics.median(known), statistics.median(unknown))


@pytest.fixture
def strict_logins(app_config: dict[str, Any]) -> None:
    app_config.update(LOGIN_ATTEMPTS_BURST=3, LOGIN_ATTEMPTS_PER_MINUTE=0.01)


@pytest.mark.usefixtures("strict_logins")
def test_a_throttled_address_spends_no_usernames_bucket(app: Flask) -> None:
    client = app.test_client()
    statuses = [post_login(client, f"name-{n}", PASSWORD).status_code for n in range(50)]
    assert statuses == [401] * 3 + [429] * 47
    with app.app_context():
        buckets = live.throttles().logins
        assert len(buckets) == 4, "the address's bucket and the three names tried before it ran out"  # type: ignore[arg-type]
