"""`inventory-svc`: serve, migrate, demo, keys, users."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import msgspec
from sqlalchemy.exc import OperationalError

from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.db.migrate import upgrade_to_head
from inventory_svc.demo import load_demo
from inventory_svc.domain.count_records import ImportReport
from inventory_svc.domain.errors import Conflict, DomainError
from inventory_svc.domain.roles import Role
from inventory_svc.services import imports, keys, users
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions, UseCase

P = ParamSpec("P")
T = TypeVar("T")


def _cli_actor() -> Actor:
    """Who ran the command: the operating-system user, recorded in the event log."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(key_id=None, name=f"cli:{user}", role=Role.ADMIN)


def _run(settings: Settings, use_case: UseCase[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """One use case in its own unit of work, as the API runs them."""

    async def run() -> T:
        engine = create_engine(settings)
        try:
            transactions = Transactions(create_sessionmaker(engine), settings.clock)
            return await transactions.run(_cli_actor(), use_case, *args, **kwargs)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    print(f"schema at head: {_safe_url(settings.database_url)}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    counts = asyncio.run(_load_demo(settings))
    if counts is None:
        print("database already has items: demo data not loaded")
        return 0 if args.if_empty else 1
    print("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


async def _load_demo(settings: Settings) -> dict[str, int] | None:
    engine = create_engine(settings)
    try:
        transactions = Transactions(create_sessionmaker(engine), settings.clock)
        return await load_demo(transactions, _cli_actor())
    finally:
        await engine.dispose()


def _create_key(settings: Settings, role: Role, name: str) -> str:
    _, plain = _run(settings, keys.create_key, role, name)
    return plain


def cmd_keys_create(settings: Settings, args: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    plain = _create_key(settings, Role(args.role), args.name)
    print(f"created {args.role} key {args.name!r}; it is shown only now:", file=sys.stderr)
    print(plain)
    return 0


def cmd_keys_list(settings: Settings, _: argparse.Namespace) -> int:
    for row in _run(settings, keys.list_keys):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        print(f"{row.id:>4}  {row.prefix}…  {row.role:<12} {state:<18} {row.name}")
    return 0


def cmd_keys_revoke(settings: Settings, args: argparse.Namespace) -> int:
    _run(settings, keys.revoke_key, args.id)
    print(f"revoked key {args.id}")
    return 0


def _with_transactions(settings: Settings, call: Callable[[Transactions], Awaitable[T]]) -> T:
    """A service call that runs its own units of work (users: hashing outside them)."""

    async def run() -> T:
        engine = create_engine(settings)
        try:
            return await call(Transactions(create_sessionmaker(engine), settings.clock))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    plain = _with_transactions(
        settings, lambda t: users.create_user(t, _cli_actor(), args.name, Role(args.role))
    )
    print(f"created {args.role} user {args.name!r}; its first password:", file=sys.stderr)
    print(plain)
    return 0


def cmd_users_list(settings: Settings, _: argparse.Namespace) -> int:
    rows = _with_transactions(settings, lambda t: users.list_users(t.sessions))
    now = settings.clock.now()
    for row in rows:
        locked = f"locked until {row.locked_until:%Y-%m-%d %H:%M}" if row.locked(now) else ""
        print(f"{row.id:>4}  {row.role:<12} {row.status:<9} {locked:<28} {row.name}")
    return 0


def cmd_users_disable(settings: Settings, args: argparse.Namespace) -> int:
    _with_transactions(settings, lambda t: users.disable_user(t, _cli_actor(), args.name))
    print(f"disabled user {args.name!r}; their sessions have ended")
    return 0


def cmd_users_reset_password(settings: Settings, args: argparse.Namespace) -> int:
    plain = _with_transactions(settings, lambda t: users.reset_password(t, _cli_actor(), args.name))
    print(f"new password for {args.name!r}, shown only now:", file=sys.stderr)
    print(plain)
    return 0


def cmd_users_unlock(settings: Settings, args: argparse.Namespace) -> int:
    _with_transactions(settings, lambda t: users.unlock_user(t, _cli_actor(), args.name))
    print(f"unlocked user {args.name!r}")
    return 0


def _demo_admin_login(settings: Settings) -> str:
    """`serve --demo`: a first admin login for the web UI, `admin` with a new password."""

    async def create_or_reset(transactions: Transactions) -> str:
        try:
            return await users.create_user(transactions, _cli_actor(), "admin", Role.ADMIN)
        except Conflict:
            return await users.reset_password(transactions, _cli_actor(), "admin")

    return _with_transactions(settings, create_or_reset)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from inventory_svc.services.backup import BackupError, backup

    try:
        result = backup(settings.database_url, Path(args.out))
    except BackupError as error:
        print(f"inventory-svc: backup not made: {error}", file=sys.stderr)
        return 1
    print(f"backup written: {result.path} ({result.size_bytes} bytes, {result.method})")
    print(f"restore: {result.restore_hint}", file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from inventory_svc import server

    upgrade_to_head(settings.database_url)
    host, port = args.host or settings.host, args.port or settings.port
    base = f"http://{host}:{port}"
    lines = [
        f"inventory-svc on {base}",
        f"  API       {base}/api/v1",
        f"  OpenAPI   {base}/schema/swagger",
    ]
    if args.demo:
        cmd_demo(settings, argparse.Namespace(if_empty=True))

        plain = _create_key(settings, Role.ADMIN, "quickstart admin")
        lines.append(f"  admin key {plain}   (shown once; more: inventory-svc keys create)")
        password = _demo_admin_login(settings)
        lines.append(f"  web UI    {base}/ui   log in as admin / {password}   (shown once)")
    print("\n".join(lines), flush=True)
    workers = args.workers or settings.workers
    server.run(settings, host, port, workers)
    return 0


def cmd_worker(settings: Settings, _: argparse.Namespace) -> int:
    """The background jobs (inventory_svc/worker.py) alone, until SIGTERM or SIGINT."""
    import signal

    from inventory_svc.observability.logs import configure_logging
    from inventory_svc.worker import Runner

    configure_logging(settings.log_level)
    upgrade_to_head(settings.database_url)

    async def work() -> None:
        engine = create_engine(settings)
        try:
            runner = Runner(create_sessionmaker(engine), settings.clock)
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, runner.stop)
            await runner.run()
        finally:
            await engine.dispose()

    asyncio.run(work())
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Load a go-live CSV (README: Go-live imports); the report (refused rows with why) is
    printed as JSON on stdout. Exit 1 when a row was refused."""
    body = Path(args.file).read_bytes()
    load = imports.import_items if args.kind == "items" else imports.import_stock

    async def run() -> ImportReport:
        engine = create_engine(settings)
        try:
            transactions = Transactions(create_sessionmaker(engine), settings.clock)
            return await load(transactions, _cli_actor(), body)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    print(
        f"{report.kind}: {report.rows} rows, {report.created} created, {report.updated} "
        f"updated, {report.unchanged} unchanged, {len(report.refused)} refused "
        f"({report.rows_per_second} rows/s)",
        file=sys.stderr,
    )
    return 1 if report.refused else 0


def _safe_url(url: str) -> str:
    """Never print a password."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inventory-svc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", help="default INVENTORY_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default INVENTORY_PORT or 8000")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes, default INVENTORY_WORKERS, else 2 on PostgreSQL, 1 on SQLite",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load demo data if the database is empty and print a new admin key",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the schema to head (idempotent)").set_defaults(
        func=cmd_migrate
    )

    demo_parser = sub.add_parser("demo", help="load the demo data set into an empty database")
    demo_parser.add_argument(
        "--if-empty", action="store_true", help="exit 0 when the database already has items"
    )
    demo_parser.set_defaults(func=cmd_demo)

    keys_parser = sub.add_parser("keys", help="API keys")
    keys_sub = keys_parser.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True)
    create.set_defaults(func=cmd_keys_create)
    keys_sub.add_parser("list", help="list keys (never the keys themselves)").set_defaults(
        func=cmd_keys_list
    )
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_keys_revoke)

    users_parser = sub.add_parser("users", help="people who log in to the web UI")
    users_sub = users_parser.add_subparsers(dest="users_command", required=True)
    user_create = users_sub.add_parser("create", help="create a user and print a first password")
    user_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_create.add_argument("--name", required=True)
    user_create.set_defaults(func=cmd_users_create)
    users_sub.add_parser("list", help="list users (role, status, lock)").set_defaults(
        func=cmd_users_list
    )
    for command, func, text in (
        ("disable", cmd_users_disable, "disable a user and end their sessions"),
        ("reset-password", cmd_users_reset_password, "print a new password; ends sessions"),
        ("unlock", cmd_users_unlock, "lift a lock after repeated failed logins"),
    ):
        user_command = users_sub.add_parser(command, help=text)
        user_command.add_argument("name")
        user_command.set_defaults(func=func)

    sub.add_parser(
        "worker", help="run the background jobs alone (serve also runs them in-process)"
    ).set_defaults(func=cmd_worker)

    import_parser = sub.add_parser(
        "import", help="load a go-live CSV: the item master or opening stock (README)"
    )
    import_parser.add_argument("kind", choices=["items", "stock"])
    import_parser.add_argument("file", help="the CSV file")
    import_parser.set_defaults(func=cmd_import)

    backup_parser = sub.add_parser(
        "backup", help="copy the database, safe while serving (SQLite: online backup API)"
    )
    backup_parser.add_argument("--out", required=True, help="the backup file to write")
    backup_parser.set_defaults(func=cmd_backup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        settings.clock  # noqa: B018 - refuse an unknown time zone before any work
    except ValueError as error:  # ConfigError, or a number that is not one
        print(f"inventory-svc: {error}", file=sys.stderr)
        return 2
    try:
        result: int = args.func(settings, args)
    except DomainError as error:
        print(f"inventory-svc: {error.detail}", file=sys.stderr)
        return 1
    except (OperationalError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        print(
            f"inventory-svc: cannot use the database {_safe_url(settings.database_url)}: {reason}",
            file=sys.stderr,
        )
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
