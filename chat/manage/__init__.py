"""Pages that run accounts: each person's settings (``/settings``) and the site admin's page (``/admin``)."""

from flask import Blueprint

bp = Blueprint("manage", __name__)

from chat.manage import admin_pages, settings  # noqa: E402,F401  (registers the routes on bp)
