"""Rooms: the room list and room pages (routes) and their live events (events, message_events)."""

from flask import Blueprint

bp = Blueprint("rooms", __name__)

from chat.rooms import events, message_events, routes, settings  # noqa: E402,F401  (registers handlers on bp and socketio)
