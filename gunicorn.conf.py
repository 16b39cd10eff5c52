"""Gunicorn settings read automatically from the working directory (the Procfile's command).

On SIGTERM (a deploy, a scale-down, Ctrl-C in `make cluster`), the worker
stops accepting connections and Parley closes its sockets so that clients
reconnect to another instance at once instead of waiting for the grace period
to cut them off.
"""

# One worker serves every socket of the instance as greenlets; gunicorn's
# default of 1,000 connections per worker would cap an instance at 1,000 sockets.
worker_connections = 10000


def post_worker_init(worker):
    from chat.extensions import socketio
    from chat.internals import install_frame_writer, limit_detached, on_sigterm, wsgi_flask_app
    from chat.lifecycle import drain
    from chat.security import handshake_gate

    app = wsgi_flask_app(worker)
    # One system call per frame instead of two (chat.internals.frame_writer); slow heads and
    # anonymous WebSocket handshakes refused before they cost anything (chat.internals.GuardedHandler).
    install_frame_writer(worker, app.config["SLOW_CLIENT_SECONDS"], handshake_gate(app).refuses)
    # WebSockets read from the event loop hold no greenlet of gunicorn's pool: bound them as the pool is.
    limit_detached(socketio.server.eio, worker.worker_connections)
    on_sigterm(worker, lambda: socketio.start_background_task(drain, app))
