"""The real services tests may need, and the rule for when they are missing.

In CI (``CI=true``) a missing service fails the test: nothing may be skipped
there. Elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

POSTGRES_ADMIN_URL = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def require(available: bool, what: str) -> None:
    """Skip outside CI, fail in CI, when ``what`` is not available."""
    if available:
        return
    message = f"{what} is not reachable on this machine"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must run every test)")
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def sqlalchemy_url(libpq_url: str) -> str:
    return libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A PostgreSQL database of the test's own, created and dropped; yields its libpq URL."""
    require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    name = f"parley_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
