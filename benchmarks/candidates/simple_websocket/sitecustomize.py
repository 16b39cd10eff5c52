"""For the benchmark's ``parley-simple-websocket`` target: python-engineio's WebSocket on simple-websocket.

python-engineio picks its WebSocket for gevent when its gevent driver is first
imported: gevent-websocket if that imports, else simple-websocket. Parley
itself still imports gevent-websocket (chat/internals/worker.py), so it
cannot just be uninstalled for a measurement: here, before anything else runs
(this directory is put first on PYTHONPATH), the driver is imported once with
gevent-websocket hidden, then gevent-websocket is visible again. The server
runs under gunicorn's plain ``gevent`` worker, which is what replacing
gevent-websocket would mean (docs/architecture.md).
"""

import sys

sys.modules["geventwebsocket"] = None  # type: ignore[assignment]  # "import geventwebsocket" fails
try:
    import engineio.async_drivers.gevent as driver
finally:
    del sys.modules["geventwebsocket"]
assert driver.SimpleWebSocketWSGI is not None, "python-engineio still took gevent-websocket"
