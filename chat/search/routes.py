"""``/search?q=…``: messages in the rooms the user may read, newest or best match first."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from chat.decorators import login_required
from chat.domain import search as finder
from chat.domain.errors import ChatError
from chat.search import bp

MAX_PAGE = 100


@bp.route("/search")
@login_required
def results() -> tuple[str, int]:
    """The results page; a malformed filter shows its error above an empty list."""
    raw = request.args.get("q", "")
    best = request.args.get("sort") == "best"
    page = request.args.get("page", "0")
    page_number = min(int(page), MAX_PAGE) if page.isdigit() else 0
    error: str | None = None
    hits: list[finder.Hit] = []
    more = False
    try:
        query = finder.parse(raw, newest_first=not best)
        hits, more = finder.search(current_user, query, page_number)
    except ChatError as refusal:
        error = refusal.message
    status = 400 if error else 200
    return render_template(
        "search/results.html", q=raw, best=best, hits=hits, more=more, page=page_number, error=error
    ), status
