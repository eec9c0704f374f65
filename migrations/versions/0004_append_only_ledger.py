"""The ledger is append-only in the database itself: movements are never updated or deleted,
a scan once decided (applied or rejected) is never changed or deleted, and an event is only
ever given its feed position. Enforced by triggers on both databases, whatever the client.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, operation, condition on OLD under which the change is refused)
RULES = [
    ("movements", "UPDATE", None),
    ("movements", "DELETE", None),
    ("scans", "UPDATE", "OLD.status <> 'pending'"),
    ("scans", "DELETE", None),
    ("events", "UPDATE", "OLD.id IS NOT NULL"),
    ("events", "DELETE", None),
]


def _name(table: str, operation: str) -> str:
    return f"{table}_append_only_{operation.lower()}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION inventory_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'append-only: % of a row of % is refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table, operation, condition in RULES:
            when = f"WHEN ({condition})" if condition else ""
            op.execute(
                f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                f"FOR EACH ROW {when} EXECUTE FUNCTION inventory_append_only()"
            )
        return
    for table, operation, condition in RULES:
        when = f"WHEN {condition}" if condition else ""
        op.execute(
            f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} {when} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only: {operation} of a row of {table} is "
            "refused'); END"
        )


def downgrade() -> None:
    for table, operation, _ in RULES:
        op.execute(
            f"DROP TRIGGER IF EXISTS {_name(table, operation)}"
            + (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else "")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS inventory_append_only()")
