"""Search: find messages by their words in the rooms a person may read.

One function serves both stores: SQLite's FTS5 index (``messages_fts``,
kept by triggers) and PostgreSQL's ``tsvector`` column under a GIN index;
both stem English words, so "meetings" finds "meeting". Edits reindex and
deletions empty the text, so a deleted message is never found. A private
room's messages are found only by its members: the readable rooms are part
of the query, never filtered afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import text

from chat.domain.errors import BAD_REQUEST, ChatError
from chat.extensions import db
from chat.models import User

PAGE_SIZE = 30
MAX_QUERY_CHARS = 200
MAX_WORDS = 12
# What the stores put around matched words in a snippet; turned into <mark> after escaping.
START, STOP = "\x02", "\x03"
FILTER = re.compile(r"(in|from|before|after):(\S+)", re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Query:
    """A parsed search: words, and the ``in:``, ``from:``, ``before:`` and ``after:`` filters."""

    words: list[str] = field(default_factory=list)
    room: str | None = None
    author: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    newest_first: bool = True

    @property
    def empty(self) -> bool:
        """True when there is nothing to look for."""
        return not self.words


@dataclass(frozen=True)
class Hit:
    """One message found: where it is, who wrote it, and a snippet with the matches marked."""

    room_slug: str
    room_name: str
    seq: int
    username: str
    created_at: datetime
    snippet: Markup


def parse(raw: str, *, newest_first: bool = True) -> Query:
    """Read a search box: ``deploy in:ops from:ada after:2026-11-01`` (dates are whole UTC days)."""
    raw = raw.replace("\x00", " ")[:MAX_QUERY_CHARS]
    query = Query(newest_first=newest_first)
    for name, value in FILTER.findall(raw):
        name = name.lower()
        if name == "in":
            query.room = value.lower().lstrip("#")
        elif name == "from":
            query.author = value.lstrip("@")
        elif name == "before":
            query.before = _day(value)
        else:
            query.after = _day(value) + timedelta(days=1)
    query.words = WORD.findall(FILTER.sub(" ", raw))[:MAX_WORDS]
    return query


def _day(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ChatError(BAD_REQUEST, f"Dates are written 2026-11-30, not {value!r}.") from exc


# The rooms a user may read: public ones and those they belong to.
READABLE = (
    "(SELECT id FROM rooms WHERE kind = 'public' UNION SELECT room_id FROM memberships WHERE user_id = :user)"
)


def search(user: User, query: Query, page: int = 0) -> tuple[list[Hit], bool]:
    """One page of messages matching ``query`` that ``user`` may read; and whether more follow."""
    if query.empty:
        return [], False
    filters, params = _filters(user, query)
    params |= {"limit": PAGE_SIZE + 1, "offset": page * PAGE_SIZE}
    if db.session.get_bind().dialect.name == "postgresql":
        sql = _postgres(query, filters)
        params["words"] = " ".join(query.words)
    else:
        sql = _sqlite(query, filters)
        params["match"] = " ".join('"' + word.replace('"', '""') + '"' for word in query.words) + "*"
    rows = db.session.execute(text(sql), params).all()
    hits = [Hit(r.slug, r.name, r.seq, r.username, _aware(r.created_at), _marked(r.snippet)) for r in rows]
    return hits[:PAGE_SIZE], len(hits) > PAGE_SIZE


def _filters(user: User, query: Query) -> tuple[str, dict[str, object]]:
    clauses = [f"m.room_id IN {READABLE}", "m.deleted = false"]
    params: dict[str, object] = {"user": user.id}
    if query.room is not None:
        clauses.append("m.room_id = (SELECT id FROM rooms WHERE slug = :room)")
        params["room"] = query.room
    if query.author is not None:
        clauses.append("m.user_id = (SELECT id FROM users WHERE lower(username) = :author)")
        params["author"] = query.author.lower()
    if query.before is not None:
        clauses.append("m.created_at < :before")
        params["before"] = query.before
    if query.after is not None:
        clauses.append("m.created_at >= :after")
        params["after"] = query.after
    return " AND ".join(clauses), params


def _postgres(query: Query, filters: str) -> str:
    # The inner query finds and orders ids only; headlines are made for the one page shown.
    order = "m.id DESC" if query.newest_first else "ts_rank(m.search, q) DESC, m.id DESC"
    return f"""
        WITH q AS (SELECT plainto_tsquery('english', :words) AS q),
        found AS (
            SELECT m.id FROM messages m, q WHERE m.search @@ q.q AND {filters}
            ORDER BY {order} LIMIT :limit OFFSET :offset
        )
        SELECT r.slug, r.name, m.seq, u.username, m.created_at,
               ts_headline('english', m.text, q.q,
                           'StartSel=' || chr(2) || ',StopSel=' || chr(3) ||
                           ',MaxWords=30,MinWords=12,MaxFragments=2,FragmentDelimiter=" … "') AS snippet
        FROM found JOIN messages m ON m.id = found.id JOIN rooms r ON r.id = m.room_id
        JOIN users u ON u.id = m.user_id, q
        ORDER BY {order}
    """  # noqa: S608 - filters and order are built here from fixed SQL; values are bound


def _sqlite(query: Query, filters: str) -> str:
    order = "m.id DESC" if query.newest_first else "bm25(messages_fts), m.id DESC"
    return f"""
        SELECT r.slug, r.name, m.seq, u.username, m.created_at,
               snippet(messages_fts, 0, char(2), char(3), ' … ', 24) AS snippet
        FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
        JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id
        WHERE messages_fts MATCH :match AND {filters}
        ORDER BY {order} LIMIT :limit OFFSET :offset
    """  # noqa: S608 - filters and order are built here from fixed SQL; values are bound


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite through text(): an ISO string
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _marked(snippet: str) -> Markup:
    """Escape the snippet, turning the stores' match markers into balanced ``<mark>`` elements."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", snippet or ""):
        if piece == START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif piece == STOP and open_mark:
            out.append("</mark>")
            open_mark = False
        elif piece not in (START, STOP):
            out.append(str(escape(piece)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above
