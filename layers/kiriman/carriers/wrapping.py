"""One place that forwards every :class:`Carrier` operation to an inner adapter.

The purchase worker's adapter is layered (``runtime.purchase_carrier``): rate limiting outside, the raw
archive inside, the carrier's own adapter at the core. Each layer changes what happens *around* a network
operation, never the operation itself, so each subclass overrides :meth:`CarrierWrapper._around` only.
Webhook handling is local work on a request the carrier sent us and always goes straight through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from kiriman.carriers.base import (
    Carrier,
    CarrierInfo,
    CarrierQuote,
    CreatedShipment,
    Label,
    PackageRef,
    Pickup,
    PickupRequest,
    ShipmentRequest,
    WebhookAck,
)
from kiriman.carriers.tracking import TrackingEvent

T = TypeVar("T")


class CarrierWrapper:
    def __init__(self, inner: Carrier) -> None:
        self._inner = inner
        self.info: CarrierInfo = inner.info
        self.account_id: str = inner.account_id

    @property
    def inner(self) -> Carrier:
        return self._inner

    def _around(self, operation: str, reference: str, call: Callable[[], T]) -> T:
        """Run one network operation; ``reference`` names what it is about (purchase reference or number)."""
        return call()

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        return self._around("quote", request.reference, lambda: self._inner.quote(request))

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        return self._around("create_shipment", request.reference, lambda: self._inner.create_shipment(request))

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        return self._around("find_by_reference", reference, lambda: self._inner.find_by_reference(reference))

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        return self._around("get_label", reference or tracking_number,
                            lambda: self._inner.get_label(tracking_number, package, reference))

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        self._around("cancel", reference or tracking_number,
                     lambda: self._inner.cancel(tracking_number, package, reference))

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        return self._around("track", tracking_number, lambda: self._inner.track(tracking_number, package))

    def book_pickup(self, request: PickupRequest) -> Pickup:
        return self._around("book_pickup", "", lambda: self._inner.book_pickup(request))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return self._inner.verify_webhook(body, headers)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return self._inner.parse_webhook(body, headers)

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        return self._inner.webhook_ack(events)
