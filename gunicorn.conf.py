"""Gunicorn settings read automatically from the working directory (the Procfile's command).

On SIGTERM (a deploy, a scale-down, Ctrl-C in `make cluster`), the worker
closes its listening socket at once (a new connection is refused, and the load
balancer tries another instance), closes its idle keep-alive connections and
Parley drops its sockets so that clients reconnect to another instance at once;
the worker exits as soon as its last connection has ended (a request under way
finishes first), instead of waiting for the grace period to cut them off.
"""

import os
import runpy
from pathlib import Path

from gunicorn import glogging

# The master must not import the app (gevent patches the standard library in the worker, after
# the fork): chat/config.py and chat/logs.py import nothing of Parley, so they run on their own.
_CHAT = Path(__file__).resolve().parent / "chat"
_LOG_FORMAT = runpy.run_path(str(_CHAT / "config.py"))["log_format"](os.environ)
_formatter = runpy.run_path(str(_CHAT / "logs.py"))["formatter"]


class ParleyLogger(glogging.Logger):
    """gunicorn's own lines, the master's and the worker's, in Parley's LOG_FORMAT."""

    def setup(self, cfg):
        super().setup(cfg)
        if _LOG_FORMAT == "json":
            for handler in [*self.error_log.handlers, *self.access_log.handlers]:
                handler.setFormatter(_formatter("json"))


logger_class = ParleyLogger

# One worker serves every socket of the instance as greenlets; gunicorn's
# default of 1,000 connections per worker would cap an instance at 1,000 sockets.
worker_connections = 10000


def post_worker_init(worker):
    from chat.extensions import socketio
    from chat.internals import install_frame_writer, limit_detached, on_sigterm, wsgi_flask_app
    from chat.lifecycle import drain, release
    from chat.security import handshake_gate

    app = wsgi_flask_app(worker)
    # One system call per frame instead of two (chat.internals.frame_writer); slow heads and
    # anonymous WebSocket handshakes refused before they cost anything (chat.internals.GuardedHandler).
    shutdown = install_frame_writer(worker, app.config["SLOW_CLIENT_SECONDS"], handshake_gate(app).refuses)
    # WebSockets read from the event loop hold no greenlet of gunicorn's pool: bound them as the pool is.
    limit_detached(socketio.server.eio, worker.worker_connections)
    # On SIGTERM: no new connection, idle ones closed, every socket told to reconnect elsewhere;
    # the worker exits as soon as its connections are gone (chat.internals.WorkerShutdown).
    on_sigterm(worker, shutdown, lambda: drain(app), lambda: release(app))
