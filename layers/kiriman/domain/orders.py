"""Order sync: Shopee is the source of truth; we keep a copy per merchant and hand each
READY_TO_SHIP package to fulfilment exactly once.

Incremental sync follows the "Order Management" guide: ``get_order_list`` by ``update_time`` in
windows of at most 15 days (with an overlap, so nothing falls between windows), then
``get_order_detail`` in batches of 50. A stored order is only replaced by a copy with a newer
``update_time``. Pushes are hints: they name orders, which are then re-read from the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import NotFound
from kiriman.logs import get_logger, register_personal

log = get_logger()

WINDOW_S = 15 * 86400
DETAIL_BATCH = 50
OVERLAP_S = 600
INITIAL_LOOKBACK_S = 14 * 86400

READY = "READY_TO_SHIP"
SKIP_FULFILLED_BY_SHOPEE = "fulfilled_by_shopee"
SKIP_ADVANCE_FULFILMENT = "advance_fulfilment"
DEFER_PENDING_TERMS = "pending_terms"


@dataclass(frozen=True)
class Package:
    package_number: str
    logistics_status: str
    logistics_channel_id: int | None
    shipping_carrier: str
    items: list[dict[str, Any]]
    parcel_chargeable_weight_gram: int | None = None
    handling: str = "fulfil"  # fulfil | skipped:<reason> | deferred:<reason>


@dataclass(frozen=True)
class Order:
    merchant_id: str
    shop_id: int
    order_sn: str
    order_status: str
    region: str
    currency: str
    cod: bool
    total_amount: float | None
    create_time: int
    update_time: int
    pay_time: int | None
    ship_by_date: int | None
    days_to_ship: int | None
    shipping_carrier: str
    fulfillment_flag: str
    booking_sn: str | None
    advance_package: bool
    pending_terms: list[str]
    split_up: bool
    items: list[dict[str, Any]]
    packages: list[Package]
    recipient: dict[str, Any] | None
    synced_at: float = 0.0


class OrderStore(Protocol):
    def upsert_order(self, order: Order) -> tuple[bool, Order | None]: ...
    def get_order(self, merchant_id: str, order_sn: str) -> Order | None: ...
    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool: ...


class OrderSource(Protocol):
    def get_order_list(self, shop_id: int, time_from: int, time_to: int, cursor: str = "") -> Any: ...
    def get_order_detail(self, shop_id: int, order_sns: list[str]) -> list[Any]: ...


class Events(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


@dataclass
class SyncReport:
    listed: int = 0
    fetched: int = 0
    written: int = 0
    events: dict[str, int] = field(default_factory=dict)

    def add(self, other: SyncReport) -> None:
        self.listed += other.listed
        self.fetched += other.fetched
        self.written += other.written
        for k, v in other.events.items():
            self.events[k] = self.events.get(k, 0) + v


def windows(start: float, end: float, size: float = WINDOW_S) -> Iterator[tuple[int, int]]:
    t = int(start)
    while t < end:
        yield t, int(min(end, t + size))
        t += int(size)


def batches(items: Sequence[str], size: int = DETAIL_BATCH) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def handling_of(detail: Any, package_status: str) -> str:
    """Whether fulfilment may touch a package, and if not why (recorded on the order)."""
    if detail.fulfillment_flag == "fulfilled_by_shopee":
        return f"skipped:{SKIP_FULFILLED_BY_SHOPEE}"
    if detail.booking_sn or detail.advance_package:
        # Advance-fulfilment orders must not be shipped by the seller (logistics.error_booking_order).
        return f"skipped:{SKIP_ADVANCE_FULFILMENT}"
    if detail.pending_terms:
        return f"deferred:{DEFER_PENDING_TERMS}"
    return "fulfil"


def from_detail(merchant_id: str, shop_id: int, d: Any, now: float) -> Order:
    packages = [
        Package(
            package_number=p.package_number,
            logistics_status=p.logistics_status,
            logistics_channel_id=p.logistics_channel_id,
            shipping_carrier=p.shipping_carrier,
            items=[i.model_dump() for i in p.item_list],
            parcel_chargeable_weight_gram=p.parcel_chargeable_weight_gram,
            handling=handling_of(d, p.logistics_status),
        )
        for p in d.package_list
    ]
    recipient = d.recipient_address.model_dump() if d.recipient_address else None
    if recipient:
        register_personal(recipient.get("name"), recipient.get("phone"), recipient.get("full_address"))
    return Order(
        merchant_id=merchant_id,
        shop_id=shop_id,
        order_sn=d.order_sn,
        order_status=d.order_status,
        region=d.region,
        currency=d.currency,
        cod=d.cod,
        total_amount=d.total_amount,
        create_time=d.create_time,
        update_time=d.update_time,
        pay_time=d.pay_time,
        ship_by_date=d.ship_by_date,
        days_to_ship=d.days_to_ship,
        shipping_carrier=d.shipping_carrier,
        fulfillment_flag=d.fulfillment_flag,
        booking_sn=d.booking_sn,
        advance_package=d.advance_package,
        pending_terms=list(d.pending_terms),
        split_up=d.split_up,
        items=[i.model_dump() for i in d.item_list],
        packages=packages,
        recipient=recipient,
        synced_at=now,
    )


def _emit_once(
    store: OrderStore, events: Events, report: SyncReport, kind: str, key: str, detail: dict[str, Any]
) -> None:
    """Mark, then publish: a replay never publishes twice; a crash in between is the reconciler's."""
    if store.use_once(kind, key):
        events.publish(kind, detail)
        report.events[kind] = report.events.get(kind, 0) + 1


def emit_events(store: OrderStore, events: Events, order: Order, previous: Order | None, report: SyncReport) -> None:
    base = {"merchant_id": order.merchant_id, "shop_id": order.shop_id, "order_sn": order.order_sn}
    if order.order_status in ("CANCELLED", "IN_CANCEL"):
        _emit_once(
            store,
            events,
            report,
            "OrderCancelled",
            f"{order.shop_id}#{order.order_sn}#{order.order_status}",
            {**base, "order_status": order.order_status},
        )
    if previous is not None:
        before = {p.package_number: p.logistics_channel_id for p in previous.packages}
        after = {p.package_number: p.logistics_channel_id for p in order.packages}
        # Split, unsplit (the package set) or a channel change (push 47): shipments bought for what
        # vanished or moved must be voided.
        moved = sorted(n for n in set(before) & set(after) if before[n] != after[n])
        if set(before) != set(after) or moved:
            _emit_once(
                store,
                events,
                report,
                "PackagesChanged",
                f"{order.shop_id}#{order.order_sn}#{order.update_time}",
                {
                    **base,
                    "removed": sorted(set(before) - set(after)),
                    "added": sorted(set(after) - set(before)),
                    "channel_changed": moved,
                },
            )
    for p in order.packages:
        pkg = {**base, "package_number": p.package_number, "logistics_channel_id": p.logistics_channel_id}
        if order.order_status == "RETRY_SHIP":
            _emit_once(
                store,
                events,
                report,
                "PackageRetryShip",
                f"{order.shop_id}#{order.order_sn}#{p.package_number}#{order.update_time}",
                pkg,
            )
        if order.order_status == READY and p.logistics_status == "LOGISTICS_READY" and p.handling == "fulfil":
            _emit_once(
                store,
                events,
                report,
                "PackageReadyToShip",
                f"{order.shop_id}#{order.order_sn}#{p.package_number}",
                {**pkg, "ship_by_date": order.ship_by_date},
            )


def refresh_orders(
    store: OrderStore,
    api: OrderSource,
    events: Events,
    clock: Clock,
    merchant_id: str,
    shop_id: int,
    order_sns: Iterable[str],
) -> SyncReport:
    """Re-read these orders from Shopee and store what is newer (pushes and the list sweep end here)."""
    report = SyncReport()
    unique = sorted(set(order_sns))
    for batch in batches(unique):
        details = api.get_order_detail(shop_id, batch)
        report.fetched += len(details)
        for d in details:
            order = from_detail(merchant_id, shop_id, d, clock.time())
            written, previous = store.upsert_order(order)
            if written:
                report.written += 1
                emit_events(store, events, order, previous, report)
    return report


@dataclass(frozen=True)
class SyncRange:
    """Where a shop's sync stands: the whole range, the window being listed and the page cursor."""

    start: int
    until: int
    window_from: int
    cursor: str = ""

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sync_shop(
    store: OrderStore,
    api: OrderSource,
    events: Events,
    clock: Clock,
    merchant_id: str,
    shop_id: int,
    watermark: float | None,
    overlap_s: float = OVERLAP_S,
    lookback_s: float = INITIAL_LOOKBACK_S,
    resume: SyncRange | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[SyncReport, SyncRange, bool]:
    """Everything updated since the watermark, page by page (list 100, then two detail batches).

    Returns the report, the position and whether the range is done. A busy shop does not fit one
    invocation: when ``should_stop`` says time is short, the caller continues from the position in a
    new job; when done, ``position.until`` is the new watermark.
    """
    if resume is None:
        now = int(clock.time())
        begin = int((watermark if watermark is not None else now - lookback_s) - overlap_s)
        resume = SyncRange(start=begin, until=now, window_from=begin)
    report = SyncReport()
    listed: set[str] = set()
    for time_from, time_to in windows(resume.window_from, resume.until):
        cursor = resume.cursor if time_from == resume.window_from else ""
        while True:
            page = api.get_order_list(shop_id, time_from, time_to, cursor)
            sns = [o.order_sn for o in page.order_list]
            listed.update(sns)
            report.add(refresh_orders(store, api, events, clock, merchant_id, shop_id, sns))
            if not page.more or not page.next_cursor:
                break
            cursor = page.next_cursor
            if should_stop():
                report.listed = len(listed)
                return report, SyncRange(resume.start, resume.until, time_from, cursor), False
        if time_to < resume.until and should_stop():
            report.listed = len(listed)
            return report, SyncRange(resume.start, resume.until, time_to, ""), False
    report.listed = len(listed)
    return report, resume, True


def get_order(store: OrderStore, merchant_id: str, order_sn: str) -> Order:
    order = store.get_order(merchant_id, order_sn)
    if order is None:
        raise NotFound("order not found")
    return order
