"""The demo's crash carts and anesthesia trays, brought to every workflow state through the
same use cases and scans a technician's work goes through.

Stock enters a kit only by `restock` scans from the pharmacy shelf `data.KIT_SOURCE` (its
stock was received first), leaves an open kit by `issue` scans, and every seal, check and
opening is the real use case: the ledger and the kit history are those a hospital would have.
"""

from __future__ import annotations

from datetime import date, timedelta

from inventory_svc.demo import data
from inventory_svc.domain.ledger import Action
from inventory_svc.domain.vocabulary import KitStatus, LocationKind
from inventory_svc.services import kits
from inventory_svc.services.actors import Actor
from inventory_svc.services.scans import ScanRequest, ingest_scan
from inventory_svc.services.uow import Transactions

DEVICE = "demo-loader"


def _source_lots() -> dict[str, dict[str, int]]:
    """Item key -> {lot number: expiry offset} of what the kit source shelf holds."""
    lots: dict[str, dict[str, int]] = {}
    for row in data.STOCK:
        if row.location == data.KIT_SOURCE:
            lots.setdefault(row.item, {})[row.lot] = row.expiry_offset_days
    return lots


def fill_plan(template: data.DemoKitTemplate, kit: data.DemoKit) -> list[tuple[str, str, int]]:
    """(item key, lot number, units) the kit's restock scans bring, slot by slot: a slot of
    interchangeable items is filled two thirds from the first maker, a third from the
    second; the freshest lot of the source unless the kit names another; `short` units
    left out; a `restocking` kit stops after its first `fill_slots` slots."""
    lots = _source_lots()
    named = dict(kit.lots)
    short = dict(kit.short)
    slots = template.slots[: kit.fill_slots] if kit.fill_slots is not None else template.slots
    plan: list[tuple[str, str, int]] = []
    for slot in slots:
        units = slot.quantity - short.get(slot.slot, 0)
        second = units // 3 if len(slot.items) > 1 else 0
        for item, quantity in ((slot.items[0], units - second), (slot.items[-1], second)):
            if quantity > 0:
                lot = named.get(item) or max(lots[item], key=lambda n: lots[item][n])
                plan.append((item, lot, quantity))
    return plan


def _code(gtin: str, lot: str, expiry: date) -> str:
    return f"]d201{gtin}17{expiry:%y%m%d}10{lot}"


async def load_kits(
    transactions: Transactions,
    actor: Actor,
    item_ids: dict[str, int],
    gtins: dict[str, str],
    today: date,
) -> None:
    """Templates, then each kit brought to its state (see `data.DemoKit`)."""
    for template in data.KIT_TEMPLATES:
        await transactions.run(
            actor,
            kits.create_template,
            kits.TemplateInput(
                code=template.code,
                name=template.name,
                kind=LocationKind(template.kind),
                check_interval_days=template.check_interval_days,
                lines=[
                    kits.SlotInput(
                        slot=slot.slot,
                        items=[item_ids[item] for item in slot.items],
                        quantity=slot.quantity,
                        min_days_to_expiry=slot.min_days_to_expiry,
                    )
                    for slot in template.slots
                ],
            ),
        )
    templates = {template.code: template for template in data.KIT_TEMPLATES}
    expiries = {
        (row.item, row.lot): today + timedelta(days=row.expiry_offset_days)
        for row in data.STOCK
        if row.location == data.KIT_SOURCE
    }
    for kit in data.KITS:
        await transactions.run(actor, kits.create_kit, kit.code, kit.template, kit.home, kit.name)
        if kit.status == KitStatus.UNSEALED:
            continue
        session = await transactions.run(actor, kits.start_restock, kit.code, data.KIT_SOURCE)
        in_kit: dict[str, str] = {}
        for n, (item, lot, quantity) in enumerate(fill_plan(templates[kit.template], kit)):
            in_kit[item] = lot
            await _scan(
                transactions,
                actor,
                f"demo-kit-{kit.code}-restock-{n}",
                ScanRequest(
                    code=_code(gtins[item], lot, expiries[(item, lot)]),
                    action=Action.RESTOCK,
                    location=data.KIT_SOURCE,
                    to_location=kit.code,
                    quantity=quantity,
                    restock_session=session.id,
                    device=DEVICE,
                ),
            )
        if kit.status == KitStatus.RESTOCKING:
            continue
        assert kit.seal is not None, kit.code
        if kit.override_reason:  # a manager seals the short kit: recorded with who and why
            await transactions.run(actor, kits.complete, session.id, kit.seal, kit.override_reason)
        else:  # the technician scans the seal's own barcode
            await _scan(
                transactions,
                actor,
                f"demo-kit-{kit.code}-seal",
                ScanRequest(code=kit.seal, action=Action.SEAL, location=kit.code, device=DEVICE),
            )
        if kit.status == KitStatus.READY:
            await transactions.run(actor, kits.check_kit, kit.code, kit.seal, True)
        elif kit.status == KitStatus.QUARANTINED:
            await transactions.run(actor, kits.check_kit, kit.code, kit.check_seal, True)
        elif kit.status == KitStatus.OPEN:
            await transactions.run(
                actor, kits.open_kit, kit.code, kit.open_reason or "", kit.seal, kit.reference
            )
            for n, (item, quantity) in enumerate(kit.used):
                lot = in_kit[item]
                await _scan(
                    transactions,
                    actor,
                    f"demo-kit-{kit.code}-issue-{n}",
                    ScanRequest(
                        code=_code(gtins[item], lot, expiries[(item, lot)]),
                        action=Action.ISSUE,
                        location=kit.code,
                        quantity=quantity,
                        reference=kit.reference,
                        device=DEVICE,
                    ),
                )


async def _scan(transactions: Transactions, actor: Actor, key: str, request: ScanRequest) -> None:
    await ingest_scan(transactions, request, actor=actor, idempotency_key=key)
