"""A pick list as a printable page: what a technician carries on the refill run (walking
order, bin, lot, expiry, how many), with boxes to tick and the list's barcode-free id. Plain
HTML with print CSS: any browser prints it, nothing to install."""

from __future__ import annotations

from html import escape

from inventory_svc.domain.records import PickListOut

STYLE = """
body { font: 12pt system-ui, sans-serif; margin: 1.5cm; color: #000; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
p.meta { margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: .3em .5em; text-align: left; vertical-align: top; }
td.n { text-align: right; } td.box { width: 1.5em; }
tr { break-inside: avoid; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
"""


def pick_sheet_html(pick_list: PickListOut) -> str:
    """The pick list, lines in walking order, one row per suggested pick."""
    rows = []
    for line in pick_list.lines:
        picks = line.suggestions or []
        span = max(len(picks), 1)
        head = (
            f'<td rowspan="{span}">{line.line}</td>'
            f'<td rowspan="{span}">{escape(line.item.name)}</td>'
            f'<td class="n" rowspan="{span}">{line.remaining}'
            + (f" <strong>({line.short} short)</strong>" if line.short else "")
            + "</td>"
        )
        if not picks:
            rows.append(
                f'<tr>{head}<td colspan="4">nothing usable at '
                f'{escape(line.source_location)}</td><td class="box"></td></tr>'
            )
            continue
        for index, pick in enumerate(picks):
            cells = (
                f"<td>{escape(pick.location)}</td><td>{escape(pick.lot or '(none)')}</td>"
                f"<td>{pick.expiry.isoformat() if pick.expiry else ''}</td>"
                f'<td class="n">{pick.quantity}</td><td class="box">&#9744;</td>'
            )
            rows.append(f"<tr>{head if index == 0 else ''}{cells}</tr>")
    created = pick_list.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Pick list {pick_list.id}</title>'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Pick list {pick_list.id}: refill {escape(pick_list.location)}</h1>"
        f'<p class="meta">Status {escape(pick_list.status.value)}; created {created}. Scan each '
        f"pick as a <code>transfer</code> to {escape(pick_list.location)} naming pick list "
        f"{pick_list.id}.</p>"
        "<table><thead><tr><th>#</th><th>Item</th><th>Still to pick</th><th>Bin</th>"
        "<th>Lot</th><th>Expiry</th><th>Take</th><th>&#10003;</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
