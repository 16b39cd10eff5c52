"""Parley's entry point: ``app`` is the WSGI app; ``python app.py`` runs a server.

Gunicorn (see the Procfile) imports ``app:app`` from inside its gevent worker,
which has already patched the standard library. Run directly, this module
patches first, with the library named by ``ASYNC_MODE`` (``gevent``, the
default, or ``eventlet``), so that database and Redis calls yield to other
sockets instead of blocking them.
"""

import os

if __name__ == "__main__":
    _mode = os.environ.get("ASYNC_MODE", "gevent")
    if _mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif _mode == "gevent":
        from gevent import monkey

        monkey.patch_all()

import gc
import sys

from chat import create_app
from chat.config import ConfigError, log_format
from chat.extensions import socketio
from chat.logs import refusal

try:
    app = create_app()
except ConfigError as unsafe:
    sys.exit(refusal(str(unsafe), log_format(dict(os.environ))))

# What exists now (modules, the app, SQLAlchemy's metadata: ~130,000 objects) lives
# as long as the process. Frozen, the cyclic collector's full passes skip it: each
# took 40-110 ms, a stall of every socket, and now takes a few ms (docs/performance.md).
gc.freeze()

if __name__ == "__main__":
    print(f"Parley serves http://{app.config['HOST']}:{app.config['PORT']}", flush=True)
    socketio.run(app, host=app.config["HOST"], port=app.config["PORT"])
