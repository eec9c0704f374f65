"""Run Alembic migrations from code (CLI `migrate`, `serve`, and the test fixtures)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url


def migrations_dir() -> Path:
    """Installed wheels carry the scripts inside the package; a source checkout has them at
    the repository root."""
    packaged = Path(__file__).resolve().parent.parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_to_head(database_url: str) -> None:
    """Idempotent: a database already at head is left as it is. Processes starting at the
    same instant migrate one at a time: PostgreSQL through an advisory lock (migrations/
    env.py), a SQLite file through a lock file beside it."""
    with _sqlite_migration_lock(database_url):
        command.upgrade(alembic_config(database_url), "head")


@contextmanager
def _sqlite_migration_lock(database_url: str) -> Iterator[None]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{url.database}.migrate-lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
