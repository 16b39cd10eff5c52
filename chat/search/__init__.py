"""Search: the results page (``/search``), server-rendered."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from chat.search import routes  # noqa: E402,F401  (registers the route on bp)
