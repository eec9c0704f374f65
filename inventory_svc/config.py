"""Settings from the environment (a `.env` file may supply them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///inventory.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    db_pool_size: int = 10
    workers: int = 1

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env_file: str | Path | None = ".env") -> Settings:
        """Read INVENTORY_* variables; the process environment wins over `.env`."""
        if env_file is not None and Path(env_file).is_file():
            load_dotenv(env_file, override=False)
        env = os.environ
        return cls(
            database_url=env.get("INVENTORY_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("INVENTORY_HOST", "127.0.0.1"),
            port=int(env.get("INVENTORY_PORT", "8000")),
            log_level=env.get("INVENTORY_LOG_LEVEL", "INFO").upper(),
            db_pool_size=int(env.get("INVENTORY_DB_POOL_SIZE", "10")),
            workers=int(env.get("INVENTORY_WORKERS", "1")),
        )
