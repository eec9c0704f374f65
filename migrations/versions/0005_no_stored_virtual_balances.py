"""No stored balances for virtual locations: `@supplier`, `@consumed`, `@waste` and
`@adjustment` are the outside world, and their balance is the sum of their movements. Every
receive and issue of a lot used to update that lot's `@supplier` or `@consumed` row, a hot
row that two technicians issuing the same lot from different shelves queued on. A stored
balance is now a real one, and never negative.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM balances WHERE is_virtual")
    with op.batch_alter_table("balances") as batch:
        batch.drop_constraint(op.f("ck_balances_never_negative"), type_="check")
        batch.drop_column("is_virtual")
        batch.create_check_constraint(op.f("ck_balances_never_negative"), "quantity >= 0")


def downgrade() -> None:
    with op.batch_alter_table("balances") as batch:
        batch.drop_constraint(op.f("ck_balances_never_negative"), type_="check")
        batch.add_column(
            sa.Column("is_virtual", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(
            op.f("ck_balances_never_negative"), "is_virtual OR quantity >= 0"
        )
    # Virtual balances, derived again from the ledger as they were stored.
    op.execute(
        """
        INSERT INTO balances (id, item_id, location_id, lot_id, is_virtual, quantity)
        SELECT (SELECT COALESCE(MAX(id), 0) FROM balances)
               + ROW_NUMBER() OVER (ORDER BY item_id, location_id, lot_id),
               item_id, location_id, lot_id, true, net
        FROM (
            SELECT m.item_id, l.id AS location_id, m.lot_id,
                   SUM(CASE WHEN m.to_location_id = l.id
                            THEN m.quantity ELSE -m.quantity END) AS net
            FROM movements m JOIN locations l
              ON l.is_virtual AND l.id IN (m.from_location_id, m.to_location_id)
            GROUP BY m.item_id, l.id, m.lot_id
        ) derived
        """
    )
