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


# The rooms a user may not read: those not public that they do not belong to. Excluding
# these (a hashed list, checked row by row) rather than joining the readable ones keeps the
# planner from combining the word index with a room index once per room.
UNREADABLE = (
    "(SELECT r.id FROM rooms r WHERE r.kind <> 'public' AND NOT EXISTS"
    " (SELECT 1 FROM memberships ms WHERE ms.room_id = r.id AND ms.user_id = :user))"
)


def search(user: User, query: Query, page: int = 0) -> tuple[list[Hit], bool]:
    """One page of messages matching ``query`` that ``user`` may read; and whether more follow."""
    if query.empty:
        return [], False
    filters, params = _filters(user, query)
    if db.session.get_bind().dialect.name == "postgresql":
        params["words"] = " ".join(query.words)
        ids = _postgres_ids(query, filters, params, page)
        found = db.session.execute(text(POSTGRES_HITS), {"ids": ids, "words": params["words"]}).all()
        rows = sorted(found, key=lambda row: ids.index(row.id))
    else:
        params |= {"limit": PAGE_SIZE + 1, "offset": page * PAGE_SIZE}
        params["match"] = " ".join('"' + word.replace('"', '""') + '"' for word in query.words) + "*"
        rows = list(db.session.execute(text(_sqlite(query, filters)), params).all())
    hits = [Hit(r.slug, r.name, r.seq, r.username, _aware(r.created_at), _marked(r.snippet)) for r in rows]
    return hits[:PAGE_SIZE], len(hits) > PAGE_SIZE


def _filters(user: User, query: Query) -> tuple[str, dict[str, object]]:
    clauses = [f"m.room_id NOT IN {UNREADABLE}", "m.deleted = false"]
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


# PostgreSQL looks in windows of the newest messages first, growing until the page is full:
# a common word fills a page from the first window, a rare one is found in the whole table
# through the word index, and neither walks a million rows. Best match ranks the newest
# BEST_OF matches.
WINDOWS = (20_000, 200_000, None)
BEST_OF = 1000
WORDS = "plainto_tsquery('english', :words)"
POSTGRES_HITS = f"""
    SELECT m.id, r.slug, r.name, m.seq, u.username, m.created_at,
           ts_headline('english', m.text, {WORDS},
                       'StartSel=' || chr(2) || ',StopSel=' || chr(3) ||
                       ',MaxWords=30,MinWords=12,MaxFragments=2,FragmentDelimiter=" … "') AS snippet
    FROM messages m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id
    WHERE m.id = ANY(:ids)
"""  # noqa: S608 - fixed SQL; values are bound


def _postgres_ids(query: Query, filters: str, params: dict[str, object], page: int) -> list[int]:
    """The ids of one page of matches (and one more, to tell whether more follow), in order."""
    wanted = BEST_OF if not query.newest_first else (page + 1) * PAGE_SIZE + 1
    newest = db.session.scalar(text("SELECT max(id) FROM messages")) or 0
    # Plans that walk the id index backwards read every row when the words are rare.
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    try:
        for window in WINDOWS:
            floor = 0 if window is None else max(newest - window, 0)
            sql = f"SELECT m.id FROM messages m WHERE m.id > :floor AND m.search @@ {WORDS} AND {filters}"  # noqa: S608 - fixed SQL; values are bound
            found = list(
                db.session.scalars(
                    text(sql + " ORDER BY m.id DESC LIMIT :wanted"),
                    params | {"floor": floor, "wanted": wanted},
                )
            )
            if len(found) >= wanted or floor == 0:
                break
    finally:
        db.session.execute(text("SET LOCAL enable_indexscan = on"))
    if not query.newest_first:
        found = _ranked(found, params)
    start = page * PAGE_SIZE
    return found[start : start + PAGE_SIZE + 1]


def _ranked(ids: list[int], params: dict[str, object]) -> list[int]:
    sql = f"SELECT m.id FROM messages m WHERE m.id = ANY(:ids) ORDER BY ts_rank(m.search, {WORDS}) DESC, m.id DESC"  # noqa: S608 - fixed SQL
    return list(db.session.scalars(text(sql), {"ids": ids, "words": params["words"]}))


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
