"""The audit log: an append-only record of every state-changing call, and of every operator read of
a merchant's data (who, role, merchant, action, target, when, key prefix)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiriman.clock import Clock
from kiriman.domain.access import Principal
from kiriman.ids import new_id


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: float
    user_id: str
    role: str
    key_prefix: str
    merchant_id: str | None  # the merchant whose data was touched (None: forwarder-level)
    action: str  # "POST /v1/warehouses"
    target: str  # the resource path acted on
    status: int
    request_id: str


@dataclass(frozen=True)
class AuditQuery:
    merchant_id: str | None
    since: float | None = None
    until: float | None = None
    user_id: str | None = None
    action: str | None = None


class AuditStore(Protocol):
    def append_audit(self, entry: AuditEntry) -> None: ...
    def list_audit(self, q: AuditQuery, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]: ...


def should_audit(method: str, principal: Principal, merchant_id: str | None) -> bool:
    """Every write; and every read an operator makes of a merchant's data."""
    if method.upper() != "GET":
        return True
    return principal.role.is_operator and merchant_id is not None


def record(
    store: AuditStore,
    clock: Clock,
    principal: Principal,
    merchant_id: str | None,
    method: str,
    route: str,
    target: str,
    status: int,
    request_id: str,
) -> AuditEntry:
    now = clock.time()
    entry = AuditEntry(
        audit_id=new_id("aud", now),
        at=now,
        user_id=principal.user_id,
        role=principal.role.value,
        key_prefix=principal.key_prefix,
        merchant_id=merchant_id,
        action=f"{method.upper()} {route}",
        target=target,
        status=status,
        request_id=request_id,
    )
    store.append_audit(entry)
    return entry
