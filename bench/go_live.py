"""Go-live figures: item-master and opening-stock import rates, and a count commit's time.

    python -m bench.go_live [--rows 3000] [--url postgresql+asyncpg://...]

Without `--url`, a fresh SQLite file in a temporary directory; a PostgreSQL URL must name an
empty, migrated database. Loads `rows` items (NDC + GTIN, a third with a carton GTIN) and
one opening lot of each at one shelf, then counts that shelf (every lot counted, a tenth of
them one short) and commits the count: one `count_adjust` per short lot.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from inventory_svc.config import Settings
from inventory_svc.db import counts as counts_db
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.db.migrate import upgrade_to_head
from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.clock import SiteClock
from inventory_svc.services import catalog, counts, imports
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions, UnitOfWork


def _ndc(n: int) -> str:
    return f"{50000 + n // 1000:05d}-{n % 1000:03d}-{n % 7:02d}"


def _files(rows: int) -> tuple[bytes, bytes]:
    items = ["name,strength,form,ndc,gtins,schedule"]
    stock = ["location,gtin,lot,expiry,quantity"]
    for n in range(rows):
        gtins = gtin_from_ndc(_ndc(n))
        if n % 3 == 0:
            gtins += f";{gtin_from_ndc(_ndc(n), indicator=5)}:25"
        items.append(f"Drug {n},1 mg,tablet,{_ndc(n)},{gtins},{'CIV' if n % 10 == 0 else ''}")
        stock.append(f"SHELF,{gtin_from_ndc(_ndc(n))},L{n},2030-01-31,{10 + n % 5}")
    return ("\n".join(items) + "\n").encode(), ("\n".join(stock) + "\n").encode()


async def _count_everything(uow: UnitOfWork, count_id: int) -> int:
    """Every lot on the shelf counted (a tenth one short), as count scans would."""
    count = await counts_db.count_by_id(uow.session, count_id)
    assert count is not None
    shelf = await counts_db.shelf(uow.session, count.location_id)
    for n, row in enumerate(shelf):
        await counts_db.add_counted(
            uow.session,
            count_id=count_id,
            location_id=count.location_id,
            item_id=row.item_id,
            lot_id=row.lot_id,
            quantity=row.quantity - (1 if n % 10 == 0 else 0) or 1,
            at=uow.now,
        )
    return len(shelf)


async def main(rows: int, url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    items_csv, stock_csv = _files(rows)
    try:
        await transactions.run(SYSTEM, catalog.create_location, "SHELF", "Shelf", "shelf", None)
        for kind, body in (("items", items_csv), ("stock", stock_csv)):
            report = await (imports.import_items if kind == "items" else imports.import_stock)(
                transactions, SYSTEM, body
            )
            print(
                f"import {kind}: {report.rows} rows in {report.seconds:.2f} s = "
                f"{report.rows_per_second:.0f} rows/s ({len(report.refused)} refused)"
            )
        opened = await transactions.run(SYSTEM, counts.open_count, "SHELF", False)
        lines = await transactions.run(SYSTEM, _count_everything, opened.id)
        started = time.perf_counter()
        committed = await transactions.run(
            SYSTEM, counts.commit_count, opened.id, "bench: controlled items short"
        )
        took = time.perf_counter() - started
        print(
            f"count commit: {lines} lines, {len(committed.adjustments or [])} adjustments "
            f"in {took * 1000:.0f} ms"
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    database = args.url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/go_live.db"
    upgrade_to_head(database)  # Alembic runs its own event loop
    asyncio.run(main(args.rows, database))
