"""Shipments: the purchase of a label for a package, as the claim machine recorded it.

``GET /v1/shipments?status=`` lists them by state (``needs_attention`` = refused, parked or unplanned,
with the carrier's own error); ``POST /v1/shipments/retry`` opens the next attempt after a permanent
failure, once (a double click makes one attempt).
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import Page, StrictBody
from kiriman.api.resolver import acting, requires, runtime
from kiriman.carriers.base import PackageRef
from kiriman.domain.access import Permission
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.domain.purchases import Claim, ClaimState

router = Router()
MerchantQuery = Annotated[str | None, Query(max_length=40, description="Operators: the merchant to act on.")]
STATUSES = {
    "bought": [ClaimState.BOUGHT],
    "in_progress": [ClaimState.CLAIMED, ClaimState.CALLING],
    "needs_attention": [ClaimState.FAILED, ClaimState.UNKNOWN],
    "failed": [ClaimState.FAILED],
    "purchase_unknown": [ClaimState.UNKNOWN],
    "voided": [ClaimState.VOIDED],
}


class ShipmentOut(BaseModel):
    shop_id: int
    order_sn: str
    package_number: str
    leg: str
    attempt: int
    status: str = Field(description="CLAIMED, CALLING, BOUGHT, FAILED, UNKNOWN (purchase_unknown) or VOIDED")
    carrier: str
    account_id: str
    reference: str
    tracking_number: str
    label_key: str
    handed_back: bool
    error: dict[str, Any] = Field(description="The carrier's own code, message and field when it refused; raw_keys: "
                                              "the archived request and response (raw/ in the documents bucket).")
    actions: list[str] = Field(description="What can be done next, e.g. retry.")
    updated_at: float

    @classmethod
    def of(cls, c: Claim) -> "ShipmentOut":
        actions = ["retry"] if c.state == ClaimState.FAILED else []
        return cls(shop_id=c.package.shop_id, order_sn=c.package.order_sn, package_number=c.package.package_number,
                   leg=c.package.leg, attempt=c.attempt, status=c.state.value, carrier=c.carrier,
                   account_id=c.account_id, reference=c.reference, tracking_number=c.tracking_number,
                   label_key=str(c.raw.get("label_key") or ""), handed_back=bool(c.raw.get("handed_back")),
                   error=dict(c.error), actions=actions, updated_at=c.updated_at)


class ShipmentPage(Page):
    items: list[ShipmentOut]


@router.get("/v1/shipments", summary="Shipments by status (needs_attention: refused, parked or unplanned)")
@requires(router, Permission.ORDERS_READ)
def list_shipments(
    status: Annotated[str, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = "needs_attention",
    merchant_id: MerchantQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ShipmentPage:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    states = STATUSES[status]
    if len(states) == 1:
        items, nxt = runtime().store.claims_by_state(merchant, states[0].value, limit, cursor)
        return ShipmentPage(items=[ShipmentOut.of(c) for c in items], next_cursor=nxt)
    out: list[Claim] = []
    for state in states:  # several states: first page of each, newest first
        items, _ = runtime().store.claims_by_state(merchant, state.value, limit, None)
        out.extend(items)
    out.sort(key=lambda c: c.updated_at, reverse=True)
    return ShipmentPage(items=[ShipmentOut.of(c) for c in out[:limit]], next_cursor=None)


class RetryIn(StrictBody):
    shop_id: int = Field(gt=0)
    order_sn: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{6,32}$")]
    package_number: Annotated[str, StringConstraints(max_length=64)] = ""
    leg: Annotated[str, StringConstraints(pattern=r"^(outbound|line_haul|return:\w+|exchange:\w+)$")] = "outbound"


class ShipmentIn(RetryIn):
    pass


class Queued(BaseModel):
    status: str = Field(description="queued: the purchase runs through the same claim as automatic ones")
    shop_id: int
    order_sn: str
    package_number: str
    attempt: int


@router.post("/v1/shipments", summary="Buy the label for a package now (once: the purchase claim decides)")
@requires(router, Permission.CARRIERS_WRITE)
@idempotent(router)
def create_shipment(body: Annotated[ShipmentIn, Body()], merchant_id: MerchantQuery = None) -> Response[Any]:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    rt = runtime()
    order = rt.store.get_order(merchant, body.order_sn)
    if order is None or order.shop_id != body.shop_id:
        raise NotFound("order not found")
    numbers = [p.package_number for p in order.packages]
    number = body.package_number or (numbers[0] if len(numbers) == 1 else "")
    if numbers and number not in numbers:
        raise InvalidInput("package_number", f"the order's packages are {numbers}")
    if order.order_status != "READY_TO_SHIP":
        raise Conflict(f"the order is {order.order_status}; only READY_TO_SHIP packages are bought")
    pkg = PackageRef(body.shop_id, body.order_sn, number, body.leg)
    attempt = rt.store.current_attempt(pkg)
    claim = rt.store.get_claim(pkg, attempt)
    if claim is not None and claim.state in (ClaimState.BOUGHT, ClaimState.UNKNOWN):
        raise Conflict(f"this package is already {claim.state.value} (attempt {attempt})")
    if claim is not None and claim.state == ClaimState.FAILED:
        raise Conflict("the last purchase was refused: fix it and POST /v1/shipments/retry")
    rt.events.publish("PackageReadyToShip", {"merchant_id": merchant, "shop_id": pkg.shop_id,
                                             "order_sn": pkg.order_sn, "package_number": number,
                                             "requested": True})
    out = Queued(status="queued", shop_id=pkg.shop_id, order_sn=pkg.order_sn, package_number=number,
                 attempt=attempt)
    return Response(status_code=202, content_type=JSON, body=out.model_dump(mode="json"))


@router.post("/v1/shipments/retry", summary="Open the next purchase attempt after a refusal (once)")
@requires(router, Permission.CARRIERS_WRITE)
def retry_shipment(body: Annotated[RetryIn, Body()], merchant_id: MerchantQuery = None) -> ShipmentOut:
    merchant = acting(merchant_id, required=True)
    store = runtime().store
    pkg = PackageRef(body.shop_id, body.order_sn, body.package_number, body.leg)
    attempt = store.current_attempt(pkg)
    claim = store.get_claim(pkg, attempt)
    if claim is None or claim.merchant_id != merchant:
        raise NotFound("no shipment for this package")
    if claim.state != ClaimState.FAILED:
        raise Conflict(f"only a refused purchase can be retried; this one is {claim.state.value}")
    store.advance_attempt(pkg, attempt)
    # Plan it again, exactly as a fresh READY_TO_SHIP package: fulfil picks it up from the bus.
    runtime().events.publish("PackageReadyToShip", {"merchant_id": merchant, "shop_id": pkg.shop_id,
                                                    "order_sn": pkg.order_sn, "package_number": pkg.package_number,
                                                    "retry_of_attempt": attempt})
    return ShipmentOut.of(claim)
