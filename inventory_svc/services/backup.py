"""Backups (issue 9): `inventory-svc backup --out PATH`, safe while the service runs.

SQLite: the online backup API, checked with `PRAGMA integrity_check`. PostgreSQL: `pg_dump`
in its custom format when it is on PATH (restore with `pg_restore`); otherwise the command
to run is given instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inventory_svc.db import backup as backup_db
from inventory_svc.db.backup import BackupError

__all__ = ["BackupError", "BackupResult", "backup"]


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size_bytes: int
    method: str
    restore_hint: str


def backup(database_url: str, out: Path) -> BackupResult:
    if database_url.startswith("sqlite"):
        size = backup_db.sqlite_online_backup(backup_db.sqlite_path(database_url), out)
        return BackupResult(
            out,
            size,
            "sqlite online backup",
            "stop the service, copy the file over the database (delete its -wal and -shm "
            "files), start the service",
        )
    if database_url.startswith("postgresql"):
        if not backup_db.pg_dump_available():
            args, _ = backup_db.pg_dump_command(database_url, out)
            raise BackupError(
                "pg_dump is not on PATH; install the PostgreSQL client tools of the server's "
                "major version, or run it where they are: PGPASSWORD=... " + " ".join(args)
            )
        size = backup_db.run_pg_dump(database_url, out)
        return BackupResult(
            out,
            size,
            "pg_dump (custom format)",
            f"pg_restore --clean --if-exists --no-owner --dbname=<database> {out}",
        )
    raise BackupError(f"no backup method for {database_url.partition(':')[0]!r} databases")
