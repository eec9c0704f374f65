"""`bigint_sum(bigint)`: a sum of BIGINTs kept in a BIGINT, for the reorder list (PostgreSQL).

PostgreSQL's own sum(bigint) answers NUMERIC and keeps a 128-bit state allocated per group: over
a hospital's 118,000 (location, item) groups it was a fifth of the reorder list's statement
(bench/reorder_bench.py). This one adds with int8pl, whose state is a plain BIGINT, and is exact:
it raises "bigint out of range" rather than round, at 9.2e18 units, beyond any ledger the
quantity limits allow. Like sum(), it answers NULL over no rows. SQLite's sum() of integers is
already an integer, so SQLite needs nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE AGGREGATE bigint_sum(bigint) "
            "(SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP AGGREGATE bigint_sum(bigint)")
