"""Context barcodes (``LOC:``, ``KIT:``, ``CMD:``): a pure state machine, handled locally.

Technicians switch location, kit, action and quantity by scanning labels instead of typing,
so the client interprets these few prefixes itself and never posts them. Everything else is
an item scan, turned into the body of ``POST /api/v1/scans`` with the current context.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .config import ACTIONS
from .wedge import split_symbology

#: Actions whose scans name the selected kit as ``to_location``.
KIT_ACTIONS = frozenset({"restock", "remove", "transfer"})
COMMAND_ACTIONS = frozenset(a.upper() for a in ACTIONS)
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class ContextEvent:
    """What a context barcode did (for feedback); ``error`` set when it was not understood."""

    kind: str  # "location" | "kit" | "action" | "quantity" | "error"
    value: str | None
    message: str
    error: bool = False


@dataclass
class ScanContext:
    """Current location/kit/action and a one-shot quantity for the next item scan."""

    location: str | None = None
    kit: str | None = None
    action: str = "receive"
    next_quantity: int | None = None
    device: str | None = None
    purchase_order: str | None = None
    restock_session: str | None = None
    count_session: str | None = None

    def handle(self, code: str) -> ContextEvent | None:
        """Apply a context barcode; None means ``code`` is an item scan, not context."""
        _sym, data = split_symbology(code)
        prefix, sep, rest = data.partition(":")
        if not sep:
            return None
        prefix = prefix.strip().upper()
        rest = rest.strip()
        if prefix == "LOC":
            if not rest:
                return ContextEvent("error", None, "LOC: label without a location code", True)
            self.location = rest
            return ContextEvent("location", rest, f"location {rest}")
        if prefix == "KIT":
            self.kit = rest or None
            if rest:
                return ContextEvent("kit", rest, f"kit {rest} selected")
            return ContextEvent("kit", None, "kit cleared")
        if prefix == "CMD":
            return self._command(rest)
        return None

    def _command(self, rest: str) -> ContextEvent:
        word, _sep, arg = rest.partition(":")
        word = word.strip().upper()
        if word == "QTY":
            try:
                qty = int(arg.strip())
            except ValueError:
                qty = 0
            if not 0 < qty <= MAX_QUANTITY:
                return ContextEvent("error", arg, f"bad quantity in CMD:QTY:{arg}", True)
            self.next_quantity = qty
            return ContextEvent("quantity", str(qty), f"quantity {qty} for the next scan")
        if word in COMMAND_ACTIONS and not arg:
            self.action = word.lower()
            into = f" into kit {self.kit}" if self.kit and self.action in KIT_ACTIONS else ""
            return ContextEvent("action", self.action, f"action {self.action}{into}")
        return ContextEvent("error", rest, f"unknown command CMD:{rest}", True)

    def missing(self) -> str | None:
        """Why an item scan cannot be built now (None if it can)."""
        if self.location is None and self.action != "lookup":
            return "no location set: scan a LOC: label or pass --location"
        return None

    def build_request(self, code: str, scanned_at: str) -> dict[str, Any]:
        """The scan body for an item code; consumes the one-shot quantity."""
        body: dict[str, Any] = {"code": code, "action": self.action}
        if self.location is not None:
            body["location"] = self.location
        if self.kit and self.action in KIT_ACTIONS:
            body["to_location"] = self.kit
        if self.next_quantity is not None:
            body["quantity"] = self.next_quantity
            self.next_quantity = None
        if self.device:
            body["device"] = self.device
        body["scanned_at"] = scanned_at
        if self.purchase_order and self.action == "receive":
            body["purchase_order"] = self.purchase_order
        if self.restock_session and self.action in ("restock", "remove"):
            body["restock_session"] = self.restock_session
        if self.count_session and self.action == "count":
            body["count_session"] = self.count_session
        return body

    def snapshot(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
