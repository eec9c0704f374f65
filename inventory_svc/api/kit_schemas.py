"""Request bodies of the kit routes; their limits come from domain/limits."""

from __future__ import annotations

from typing import Annotated

import msgspec

from inventory_svc.api.schemas import MAX_ID, LocationCode, LocationRef, Name, text
from inventory_svc.domain import limits
from inventory_svc.domain.kits import DEFAULT_CHECK_INTERVAL_DAYS
from inventory_svc.domain.vocabulary import LocationKind

TemplateCode = Annotated[str, text(limits.KIT_TEMPLATE_CODE)]
SealNumber = Annotated[str, text(limits.SEAL_NUMBER)]
Reason = Annotated[str, text(limits.KIT_REASON)]
ItemId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Gtin = Annotated[str, msgspec.Meta(min_length=8, max_length=14, pattern=r"^[0-9]+$")]


class TemplateLineIn(msgspec.Struct, forbid_unknown_fields=True):
    slot: Annotated[str, text(limits.KIT_SLOT)]
    items: Annotated[
        list[ItemId | Gtin],
        msgspec.Meta(
            min_length=1,
            max_length=limits.MAX_ITEMS_PER_SLOT,
            description="Interchangeable items: item ids, or GTINs standing for their items.",
        ),
    ]
    quantity: Annotated[int, msgspec.Meta(**limits.SLOT_QUANTITY.constraints)]
    min_days_to_expiry: Annotated[int, msgspec.Meta(**limits.MIN_DAYS_TO_EXPIRY.constraints)] = 0


class KitTemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    code: TemplateCode
    name: Name
    kind: LocationKind
    lines: Annotated[
        list[TemplateLineIn], msgspec.Meta(min_length=1, max_length=limits.MAX_TEMPLATE_LINES)
    ]
    check_interval_days: Annotated[int, msgspec.Meta(**limits.CHECK_INTERVAL_DAYS.constraints)] = (
        DEFAULT_CHECK_INTERVAL_DAYS
    )


class KitIn(msgspec.Struct, forbid_unknown_fields=True):
    code: LocationCode
    template: TemplateCode
    home_location: LocationRef
    name: Name | None = None


class RestockIn(msgspec.Struct, forbid_unknown_fields=True):
    source_location: LocationRef


class CompleteIn(msgspec.Struct, forbid_unknown_fields=True):
    seal_number: SealNumber
    override_reason: Reason | None = None


class OpenIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason = "opened"
    seal_number: SealNumber | None = None
    reference: Annotated[str, text(limits.REFERENCE)] | None = None


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    seal_number: SealNumber | None = None
    intact: bool = True
