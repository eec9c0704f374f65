"""The controlled-substance ledger as CSV, for an inspector's spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from inventory_svc.domain.count_records import ControlledLedgerRow
from inventory_svc.integrations.csv_io import _cell

LEDGER_COLUMNS = (
    "movement",
    "occurred_at",
    "item",
    "item_name",
    "schedule",
    "location",
    "kind",
    "counterparty",
    "lot",
    "expiry",
    "quantity_in",
    "quantity_out",
    "balance",
    "actor",
    "witness",
    "scan",
    "reference",
)


def ledger_csv(rows: Sequence[ControlledLedgerRow]) -> str:
    """One line per row, in the JSON answer's order and names (cells that a spreadsheet
    would read as a formula are quoted with a leading apostrophe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    for row in rows:
        writer.writerow(
            _cell(value)
            for value in (
                row.movement,
                row.occurred_at.isoformat(),
                row.item,
                row.item_name,
                row.schedule,
                row.location,
                row.kind,
                row.counterparty,
                row.lot,
                row.expiry.isoformat() if row.expiry else None,
                row.quantity_in,
                row.quantity_out,
                row.balance,
                row.actor,
                row.witness,
                row.scan,
                row.reference,
            )
        )
    return out.getvalue()
