"""The shell's pages: the sidebar alone (what a live page reloads into its frame) and the directory."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from chat.decorators import login_required
from chat.domain.directory import find_people
from chat.shell import bp


@bp.route("/sidebar")
@login_required
def sidebar() -> str:
    """The sidebar's rooms as they stand: a page's script reloads its frame from here when a room appears."""
    return render_template("shell/sidebar.html", current=request.args.get("current", ""))


@bp.route("/people")
@login_required
def people() -> str:
    """The user directory: everyone by name, or those matching ``?q=``; each opens a direct conversation."""
    query = request.args.get("q", "")
    return render_template("shell/people.html", q=query, found=find_people(query, current_user))
