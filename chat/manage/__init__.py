"""Pages that run accounts: each person's settings (``/settings``) and the site admin's page (``/admin``)."""

from flask import Blueprint

bp = Blueprint("manage", __name__)


@bp.app_template_global()
def shown_name(username: str, display_name: str | None = None) -> str:
    """How a person's name shows: "Display Name (username)", or the username alone (as static/js/message-item.js)."""
    return f"{display_name} ({username})" if display_name else username


from chat.manage import admin_pages, settings  # noqa: E402,F401  (registers the routes on bp)
