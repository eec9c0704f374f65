"""``inventory-scan``: run (default), queue, flush, command-sheet, doctor.

Parked scans (the server failed on them repeatedly; see ``sender``) are managed with
``inventory-scan queue --retry-parked [SEQ ...]`` and ``--drop-parked [SEQ ...]``.

Exit codes: 0 done (scans may remain queued when the server is down; the output says so),
1 the server refused the client (key/URL) with scans still queued, 2 usage or configuration
error (including a source or decoder that cannot be opened), 3 another process holds the
queue's sender lock (flush only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import ACTIONS, DECODERS, Config, ConfigError, load_config, parse_id
from .feedback import Feedback, JsonFeedback, RichFeedback, parked_alert, printable
from .queue import QueuedScan

COMMANDS = ("run", "queue", "flush", "command-sheet", "doctor")


def _id(what: str) -> Any:
    """An argparse type for a session or list id: integers on the wire, refused here if not."""

    def parse(text: str) -> int:
        try:
            return parse_id(text, what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection and queue")
    g.add_argument("--config", type=Path, help="TOML config file (env INVENTORY_SCAN_CONFIG)")
    g.add_argument("--server", help="service base URL (env INVENTORY_SCAN_SERVER)")
    g.add_argument(
        "--token",
        help="API key (env INVENTORY_SCAN_TOKEN; prefer the env/config: argv is visible in ps)",
    )
    g.add_argument("--queue", help="offline queue file (env INVENTORY_SCAN_QUEUE)")
    g.add_argument("--timeout", type=float, help="HTTP timeout in seconds")
    g.add_argument(
        "--json", action="store_true", default=None, help="one JSON object per line on stdout"
    )
    g.add_argument("--no-bell", action="store_true", help="no terminal bell on rejections")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inventory-scan",
        description="Barcode scanner client for inventory-svc. Without a command, runs `run`.",
    )
    parser.add_argument("--version", action="version", version=f"inventory-scan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{run,queue,flush,command-sheet,doctor}")

    run = sub.add_parser("run", help="capture scans from a source and send them (default)")
    _common(run)
    g = run.add_argument_group("scanning")
    g.add_argument(
        "--source",
        help="webcam[:index], video:PATH, images:DIR, stdin, evdev:/dev/input/eventN "
        "(env INVENTORY_SCAN_SOURCE; default stdin)",
    )
    g.add_argument("--device", help="device id sent with each scan (default: host name)")
    g.add_argument("--location", help="current location code (or scan a LOC: label)")
    g.add_argument("--action", choices=ACTIONS, type=str.lower, help="current action")
    g.add_argument("--decoder", choices=DECODERS, help="image decoder (default zxing)")
    g.add_argument(
        "--formats", help="comma-separated zxing-cpp format names to read (fewer = faster)"
    )
    g.add_argument(
        "--debounce", type=float, help="camera: same code within SECONDS counts once (2)"
    )
    g.add_argument(
        "--wedge-debounce",
        type=float,
        help="keyboard wedge: same code within SECONDS counts once (0 = off)",
    )
    g.add_argument(
        "--gs-substitute",
        action="append",
        dest="gs_substitutes",
        help="string your scanner types for FNC1/GS (besides {GS}, <GS>, ^] ...); repeatable",
    )
    g.add_argument("--purchase-order", help="PO number sent with receive scans")
    g.add_argument(
        "--restock-session",
        type=_id("restock session id"),
        help="restock session id (a number) sent with restock/remove/seal; optional: a "
        "restock scan naming the kit (KIT:) joins its open session or opens one",
    )
    g.add_argument(
        "--count-session", type=_id("count session id"), help="count session id (a number)"
    )
    g.add_argument(
        "--pick-list", type=_id("pick list id"), help="pick list id (a number) sent with transfers"
    )
    g.add_argument(
        "--to-location", help="destination of transfer scans (a transfer never goes into a kit)"
    )
    g.add_argument("--preview", action="store_true", default=None, help="webcam preview window")
    g.add_argument(
        "--drain-timeout",
        type=float,
        help="at the end of a finite source, retry sending for at most SECONDS (5)",
    )
    g.add_argument(
        "--no-grab", action="store_true", help="evdev: do not grab the device exclusively"
    )

    q = sub.add_parser(
        "queue", help="show pending/parked/rejected/sent counts, parked scans, last rejections"
    )
    _common(q)
    q.add_argument("--limit", type=int, default=10, help="how many rejections to list")
    q.add_argument(
        "--retry-rejected",
        action="store_true",
        help="put rejected scans back in the queue under new keys (after fixing the cause)",
    )
    parked = q.add_mutually_exclusive_group()
    parked.add_argument(
        "--retry-parked",
        nargs="*",
        type=int,
        metavar="SEQ",
        help="put parked scans (all, or the listed #) back in the queue under their own keys "
        "(a scan the server did apply is replayed, not booked twice); a running client or "
        "`flush` sends them",
    )
    parked.add_argument(
        "--drop-parked",
        nargs="*",
        type=int,
        metavar="SEQ",
        help="give up on parked scans (all, or the listed #): kept as `dropped`, never sent",
    )

    f = sub.add_parser("flush", help="send what is waiting in the queue, then exit")
    _common(f)
    f.add_argument(
        "--drain-timeout", type=float, help="retry for at most SECONDS before giving up (5)"
    )

    s = sub.add_parser("command-sheet", help="print a sheet of CMD:/LOC:/KIT: barcodes")
    s.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.png")
    s.add_argument("--location", action="append", default=[], help="add a LOC: label")
    s.add_argument("--kit", action="append", default=[], help="add a KIT: label")
    s.add_argument(
        "--quantities",
        default="2,3,5,10,20,25,50,100",
        help="comma-separated CMD:QTY: values (default %(default)s)",
    )
    d = sub.add_parser(
        "doctor",
        help="print a test sheet, read it, and say which scanner setting to change",
        description="Write the test sheet with --sheet, print it, then scan its four codes "
        "(stdin: a keyboard-wedge scanner) or photograph it (images:DIR). Exit code 0: the "
        "scanner is set up correctly; 1: something to change (printed); 2: usage error.",
    )
    d.add_argument("--sheet", type=Path, help="write the test sheet to FILE.pdf/.png and exit")
    d.add_argument(
        "--source", default="stdin", help="stdin (default) or images:DIR (photos of the sheet)"
    )
    d.add_argument(
        "--gs-substitute",
        action="append",
        dest="gs_substitutes",
        default=[],
        help="string your scanner types for FNC1/GS, as you would pass to `run`; repeatable",
    )
    d.add_argument("--json", action="store_true", help="the report as one JSON object")
    return parser


def cmd_doctor(args: argparse.Namespace, stdin: Any = None) -> int:
    from . import doctor
    from .sources import SourceError, parse_source

    if args.sheet is not None:
        try:
            paths = doctor.write_test_sheet(args.sheet)
        except ValueError as exc:
            print(f"inventory-scan: {exc}", file=sys.stderr)
            return 2
        for path in paths:
            print(path)
        return 0
    try:
        spec = parse_source(args.source)
        if spec.kind not in ("stdin", "images"):
            raise SourceError("doctor reads stdin (a keyboard-wedge scanner) or images:DIR")
        reads = _doctor_reads(spec.kind, spec.arg, stdin, len(doctor.SHEET))
    except SourceError as exc:
        print(f"inventory-scan: {exc}", file=sys.stderr)
        return 2
    report = doctor.diagnose(reads, args.gs_substitutes)
    if args.json:
        findings = [
            {
                "code": f.code.key if f.code else None,
                "received": f.received,
                "faults": f.faults,
                "substitute": f.substitute,
            }
            for f in report.findings
        ]
        print(
            json.dumps(
                {
                    "event": "doctor",
                    "ok": report.ok,
                    "findings": findings,
                    "missing": [c.key for c in report.missing],
                    "advice": report.advice(),
                }
            )
        )
    else:
        print("\n".join(doctor.render_report(report)))
    return 0 if report.ok else 1


def _doctor_reads(kind: str, arg: object, stdin: Any, wanted: int) -> list[str]:
    if kind == "images":
        from .decoding import Decoder
        from .sources import image_frames

        reads: list[str] = []
        decoder = Decoder("zxing")
        for item in image_frames(str(arg)):
            if item.frame is not None:
                reads += [d.text for d in decoder.decode(item.frame)]
        return list(dict.fromkeys(reads))
    stream = stdin if stdin is not None else sys.stdin
    if stream.isatty():
        print(f"Scan the {wanted} codes of the test sheet, one after the other.", file=sys.stderr)
    lines: list[str] = []
    for line in stream:  # raw lines: the doctor needs to see what the scanner really sent
        if line.strip():
            lines.append(line.rstrip("\r\n"))
        if len(lines) >= wanted:
            break
    return lines


def _with_default_command(argv: Sequence[str]) -> list[str]:
    argv = list(argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return ["run", *argv]
    return argv


_SETTINGS = (
    "server",
    "token",
    "queue",
    "timeout",
    "json",
    "source",
    "device",
    "location",
    "action",
    "decoder",
    "formats",
    "debounce",
    "wedge_debounce",
    "gs_substitutes",
    "purchase_order",
    "restock_session",
    "count_session",
    "pick_list",
    "to_location",
    "preview",
    "drain_timeout",
)


def _config(args: argparse.Namespace) -> Config:
    flags = {name: getattr(args, name, None) for name in _SETTINGS}
    return load_config(flags, config_path=args.config)


def _feedback(cfg: Config, args: argparse.Namespace) -> Feedback:
    if cfg.json:
        return JsonFeedback()
    return RichFeedback(bell=not getattr(args, "no_bell", False))


def _scan_json(r: QueuedScan) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "key": r.key,
        "code": r.body.get("code"),
        "action": r.body.get("action"),
        "location": r.body.get("location"),
        "http_status": r.http_status,
        "error_code": r.error_code,
        "error_detail": r.error_detail,
        "captured_at": r.captured_at,
    }


def _selection(values: list[int] | None) -> list[int] | None:
    """``--retry-parked`` alone means every parked scan; with numbers, only those."""
    return values or None


def cmd_queue(cfg: Config, args: argparse.Namespace) -> int:
    from .queue import ScanQueue

    with ScanQueue(cfg.queue) as queue:
        requeued = queue.requeue_rejected() if args.retry_rejected else 0
        retried_parked = (
            queue.retry_parked(_selection(args.retry_parked))
            if args.retry_parked is not None
            else 0
        )
        dropped_parked = (
            queue.drop_parked(_selection(args.drop_parked)) if args.drop_parked is not None else 0
        )
        counts = queue.counts()
        parked = queue.parked()
        rejections = queue.rejections(args.limit)
        head = queue.head()
    if cfg.json:
        print(
            json.dumps(
                {
                    "event": "queue",
                    "queue": str(cfg.queue),
                    **counts,
                    "requeued": requeued,
                    "retried_parked": retried_parked,
                    "dropped_parked": dropped_parked,
                    "alert": parked_alert(len(parked)) if parked else None,
                    "oldest_pending": head.captured_at if head else None,
                    "last_error": head.last_error if head else None,
                    "parked_scans": [
                        {**_scan_json(r), "attempts": r.attempts, "updated_at": r.updated_at}
                        for r in parked
                    ],
                    "rejections": [_scan_json(r) for r in rejections],
                }
            )
        )
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"queue {cfg.queue}")
    console.print(
        f"  pending: [bold]{counts['pending']}[/]"
        + (f"   [bold white on red] parked: {counts['parked']} [/]" if counts["parked"] else "")
        + f"   rejected: [bold red]{counts['rejected']}[/]   sent: [green]{counts['sent']}[/]"
        + (f"   dropped: {counts['dropped']}" if counts["dropped"] else "")
    )
    if requeued:
        console.print(f"  {requeued} rejected scans put back in the queue (new keys)")
    if args.retry_parked is not None:
        console.print(
            f"  {retried_parked} parked scan(s) put back in the queue (same keys): a running "
            "client sends them, or run `inventory-scan flush`"
        )
    if args.drop_parked is not None:
        console.print(f"  {dropped_parked} parked scan(s) dropped (kept as `dropped`, not sent)")
    if head is not None:
        console.print(
            f"  oldest pending captured {head.captured_at}"
            + (f", last error: {head.last_error}" if head.last_error else "")
        )

    def scan_table(title: str, rows: list[QueuedScan], *, parked: bool) -> Table:
        """One scan a row; parked scans also say how often they were tried, in red."""
        style = "bold red" if parked else None
        table = Table(title=title, title_justify="left", title_style=style)
        last = ("tries", "last error") if parked else ("error",)
        for col in ("#", "captured", "action", "code", "location", *last):
            table.add_column(col)
        for r in rows:
            status = r.http_status if parked else (r.http_status or "local")
            error = f"{status} {r.error_code}: {r.error_detail or ''}"
            table.add_row(
                str(r.seq),
                r.captured_at,
                str(r.body.get("action", "")),
                printable(str(r.body.get("code", ""))),
                str(r.body.get("location") or "-"),
                *((str(r.attempts), error) if parked else (error,)),
                style="red" if parked else None,
            )
        return table

    if parked:
        console.print(f"‼ {parked_alert(len(parked))}", style="bold white on red")
        console.print(scan_table("parked scans", parked, parked=True))
        if not args.no_bell:
            console.file.write("\a")
            console.file.flush()
    if rejections:
        console.print(scan_table("last rejections", rejections, parked=False))
    return 0


def cmd_command_sheet(args: argparse.Namespace) -> int:
    from .sheet import sheet_labels, write_sheet

    try:
        quantities = [int(q) for q in args.quantities.split(",") if q.strip()]
        paths = write_sheet(args.out, sheet_labels(args.location, args.kit, quantities))
    except ValueError as exc:
        print(f"inventory-scan: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


def _graceful_sigterm() -> None:
    """SIGTERM (systemd stop, docker stop) ends the run like Ctrl+C: final send, summary.

    Nothing would be lost without it (scans are committed before sending); it is for the
    summary and a last delivery attempt.
    """

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not in the main thread (embedded use)
        signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_with_default_command(sys.argv[1:] if argv is None else argv))
    if args.command == "command-sheet":
        return cmd_command_sheet(args)
    if args.command == "doctor":
        return cmd_doctor(args)
    try:
        cfg = _config(args)
    except ConfigError as exc:
        print(f"inventory-scan: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "queue":
        return cmd_queue(cfg, args)
    feedback = _feedback(cfg, args)
    from . import runner

    _graceful_sigterm()

    if args.command == "flush":
        return runner.flush(cfg, feedback)
    return runner.run(cfg, feedback, grab=not args.no_grab)


def _entry() -> Any:  # pragma: no cover - for `python -m scanner_client.cli`
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
