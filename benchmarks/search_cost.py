"""How long a search takes over 1,000,000 messages on PostgreSQL.

    .venv/bin/python benchmarks/search_cost.py                 # 1,000,000 messages
    .venv/bin/python benchmarks/search_cost.py --messages 200000

Fills a scratch database (``PARLEY_BENCH_POSTGRES``, default the local
``test`` database's server) with messages of 6-17 words drawn from a
3,000-word vocabulary with a Zipf-like skew (a few words are very common,
most are rare), in 50 rooms of 200 people, then runs the searches a person
makes, through ``chat.domain.search`` as the page does, and prints the
median and slowest of repeated runs for each. The scratch database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import flask_migrate
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat import create_app
from chat.domain import search
from chat.extensions import db
from chat.models import User

ADMIN_URL = os.environ.get("PARLEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ROOMS, PEOPLE, VOCABULARY = 50, 200, 3000
COMMON = [
    "the",
    "team",
    "deploy",
    "build",
    "release",
    "meeting",
    "review",
    "design",
    "bug",
    "fix",
    "test",
    "today",
    "tomorrow",
    "lunch",
    "coffee",
    "customer",
    "issue",
    "ticket",
    "server",
    "database",
    "api",
    "client",
    "page",
    "error",
    "update",
    "plan",
    "sprint",
    "call",
    "demo",
]

FILL = """
INSERT INTO messages (room_id, seq, user_id, client_id, text, html, created_at, rev, deleted)
SELECT 1 + (g %% %(rooms)s), 1 + g / %(rooms)s, 1 + (g %% %(people)s), 'bench-' || g,
       array_to_string(ARRAY(
           SELECT (%(words)s::text[])[1 + floor(power(random(), 3) * %(vocabulary)s)::int]
           FROM generate_series(1, 6 + (g %% 12))), ' '),
       '', now() - make_interval(secs => (%(total)s - g) * 2), 1 + g / %(rooms)s, false
FROM generate_series(%(start)s, %(stop)s) AS g
"""

QUERIES = [
    ("one common word", "deploy"),
    ("one rare word", "{rare}"),
    ("two common words", "deploy release"),
    ("a common and a rare word", "meeting {rare}"),
    ("three words", "customer database error"),
    ("a word nobody wrote", "xylophone"),
    ("common word in one room", "deploy in:room-7"),
    ("common word from one person", "review from:person42"),
    ("common word, recent days", "bug after:{recent}"),
    ("best match first", "deploy release", "best"),
]


def vocabulary() -> list[str]:
    """Common chat words first (the skew makes them frequent), then made-up rare ones."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dro"]
    made_up = [a + b + c for a in syllables for b in syllables for c in syllables]
    return (COMMON + made_up)[:VOCABULARY]


def fill(url: str, total: int) -> float:
    """Create people, rooms and ``total`` messages; the seconds it took."""
    started = time.perf_counter()
    words = vocabulary()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (username, password_hash, created_at) "
            "SELECT 'person' || n, '!', now() FROM generate_series(1, %s) AS n",
            (PEOPLE,),
        )
        connection.execute(
            "INSERT INTO rooms (slug, name, kind, last_seq, last_rev, created_at) "
            "SELECT 'room-' || n, 'Room ' || n, CASE WHEN n > 40 THEN 'private' ELSE 'public' END, 0, 0, now() "
            "FROM generate_series(1, %s) AS n",
            (ROOMS,),
        )
        # person1 belongs to three of the private rooms.
        connection.execute(
            "INSERT INTO memberships (room_id, user_id, created_at) SELECT id, 1, now() FROM rooms WHERE id IN (41, 42, 43)"
        )
        step = 100_000
        for start in range(0, total, step):
            parameters = {
                "rooms": ROOMS,
                "people": PEOPLE,
                "vocabulary": len(words),
                "words": words,
                "total": total,
                "start": start,
                "stop": min(start + step, total) - 1,
            }
            connection.execute(FILL, parameters)
            print(f"  {min(start + step, total):>9,} messages", flush=True)
        connection.execute(
            "UPDATE rooms SET last_seq = s.n, last_rev = s.n FROM "
            "(SELECT room_id, max(seq) AS n FROM messages GROUP BY room_id) AS s WHERE rooms.id = s.room_id"
        )
        connection.execute("VACUUM ANALYZE messages")
    return time.perf_counter() - started


def measure(app_url: str, runs: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "SECRET_KEY": "bench", "TESTING": True})
    recent = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3 * 86400))
    rare = vocabulary()[-1]
    print(f"{'search':<32} {'query':<32} {'hits':>5} {'median ms':>10} {'slowest ms':>11}")
    with app.app_context():
        person = db.session.get(User, 1)
        assert person is not None
        for label, raw, *order in QUERIES:
            text = raw.format(rare=rare, recent=recent)
            query = search.parse(text, newest_first=order != ["best"])
            times = []
            hits: list[search.Hit] = []
            for _ in range(runs):
                started = time.perf_counter()
                hits, _more = search.search(person, query)
                times.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            print(
                f"{label:<32} {text:<32} {len(hits):>5} {statistics.median(times):>10.1f} {max(times):>11.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the filled database (its name is printed)")
    options = parser.parse_args()
    name = f"parley_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    app_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        print(f"filling {options.messages:,} messages into {name}")
        print(
            f"filled in {fill(url, options.messages):.0f} s; searching as person1 ({options.runs} runs each)"
        )
        measure(app_url, options.runs)
    finally:
        if options.keep:
            print(f"kept {url}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
