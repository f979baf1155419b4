"""Who may do what. Roles and their permissions live here, in one place; a route names the
permission it needs and the principal comes from the authorizer, never from the request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    # Merchant roles act only inside their merchant.
    MERCHANT_ADMIN = "merchant_admin"
    MERCHANT_STAFF = "merchant_staff"
    VIEWER = "viewer"
    # Operator roles act across merchants (a warehouse user may be limited to one warehouse).
    ADMIN = "admin"
    OPS = "ops"
    WAREHOUSE = "warehouse"

    @property
    def is_operator(self) -> bool:
        return self in OPERATOR_ROLES


OPERATOR_ROLES = frozenset({Role.ADMIN, Role.OPS, Role.WAREHOUSE})
MERCHANT_ROLES = frozenset({Role.MERCHANT_ADMIN, Role.MERCHANT_STAFF, Role.VIEWER})


class Permission(StrEnum):
    SELF_READ = "self:read"
    MERCHANTS_CREATE = "merchants:create"
    MERCHANTS_READ = "merchants:read"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    WAREHOUSES_READ = "warehouses:read"
    WAREHOUSES_WRITE = "warehouses:write"
    AUDIT_READ = "audit:read"
    SHOPS_READ = "shops:read"
    SHOPS_WRITE = "shops:write"
    ORDERS_READ = "orders:read"
    CARRIERS_READ = "carriers:read"  # carrier accounts, rate cards, routing rules
    CARRIERS_WRITE = "carriers:write"
    RATES_QUOTE = "rates:quote"
    SETTINGS_WRITE = "settings:write"  # the merchant's own settings (e.g. the first-hour hold)


_READ_OWN = {Permission.SELF_READ, Permission.WAREHOUSES_READ, Permission.SHOPS_READ, Permission.ORDERS_READ,
             Permission.CARRIERS_READ, Permission.RATES_QUOTE}

# The one table of who may do what. Merchant roles act inside their merchant; operator roles across
# merchants (and every operator action on a merchant's data is audited).
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPS: frozenset(
        _READ_OWN
        | {
            Permission.MERCHANTS_READ,
            Permission.MERCHANTS_CREATE,
            Permission.USERS_READ,
            Permission.KEYS_READ,
            Permission.WAREHOUSES_WRITE,
            Permission.AUDIT_READ,
            Permission.CARRIERS_WRITE,
        }
    ),
    Role.WAREHOUSE: frozenset(_READ_OWN),
    Role.MERCHANT_ADMIN: frozenset(
        _READ_OWN
        | {
            Permission.USERS_READ,
            Permission.USERS_WRITE,
            Permission.KEYS_READ,
            Permission.KEYS_WRITE,
            Permission.WAREHOUSES_WRITE,
            Permission.AUDIT_READ,
            Permission.SHOPS_WRITE,
            Permission.CARRIERS_WRITE,
            Permission.SETTINGS_WRITE,
        }
    ),
    Role.MERCHANT_STAFF: frozenset(_READ_OWN),
    Role.VIEWER: frozenset(_READ_OWN),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the authorizer hands it over (flat strings)."""

    user_id: str
    role: Role
    merchant_id: str | None
    warehouse_id: str | None
    key_prefix: str

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def to_context(self) -> dict[str, str]:
        """API Gateway authorizer context: values must be strings, numbers or booleans."""
        return {
            "user_id": self.user_id,
            "role": self.role.value,
            "scope": "operator" if self.role.is_operator else "merchant",
            "merchant_id": self.merchant_id or "",
            "warehouse_id": self.warehouse_id or "",
            "key_prefix": self.key_prefix,
        }

    @classmethod
    def from_context(cls, ctx: Mapping[str, object]) -> Principal:
        role = Role(str(ctx["role"]))
        merchant = str(ctx.get("merchant_id") or "") or None
        if not role.is_operator and not merchant:
            raise ValueError("merchant role without merchant_id")
        return cls(
            user_id=str(ctx["user_id"]),
            role=role,
            merchant_id=None if role.is_operator else merchant,
            warehouse_id=str(ctx.get("warehouse_id") or "") or None,
            key_prefix=str(ctx.get("key_prefix") or ""),
        )
