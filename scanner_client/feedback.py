"""What the technician sees: one clear line per scan, colour, a bell on rejection, a status line.

A parked scan (the server failed on it again and again, see :mod:`scanner_client.sender`) is
the loudest thing on screen: white on red, a bell, and the parked count stays in the status
line until someone retries or drops it.

``--json`` replaces all of it with one JSON object per line on stdout (for kiosks and tests).
Both renderers are called from the capture loop and from the sender thread, so they lock.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import IO, Any, Protocol

from rich.console import Console
from rich.text import Text

from .context import ContextEvent
from .queue import QueuedScan
from .sender import PARK_AFTER, SendEvent


def parked_alert(count: int) -> str:
    """The one-line alert for parked scans (status command, end-of-run summary)."""
    return (
        f"{count} scan(s) PARKED after repeated server errors: NOT applied, not being sent. "
        "Once the server is fixed run `inventory-scan queue --retry-parked` (or give up with "
        "`--drop-parked`); `inventory-scan queue` lists them."
    )


def printable(code: str) -> str:
    """Show GS visibly (it is invisible in a terminal) and other control characters escaped."""
    out = []
    for ch in code:
        if ch == "\x1d":
            out.append("␝")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


class Feedback(Protocol):
    def context(self, event: ContextEvent) -> None: ...
    def captured(self, scan: QueuedScan, warnings: list[str]) -> None: ...
    def local_reject(self, code: str, reason: str) -> None: ...
    def sent(self, event: SendEvent) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def status(self, pending: int, state: str, parked: int = 0) -> None: ...
    def summary(self, data: dict[str, Any]) -> None: ...


def _balances_line(scan: QueuedScan, response: dict[str, Any]) -> str:
    balances = response.get("balances") or []
    if not isinstance(balances, list):
        return ""
    wanted = {scan.body.get("location"), scan.body.get("to_location")} - {None}
    barcode = response.get("barcode") or {}
    lot = barcode.get("lot") if isinstance(barcode, dict) else None
    chosen = [
        b
        for b in balances
        if isinstance(b, dict)
        and (not wanted or b.get("location") in wanted)
        and (lot is None or b.get("lot") in (lot, None))
    ] or [b for b in balances if isinstance(b, dict)]
    return ", ".join(f"{b.get('location')}: {b.get('quantity')}" for b in chosen[:4])


def describe_delivery(scan: QueuedScan, response: Any) -> tuple[str, list[str]]:
    """One human line for an applied scan (item, lot, expiry, new balance) + its warnings."""
    if not isinstance(response, dict):
        return f"{scan.body.get('action', '?')} {printable(scan.body.get('code', ''))}", []
    item = response.get("item") or {}
    barcode = response.get("barcode") or {}
    parts = [str(response.get("action") or scan.body.get("action", "")).upper()]
    name = item.get("name") if isinstance(item, dict) else None
    parts.append(str(name) if name else printable(str(scan.body.get("code", ""))))
    qty = scan.body.get("quantity")
    if qty and qty != 1:
        parts.append(f"qty {qty}")
    if isinstance(barcode, dict):
        if barcode.get("lot"):
            parts.append(f"lot {barcode['lot']}")
        if barcode.get("expiry"):
            parts.append(f"exp {barcode['expiry']}")
        if barcode.get("serial"):
            parts.append(f"sn {barcode['serial']}")
    bal = _balances_line(scan, response)
    if bal:
        parts.append(f"→ {bal}")
    warnings = []
    for w in response.get("warnings") or []:
        if isinstance(w, dict):
            warnings.append(f"{w.get('code', 'warning')}: {w.get('detail', '')}".rstrip(": "))
        else:
            warnings.append(str(w))
    return "  ".join(parts), warnings


TIMES = "\u00d7"  # the multiplication sign of "epinephrine 1 mg ×2"  # noqa: RUF003


def _count(value: Any) -> str:
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else "?"


def kit_line(scan: QueuedScan, response: Any) -> str | None:
    """After a delivered restock/remove/seal scan: the kit and the slots still short.

    From the answer's ``kit: {code, status, short: [{slot, missing}]}``, e.g.
    ``KIT CART-1 short: epinephrine 1 mg (times sign)2, amiodarone (times sign)1`` or
    ``KIT CART-1 complete``.
    """
    kit = response.get("kit") if isinstance(response, dict) else None
    if not isinstance(kit, dict):
        return None
    code = kit.get("code") or scan.body.get("location")
    short = [s for s in kit.get("short") or [] if isinstance(s, dict)]
    if scan.body.get("action") == "seal":
        status = f" ({kit['status']})" if kit.get("status") else ""
        return f"KIT {code} sealed with seal {printable(str(scan.body.get('code', '')))}{status}"
    if not short:
        return f"KIT {code} complete"
    missing = ", ".join(f"{s.get('slot')} {TIMES}{_count(s.get('missing'))}" for s in short)
    return f"KIT {code} short: {missing}"


def kit_incomplete_line(scan: QueuedScan, problem: Any) -> str | None:
    """A refused seal (``409 kit_incomplete``): the slots that keep it from being sealed.

    Slots with units missing are listed (present/required); if the server listed no short
    slot (the kit is refused for expired or recalled units, say), every slot it gave is.
    """
    if not isinstance(problem, dict) or not isinstance(problem.get("slots"), list):
        return None
    slots = [s for s in problem["slots"] if isinstance(s, dict)]
    short = [s for s in slots if s.get("missing") != 0]
    parts = []
    for s in short or slots:
        part = f"{s.get('slot')} {_count(s.get('present'))}/{_count(s.get('required'))}"
        if s.get("missing"):
            part += f" ({TIMES}{_count(s.get('missing'))} missing)"
        for extra in ("expired", "expiring"):
            if isinstance(s.get(extra), int) and s[extra]:
                part += f" ({s[extra]} {extra})"
        parts.append(part)
    if not parts:
        return None
    head = "NOT sealed, short" if short else "NOT sealed"
    return f"KIT {scan.body.get('location')} {head}: " + ", ".join(parts)


class RichFeedback:
    """Coloured terminal output (rich)."""

    def __init__(self, console: Console | None = None, *, bell: bool = True) -> None:
        self.console = console or Console(highlight=False)
        self.bell = bell
        self._lock = threading.Lock()
        self._last_status: tuple[int, str, int] | None = None

    def _print(self, text: Text | str, style: str | None = None) -> None:
        with self._lock:
            self.console.print(text, style=style, soft_wrap=True)

    def context(self, event: ContextEvent) -> None:
        if event.error:
            self._print(Text(f"✗ {event.message}", style="bold red"))
            self._ring()
        else:
            self._print(Text(f"● {event.message}", style="bold cyan"))

    def captured(self, scan: QueuedScan, warnings: list[str]) -> None:
        body = scan.body
        line = Text("… ", style="dim")
        line.append(f"{body.get('action', '').upper()} ", style="bold")
        line.append(printable(str(body.get("code", ""))))
        where = body.get("location") or "-"
        if body.get("to_location"):
            where += f" → {body['to_location']}"
        line.append(f"  @ {where}", style="dim")
        if body.get("quantity"):
            line.append(f"  qty {body['quantity']}", style="dim")
        line.append("  queued", style="dim")
        self._print(line)
        for w in warnings:
            self._print(Text(f"  ⚠ {w}", style="yellow"))

    def local_reject(self, code: str, reason: str) -> None:
        self._print(Text(f"✗ NOT SENT {printable(code)}: {reason}", style="bold red"))
        self._ring()

    def sent(self, event: SendEvent) -> None:
        scan, outcome = event.scan, event.outcome
        if event.kind == "delivered" and scan is not None and outcome is not None:
            line, warnings = describe_delivery(scan, outcome.body)
            text = Text("✓ ", style="bold green")
            text.append(line, style="green")
            if outcome.replayed:
                text.append("  (already recorded: replay)", style="dim")
            self._print(text)
            for w in warnings:
                self._print(Text(f"  ⚠ {w}", style="yellow"))
            kit = kit_line(scan, outcome.body)
            if kit is not None:
                short = " short: " in kit
                self._print(Text(f"  {kit}", style="bold yellow" if short else "bold green"))
        elif event.kind == "rejected" and scan is not None and outcome is not None:
            text = Text("✗ REJECTED ", style="bold red")
            text.append(f"{str(scan.body.get('action', '')).upper()} ")
            text.append(printable(str(scan.body.get("code", ""))))
            text.append(f"  {outcome.error_code}", style="bold red")
            if outcome.detail:
                text.append(f": {outcome.detail}", style="red")
            text.append(f"  (HTTP {outcome.http_status}; kept in the queue)", style="dim")
            self._print(text)
            incomplete = kit_incomplete_line(scan, outcome.body)
            if incomplete is not None:
                self._print(Text(f"  {incomplete}", style="bold red"))
            self._ring()
        elif event.kind == "parked" and scan is not None and outcome is not None:
            text = Text("‼ PARKED ", style="bold white on red")
            text.append(f" {str(scan.body.get('action', '')).upper()} ", style="bold")
            text.append(printable(str(scan.body.get("code", ""))))
            text.append(
                f"  after {event.server_errors} server errors (HTTP {outcome.http_status} "
                f"{outcome.error_code}{': ' + outcome.detail if outcome.detail else ''})",
                style="bold red",
            )
            self._print(text)
            self._print(
                Text(
                    "  NOT applied; set aside so the next scans go on. "
                    "`inventory-scan queue --retry-parked` once the server is fixed, "
                    "or `--drop-parked`.",
                    style="red",
                )
            )
            self._ring()
        elif event.kind == "config" and outcome is not None:
            self._print(
                Text(
                    f"✗ server refused the client ({outcome.http_status} {outcome.error_code}"
                    f"{': ' + outcome.detail if outcome.detail else ''}); scans stay queued. "
                    "Check --server and --token.",
                    style="bold red",
                )
            )
            self._ring()
        elif event.kind == "retry" and outcome is not None:
            delay = f", retry in {event.delay:.1f}s" if event.delay is not None else ""
            if outcome.server_error:
                delay += f"; server error {event.server_errors} (parked at {PARK_AFTER})"
            self._print(
                Text(
                    f"… not delivered ({outcome.error_code}"
                    f"{': ' + outcome.detail if outcome.detail else ''}){delay}",
                    style="dim yellow",
                )
            )
        self.status(event.pending, event.state, event.parked)

    def info(self, message: str) -> None:
        self._print(Text(message))

    def warning(self, message: str) -> None:
        self._print(Text(f"⚠ {message}", style="yellow"))

    def error(self, message: str) -> None:
        self._print(Text(f"✗ {message}", style="bold red"))

    def status(self, pending: int, state: str, parked: int = 0) -> None:
        if (pending, state, parked) == self._last_status:
            return
        self._last_status = (pending, state, parked)
        style = {
            "online": "green",
            "offline": "yellow",
            "server_error": "bold red",
            "unauthorized": "red",
        }.get(state, "dim")
        text = Text("  [", style="dim")
        text.append(f"queue: {pending} pending", style="bold" if pending else "dim")
        if parked:
            text.append(" · ", style="dim")
            text.append(f" {parked} PARKED ", style="bold white on red")
        text.append(" · server: ", style="dim")
        text.append(state.replace("_", " "), style=style)
        text.append("]", style="dim")
        self._print(text)

    def summary(self, data: dict[str, Any]) -> None:
        pending = data.get("pending", 0)
        msg = (
            f"done: {data.get('captured', 0)} scans captured, {data.get('delivered', 0)} "
            f"delivered, {data.get('rejected', 0)} rejected"
            + (f", {data['parked_now']} parked" if data.get("parked_now") else "")
            + " this run"
        )
        if pending:
            msg += (
                f"; {pending} still queued in {data.get('queue')} (server "
                f"{data.get('state')}): they will be sent by the next run or "
                "`inventory-scan flush`"
            )
            self._print(Text(msg, style="bold yellow"))
        else:
            self._print(Text(msg + "; nothing left in the queue", style="bold"))
        if data.get("parked"):
            self._print(Text(f"‼ {parked_alert(int(data['parked']))}", style="bold white on red"))
            self._ring()

    def _ring(self) -> None:
        # Written even when stdout is a pipe: `inventory-scan | tee log` still reaches a
        # terminal (rich's bell() would stay silent there). --no-bell turns it off.
        if self.bell:
            with self._lock:
                self.console.file.write("\a")
                self.console.file.flush()


class JsonFeedback:
    """One JSON object per line (stdout). Codes keep their GS as \\u001d."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def _emit(self, obj: dict[str, Any]) -> None:
        with self._lock:
            self.stream.write(json.dumps(obj, ensure_ascii=True, default=str) + "\n")
            self.stream.flush()

    def context(self, event: ContextEvent) -> None:
        self._emit(
            {
                "event": "context",
                "kind": event.kind,
                "value": event.value,
                "message": event.message,
                "error": event.error,
            }
        )

    def captured(self, scan: QueuedScan, warnings: list[str]) -> None:
        self._emit(
            {
                "event": "queued",
                "key": scan.key,
                "seq": scan.seq,
                "body": scan.body,
                "warnings": warnings,
            }
        )

    def local_reject(self, code: str, reason: str) -> None:
        self._emit({"event": "not_sent", "code": code, "reason": reason})

    def sent(self, event: SendEvent) -> None:
        obj: dict[str, Any] = {
            "event": event.kind,
            "state": event.state,
            "pending": event.pending,
        }
        if event.scan is not None:
            obj["key"] = event.scan.key
            obj["seq"] = event.scan.seq
            obj["code"] = event.scan.body.get("code")
        if event.outcome is not None:
            o = event.outcome
            obj["http_status"] = o.http_status
            if event.kind == "delivered":
                obj["replayed"] = o.replayed
                obj["response"] = o.body
                if event.scan is not None:
                    obj["line"], obj["warnings"] = describe_delivery(event.scan, o.body)
                    if isinstance(o.body, dict) and isinstance(o.body.get("kit"), dict):
                        obj["kit"] = o.body["kit"]
                        obj["kit_line"] = kit_line(event.scan, o.body)
            else:
                obj["error_code"] = o.error_code
                obj["detail"] = o.detail
                if event.scan is not None and isinstance(o.body, dict):
                    incomplete = kit_incomplete_line(event.scan, o.body)
                    if incomplete is not None:
                        obj["slots"] = o.body["slots"]
                        obj["kit_line"] = incomplete
            if o.server_error:
                obj["server_errors"] = event.server_errors
        if event.delay is not None:
            obj["retry_in"] = round(event.delay, 3)
        obj["parked"] = event.parked
        self._emit(obj)

    def info(self, message: str) -> None:
        self._emit({"event": "info", "message": message})

    def warning(self, message: str) -> None:
        self._emit({"event": "warning", "message": message})

    def error(self, message: str) -> None:
        self._emit({"event": "error", "message": message})

    def status(self, pending: int, state: str, parked: int = 0) -> None:
        self._emit({"event": "status", "pending": pending, "parked": parked, "state": state})

    def summary(self, data: dict[str, Any]) -> None:
        self._emit({"event": "summary", **data})
