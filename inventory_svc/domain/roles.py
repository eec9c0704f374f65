"""Who may do what. One table, checked by the API guards and by scan ingest."""

from __future__ import annotations

from enum import StrEnum

from inventory_svc.domain.ledger import Action


class Role(StrEnum):
    SCANNER = "scanner"
    SPECIALIST = "specialist"
    MANAGER = "manager"
    INTEGRATION = "integration"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    SCAN = "scan"
    TRANSFER = "transfer"
    COUNT = "count"
    RESTOCK = "restock"
    MANAGE = "manage"
    EVENTS = "events"
    ACKNOWLEDGE = "acknowledge"
    KEYS = "keys"


_SCANNER = {Permission.READ, Permission.SCAN}
_SPECIALIST = _SCANNER | {Permission.TRANSFER, Permission.COUNT, Permission.RESTOCK}
_MANAGER = _SPECIALIST | {Permission.MANAGE, Permission.EVENTS, Permission.ACKNOWLEDGE}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SCANNER: frozenset(_SCANNER),
    Role.SPECIALIST: frozenset(_SPECIALIST),
    Role.MANAGER: frozenset(_MANAGER),
    Role.INTEGRATION: frozenset({Permission.READ, Permission.EVENTS, Permission.ACKNOWLEDGE}),
    Role.ADMIN: frozenset(Permission),
}

ACTION_PERMISSION: dict[Action, Permission] = {
    Action.TRANSFER: Permission.TRANSFER,
    Action.RETURN_TO_SUPPLIER: Permission.TRANSFER,
}
"""Scan actions beyond plain scanning. Restock, remove, seal and count scans are a scanner's
work (DESIGN §4.1): a technician restocks and seals a kit with the scanner alone; starting and
completing sessions over the API, opening and checking kits need `restock`; opening a count
needs `count` (specialists), committing it `manage`."""


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def permission_for_action(action: Action) -> Permission:
    return ACTION_PERMISSION.get(action, Permission.SCAN)
