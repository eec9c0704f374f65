"""Load the demo data set (inventory_svc.demo_data) into an empty database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc import demo_data
from inventory_svc.db import catalog as catalog_db
from inventory_svc.db.ledger import NewMovement, move_lot, record_movements, upsert_lot
from inventory_svc.db.models import Item
from inventory_svc.domain.ledger import SUPPLIER
from inventory_svc.services import catalog


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Item))


async def load_demo(session: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """Suppliers, the location tree, items with identifiers, and stock received as ordinary
    ledger movements from @supplier (so balances and ledger agree from the start)."""
    now = now or datetime.now(UTC)
    for supplier in demo_data.SUPPLIERS:
        await catalog.create_supplier(session, supplier.key, supplier.name, supplier.account_number)
    for location in demo_data.LOCATIONS:
        await catalog.create_location(
            session, location.code, location.name, location.kind, location.parent
        )
    item_ids: dict[str, int] = {}
    for demo_item in demo_data.ITEMS:
        item, _ = await catalog.create_item(
            session,
            catalog.ItemInput(
                name=demo_item.name,
                strength=demo_item.strength,
                form=demo_item.form,
                base_unit=demo_item.base_unit,
                schedule=demo_item.schedule,
                preferred_supplier=demo_item.supplier,
                identifiers=[
                    catalog.IdentifierInput(i.kind, i.value, i.units) for i in demo_item.identifiers
                ],
            ),
        )
        item_ids[demo_item.key] = item.id
    codes = {row.location for row in demo_data.STOCK} | {SUPPLIER}
    locations = await catalog_db.locations_by_codes(session, codes)
    movements = []
    for row in demo_data.STOCK:
        item_id = item_ids[row.item]
        expiry = (now + timedelta(days=row.expiry_offset_days)).date()
        lot = await upsert_lot(session, item_id, row.lot, expiry)
        await move_lot(
            session, locations[SUPPLIER], locations[row.location], item_id, lot.id, row.quantity
        )
        movements.append(
            NewMovement(
                kind="receive",
                item_id=item_id,
                lot_id=lot.id,
                from_location_id=locations[SUPPLIER].id,
                to_location_id=locations[row.location].id,
                quantity=row.quantity,
                occurred_at=now,
                actor="demo",
                reference="demo data",
            )
        )
    await record_movements(session, movements)
    return {
        "suppliers": len(demo_data.SUPPLIERS),
        "locations": len(demo_data.LOCATIONS),
        "items": len(demo_data.ITEMS),
        "stock_rows": len(demo_data.STOCK),
    }
