"""The app shell around every signed-in page: the sidebar, and the user directory (``/people``)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from chat.domain.sidebar import Sidebar, sidebar_of
from chat.extensions import db

bp = Blueprint("shell", __name__)


@bp.app_context_processor
def shell_context() -> dict[str, object]:
    """Every template may call ``sidebar()``: the signed-in user's rooms with their counts, or None."""
    return {"sidebar": current_sidebar}


def current_sidebar() -> Sidebar | None:
    """The sidebar of the signed-in user; None when nobody is, or the database fails (an error page still shows)."""
    if not current_user.is_authenticated:
        return None
    try:
        return sidebar_of(current_user)
    except SQLAlchemyError:
        db.session.rollback()
        return None


from chat.shell import routes  # noqa: E402,F401  (registers the routes on bp)
