"""Bare Flask-SocketIO fan-out server speaking the reference's protocol (a yardstick, not Parley).

gevent:  gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 bare_server:app
eventlet: ASYNC_MODE=eventlet python bare_server.py      (PORT, default 5000; 127.0.0.1 only)
"""

import os

if __name__ == "__main__":
    if os.environ.get("ASYNC_MODE", "eventlet") == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    else:
        from gevent import monkey

        monkey.patch_all()

import sys
from typing import Any

from flask import Flask
from flask_socketio import SocketIO, join_room

mode = (
    "gevent" if "gevent.monkey" in sys.modules else "eventlet" if "eventlet" in sys.modules else "threading"
)
app = Flask(__name__)
socketio = SocketIO(app, async_mode=mode, cors_allowed_origins="*")


def on_join(room: str) -> bool:
    join_room(room)
    return True


def on_chat_message(payload: dict[str, Any]) -> None:
    socketio.emit("chat message", payload, to=payload["room"])


socketio.on_event("join", on_join)
socketio.on_event("chat message", on_chat_message)


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", 5000)))
