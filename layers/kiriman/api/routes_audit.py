"""The audit log, read-only. Merchant admins read their merchant's; operators any merchant's, or the
forwarder's own (no ``merchant_id``)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from kiriman.api.models import Page
from kiriman.api.resolver import acting, requires, runtime
from kiriman.domain.access import Permission
from kiriman.domain.audit import AuditEntry, AuditQuery

router = Router()


class AuditOut(BaseModel):
    audit_id: str
    at: float
    user_id: str
    role: str
    key_prefix: str
    merchant_id: str | None
    action: str
    target: str
    status: int
    request_id: str

    @classmethod
    def of(cls, e: AuditEntry) -> "AuditOut":
        return cls(**e.__dict__)


class AuditPage(Page):
    items: list[AuditOut]


@router.get("/v1/audit", summary="Audit records, newest first")
@requires(router, Permission.AUDIT_READ)
def list_audit(
    merchant_id: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[float | None, Query(ge=0, description="epoch seconds, inclusive")] = None,
    until: Annotated[float | None, Query(ge=0, description="epoch seconds, inclusive")] = None,
    user_id: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[str | None, Query(max_length=120, description='e.g. "POST /v1/warehouses"')] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    owner = acting(merchant_id, required=False)
    q = AuditQuery(merchant_id=owner, since=since, until=until, user_id=user_id, action=action)
    items, nxt = runtime().store.list_audit(q, limit, cursor)
    return AuditPage(items=[AuditOut.of(e) for e in items], next_cursor=nxt)
