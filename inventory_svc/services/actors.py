"""Who is acting: resolved from the API key by the auth middleware."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_svc.domain.errors import Forbidden
from inventory_svc.domain.roles import Permission, Role, allows


@dataclass(frozen=True, slots=True)
class Actor:
    key_id: int | None
    name: str
    role: Role

    def require(self, permission: Permission) -> None:
        if not allows(self.role, permission):
            raise Forbidden(
                f"The role {self.role.value!r} may not {permission.value}.",
                required_permission=permission.value,
            )


SYSTEM = Actor(key_id=None, name="system", role=Role.ADMIN)
