"""Configuration: one place that reads the environment.

Defaults make the embedded mode work with no configuration at all (SQLite in
``instance/``, one process, no Redis). Settings that would be unsafe in
production fail loudly instead of being silently accepted.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

DEV_SECRET_FILE = "secret_key"  # noqa: S105 - the file's name, not a secret
MIN_SECRET_KEY_CHARS = 32
# What a production SECRET_KEY must carry, estimated from how often each of its characters
# occurs: 32 random hex digits give 90-128 bits, 32 of the same letter none at all.
MIN_SECRET_KEY_BITS = 80
ENVIRONMENTS = ("development", "production", "test")
MIN_EVENT_BYTES = 80 * 1024  # 64 KiB events plus their framing
# Set by the platforms we deploy to: their presence means production.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PLATFORM_MARKERS = ("RENDER", "K_SERVICE", "KUBERNETES_SERVICE_HOST", "DYNO")
# Who may sign up (chat.domain.signups); unset, the admin page decides (invite-only in production).
SIGNUP_MODES = ("open", "invite-only", "closed")
# The databases Parley runs on (SQLAlchemy's names; postgres:// is what platforms hand out).
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg")


class ConfigError(RuntimeError):
    """A setting that Parley refuses to run with."""


def is_production(env: dict[str, str]) -> bool:
    """PARLEY_ENV or FLASK_ENV says so (in any letter case), or a hosting platform's own variable is present.

    A value that names no environment stops the start: a typo such as
    ``prod`` must not quietly run with development's defaults.
    """
    name = "PARLEY_ENV" if env.get("PARLEY_ENV") else "FLASK_ENV"
    declared = (env.get(name) or "").strip().lower()
    if declared:
        if declared not in ENVIRONMENTS:
            raise ConfigError(f"{name} must be one of {', '.join(ENVIRONMENTS)}, got {env[name]!r}")
        return declared == "production"
    return any(env.get(marker) for marker in PLATFORM_MARKERS)


def estimated_bits(secret: str) -> float:
    """The secret's entropy estimated from its characters' frequencies (Shannon), in bits.

    A key that repeats a shorter string is worth that string only: ``"password" * 8``
    counts as ``"password"``.
    """
    period = next(
        (
            p
            for p in range(1, len(secret) // 2 + 1)
            if secret == (secret[:p] * (len(secret) // p + 1))[: len(secret)]
        ),
        len(secret),
    )
    unit = secret[:period]
    counts = Counter(unit)
    return -sum(n * math.log2(n / len(unit)) for n in counts.values())


def database_url(raw: str | None, instance_path: str) -> str:
    """Return a SQLAlchemy URL for ``raw``, mapping platform URLs to psycopg 3.

    Platforms hand out ``postgres://`` or ``postgresql://`` URLs; SQLAlchemy
    would pick psycopg2 for those, which we do not ship.
    """
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "parley.sqlite3")
    scheme = raw.partition("://")[0].lower() if "://" in raw else ""
    if scheme not in DATABASE_SCHEMES:
        # Only the scheme is shown: the rest of a URL may hold a password.
        shown = f"a URL with the scheme {scheme!r}" if scheme else "no URL (scheme://...)"
        raise ConfigError(
            "DATABASE_URL must be a PostgreSQL (postgresql://user:password@host/name) or SQLite "
            f"(sqlite:////path/to/file) URL, got {shown}"
        )
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def log_format(env: Mapping[str, str]) -> str:
    """``json`` (one JSON object per line, for every line the process writes) or ``text``."""
    return "json" if (env.get("LOG_FORMAT") or "").strip().lower() == "json" else "text"


Number = TypeVar("Number", int, float)


def _number(env: dict[str, str], name: str, default: Number) -> Number:
    """``env[name]`` read as the type of ``default`` (int or float); unset or empty gives ``default``."""
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return type(default)(value)
    except ValueError as exc:
        kind = "an integer" if isinstance(default, int) else "a number"
        raise ConfigError(f"{name} must be {kind}, got {value!r}") from exc


def _log_level(raw: str | None) -> str:
    level = (raw or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _origins(raw: str | None) -> list[str]:
    origins = [o.strip().rstrip("/") for o in (raw or "").split(",") if o.strip()]
    if "*" in origins:
        raise ConfigError("CORS_ALLOWED_ORIGINS may not be '*': list the origins you trust")
    return origins


def _flag(env: dict[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {env[name]!r}")


def _signup_mode(raw: str | None) -> str | None:
    mode = (raw or "").strip().lower()
    if mode and mode not in SIGNUP_MODES:
        raise ConfigError(f"SIGNUP_MODE must be one of {', '.join(SIGNUP_MODES)}, got {raw!r}")
    return mode or None


def _hosts(raw: str | None) -> list[str] | None:
    hosts = [h.strip().lower() for h in (raw or "").split(",") if h.strip()]
    if "*" in hosts:
        raise ConfigError("TRUSTED_HOSTS may not be '*': list the host names this app answers to")
    return hosts or None


def _dev_secret_key(instance_path: str) -> str:
    """A random key kept in ``instance/`` so sessions survive restarts in dev."""
    path = Path(instance_path) / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by its owner only: never a moment with the key in a world-readable file.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


def from_environment(instance_path: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the app's settings from environment variables."""
    env = dict(os.environ if env is None else env)
    production = is_production(env)
    database = database_url(env.get("DATABASE_URL"), instance_path)
    return {
        "PRODUCTION": production,
        "SECRET_KEY": _secret_key(env.get("SECRET_KEY"), production, instance_path),
        "SQLALCHEMY_DATABASE_URI": database,
        # A server's connection can drop while pooled; a SQLite file's cannot, and a
        # ping would cost a statement on every event's checkout.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database.startswith("sqlite")},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SOCKETIO_CHANNEL": env.get("SOCKETIO_CHANNEL") or "parley",
        "CORS_ALLOWED_ORIGINS": _origins(env.get("CORS_ALLOWED_ORIGINS")),
        # Where `python app.py` listens (the Procfile's gunicorn takes HOST and PORT from its command line).
        "HOST": env.get("HOST") or "127.0.0.1",
        "PORT": _number(env, "PORT", 5000),
        # Behind N reverse proxies, trust N hops of X-Forwarded-For and -Proto (client address, https).
        "PROXY_FIX_HOPS": _number(env, "PROXY_FIX_HOPS", 0),
        # ... and of X-Forwarded-Host, only when the proxies set it themselves.
        "PROXY_FIX_HOST": _flag(env, "PROXY_FIX_HOST"),
        # The Host values this app answers to (None: any); others get 400 before anything runs.
        "TRUSTED_HOSTS": _hosts(env.get("TRUSTED_HOSTS")),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        # The address people open Parley at, before the links the CLI prints (invitations, resets).
        "PUBLIC_URL": env.get("PUBLIC_URL") or None,
        # open, invite-only or closed; fixes the mode the admin page would otherwise choose.
        "SIGNUP_MODE": _signup_mode(env.get("SIGNUP_MODE")),
        "LOG_FORMAT": log_format(env),
        "LOG_LEVEL": _log_level(env.get("LOG_LEVEL")),
        "SOCKETIO_ADMIN_USER": env.get("SOCKETIO_ADMIN_USER") or "admin",
        "SOCKETIO_ADMIN_PASSWORD": env.get("SOCKETIO_ADMIN_PASSWORD") or None,
        "VENDOR_DIR": env.get("PARLEY_VENDOR_DIR")
        or str(Path(__file__).resolve().parent.parent / "node_modules"),
        **_limits(env),
        **_cookies(production),
    }


def _secret_key(secret_key: str | None, production: bool, instance_path: str) -> str:
    if production and (not secret_key or len(secret_key) < MIN_SECRET_KEY_CHARS):
        raise ConfigError(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_CHARS} characters in production"
        )
    if production and secret_key and estimated_bits(secret_key) < MIN_SECRET_KEY_BITS:
        raise ConfigError(
            "SECRET_KEY looks guessable (too few different characters): use "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return secret_key or _dev_secret_key(instance_path)


def _limits(env: dict[str, str]) -> dict[str, Any]:
    """Rates, sizes and counts that bound what one client may cost."""
    max_event_bytes = _number(env, "MAX_EVENT_BYTES", 1024 * 1024)
    if max_event_bytes < MIN_EVENT_BYTES:
        raise ConfigError(
            f"MAX_EVENT_BYTES must be at least {MIN_EVENT_BYTES}: the contract acknowledges 64 KiB events"
        )
    return {
        "RATE_LIMIT_BURST": _number(env, "RATE_LIMIT_BURST", 20),
        "RATE_LIMIT_PER_SECOND": _number(env, "RATE_LIMIT_PER_SECOND", 5.0),
        # Every socket event spends from one budget per user (history and join by what they return).
        "EVENTS_BURST": _number(env, "EVENTS_BURST", 100),
        "EVENTS_PER_SECOND": _number(env, "EVENTS_PER_SECOND", 20.0),
        # A process renews its sockets' presence every third of this; a dead one's lapse after it.
        "PRESENCE_TTL_SECONDS": _number(env, "PRESENCE_TTL_SECONDS", 30.0),
        "LOGIN_ATTEMPTS_BURST": _number(env, "LOGIN_ATTEMPTS_BURST", 10),
        "LOGIN_ATTEMPTS_PER_MINUTE": _number(env, "LOGIN_ATTEMPTS_PER_MINUTE", 5.0),
        "REGISTRATIONS_BURST": _number(env, "REGISTRATIONS_BURST", 10),
        "REGISTRATIONS_PER_HOUR": _number(env, "REGISTRATIONS_PER_HOUR", 20.0),
        # Rooms one person may create (public and private; direct rooms apart), and how fast.
        "MAX_ROOMS_PER_USER": _number(env, "MAX_ROOMS_PER_USER", 100),
        "MAX_DIRECT_ROOMS_PER_USER": _number(env, "MAX_DIRECT_ROOMS_PER_USER", 1000),
        "ROOMS_BURST": _number(env, "ROOMS_BURST", 10),
        "ROOMS_PER_HOUR": _number(env, "ROOMS_PER_HOUR", 30.0),
        # /dm/<name> opened (each a probe of whether the name exists), per user.
        "DIRECTS_BURST": _number(env, "DIRECTS_BURST", 20),
        "DIRECTS_PER_HOUR": _number(env, "DIRECTS_PER_HOUR", 60.0),
        "MAX_SOCKETS_PER_USER": _number(env, "MAX_SOCKETS_PER_USER", 20),
        # Offices and phone carriers put many people behind one address: roomy, but a bound.
        "MAX_SOCKETS_PER_ADDRESS": _number(env, "MAX_SOCKETS_PER_ADDRESS", 200),
        # A request's line and headers must arrive within this, and a body may pause no longer.
        "SLOW_CLIENT_SECONDS": _number(env, "SLOW_CLIENT_SECONDS", 10.0),
        # Bytes of frames a WebSocket that does not read may have waiting before it is dropped.
        "SOCKET_BACKLOG_BYTES": _number(env, "SOCKET_BACKLOG_BYTES", 1024 * 1024),
        # Engine.IO's heartbeat: how often the server pings a connection (clients learn it on connect).
        "PING_INTERVAL_SECONDS": _number(env, "PING_INTERVAL_SECONDS", 25.0),
        "MAX_ROOMS_PER_SOCKET": _number(env, "MAX_ROOMS_PER_SOCKET", 100),
        "MAX_MESSAGE_CHARS": _number(env, "MAX_MESSAGE_CHARS", 4000),
        # Engine.IO refuses (by closing that one connection) packets above this.
        "MAX_EVENT_BYTES": max_event_bytes,
        # Forms are small: a larger body is refused with 413 before anything parses it.
        "MAX_CONTENT_LENGTH": 256 * 1024,
    }


def _cookies(production: bool) -> dict[str, Any]:
    return {
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }
