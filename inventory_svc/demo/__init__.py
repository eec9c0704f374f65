"""The demo data set (`data.py`) and its loader.

The loader goes through the same use cases as real work: suppliers, locations and items
through the catalogue's, and stock as `receive` scans of real GS1 DataMatrix contents, with
their lot checks, movements and events; crash carts and anesthesia trays are restocked by
`restock` scans, sealed, checked and opened (`kits.py`). A demo database is a database a
pharmacy could have.
"""

from __future__ import annotations

from datetime import timedelta

from inventory_svc.demo import data
from inventory_svc.demo.kits import load_kits
from inventory_svc.domain.ledger import Action
from inventory_svc.domain.vocabulary import IdentifierKind
from inventory_svc.services import catalog, reorders
from inventory_svc.services.actors import Actor
from inventory_svc.services.scans import ScanRequest, ingest_scan
from inventory_svc.services.uow import Transactions, UnitOfWork

DEVICE = "demo-loader"


async def _has_items(uow: UnitOfWork) -> bool:
    return bool(await catalog.search_items(uow.session, None, limit=1, offset=0))


async def load_demo(transactions: Transactions, actor: Actor) -> dict[str, int] | None:
    """Loads the data set into a database without items; None when it has some already.
    Each step is its own unit of work; stock arrives as scans with fixed Idempotency-Keys,
    so a load cut short and run again never books a receipt twice."""
    if await transactions.run(actor, _has_items):
        return None
    for supplier in data.SUPPLIERS:
        await transactions.run(
            actor, catalog.create_supplier, supplier.key, supplier.name, supplier.account_number
        )
    for location in data.LOCATIONS:
        await transactions.run(
            actor,
            catalog.create_location,
            location.code,
            location.name,
            location.kind,
            location.parent,
        )
    gtins: dict[str, str] = {}
    item_ids: dict[str, int] = {}
    for item in data.ITEMS:
        created = await transactions.run(
            actor,
            catalog.create_item,
            catalog.ItemInput(
                name=item.name,
                strength=item.strength,
                form=item.form,
                base_unit=item.base_unit,
                schedule=item.schedule,
                preferred_supplier=item.supplier,
                identifiers=[
                    catalog.IdentifierInput(i.kind, i.value, i.units) for i in item.identifiers
                ],
            ),
        )
        item_ids[item.key] = created.id
        gtins[item.key] = next(
            i.value for i in item.identifiers if i.kind == IdentifierKind.GTIN and i.units == 1
        )
    today = transactions.clock.today()
    for n, row in enumerate(data.STOCK, start=1):
        expiry = today + timedelta(days=row.expiry_offset_days)
        request = ScanRequest(
            code=f"]d201{gtins[row.item]}17{expiry:%y%m%d}10{row.lot}",
            action=Action.RECEIVE,
            location=row.location,
            quantity=row.quantity,
            device=DEVICE,
        )
        await ingest_scan(transactions, request, actor=actor, idempotency_key=f"demo-stock-{n}")
    await _load_reorders(transactions, actor, item_ids, gtins)
    await load_kits(transactions, actor, item_ids, gtins, today)
    return {
        "suppliers": len(data.SUPPLIERS),
        "locations": len(data.LOCATIONS),
        "items": len(data.ITEMS),
        "stock_rows": len(data.STOCK),
        "par_levels": len(data.PAR_LEVELS),
        "kit_templates": len(data.KIT_TEMPLATES),
        "kits": len(data.KITS),
    }


async def _load_reorders(
    transactions: Transactions, actor: Actor, item_ids: dict[str, int], gtins: dict[str, str]
) -> None:
    """Supplier terms, par levels (satellites and the ADC refilled from the storeroom) and
    a month of usage: receipts and issues booked in the past, so the reorder list shows
    daily usage and days of supply."""
    for terms in data.SUPPLIER_ITEMS:
        await transactions.run(
            actor,
            reorders.put_supplier_item,
            reorders.SupplierItemInput(
                supplier=terms.supplier,
                item=item_ids[terms.item],
                supplier_item_code=terms.code,
                pack_size=terms.pack_size,
                min_order_quantity=terms.min_order_quantity,
                lead_time_days=terms.lead_time_days,
                unit_cost_cents=terms.unit_cost_cents,
                preferred=True,
            ),
        )
    await transactions.run(
        actor,
        reorders.put_par_levels,
        [
            reorders.ParLevelInput(
                item=item_ids[item],
                location=location,
                par=par,
                reorder_point=reorder_point,
                source_location=data.PAR_SOURCES.get(location),
            )
            for item, location, par, reorder_point in data.PAR_LEVELS
        ],
    )
    now = transactions.clock.now()
    today = transactions.clock.today(now)
    for n, use in enumerate(data.USAGE, start=1):
        expiry = today + timedelta(days=use.expiry_offset_days)
        code = f"]d201{gtins[use.item]}17{expiry:%y%m%d}10{use.lot}"
        for action, minutes in ((Action.RECEIVE, 0), (Action.ISSUE, 5)):
            request = ScanRequest(
                code=code,
                action=action,
                location=use.location,
                quantity=use.quantity,
                device=DEVICE,
                scanned_at=now - timedelta(days=use.days_ago, minutes=-minutes),
            )
            await ingest_scan(
                transactions, request, actor=actor, idempotency_key=f"demo-usage-{n}-{action}"
            )
