"""Gunicorn settings read automatically from the working directory (the Procfile's command).

On SIGTERM (a deploy, a scale-down, Ctrl-C in `make cluster`), the worker
stops accepting connections and Parley closes its sockets so that clients
reconnect to another instance at once instead of waiting for the grace period
to cut them off.
"""

import signal

# One worker serves every socket of the instance as greenlets; gunicorn's
# default of 1,000 connections per worker would cap an instance at 1,000 sockets.
worker_connections = 10000


def post_worker_init(worker):
    from chat.extensions import socketio
    from chat.lifecycle import drain

    if worker.wsgi_handler.__name__ == "WebSocketHandler":  # the gevent-websocket worker's
        from chat.frames import FrameWritingHandler

        # One system call per frame instead of two (chat/frames.py); the servers are built after this hook.
        worker.wsgi_handler = FrameWritingHandler

    app = worker.wsgi
    stop_accepting = worker.handle_exit

    def on_sigterm(signum, frame):
        stop_accepting(signum, frame)
        socketio.start_background_task(drain, getattr(app, "flask_app", app))

    worker.handle_exit = on_sigterm
    signal.signal(signal.SIGTERM, on_sigterm)
