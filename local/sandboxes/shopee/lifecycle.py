"""The order / package state machine and its clock-driven steps.

Transitions follow open.shopee.com "Order Management" (developer guide, arrange-shipment flow) and the
status tables of "V2.0 Data Definition":

    UNPAID --pay--> READY_TO_SHIP (packages LOGISTICS_READY; ship_by_date = pay_time + days_to_ship days)
    ship_order pickup/dropoff --> package LOGISTICS_REQUEST_CREATED; after ``tracking_delay_s`` the 3PL
        tracking number arrives (push 4) and the order becomes PROCESSED (push 3)
    ship_order non_integrated --> package LOGISTICS_PICKUP_DONE at once; order SHIPPED (UNCONFIRMED: the
        guide only states the package status)
    3PL pickup --> LOGISTICS_PICKUP_DONE / SHIPPED; delivery --> LOGISTICS_DELIVERY_DONE / TO_CONFIRM_RECEIVE;
        later COMPLETED (completed_scenario NORMAL)
    failed pickup --> LOGISTICS_PICKUP_RETRY / RETRY_SHIP, until update_shipping_order re-arranges it
    cancel --> CANCELLED (packages LOGISTICS_INVALID or LOGISTICS_REQUEST_CANCELED)

The order status of a multi-package (split) order follows its least advanced live package: a split order is
PROCESSED only when every parcel has its tracking number (how Shopee aggregates is UNCONFIRMED).
Every package status change sends push 30 (package_fulfillment_status_push), every order status change push 3.
"""

from __future__ import annotations

from collections.abc import Iterator

from .model import (
    CANCELLED,
    COMPLETED,
    FLOW_STATUSES,
    FULFILLED_BY_CB_SELLER,
    IN_CANCEL,
    L_DELIVERY_DONE,
    L_INVALID,
    L_NOT_START,
    L_PICKUP_DONE,
    L_PICKUP_RETRY,
    L_READY,
    L_REQUEST_CANCELED,
    L_REQUEST_CREATED,
    PACKAGE_CANCELLED,
    PROCESSED,
    READY_TO_SHIP,
    RETRY_SHIP,
    SHIPPED,
    TO_CONFIRM_RECEIVE,
    UNPAID,
    Order,
    Package,
    ShippingDocument,
    TrackingEvent,
)
from .state import SandboxState

_FLOW_BY_RANK = [READY_TO_SHIP, PROCESSED, SHIPPED, TO_CONFIRM_RECEIVE]


def touch(state: SandboxState, order: Order, at: float) -> None:
    order.update_time = max(order.update_time, int(at))
    state.changed()


def add_event(pkg: Package, at: float, status: str, description: str) -> None:
    pkg.events.append(TrackingEvent(update_time=int(at), description=description, logistics_status=status))


# -- pushes ------------------------------------------------------------------------------------------
def push_order_status(state: SandboxState, order: Order, at: float) -> None:
    # order_status_push (code 3), field order as in the published sample
    ts = int(at)
    envelope = {
        "data": {
            "items": [],
            "ordersn": order.order_sn,
            "status": order.status,
            "completed_scenario": order.completed_scenario if order.status == COMPLETED else "",
            "update_time": ts,
        },
        "shop_id": order.shop_id,
        "code": 3,
        "timestamp": ts,
    }
    state.emit_push(3, envelope, order.shop_id, at)


def push_package_status(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    # package_fulfillment_status_push (code 30)
    ts = int(at)
    envelope = {
        "data": {
            "ordersn": order.order_sn,
            "package_number": pkg.package_number,
            "fulfillment_status": pkg.logistics_status,
            "update_time": ts,
        },
        "shop_id": order.shop_id,
        "code": 30,
        "timestamp": ts,
    }
    state.emit_push(30, envelope, order.shop_id, at)


def push_tracking_number(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    # order_trackingno_push (code 4): ordersn, forder_id ("coming offline" but still sent), package_number,
    # tracking_no
    envelope = {
        "data": {
            "ordersn": order.order_sn,
            "forder_id": pkg.forder_id,
            "package_number": pkg.package_number,
            "tracking_no": pkg.tracking_number,
        },
        "shop_id": order.shop_id,
        "code": 4,
        "timestamp": int(at),
    }
    state.emit_push(4, envelope, order.shop_id, at)


def push_document_status(state: SandboxState, order: Order, pkg: Package, status: str, at: float) -> None:
    # shipping_document_status_push (code 15). The page's field table says order_sn, its sample says
    # ordersn; the sandbox sends the sample's ``ordersn`` (a client should accept both).
    envelope = {
        "data": {"ordersn": order.order_sn, "package_number": pkg.package_number, "status": status},
        "shop_id": order.shop_id,
        "code": 15,
        "timestamp": int(at),
    }
    state.emit_push(15, envelope, order.shop_id, at)


def set_package_status(state: SandboxState, order: Order, pkg: Package, status: str, at: float) -> None:
    if pkg.logistics_status == status:
        return
    pkg.logistics_status = status
    pkg.update_time = int(at)
    touch(state, order, at)
    push_package_status(state, order, pkg, at)


def set_order_status(state: SandboxState, order: Order, status: str, at: float) -> None:
    if order.status == status:
        return
    order.status = status
    if status == TO_CONFIRM_RECEIVE:
        order.received_at = at
    if status == COMPLETED:
        order.completed_at = at
    touch(state, order, at)
    push_order_status(state, order, at)


def _rank(pkg: Package) -> int:
    st = pkg.logistics_status
    if st == L_DELIVERY_DONE:
        return 3
    if st == L_PICKUP_DONE:
        return 2
    if st == L_REQUEST_CREATED and pkg.tracking_number:
        return 1
    return 0


def derived_status(order: Order) -> str | None:
    live = [p for p in order.packages if p.logistics_status not in PACKAGE_CANCELLED]
    if not live:
        return None
    if any(p.logistics_status == L_PICKUP_RETRY for p in live):
        return RETRY_SHIP
    return _FLOW_BY_RANK[min(_rank(p) for p in live)]


def sync_order_status(state: SandboxState, order: Order, at: float) -> None:
    if order.status not in FLOW_STATUSES:
        return
    status = derived_status(order)
    if status is not None:
        set_order_status(state, order, status, at)


# -- transitions -------------------------------------------------------------------------------------
def pay(state: SandboxState, order: Order, at: float) -> None:
    if order.status != UNPAID:
        return
    order.pay_time = int(at)
    order.pay_at = None
    order.ship_by_date = order.pay_time + order.days_to_ship * 86400
    set_order_status(state, order, READY_TO_SHIP, at)
    for pkg in order.packages:
        if pkg.logistics_status == L_NOT_START:
            set_package_status(state, order, pkg, L_READY, at)


def arrange(
    state: SandboxState,
    order: Order,
    pkg: Package,
    method: str,
    at: float,
    *,
    address_id: int = 0,
    pickup_time_id: str = "",
    tracking_number: str = "",
    branch_id: int = 0,
    sender_real_name: str = "",
) -> None:
    """ship_order accepted (or Shopee arranging a Shopee-fulfilled order)."""
    pkg.ship_method = method
    pkg.pickup_address_id = address_id
    pkg.pickup_time_id = pickup_time_id
    pkg.branch_id = branch_id
    pkg.sender_real_name = sender_real_name
    pkg.arranged_at = at
    pkg.retry_at = None
    if method == "non_integrated":
        # The seller's own courier: the tracking number is the seller's and the parcel counts as handed over.
        pkg.tracking_number = tracking_number
        pkg.tracking_at = at
        add_event(pkg, at, "ORDER_CREATED", "Seller has arranged shipment with their own courier")
        add_event(pkg, at, "PICKED_UP", "Parcel has been handed over to the seller's courier")
        pkg.pickup_done_time = int(at)
        set_package_status(state, order, pkg, L_PICKUP_DONE, at)
    else:
        if tracking_number:
            pkg.tracking_number = tracking_number
            pkg.tracking_at = at
        add_event(pkg, at, "ORDER_CREATED", "Seller is preparing to ship your parcel")
        set_package_status(state, order, pkg, L_REQUEST_CREATED, at)
    sync_order_status(state, order, at)


def assign_tracking(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    if pkg.tracking_number or pkg.logistics_status != L_REQUEST_CREATED:
        return
    channel = state.channel(pkg.channel_id)
    prefix = channel.tracking_prefix if channel else "SPX"
    suffix = channel.tracking_suffix if channel else ""
    pkg.tracking_number = f"{prefix}{state.new_digits(12)}{suffix}"
    pkg.tracking_at = at
    if pkg.ship_method == "dropoff":
        add_event(pkg, at, "PICKUP_PENDING", "Waiting for the seller to drop off the parcel")
    else:
        add_event(pkg, at, "PICKUP_REQUESTED", "Pickup has been requested from the courier")
    if order.fulfillment_flag == FULFILLED_BY_CB_SELLER:
        pkg.first_mile_tracking_number = f"CNF{state.new_digits(18)}"
    touch(state, order, at)
    push_tracking_number(state, order, pkg, at)
    sync_order_status(state, order, at)


def pickup(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    if pkg.logistics_status not in (L_REQUEST_CREATED, L_PICKUP_RETRY):
        return
    pkg.pickup_done_time = int(at)
    if order.fulfillment_flag == FULFILLED_BY_CB_SELLER:
        add_event(pkg, at, "PICKED_UP", "Parcel has arrived at the transit warehouse")
    elif pkg.ship_method == "dropoff":
        add_event(pkg, at, "PICKED_UP", "Parcel has been dropped off and handed over to the courier")
    else:
        add_event(pkg, at, "PICKED_UP", "Parcel has been picked up by the courier")
    set_package_status(state, order, pkg, L_PICKUP_DONE, at)
    sync_order_status(state, order, at)


def fail_pickup(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    if pkg.logistics_status != L_REQUEST_CREATED:
        return
    add_event(pkg, at, "PICKUP_RETRY", "The courier could not pick up the parcel; please re-arrange the pickup")
    set_package_status(state, order, pkg, L_PICKUP_RETRY, at)
    sync_order_status(state, order, at)


def reschedule(
    state: SandboxState, order: Order, pkg: Package, at: float, address_id: int, pickup_time_id: str
) -> None:
    """update_shipping_order: a new pickup for a LOGISTICS_PICKUP_RETRY package."""
    pkg.pickup_address_id = address_id
    pkg.pickup_time_id = pickup_time_id
    pkg.retry_at = at
    add_event(pkg, at, "PICKUP_REQUESTED", "Pickup has been re-arranged")
    set_package_status(state, order, pkg, L_REQUEST_CREATED, at)
    sync_order_status(state, order, at)


def deliver(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    if pkg.logistics_status != L_PICKUP_DONE:
        return
    pkg.delivered_at = at
    add_event(pkg, at, "DELIVERED", "Parcel has been delivered")
    set_package_status(state, order, pkg, L_DELIVERY_DONE, at)
    sync_order_status(state, order, at)


def complete(state: SandboxState, order: Order, at: float, scenario: str = "NORMAL") -> None:
    if order.status != TO_CONFIRM_RECEIVE:
        return
    order.completed_scenario = scenario
    set_order_status(state, order, COMPLETED, at)


def cancel(state: SandboxState, order: Order, at: float, *, by: str, reason: str, buyer_reason: str = "") -> None:
    if order.status == CANCELLED:
        return
    order.cancel_by = by
    order.cancel_reason = reason
    order.buyer_cancel_reason = buyer_reason
    for pkg in order.packages:
        if pkg.logistics_status in (L_NOT_START, L_READY):
            set_package_status(state, order, pkg, L_INVALID, at)
        elif pkg.logistics_status in (L_REQUEST_CREATED, L_PICKUP_RETRY):
            add_event(pkg, at, "CANCEL", "Shipment has been cancelled")
            set_package_status(state, order, pkg, L_REQUEST_CANCELED, at)
    set_order_status(state, order, CANCELLED, at)


def request_cancel(state: SandboxState, order: Order, at: float, buyer_reason: str) -> None:
    """The buyer asks to cancel: IN_CANCEL until the seller accepts or rejects."""
    if order.status in (IN_CANCEL, CANCELLED):
        return
    order.status_before_cancel = order.status
    order.buyer_cancel_reason = buyer_reason
    set_order_status(state, order, IN_CANCEL, at)


def reject_cancel(state: SandboxState, order: Order, at: float) -> None:
    if order.status != IN_CANCEL:
        return
    previous = order.status_before_cancel or READY_TO_SHIP
    order.buyer_cancel_reason = ""
    set_order_status(state, order, previous, at)
    sync_order_status(state, order, at)


def start_document(state: SandboxState, order: Order, pkg: Package, document_type: str, at: float) -> None:
    will_fail = state.faults.take_for_shop("document_fail", order.shop_id)
    pkg.document = ShippingDocument(
        document_type=document_type,
        status="PROCESSING",
        created_at=at,
        ready_at=at + state.config.document_delay_s,
        will_fail=will_fail,
    )
    touch(state, order, at)


def finish_document(state: SandboxState, order: Order, pkg: Package, at: float) -> None:
    doc = pkg.document
    if doc is None or doc.status != "PROCESSING":
        return
    if doc.will_fail:
        doc.status = "FAILED"
        doc.fail_error = "logistics.package_print_failed"
        doc.fail_message = "Some package failed to print, please try again later."
    else:
        doc.status = "READY"
    state.changed()
    push_document_status(state, order, pkg, doc.status, at)


def change_package_info(
    state: SandboxState,
    order: Order,
    packages: list[Package],
    at: float,
    *,
    ship_by_date: int | None = None,
    channel_id: int | None = None,
) -> list[str]:
    """Shopee changes the SLA or channel of packages: package_info_push (code 47), one per package."""
    old_ship_by = order.ship_by_date
    if ship_by_date is not None and ship_by_date != old_ship_by:
        order.ship_by_date = ship_by_date
    changed_any: list[str] = []
    for pkg in packages:
        changed: list[str] = []
        old: dict[str, int] = {}
        new: dict[str, int] = {}
        if ship_by_date is not None and ship_by_date != old_ship_by:
            old["ship_by_date"], new["ship_by_date"] = old_ship_by, ship_by_date
            changed.append("ship_by_date")
        if channel_id is not None and channel_id != pkg.channel_id:
            old["logistics_channel_id"], new["logistics_channel_id"] = pkg.channel_id, channel_id
            pkg.channel_id = channel_id
            changed.append("logistics_channel_id")
        if not changed:
            continue
        changed_any += changed
        touch(state, order, at)
        ts = int(at)
        envelope = {
            "data": {
                "order_sn": order.order_sn,
                "package_number": pkg.package_number,
                "changed_fields": changed,
                "old": old,
                "new": new,
                "update_time": ts,
            },
            "shop_id": order.shop_id,
            "code": 47,
            "timestamp": ts,
        }
        state.emit_push(47, envelope, order.shop_id, at)
    return changed_any


# -- the clock ---------------------------------------------------------------------------------------
def due_events(state: SandboxState, order: Order) -> Iterator[tuple[float, str, str]]:
    """(due time, step, package_number) for every automatic step this order is waiting for."""
    cfg = state.config
    if order.status == UNPAID and order.pay_at is not None:
        yield order.pay_at, "pay", ""
    for pkg in order.packages:
        doc = pkg.document
        if doc is not None and doc.status == "PROCESSING":
            yield doc.ready_at, "document", pkg.package_number
    if order.status in (READY_TO_SHIP, PROCESSED, SHIPPED, RETRY_SHIP):
        cb = order.fulfillment_flag == FULFILLED_BY_CB_SELLER
        pickup_delay = cfg.cb_auto_pickup_after_s if cb else cfg.auto_pickup_after_s
        for pkg in order.packages:
            st = pkg.logistics_status
            pn = pkg.package_number
            if st == L_READY and order.platform_fulfilled and order.pay_time and cfg.platform_ship_after_s is not None:
                yield order.pay_time + cfg.platform_ship_after_s, "platform_arrange", pn
            elif st == L_REQUEST_CREATED and not pkg.tracking_number and pkg.arranged_at is not None:
                yield pkg.arranged_at + cfg.tracking_delay_s, "tracking", pn
            elif st == L_REQUEST_CREATED and pkg.tracking_at is not None and pickup_delay is not None:
                yield max(pkg.tracking_at, pkg.retry_at or 0.0) + pickup_delay, "pickup", pn
            elif st == L_PICKUP_DONE and pkg.pickup_done_time and cfg.deliver_after_s is not None:
                yield pkg.pickup_done_time + cfg.deliver_after_s, "deliver", pn
        if (
            order.status == READY_TO_SHIP
            and not order.platform_fulfilled
            and order.ship_by_date
            and cfg.late_cancel_after_s is not None
            and any(p.logistics_status == L_READY for p in order.packages)
        ):
            yield order.ship_by_date + cfg.late_cancel_after_s, "late_cancel", ""
    if order.status == TO_CONFIRM_RECEIVE and order.received_at is not None and cfg.complete_after_s is not None:
        yield order.received_at + cfg.complete_after_s, "complete", ""


def _run(state: SandboxState, order: Order, step: str, pn: str, at: float) -> None:
    pkg = next((p for p in order.packages if p.package_number == pn), None)
    if step == "pay":
        pay(state, order, at)
    elif step == "late_cancel":
        cancel(state, order, at, by="system", reason="Seller did not ship")
    elif step == "complete":
        complete(state, order, at)
    elif pkg is None:
        return
    elif step == "document":
        finish_document(state, order, pkg, at)
    elif step == "platform_arrange":
        arrange(state, order, pkg, "dropoff", at)
    elif step == "tracking":
        assign_tracking(state, order, pkg, at)
    elif step == "pickup":
        if state.faults.take_for_shop("pickup_fail", order.shop_id):
            fail_pickup(state, order, pkg, at)
        else:
            pickup(state, order, pkg, at)
    elif step == "deliver":
        deliver(state, order, pkg, at)


def advance(state: SandboxState, now: float) -> int:
    """Run every automatic step due at or before ``now``, each at its own due time. Returns steps run."""
    from .auth import advance_authorizations  # auth builds on lifecycle-free state only; avoids a cycle

    ran = advance_authorizations(state, now)
    for _ in range(100):  # rounds: a step can make the next one due (tracking -> pickup -> delivery ...)
        due: list[tuple[float, str, str, str]] = []
        for order in state.world.orders.values():
            for at, step, pn in due_events(state, order):
                if at <= now:
                    due.append((at, order.order_sn, step, pn))
        if not due:
            break
        due.sort()
        for at, sn, step, pn in due:
            order = state.world.orders[sn]
            if (at, step, pn) not in set(due_events(state, order)):
                continue  # an earlier step of this round changed the order
            _run(state, order, step, pn, at)
            ran += 1
    return ran
