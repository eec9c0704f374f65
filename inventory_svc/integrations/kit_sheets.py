"""A kit's restock plan as a printable page: per slot what to pull, what to bring and from
which lots, with boxes to tick. Plain HTML with print CSS, like the pick sheet."""

from __future__ import annotations

from html import escape

from inventory_svc.domain.kit_records import RestockPlanOut
from inventory_svc.integrations.pick_sheet import STYLE


def restock_plan_html(plan: RestockPlanOut) -> str:
    rows = []
    for slot in plan.slots:
        pulls = "<br>".join(
            f"{escape(lot.item_name)} lot {escape(lot.lot or '(none)')} "
            f"exp {lot.expiry.isoformat() if lot.expiry else '-'} x{lot.quantity} "
            f"({escape(lot.state.value)})"
            for lot in slot.swap
        )
        brings = "<br>".join(
            f"{escape(s.item_name)} lot {escape(s.lot or '(none)')} "
            f"exp {s.expiry.isoformat() if s.expiry else '-'} x{s.quantity}"
            for s in slot.suggested
        )
        if slot.not_available:
            brings += f"<br><strong>{slot.not_available} not available at source</strong>"
        rows.append(
            f'<tr><td>{escape(slot.slot)}</td><td class="n">{slot.required}</td>'
            f'<td class="n">{slot.fit}</td><td>{pulls}</td>'
            f'<td class="n">{slot.bring}</td><td>{brings}</td>'
            '<td class="box">&#9744;</td></tr>'
        )
    off = "".join(
        f"<li>{escape(lot.item_name)} lot {escape(lot.lot or '(none)')} x{lot.quantity}</li>"
        for lot in plan.off_template
    )
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Restock {escape(plan.kit)}</title>'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Restock {escape(plan.kit)} from {escape(plan.source)}</h1>"
        f'<p class="meta">Template {escape(plan.template)} version {plan.template_version}; '
        f"next check due {plan.next_check_due.isoformat()}. Scan <code>CMD:RESTOCK</code>, "
        f"the source, <code>KIT:{escape(plan.kit)}</code>, each item, then "
        "<code>CMD:SEAL</code> and the seal.</p>"
        + (f"<p><strong>Remove (not in the template):</strong></p><ul>{off}</ul>" if off else "")
        + "<table><thead><tr><th>Slot</th><th>Required</th><th>Fit now</th><th>Pull</th>"
        "<th>Bring</th><th>From lots</th><th>&#10003;</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
