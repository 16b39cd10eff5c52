"""Gunicorn settings read automatically from the working directory (the Procfile's command).

On SIGTERM (a deploy, a scale-down, Ctrl-C in `make cluster`), the worker
stops accepting connections and Parley closes its sockets so that clients
reconnect to another instance at once instead of waiting for the grace period
to cut them off.
"""

import signal


def post_worker_init(worker):
    from chat.extensions import socketio
    from chat.lifecycle import drain

    app = worker.wsgi
    stop_accepting = worker.handle_exit

    def on_sigterm(signum, frame):
        stop_accepting(signum, frame)
        socketio.start_background_task(drain, getattr(app, "flask_app", app))

    worker.handle_exit = on_sigterm
    signal.signal(signal.SIGTERM, on_sigterm)
