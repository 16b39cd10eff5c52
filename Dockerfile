# syntax=docker/dockerfile:1
# Parley's production image: the Procfile's web command on port 8080, as a
# non-root user. docs/deploy.md has the build and run commands;
# tests/test_deploy_files.py keeps this file in step with the Procfile.

# Stage 1: the browser's libraries (socket.io-client, Hotwire Turbo), exactly
# as package-lock.json lists them (npm ci checks each package's integrity
# hash; --omit=dev leaves out what only the tests use). Nothing else of
# Node.js reaches the final image.
FROM node:20.20.2-bookworm-slim AS browser-deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# Stage 2: the app.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 parley \
    && useradd --system --uid 10001 --gid parley --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin parley

WORKDIR /app

# Every package that running needs, at the version and with the hashes that
# requirements/run.lock pins (make lock derives it from pyproject.toml), in a
# layer of its own that is rebuilt only when the lock changes. Parley itself
# is not installed: it runs from /app, beside templates/, static/,
# migrations/ and instance/.
COPY requirements/run.lock requirements/run.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/run.lock

COPY Procfile app.py gunicorn.conf.py ./
COPY chat/ chat/
COPY templates/ templates/
COPY static/ static/
COPY migrations/ migrations/
COPY --from=browser-deps /build/node_modules/socket.io-client/ node_modules/socket.io-client/
COPY --from=browser-deps /build/node_modules/@hotwired/turbo/ node_modules/@hotwired/turbo/

# The code stays root's and read-only; the app may write only instance/.
RUN mkdir instance && chown parley:parley instance

USER 10001:10001

ENV PARLEY_ENV=production \
    PORT=8080 \
    PARLEY_VENDOR_DIR=/app/node_modules

EXPOSE 8080

# Liveness only: /healthz answers while the process serves. Orchestrators use
# their own probes (/readyz for readiness) and ignore this one.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"

# Exactly the Procfile's web line: migrate (under a PostgreSQL advisory lock,
# so replicas that start together take turns), seed, then exec gunicorn, which
# becomes PID 1 and receives the orchestrator's SIGTERM.
CMD ["sh", "-c", "flask --app app db upgrade && flask --app app rooms seed && exec gunicorn --worker-class geventwebsocket.gunicorn.workers.GeventWebSocketWorker --workers 1 --bind ${HOST:-0.0.0.0}:${PORT:-5000} --graceful-timeout 10 --no-control-socket --log-level info app:app"]
