"""Context barcodes (``LOC:``, ``KIT:``, ``CMD:``): a pure state machine, handled locally.

Technicians switch location, kit, action and quantity by scanning labels instead of typing,
so the client interprets these few prefixes itself and never posts them. Everything else is
an item scan, turned into the body of ``POST /api/v1/scans`` with the current context.

Kits (DESIGN §2, restock session): ``KIT:<code>`` selects a kit; only ``restock`` (current
location -> kit) and ``remove`` (kit -> current location) scans use it, so a restock works
offline without a session id (the server joins the kit's open session or opens one).
``CMD:SEAL`` arms seal mode: the next code, whatever it reads, is the seal's own barcode and
goes out as a ``seal`` scan at the kit, queued behind the item scans; then the mode is off
again and the action is what it was.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .config import ACTIONS
from .wedge import split_symbology

#: Actions whose scans use the selected kit (restock: into it; remove: out of it).
KIT_ACTIONS = frozenset({"restock", "remove"})
COMMAND_ACTIONS = frozenset(a.upper() for a in ACTIONS)
MAX_QUANTITY = 100_000
SEAL_COMMAND = "SEAL"
CLEAR_KIT_HINT = "scan the empty KIT: label (Clear kit, on the command sheet) to clear it"


@dataclass(frozen=True)
class ContextEvent:
    """What a context barcode did (for feedback); ``error`` set when it was not understood."""

    kind: str  # "location" | "kit" | "action" | "quantity" | "seal" | "error"
    value: str | None
    message: str
    error: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why an item scan is not sent (kept in the queue as rejected under ``code``)."""

    code: str
    reason: str


@dataclass
class ScanContext:
    """Current location/kit/action, a one-shot quantity, and whether a seal is awaited."""

    location: str | None = None
    kit: str | None = None
    action: str = "receive"
    next_quantity: int | None = None
    device: str | None = None
    purchase_order: str | None = None
    restock_session: int | None = None
    count_session: int | None = None
    pick_list: int | None = None
    to_location: str | None = None
    #: CMD:SEAL was scanned: the next code is the seal's barcode, not an item or a label.
    seal_armed: bool = False

    def handle(self, code: str) -> ContextEvent | None:
        """Apply a context barcode; None means ``code`` is a scan to send (item or seal)."""
        _sym, data = split_symbology(code)
        prefix, sep, rest = data.partition(":")
        prefix = prefix.strip().upper()
        rest = rest.strip()
        if self.seal_armed:
            # A double read of the CMD:SEAL label itself must not become the seal number.
            if sep and prefix == "CMD" and rest.upper() == SEAL_COMMAND:
                return ContextEvent("seal", self.kit, self._seal_prompt())
            return None
        if not sep:
            return None
        if prefix == "LOC":
            if not rest:
                return ContextEvent("error", None, "LOC: label without a location code", True)
            self.location = rest
            return ContextEvent("location", rest, f"location {rest}")
        if prefix == "KIT":
            self.kit = rest or None
            if rest:
                return ContextEvent("kit", rest, f"kit {rest} selected{self._kit_use()}")
            return ContextEvent("kit", None, "kit cleared")
        if prefix == "CMD":
            return self._command(rest)
        return None

    def _kit_use(self) -> str:
        if self.action == "restock":
            source = self.location or "(scan LOC: for the source)"
            return f": restock scans go from {source} into it"
        if self.action == "remove":
            return f": remove scans go from it to {self.location or 'the session source'}"
        return " (used by restock and remove scans: scan CMD:RESTOCK)"

    def _seal_prompt(self) -> str:
        return f"seal kit {self.kit}: scan the seal's barcode now"

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
        if word == SEAL_COMMAND and not arg:
            if self.kit is None:
                return ContextEvent(
                    "error", None, "CMD:SEAL without a kit: scan the kit's KIT: label first", True
                )
            self.seal_armed = True
            return ContextEvent("seal", self.kit, self._seal_prompt())
        if word in COMMAND_ACTIONS and not arg:
            self.action = word.lower()
            kit = f" with kit {self.kit}" if self.kit and self.action in KIT_ACTIONS else ""
            if self.kit and self.action == "transfer":
                kit = f" (kit {self.kit} is selected: {CLEAR_KIT_HINT} before transferring)"
            return ContextEvent("action", self.action, f"action {self.action}{kit}")
        return ContextEvent("error", rest, f"unknown command CMD:{rest}", True)

    def refusal(self) -> Refusal | None:
        """Why the next scan cannot be sent now (None if it can); checked before building it."""
        if self.seal_armed:
            return None  # the kit was checked when CMD:SEAL was scanned
        if self.action == "transfer" and self.kit is not None:
            return Refusal(
                "transfer_into_kit",
                f"kit {self.kit} is selected but transfers never go into a kit: scan "
                f"CMD:RESTOCK to restock it, or {CLEAR_KIT_HINT}",
            )
        if self.action == "remove":
            if self.kit is None:
                return Refusal(
                    "no_kit", "no kit selected for remove: scan the kit's KIT: label first"
                )
            return None  # from the kit; to the current location or the session's source
        if self.location is None and self.action != "lookup":
            return Refusal("no_location", "no location set: scan a LOC: label or pass --location")
        if self.action == "restock" and self.kit is None and self.restock_session is None:
            return Refusal("no_kit", "no kit selected for restock: scan the kit's KIT: label first")
        return None

    def missing(self) -> str | None:
        """The reason of :meth:`refusal`, if any."""
        refusal = self.refusal()
        return refusal.reason if refusal else None

    def build_request(self, code: str, scanned_at: str) -> dict[str, Any]:
        """The scan body for a code; consumes the one-shot quantity, or the armed seal."""
        if self.seal_armed:
            return self._seal_request(code, scanned_at)
        body: dict[str, Any] = {"code": code, "action": self.action}
        kit = self.kit if self.action in KIT_ACTIONS else None
        if self.action == "remove" and kit is not None:
            body["location"] = kit
            if self.location is not None:
                body["to_location"] = self.location
        else:
            if self.location is not None:
                body["location"] = self.location
            if kit is not None:
                body["to_location"] = kit
            elif self.action == "transfer" and self.to_location is not None:
                body["to_location"] = self.to_location
        if self.next_quantity is not None:
            body["quantity"] = self.next_quantity
            self.next_quantity = None
        if self.device:
            body["device"] = self.device
        body["scanned_at"] = scanned_at
        if self.purchase_order and self.action == "receive":
            body["purchase_order"] = self.purchase_order
        if self.restock_session is not None and self.action in KIT_ACTIONS:
            body["restock_session"] = self.restock_session
        if self.count_session is not None and self.action == "count":
            body["count_session"] = self.count_session
        if self.pick_list is not None and self.action == "transfer":
            body["pick_list"] = self.pick_list
        return body

    def _seal_request(self, code: str, scanned_at: str) -> dict[str, Any]:
        """A ``seal`` scan: the seal's number (its text, without the AIM prefix) at the kit."""
        self.seal_armed = False
        _sym, data = split_symbology(code)
        body: dict[str, Any] = {"code": data.strip(), "action": "seal", "location": self.kit}
        if self.device:
            body["device"] = self.device
        body["scanned_at"] = scanned_at
        if self.restock_session is not None:
            body["restock_session"] = self.restock_session
        return body

    def snapshot(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
