"""Settings from the environment (a `.env` file may supply them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from inventory_svc.domain.clock import SiteClock

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///inventory.db"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Webhook delivery (services/webhooks.py): INVENTORY_WEBHOOK_* variables."""

    timeout: float = 5.0
    """Seconds one delivery may take, connection to answer (INVENTORY_WEBHOOK_TIMEOUT)."""
    max_attempts: int = 10
    """Attempts before a delivery is dead (INVENTORY_WEBHOOK_MAX_ATTEMPTS)."""
    base_delay: float = 5.0
    """Seconds before the first retry, doubling each time (INVENTORY_WEBHOOK_BASE_DELAY)."""
    max_delay: float = 3600.0
    """The longest wait between two attempts (INVENTORY_WEBHOOK_MAX_DELAY)."""
    allow_private: bool = False
    """Loopback, private and link-local destinations allowed (INVENTORY_WEBHOOK_ALLOW_PRIVATE)."""
    allowed_hosts: frozenset[str] = frozenset()
    """When not empty, the only host names webhooks may call (INVENTORY_WEBHOOK_ALLOWED_HOSTS,
    comma-separated)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        hosts = env.get("INVENTORY_WEBHOOK_ALLOWED_HOSTS", "")
        return cls(
            timeout=float(env.get("INVENTORY_WEBHOOK_TIMEOUT", "5")),
            max_attempts=max(1, int(env.get("INVENTORY_WEBHOOK_MAX_ATTEMPTS", "10"))),
            base_delay=float(env.get("INVENTORY_WEBHOOK_BASE_DELAY", "5")),
            max_delay=float(env.get("INVENTORY_WEBHOOK_MAX_DELAY", "3600")),
            allow_private=_true(env.get("INVENTORY_WEBHOOK_ALLOW_PRIVATE", "false")),
            allowed_hosts=frozenset(
                h.strip().lower().rstrip(".") for h in hosts.split(",") if h.strip()
            ),
        )


def _true(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    db_pool_size: int = 5
    """PostgreSQL connections per worker (as many again may overflow); 5 measured best on a
    2-core machine (bench/server_bench.py, README "Production server")."""
    workers: int = 1
    """Worker processes of `serve`; from the environment: 2 on PostgreSQL, 1 on SQLite."""
    db_pool_timeout: float = 5.0
    """Seconds a request waits for a database connection before it answers 503."""
    db_lock_timeout_ms: int = 2000
    """How long a statement waits for a row lock (a hot balance) before the unit of work
    runs the use case again; SQLite's busy timeout."""
    db_statement_timeout_ms: int = 15000
    rate_limit: float | None = None
    """Requests per second per API key (bursts of ten times that); None: no limit."""
    request_read_timeout: float = 10.0
    """Seconds a client has to send a whole request (head and body) once it starts."""
    max_connections: int = 4096
    """Connections and requests in flight per worker before new ones get 503."""
    timezone: str | None = None
    """IANA zone of the site (e.g. America/Chicago); None means the machine's zone."""
    background_jobs: bool = False
    """Run the background jobs (inventory_svc/worker.py) inside each `serve` process; from
    the environment true by default. False here, so apps built in tests run none unasked."""
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def clock(self) -> SiteClock:
        return SiteClock(site_zone(self.timezone))

    @classmethod
    def from_env(cls, env_file: str | Path | None = ".env") -> Settings:
        """Read INVENTORY_* variables; the process environment wins over `.env`."""
        if env_file is not None and Path(env_file).is_file():
            load_dotenv(env_file, override=False)
        env = os.environ
        database_url = env.get("INVENTORY_DATABASE_URL", DEFAULT_DATABASE_URL)
        return cls(
            database_url=database_url,
            host=env.get("INVENTORY_HOST", "127.0.0.1"),
            port=int(env.get("INVENTORY_PORT", "8000")),
            log_level=env.get("INVENTORY_LOG_LEVEL", "INFO").upper(),
            db_pool_size=int(env.get("INVENTORY_DB_POOL_SIZE", "5")),
            workers=int(env.get("INVENTORY_WORKERS") or default_workers(database_url)),
            db_pool_timeout=float(env.get("INVENTORY_DB_POOL_TIMEOUT", "5")),
            db_lock_timeout_ms=int(env.get("INVENTORY_DB_LOCK_TIMEOUT_MS", "2000")),
            db_statement_timeout_ms=int(env.get("INVENTORY_DB_STATEMENT_TIMEOUT_MS", "15000")),
            rate_limit=float(env["INVENTORY_RATE_LIMIT"])
            if env.get("INVENTORY_RATE_LIMIT")
            else None,
            request_read_timeout=float(env.get("INVENTORY_REQUEST_READ_TIMEOUT", "10")),
            max_connections=int(env.get("INVENTORY_MAX_CONNECTIONS", "4096")),
            timezone=env.get("INVENTORY_TIMEZONE") or None,
            background_jobs=env.get("INVENTORY_BACKGROUND_JOBS", "true").strip().lower()
            not in ("0", "false", "no", "off"),
            webhooks=WebhookSettings.from_env(env),
        )


def default_workers(database_url: str) -> int:
    """Two worker processes on PostgreSQL (scan ingest is CPU-bound Python: two cores serve
    more scans with two, README "Production server"); one on SQLite, whose writers queue in
    one process."""
    return 1 if database_url.startswith("sqlite") else 2


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


def site_zone(name: str | None) -> tzinfo:
    """The named IANA zone, or the machine's own (TZ, then /etc/localtime, else UTC)."""
    if name is None:
        name = os.environ.get("TZ", "").lstrip(":") or None
        if name is None and Path("/etc/localtime").exists():
            with open("/etc/localtime", "rb") as localtime:
                return ZoneInfo.from_file(localtime, key="localtime")
        if name is None:
            return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"time zone {name!r} (INVENTORY_TIMEZONE or TZ) is not an IANA zone name, "
            "e.g. America/Chicago"
        ) from error
