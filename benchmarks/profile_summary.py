"""Top functions of a py-spy profile in collapsed ("raw") format.

    python benchmarks/profile_summary.py benchmarks/results/profile-s1.txt [--top 25]

Prints the functions that hold the most samples on their own (self) and with
what they call (inclusive), plus the share of a few buckets that matter for
Parley's hot path (database, fan-out writes, JSON, logging, metrics, greenlet
switching), so a profile can be read without opening the flame graph.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# Buckets by file or function name, first match wins, checked on every frame of a stack
# (inclusive): a sample counts once per bucket it touches.
BUCKETS = {
    "sqlalchemy (ORM + core)": re.compile(r"sqlalchemy/"),
    "sqlite3 driver calls": re.compile(
        r"\((execute|commit|executemany|fetchone|fetchall|_execute_context)\b.*sqlalchemy/engine/default\.py"
    ),
    "psycopg": re.compile(r"psycopg/"),
    "socketio emit (fan-out loop)": re.compile(r"socketio/(base_)?manager\.py|\bemit \(socketio/"),
    "engineio socket send/queue": re.compile(r"engineio/socket\.py"),
    "websocket frame write (geventwebsocket)": re.compile(r"geventwebsocket/websocket\.py"),
    "json encode/decode": re.compile(r"json/(encoder|decoder|__init__)\.py"),
    "flask-socketio handler wrapper (app/request ctx, session)": re.compile(r"flask_socketio/__init__\.py"),
    "flask-login user load": re.compile(r"flask_login/"),
    "prometheus metrics": re.compile(r"prometheus_client/"),
    "logging": re.compile(r"logging/__init__\.py"),
    "redis client": re.compile(r"redis/"),
}


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stacks.append((stack.split(";"), int(count)))
    return stacks


def short(frame: str) -> str:
    # "func (/any/path/site-packages/pkg/mod.py:123)" -> "func (pkg/mod.py:123)", and the
    # checkout's own files relative to it: "func (/any/checkout/chat/x.py:1)" -> "func (chat/x.py:1)"
    frame = re.sub(r"\(.*?site-packages/", "(", frame)
    return re.sub(r"\(/\S*?/(?=(?:chat|benchmarks|deploy|migrations|tests)/)", "(", frame)


def no_line(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    stacks = parse(options.profile)
    total = sum(n for _, n in stacks) or 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    for frames, n in stacks:
        frames = [no_line(short(f)) for f in frames]
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
        joined = "\n".join(frames)
        for name, pattern in BUCKETS.items():
            if pattern.search(joined):
                buckets[name] += n
    print(f"{total} samples\n\nself time (function itself):")
    for f, n in own.most_common(options.top):
        print(f"  {100 * n / total:5.1f}%  {f}")
    print("\ninclusive time (function and what it calls):")
    for f, n in inclusive.most_common(options.top):
        print(f"  {100 * n / total:5.1f}%  {f}")
    print("\nbuckets (inclusive, a sample may count in several):")
    for name, n in buckets.most_common():
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
