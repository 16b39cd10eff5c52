"""Create the benchmark's users and room in the database named by DATABASE_URL.

    DATABASE_URL=... python benchmarks/provision.py --users 1000 --room bench

Run from the app directory after ``flask db upgrade``: the bulk equivalent of
``flask users create`` for each user. Every benchmark user gets the same
password, hashed once with a low-cost pbkdf2 (which ``User.check_password``
accepts), so that logging in 1,000 users through the real /login form measures
the login path, not 1,000 scrypt computations. What one real scrypt check costs
is measured and printed, so the difference can be stated. Idempotent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from chat import create_app
from chat.domain import rooms
from chat.extensions import db
from chat.models import User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--password", default="bench-password-1")
    parser.add_argument("--room", default="bench")
    options = parser.parse_args()
    app = create_app()
    with app.app_context():
        room, _created = rooms.ensure_room(options.room)
        names = [f"{options.prefix}{i:05d}" for i in range(options.users)]
        existing = set(db.session.scalars(select(User.username).where(User.username.in_(names))))
        cheap = generate_password_hash(options.password, method="pbkdf2:sha256:1000")
        db.session.add_all(User(username=n, password_hash=cheap) for n in names if n not in existing)
        db.session.commit()
        real = generate_password_hash(options.password)  # the app's default (scrypt)
        t0 = time.perf_counter()
        check_password_hash(real, options.password)
        scrypt_ms = (time.perf_counter() - t0) * 1000
    print(
        json.dumps(
            {
                "users": options.users,
                "created": options.users - len(existing),
                "room": room.slug,
                "scrypt_check_ms": round(scrypt_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
