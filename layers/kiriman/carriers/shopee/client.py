"""Shopee-integrated logistics behind the carrier interface.

``create_shipment`` is Shopee's standard shipping flow (Shopee Open Platform "Order Management" guide,
§8 "Arrange shipment"): ``v2.logistics.get_shipping_parameter`` → ``v2.logistics.ship_order`` (pickup
or dropoff, as ``info_needed`` says) → ``v2.logistics.get_tracking_number`` (may lag: an empty number
means "poll again"). The label is the four-step shipping-document flow. ``cancel`` is not supported:
the only Shopee call that would undo it is ``v2.order.cancel_order``, which cancels the *buyer's order*;
voiding such a shipment is a local decision that never calls Shopee.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from kiriman.carriers.base import (
    IDENTITY_PREFIX,
    AccountConfig,
    CarrierAuthError,
    CarrierError,
    CarrierQuote,
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    CreatedShipment,
    DuplicateReference,
    Label,
    NotSupported,
    PackageRef,
    Pickup,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
    WebhookAck,
)
from kiriman.carriers.shopee import statuses
from kiriman.carriers.shopee.info import INFO
from kiriman.carriers.tracking import TrackingEvent
from kiriman.carriers.transport import CarrierHttp
from kiriman.shopee.errors import (
    ShopeeAuthError,
    ShopeeError,
    ShopeeNotFound,
    ShopeeRetryable,
    ShopeeShopUnlinked,
    ShopeeThrottled,
)

CARRIER = "shopee"
ARRANGED = frozenset(
    {
        "LOGISTICS_REQUEST_CREATED",
        "LOGISTICS_PICKUP_DONE",
        "LOGISTICS_PICKUP_RETRY",
        "LOGISTICS_DELIVERY_DONE",
        "LOGISTICS_DELIVERY_FAILED",
        "LOGISTICS_LOST",
        "LOGISTICS_PICKUP_FAILED",
        "LOGISTICS_REQUEST_CANCELED",
    }
)
ALREADY_ARRANGED = frozenset({"logistics.package_already_shipped"})


class ShopeeLogisticsApi(Protocol):
    """The part of :class:`kiriman.shopee.client.ShopeeClient` this adapter uses."""

    def get_shipping_parameter(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]: ...
    def ship_order(
        self, shop_id: int, order_sn: str, package_number: str | None, method: str, fields: Mapping[str, Any]
    ) -> None: ...
    def get_tracking_number(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]: ...
    def get_tracking_info(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]: ...
    def get_package_detail(self, shop_id: int, package_numbers: list[str]) -> list[dict[str, Any]]: ...
    def get_shipping_document_parameter(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]: ...
    def create_shipping_document(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]: ...
    def get_shipping_document_result(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]: ...
    def download_shipping_document(self, shop_id: int, document_type: str, packages: list[dict[str, str]]) -> bytes: ...


def package_of(reference: str) -> PackageRef:
    """The reference of a Shopee shipment is the package identity ``KRM1|shop|order_sn|package|leg``."""
    parts = reference.split("|")
    if len(parts) != 5 or parts[0] != IDENTITY_PREFIX or not parts[1].isdigit():
        raise CarrierRejected(CARRIER, "reference is not a package identity", field="reference")
    return PackageRef(int(parts[1]), parts[2], parts[3], parts[4])


def _arranged_detail(detail: Mapping[str, Any]) -> bool:
    """v2.order.get_package_detail: ``is_shipment_arranged``, else the ``fulfillment_status`` (§ logistics status)."""
    if detail.get("is_shipment_arranged") is not None:
        return bool(detail["is_shipment_arranged"])
    status = str(detail.get("fulfillment_status") or detail.get("logistics_status") or "")
    return status in ARRANGED


def carrier_error(exc: ShopeeError) -> CarrierError:
    kw: dict[str, Any] = {"code": exc.error, "request_id": exc.request_id, "status": exc.status or 0}
    if isinstance(exc, ShopeeThrottled):
        return CarrierThrottled(CARRIER, exc.message or exc.error, **kw)
    if isinstance(exc, ShopeeRetryable):
        return CarrierUnavailable(CARRIER, exc.message or exc.error, **kw)
    if isinstance(exc, ShopeeAuthError | ShopeeShopUnlinked):
        return CarrierAuthError(CARRIER, exc.message or exc.error, **kw)
    if isinstance(exc, ShopeeNotFound):
        return ShipmentNotFound(CARRIER, exc.message or exc.error, **kw)
    if exc.error in ALREADY_ARRANGED:
        return DuplicateReference(CARRIER, exc.message or exc.error, **kw)
    return CarrierRejected(CARRIER, exc.message or exc.error, **kw)


def ship_fields(params: Mapping[str, Any], method: str, sender_name: str) -> dict[str, Any]:
    """The ``pickup`` / ``dropoff`` object ``info_needed`` asks for (v2.logistics.get_shipping_parameter)."""
    needed = set((params.get("info_needed") or {}).get(method) or [])
    fields: dict[str, Any] = {}
    if method == "pickup":
        addresses = list(((params.get("pickup") or {}).get("address_list")) or [])
        if not addresses and ("address_id" in needed or "pickup_time_id" in needed):
            raise CarrierRejected(CARRIER, "the shop has no pickup address", field="pickup.address_id")
        chosen = next(
            (a for a in addresses if "pickup_address" in (a.get("address_flag") or [])),
            addresses[0] if addresses else None,
        )
        if chosen is not None and "address_id" in needed:
            fields["address_id"] = chosen.get("address_id")
        if chosen is not None and "pickup_time_id" in needed:
            slots = list(chosen.get("time_slot_list") or [])
            if not slots:
                raise CarrierRejected(CARRIER, "no pickup time slot offered", field="pickup.pickup_time_id")
            fields["pickup_time_id"] = slots[0].get("pickup_time_id")
    else:
        if "branch_id" in needed:
            branches = list(((params.get("dropoff") or {}).get("branch_list")) or [])
            if not branches:
                raise CarrierRejected(CARRIER, "no drop-off branch offered", field="dropoff.branch_id")
            fields["branch_id"] = branches[0].get("branch_id")
        if "sender_real_name" in needed:
            fields["sender_real_name"] = sender_name
    return fields


def tracking_events(tracking_number: str, data: Mapping[str, Any]) -> list[TrackingEvent]:
    out = []
    for e in data.get("tracking_info") or []:
        code = str(e.get("logistics_status") or "")
        mapped = statuses.lookup(code)
        out.append(
            TrackingEvent(
                carrier=CARRIER,
                tracking_number=tracking_number,
                status=mapped.status,
                sub_status=mapped.sub_status,
                time=datetime.fromtimestamp(int(e.get("update_time") or 0), tz=UTC),
                raw_code=code,
                raw_text=str(e.get("description") or ""),
                flags=mapped.flags,
            )
        )
    return sorted(out, key=lambda e: e.time)  # Shopee does not document the order of tracking_info


class ShopeeLogistics:
    info = INFO

    def __init__(
        self,
        account: AccountConfig,
        api: ShopeeLogisticsApi,
        sleep: Callable[[float], None] = time.sleep,
        document_polls: int = 3,
    ) -> None:
        self.account = account
        self.account_id = account.account_id
        self._api = api
        self._sleep = sleep
        self._polls = document_polls

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except ShopeeError as exc:
            raise carrier_error(exc) from exc

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        raise NotSupported(CARRIER, "quote", "Shopee prices its own channels; the buyer paid at checkout")

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        pkg = request.package
        number = pkg.package_number or None
        try:
            params = self._call(self._api.get_shipping_parameter, pkg.shop_id, pkg.order_sn, number)
        except CarrierRejected as exc:
            if self._arranged(pkg):  # a retry after the package was arranged: look it up, never arrange again
                raise DuplicateReference(CARRIER, "the package is already arranged", code=exc.code) from exc
            raise
        needed = params.get("info_needed") or {}
        preferred = request.service if request.service in ("pickup", "dropoff") else self.account.setting("method")
        method = preferred if preferred in needed else ("pickup" if "pickup" in needed else "dropoff")
        if method not in needed:
            raise CarrierRejected(
                CARRIER, "the channel needs a non-integrated tracking number; book a carrier", field="service"
            )
        fields = ship_fields(params, method, request.sender.name)
        self._call(self._api.ship_order, pkg.shop_id, pkg.order_sn, number, method, fields)
        tn = str(
            self._call(self._api.get_tracking_number, pkg.shop_id, pkg.order_sn, number).get("tracking_number") or ""
        )
        # An empty number is normal for a while after ship_order: poll get_tracking_number or wait for push 4.
        return CreatedShipment(
            carrier=CARRIER,
            account_id=self.account_id,
            reference=pkg.identity,
            tracking_number=tn,
            service=method,
            raw={"method": method, "fields": fields},
        )

    def _arranged(self, pkg: PackageRef) -> bool:
        if not pkg.package_number:
            return False
        details = self._call(self._api.get_package_detail, pkg.shop_id, [pkg.package_number])
        return bool(details) and _arranged_detail(details[0])

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        pkg = package_of(reference)
        number = pkg.package_number or None
        if number and not self._arranged(pkg):
            return None
        data = self._call(self._api.get_tracking_number, pkg.shop_id, pkg.order_sn, number)
        tn = str(data.get("tracking_number") or "")
        if not tn and not number:
            return None
        return CreatedShipment(carrier=CARRIER, account_id=self.account_id, reference=reference, tracking_number=tn)

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        """The shipping document Shopee generates (four steps; ``get_shipping_document_result`` is polled)."""
        if package is None:
            raise CarrierRejected(CARRIER, "a Shopee label is found by its package", field="package")
        ref = {"order_sn": package.order_sn, "package_number": package.package_number}
        ref = {k: v for k, v in ref.items() if v}
        params = self._call(self._api.get_shipping_document_parameter, package.shop_id, [ref])
        doc_type = str((params[0] if params else {}).get("suggest_shipping_document_type") or "THERMAL_AIR_WAYBILL")
        job = {**ref, "shipping_document_type": doc_type}
        if tracking_number:
            job["tracking_number"] = tracking_number
        self._call(self._api.create_shipping_document, package.shop_id, [job])
        for attempt in range(self._polls):
            result = self._call(self._api.get_shipping_document_result, package.shop_id, [job])
            status = str((result[0] if result else {}).get("status") or "")
            if status == "READY":
                content = self._call(self._api.download_shipping_document, package.shop_id, doc_type, [ref])
                return Label(content=content, format="pdf", size="A6", tracking_number=tracking_number)
            if status == "FAILED":
                raise CarrierRejected(
                    CARRIER,
                    "Shopee could not generate the shipping document",
                    code=str((result[0] if result else {}).get("fail_error") or "FAILED"),
                )
            if attempt + 1 < self._polls:
                self._sleep(1.0 + attempt)  # a few seconds at most: the job comes back if it is slower
        raise CarrierUnavailable(CARRIER, "shipping document still processing", code="document_processing")

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        raise NotSupported(CARRIER, "cancel", "Shopee's only undo is cancel_order, which cancels the buyer's order")

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        if package is None:
            raise CarrierRejected(CARRIER, "Shopee tracking is read by package", field="package")
        data = self._call(
            self._api.get_tracking_info, package.shop_id, package.order_sn, package.package_number or None
        )
        return tracking_events(tracking_number, data)

    def book_pickup(self, request: PickupRequest) -> Pickup:
        raise NotSupported(CARRIER, "book_pickup", "pickup is arranged by ship_order")

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        raise NotSupported(CARRIER, "verify_webhook", "Shopee pushes arrive at /webhooks/shopee")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        raise NotSupported(CARRIER, "parse_webhook", "Shopee pushes arrive at /webhooks/shopee")

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        raise NotSupported(CARRIER, "webhook_ack", "Shopee pushes arrive at /webhooks/shopee")


def ADAPTER(account: AccountConfig, credentials: Mapping[str, str], http: CarrierHttp) -> ShopeeLogistics:
    """Shopee logistics needs the shop's Shopee client, which the runtime holds (``Runtime.shopee``)."""
    raise NotSupported(CARRIER, "build", "built by the runtime with the shop's Shopee client")
