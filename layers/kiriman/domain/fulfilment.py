"""From a READY_TO_SHIP package to a bought label that Shopee knows about.

``plan`` (the ``fulfil`` function, on the PackageReadyToShip event) allocates a warehouse, decides who
ships the package — Shopee's own logistics when the buyer's channel is integrated, otherwise the
merchant's rules over the rated carrier accounts — and queues one purchase job on that carrier's queue.
``buy`` (the ``label_purchase`` function) runs the claim machine, stores the label, and hands the
tracking number back to Shopee for non-integrated channels (``v2.logistics.ship_order`` with
``non_integrated.tracking_number``, Shopee's "Order Management" guide §8.3.2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from kiriman.carriers.base import Carrier, CarrierError, Label, PackageRef, ShipmentRequest
from kiriman.clock import Clock
from kiriman.domain import purchases
from kiriman.domain.orders import Order
from kiriman.domain.parcels import Address
from kiriman.domain.purchases import ClaimState, ClaimStore, Outcome
from kiriman.domain.quoting import Pricing, order_facts, rate
from kiriman.domain.warehouses import Warehouse
from kiriman.logs import get_logger

log = get_logger()
QUEUE_PREFIX = "purchase-"
INTEGRATED_SERVICES = ("pickup", "dropoff")
TRACKING_POLL_S = 300.0  # Shopee's guide: poll get_tracking_number at intervals of 5 minutes or more
# Shopee: the buyer may cancel without the seller's approval for about the first hour, and Shopee advises
# arranging shipment only an hour or more after the order was placed (v2.logistics.mass_ship_order /
# batch_ship_order descriptions; "Order Management" best practices). A package is held until then, on
# the due index, unless its merchant opted in (Merchant.arrange_within_first_hour).
FIRST_HOUR_S = 3600
HELD_KIND = "package_ready"  # the due task that releases a held package
HELD_QUEUE = "fulfil-held"


def queue_for(carrier: str) -> str:
    return f"{QUEUE_PREFIX}{carrier}"


@dataclass(frozen=True)
class PurchaseJob:
    """One message on a carrier's purchase queue."""

    merchant_id: str
    shop_id: int
    order_sn: str
    package_number: str
    leg: str
    carrier: str
    account_id: str
    service: str
    warehouse_id: str | None
    warehouse_owner: str | None
    explanation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def package(self) -> PackageRef:
        return PackageRef(self.shop_id, self.order_sn, self.package_number, self.leg)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "explanation": dict(self.explanation)}

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> PurchaseJob:
        return PurchaseJob(**{k: d[k] for k in PurchaseJob.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Attention:
    """Why a package could not be sent to purchase; shown to the merchant with what to fix."""

    code: str  # no_warehouse | no_carrier | order_not_ready
    message: str
    explanation: Mapping[str, Any] = field(default_factory=dict)


def allocate(warehouses: list[Warehouse], market: str) -> Warehouse | None:
    """The merchant's own active warehouse serving the market first, then the forwarder's."""
    serving = [w for w in warehouses if w.active and market.upper() in w.markets]
    serving.sort(key=lambda w: (w.owner is None, w.created_at, w.warehouse_id))
    return serving[0] if serving else None


def sender_of(w: Warehouse) -> Address:
    a = w.address
    return Address(name=a.name, country=a.country, line1=a.line1, line2=a.line2 or "", city=a.city,
                   state=a.state or "", postcode=a.postcode, phone=a.phone)


_MASK = re.compile(r"\*{3,}")


def recipient_masked(recipient: Mapping[str, Any] | None) -> bool:
    """Shopee returns masked buyer data as runs of asterisks (``"****"``, ``"P******n"``; Open Platform
    v2 ``get_order_detail``, ``recipient_address``): nothing a courier could deliver to."""
    if not recipient:
        return False
    return any(_MASK.search(str(recipient.get(k) or "")) for k in ("name", "phone", "full_address"))


def plan(order: Order, package_number: str, warehouses: list[Warehouse], integrated: bool, pricing: Pricing,
         clock: Clock) -> PurchaseJob | Attention:
    if order.order_status != "READY_TO_SHIP":
        return Attention("order_not_ready", f"order is {order.order_status}")
    warehouse = allocate(warehouses, order.region)
    if warehouse is None:
        return Attention("no_warehouse", f"no active warehouse serves {order.region}; add one or add the market")

    def job(carrier: str, account_id: str, service: str, explanation: Mapping[str, Any]) -> PurchaseJob:
        return PurchaseJob(order.merchant_id, order.shop_id, order.order_sn, package_number, "outbound", carrier,
                           account_id, service, warehouse.warehouse_id, warehouse.owner, explanation)

    if integrated:
        return job("shopee", f"shopee:{order.shop_id}", "",
                   {"reason": "the buyer's Shopee channel is integrated: Shopee books the 3PL"})
    if recipient_masked(order.recipient):
        return Attention("recipient_masked", "Shopee masks this buyer's name, phone or address (cross-border "
                         "and some markets' privacy rules), so no carrier label can be printed for it: ship "
                         "through a Shopee-integrated channel, whose AWB Shopee prints")
    facts = order_facts(order, package_number, channel_integrated=False)
    decision = rate(pricing, facts, datetime.fromtimestamp(clock.time(), tz=UTC))
    if decision.chosen is None:
        return Attention("no_carrier", decision.reason, decision.explanation())
    return job(decision.chosen.carrier, decision.chosen.account_id, decision.chosen.service, decision.explanation())


class LabelStore(Protocol):
    def put_label(self, key: str, label: Label) -> str: ...


class ShopeeHandBack(Protocol):
    def ship_order(self, shop_id: int, order_sn: str, package_number: str | None, method: str,
                   fields: Mapping[str, Any]) -> None: ...
    def get_package_detail(self, shop_id: int, package_numbers: list[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Bought:
    outcome: Outcome
    label_key: str = ""
    handed_back: bool = False


def label_key(job: PurchaseJob, attempt: int, tracking_number: str) -> str:
    return f"labels/{job.merchant_id}/{job.shop_id}/{job.order_sn}/{job.package_number or '-'}/{job.leg}/" \
           f"{attempt}-{tracking_number}.pdf"


def buy(
    store: ClaimStore,
    carrier: Carrier,
    job: PurchaseJob,
    order: Order,
    warehouse: Warehouse,
    labels: LabelStore,
    shopee: ShopeeHandBack,
    clock: Clock,
    call_budget_s: float,
    crash: Callable[[str], None] = lambda point: None,
) -> Bought:
    """Claim and buy; then store the label and tell Shopee. Each later step is safe to repeat."""
    facts = order_facts(order, job.package_number or None, channel_integrated=False)
    request = ShipmentRequest(reference="", package=job.package, service=job.service, sender=sender_of(warehouse),
                              recipient=facts.destination, parcel=facts.parcel, seller_id=str(job.shop_id),
                              seller_name=warehouse.name)
    outcome = purchases.purchase(store, carrier, request, job.merchant_id, clock, call_budget_s, crash=crash)
    claim = outcome.claim
    if claim.state == ClaimState.BOUGHT and not claim.tracking_number:
        # Shopee logistics: the number comes after ship_order (push 4, or get_tracking_number polled).
        found = carrier.find_by_reference(claim.reference)
        if found is not None and found.tracking_number:
            numbered = replace(claim, tracking_number=found.tracking_number, updated_at=clock.time(),
                               version=claim.version + 1)
            if store.move_claim(numbered):
                claim = numbered
                outcome = Outcome(numbered, outcome.created)
    if claim.state != ClaimState.BOUGHT or not claim.tracking_number:
        return Bought(outcome)  # failed, parked, or the tracking number still pending
    key = str(claim.raw.get("label_key") or "")
    if not key and "get_label" in carrier.info.operations:
        try:
            label = _label(carrier, claim)
            key = labels.put_label(label_key(job, claim.attempt, claim.tracking_number), label)
        except CarrierError as exc:
            if not exc.retryable:
                raise
            # the document is still being made (Shopee) or the carrier is busy: the job comes back for it
            log.info("label not ready", extra={"order_sn": job.order_sn, "error": exc.code or exc.message})
    handed = bool(claim.raw.get("handed_back"))
    if not handed:
        if job.carrier != "shopee":  # Shopee logistics was arranged by ship_order itself
            _hand_back(shopee, job, claim.tracking_number)
        handed = True
    if (key, handed) != (claim.raw.get("label_key"), claim.raw.get("handed_back")):
        # where the parcel waits for its carrier (domain/pickups.py groups the day's pickups by it)
        where = {"warehouse_id": job.warehouse_id, "warehouse_owner": job.warehouse_owner}
        updated = replace(claim, raw={**claim.raw, "label_key": key, "handed_back": handed, **where},
                          updated_at=clock.time(), version=claim.version + 1)
        if store.move_claim(updated):
            outcome = Outcome(updated, outcome.created)
    return Bought(outcome, key, handed)


def _label(carrier: Carrier, claim: purchases.Claim) -> Label:
    return carrier.get_label(claim.tracking_number, claim.package, claim.reference)


def _hand_back(shopee: ShopeeHandBack, job: PurchaseJob, tracking_number: str) -> None:
    """``ship_order`` with the carrier's number; "already shipped" counts once the package detail agrees."""
    from kiriman.shopee.errors import ShopeeRejected

    try:
        shopee.ship_order(job.shop_id, job.order_sn, job.package_number or None, "non_integrated",
                          {"tracking_number": tracking_number})
    except ShopeeRejected:
        details = shopee.get_package_detail(job.shop_id, [job.package_number]) if job.package_number else []
        if not details or not details[0].get("is_shipment_arranged"):
            raise


# --- the two workers' domain halves -------------------------------------------------------------------
class Dispatcher(Protocol):
    def send(self, queue: str, messages: list[dict[str, Any]], delay_s: int = 0) -> None: ...


class ShippingParameters(Protocol):
    def get_shipping_parameter(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]: ...


class PlanStore(ClaimStore, Protocol):
    def get_order(self, merchant_id: str, order_sn: str) -> Order | None: ...
    def get_merchant(self, merchant_id: str) -> Any: ...
    def schedule_due(self, kind: str, ref: str, at: float, payload: Mapping[str, Any] | None = None) -> Any: ...
    def list_warehouses(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Warehouse], str | None]: ...


def done(claim: purchases.Claim) -> bool:
    """Nothing more to do automatically: refused, parked, voided, or bought, labelled and handed back."""
    if claim.state in (ClaimState.FAILED, ClaimState.UNKNOWN, ClaimState.VOIDED):
        return True
    # a label: the carrier's (label_key) or, for a carrier that supplies none, ours (domain/printing.py)
    labelled = bool(claim.raw.get("label_key") or (claim.raw.get("documents") or {}).get("pdf"))
    return claim.state == ClaimState.BOUGHT and bool(claim.raw.get("handed_back")) and labelled


def channel_is_integrated(shopee: ShippingParameters, shop_id: int, order_sn: str, package_number: str) -> bool:
    """``info_needed`` offers ``non_integrated`` only for channels the seller ships themselves."""
    params = shopee.get_shipping_parameter(shop_id, order_sn, package_number or None)
    return "non_integrated" not in (params.get("info_needed") or {})


def held_until(order: Order, merchant: Any, now: float) -> float | None:
    """When a package of ``order`` may be arranged, if that is still ahead; None: go now."""
    if merchant is not None and getattr(merchant, "arrange_within_first_hour", False):
        return None
    release = math.ceil(order.create_time + FIRST_HOUR_S)
    return float(release) if now < release else None


def warehouses_for(store: PlanStore, merchant_id: str) -> list[Warehouse]:
    out: list[Warehouse] = []
    for owner in (merchant_id, None):
        cursor: str | None = None
        while True:
            page, cursor = store.list_warehouses(owner, 100, cursor)
            out.extend(page)
            if not cursor:
                break
    return out


def on_ready_to_ship(
    store: PlanStore,
    shopee: ShippingParameters,
    dispatcher: Dispatcher,
    clock: Clock,
    load_pricing: Callable[[str], Pricing],
    detail: Mapping[str, Any],
    release: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """PackageReadyToShip -> one purchase job on the chosen carrier's queue, or a claim needing attention.

    ``release`` (a held package's due task coming back) is asked just before the job is sent: it completes
    the due task under its lease, and False means another delivery of the same task got there first, so
    this one sends nothing. (A crash between the two leaves the package to the reconciler.)"""
    merchant_id, order_sn = str(detail["merchant_id"]), str(detail["order_sn"])
    package_number = str(detail.get("package_number") or "")
    order = store.get_order(merchant_id, order_sn)
    if order is None:
        return {"skipped": "order not stored"}
    pkg = PackageRef(order.shop_id, order_sn, package_number)
    current = store.get_claim(pkg, store.current_attempt(pkg))
    if current is not None and done(current):
        return {"skipped": f"already {current.state.value}"}  # a replayed event
    if current is None:  # a claim already made (a manual purchase, a retry) is not held again
        until = held_until(order, store.get_merchant(merchant_id), clock.time())
        if until is not None:
            store.schedule_due(HELD_KIND, pkg.identity, until, dict(detail))
            return {"held_until": until}
    warehouses = warehouses_for(store, merchant_id)
    if allocate(warehouses, order.region) is None:  # nothing to ship from: no need to ask Shopee anything
        planned: PurchaseJob | Attention = plan(order, package_number, warehouses, False, Pricing((), (), ()), clock)
    else:
        integrated = channel_is_integrated(shopee, order.shop_id, order_sn, package_number)
        pricing = Pricing((), (), ()) if integrated else load_pricing(merchant_id)
        planned = plan(order, package_number, warehouses, integrated, pricing, clock)
    if isinstance(planned, Attention):
        now = clock.time()
        attempt = store.current_attempt(pkg)
        claim = purchases.Claim(pkg, attempt, merchant_id, ClaimState.FAILED, "", "",
                                purchases.reference_for(pkg, attempt), now, now,
                                error={"code": planned.code, "message": planned.message,
                                       "explanation": dict(planned.explanation)})
        store.create_claim(claim)
        return {"attention": planned.code}
    if release is not None and not release():
        return {"skipped": "released by another delivery"}
    dispatcher.send(queue_for(planned.carrier), [planned.to_json()])
    return {"queued": planned.carrier, "account_id": planned.account_id}


class JobStore(PlanStore, Protocol):
    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None: ...


@dataclass(frozen=True)
class Retry:
    """Put the job back after ``delay_s`` (a 429's Retry-After, or another worker's call deadline)."""

    delay_s: float
    why: str


def run_job(
    store: JobStore,
    carrier_for: Callable[[PurchaseJob], Carrier],
    job: PurchaseJob,
    labels: LabelStore,
    shopee: ShopeeHandBack,
    clock: Clock,
    call_budget_s: float,
    tracking_poll_s: float = TRACKING_POLL_S,
) -> Bought | Retry:
    """One purchase job. Ambiguous carrier failures propagate: the message comes back and the claim,
    left CALLING, makes the next delivery ask the carrier before buying."""
    from kiriman.carriers.base import CarrierThrottled

    existing = store.get_claim(job.package, store.current_attempt(job.package))
    if existing is not None and existing.account_id and existing.account_id != job.account_id:
        # A re-planned job (rates or rules changed meanwhile) follows the claim, never a second carrier.
        job = replace(job, carrier=existing.carrier, account_id=existing.account_id)
    order = store.get_order(job.merchant_id, job.order_sn)
    warehouse = store.get_warehouse(job.warehouse_owner, job.warehouse_id) if job.warehouse_id else None
    if order is None or warehouse is None:
        raise LookupError(f"job for {job.order_sn}: order or warehouse is gone")
    carrier = carrier_for(job)
    try:
        bought = buy(store, carrier, job, order, warehouse, labels, shopee, clock, call_budget_s)
    except purchases.PurchaseInProgress as exc:
        return Retry(exc.retry_after_s + 1, "another worker is calling the carrier")
    except CarrierThrottled as exc:
        return Retry(exc.retry_after_s or 30.0, "carrier rate limit")
    claim = bought.outcome.claim
    if claim.state == ClaimState.BOUGHT and not claim.tracking_number:
        return Retry(tracking_poll_s, "tracking number pending")  # Shopee: poll no faster than every 5 minutes
    if claim.state == ClaimState.BOUGHT and not bought.label_key and "get_label" in carrier.info.operations:
        return Retry(max(1.0, tracking_poll_s / 5), "label pending")
    return bought


def on_order_change(
    store: PlanStore,
    carrier_for: Callable[[purchases.Claim], Carrier],
    clock: Clock,
    detail_type: str,
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    """OrderCancelled voids every bought label of the order; PackagesChanged (split, unsplit, channel
    change) voids those of the packages that vanished or moved. A voided package can be bought again
    under its next attempt when it is READY_TO_SHIP again."""
    from kiriman.carriers.base import NotCancellable

    merchant_id, order_sn = str(detail["merchant_id"]), str(detail["order_sn"])
    shop_id = int(detail["shop_id"])
    if detail_type == "OrderCancelled":
        order = store.get_order(merchant_id, order_sn)
        numbers = [p.package_number for p in order.packages] if order is not None and order.packages else [""]
        reason = f"order {detail.get('order_status') or 'cancelled'} on Shopee"
    else:
        numbers = [str(n) for n in list(detail.get("removed") or []) + list(detail.get("channel_changed") or [])]
        reason = "package split, merged or moved to another channel on Shopee"
    voided, too_late = [], []
    for number in numbers:
        pkg = PackageRef(shop_id, order_sn, number)
        claim = store.get_claim(pkg, store.current_attempt(pkg))
        if claim is None or claim.state != ClaimState.BOUGHT:
            continue
        try:
            done = purchases.void(store, carrier_for(claim), pkg, clock, reason)
            voided.append({"package_number": number, "at_carrier": done.at_carrier})
        except NotCancellable:
            too_late.append(number)  # already with the carrier: returns handle it
            log.warning("void too late", extra={"order_sn": order_sn, "package_number": number})
    return {"voided": voided, "too_late": too_late}


# --- the reconciler ------------------------------------------------------------------------------------
class Events(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class ReconcileStore(PlanStore, Protocol):
    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool: ...
    def get_reconcile_cursor(self) -> tuple[str | None, str | None]: ...
    def save_reconcile_cursor(self, merchant_id: str | None, order_cursor: str | None) -> None: ...
    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Any], str | None]: ...
    def list_orders(self, merchant_id: str, limit: int, cursor: str | None,
                    status: str | None = None) -> tuple[list[Order], str | None]: ...


def reconcile(store: ReconcileStore, events: Events, clock: Clock, stale_s: float,
              max_republish: int = 200, again_after_s: float = 3600.0,
              should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Re-publish PackageReadyToShip for every READY_TO_SHIP package whose purchase is not done: never
    claimed (an event lost between the write and the publish), stuck CALLING past its worker's deadline,
    or bought but not yet labelled or handed back to Shopee. Replays are harmless: claims decide.

    A package is re-published at most once per ``again_after_s`` while its claim stands still: a job
    waiting in a backed-up purchase queue is not lost (SQS keeps it, the DLQ catches it), and publishing
    it again on every run would only add to the backlog.

    A run stops when ``should_stop`` says its time is nearly up (or after ``max_republish``) and leaves a
    cursor (merchant, page of orders) for the next run, which resumes there: a large backlog is walked over
    several runs instead of timing out on the same first pages every time."""
    now = clock.time()
    counts = {"checked": 0, "republished": 0, "recently_republished": 0, "resumed": 0, "finished": 0}
    merchants: list[Any] = []
    cursor: str | None = None
    while True:
        page, cursor = store.list_merchants(100, cursor)
        merchants += page
        if not cursor:
            break
    ids = [m.merchant_id for m in merchants]
    start_merchant, start_cursor = store.get_reconcile_cursor()
    first = ids.index(start_merchant) if start_merchant in ids else 0
    counts["resumed"] = int(start_merchant in ids)
    for index in range(first, len(merchants)):
        merchant = merchants[index]
        cursor = start_cursor if index == first and counts["resumed"] else None
        while True:
            if should_stop() or counts["republished"] >= max_republish:
                # the rest next run: a backlog must not turn into a storm, nor outlive the function's timeout
                store.save_reconcile_cursor(merchant.merchant_id, cursor)
                return counts
            orders_page, next_cursor = store.list_orders(merchant.merchant_id, 100, cursor, status="READY_TO_SHIP")
            for order in orders_page:
                if should_stop():  # mid-page: the next run reads this page again (markers stop repeats)
                    store.save_reconcile_cursor(merchant.merchant_id, cursor)
                    return counts
                _reconcile_order(store, events, order, merchant, now, stale_s, again_after_s, counts)
            cursor = next_cursor
            if not cursor:
                break
    store.save_reconcile_cursor(None, None)
    counts["finished"] = 1
    return counts


def _reconcile_order(store: ReconcileStore, events: Events, order: Order, merchant: Any, now: float,
                     stale_s: float, again_after_s: float, counts: dict[str, int]) -> None:
    if order.update_time > now - stale_s:
        return  # give the normal path its time first
    if held_until(order, merchant, now) is not None:
        return  # held for the first hour: the due task releases it
    for package in order.packages or []:
        if package.handling != "fulfil":
            continue
        counts["checked"] += 1
        pkg = PackageRef(order.shop_id, order.order_sn, package.package_number)
        claim = store.get_claim(pkg, store.current_attempt(pkg))
        if claim is not None and (done(claim) or (claim.state == ClaimState.CALLING and
                                                  (claim.calling_until or 0) > now)):
            continue
        standing = f"{pkg.identity}#{claim.attempt}#{claim.version}" if claim else pkg.identity
        if not store.use_once("reconciled", standing, ttl_s=again_after_s):
            counts["recently_republished"] += 1
            continue
        events.publish("PackageReadyToShip", {
            "merchant_id": order.merchant_id, "shop_id": order.shop_id, "order_sn": order.order_sn,
            "package_number": package.package_number, "logistics_channel_id":
            package.logistics_channel_id, "ship_by_date": order.ship_by_date, "reconciled": True})
        counts["republished"] += 1
