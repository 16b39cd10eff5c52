"""Parley: a self-hosted real-time team chat. ``create_app`` builds it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_compress import Compress

from chat import (
    accounts_cli,
    admin,
    assets,
    auth,
    cli,
    config,
    error_pages,
    fanout,
    health,
    internals,
    live,
    logs,
    runtime,
    security,
)
from chat.domain.snapshots import Snapshots
from chat.extensions import csrf, db, migrate, socketio
from chat.manage import bp as manage_bp
from chat.rooms import bp as rooms_bp
from chat.search import bp as search_bp
from chat.shell import bp as shell_bp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, ``instance/config.py``, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=None,  # served versioned by chat.assets
    )
    _configure(app, test_config)
    logs.setup(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    assets.init_app(app, Path(ROOT) / "static")
    Compress(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    auth.init_app(app)
    live.init_app(app)
    Snapshots.init_app(app)
    # Always passed: Flask-SocketIO keeps options between init_app calls.
    queue = fanout.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config.get("ASYNC_MODE") or runtime.detect_async_mode(),
        client_manager=queue,
        cors_allowed_origins=security.allowed_origin(app),
        max_http_buffer_size=app.config["MAX_EVENT_BYTES"],
        ping_interval=app.config["PING_INTERVAL_SECONDS"],
    )
    # Under gevent, WebSocket frames are written by the sender, not a writer greenlet per socket.
    internals.write_frames_directly(socketio.server.eio, int(app.config["SOCKET_BACKLOG_BYTES"]))
    admin.init_app(app)
    cli.init_app(app)
    accounts_cli.init_app(app)
    security.init_app(app)
    for blueprint in (health.bp, assets.bp, auth.bp, manage_bp, rooms_bp, search_bp, shell_bp):
        app.register_blueprint(blueprint)
    error_pages.register(app)
    if app.config["PRODUCTION"]:
        runtime.require_database(app)
    return app


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
