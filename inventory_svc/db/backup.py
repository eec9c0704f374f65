"""Copies of the database that are safe to take while the service runs.

SQLite: the online backup API (`sqlite3.Connection.backup`) in one step, which copies one
consistent snapshot; in WAL mode writers carry on meanwhile (they append to the WAL, which
the snapshot does not see). PostgreSQL: `pg_dump`, which reads one repeatable-read snapshot.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def sqlite_path(url: str) -> Path:
    """The file a `sqlite+aiosqlite:///...` URL names."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{url!r} names no database file to back up")
    return Path(database)


def sqlite_online_backup(source: Path, out: Path) -> int:
    """Copy `source` to `out` (atomically: a temporary file renamed into place) and check the
    copy; returns its size in bytes. Waits up to 30 s for a writer's lock, like the service."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    if out.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)  # only read (mode=ro cannot open a WAL alone)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=-1)  # one step: one consistent snapshot, never restarted
            (check,) = dst.execute("PRAGMA integrity_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            # A standalone file: no WAL beside it to lose when it is copied elsewhere.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup failed: {error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, out)
    return out.stat().st_size


def pg_dump_command(url: str, out: Path) -> tuple[list[str], dict[str, str]]:
    """`pg_dump` arguments (custom format, for `pg_restore`) and the environment carrying the
    password (never on the command line, where `ps` shows it)."""
    parsed: URL = make_url(url)
    args = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}"]
    if parsed.host:
        args.append(f"--host={parsed.host}")
    if parsed.port:
        args.append(f"--port={parsed.port}")
    if parsed.username:
        args.append(f"--username={parsed.username}")
    args.append(f"--dbname={parsed.database or 'postgres'}")
    env = {**os.environ}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def pg_dump_available() -> bool:
    return shutil.which("pg_dump") is not None


def run_pg_dump(url: str, out: Path) -> int:
    """Run `pg_dump` into `out` (atomically); returns the dump's size in bytes."""
    partial = out.with_name(out.name + ".partial")
    args, env = pg_dump_command(url, partial)
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")
    os.replace(partial, out)
    return out.stat().st_size
