"""The tests' toolkit: everything test modules share, so that no test module imports another.

- ``in_process``: the app in the test's own process (Flask and Socket.IO test
  clients): ``Browser``, ``call``, ``received``, ``inbox``, ``BOTH_DATABASES``.
- ``server``: the real server (the Procfile's web command, started by
  deploy/launcher.py) with the tests' environment, and HTTP log-ins through
  its forms.
- ``chat_client``: a Python Socket.IO client of the contract, written apart
  from the browser's script.
- ``browser``: Chromium through Playwright, and reading the room page.
- ``cluster``: instances behind nginx on a scratch PostgreSQL and Redis.
- ``services``: PostgreSQL, Redis, nginx, and the rule for when they are missing.
- ``tcp_proxy``: a TCP forwarder a test can cut, for database outages.

``tests/conftest.py`` holds the fixtures (``app``, ``ada``, ``bob``, ``general``, ...).
"""
