"""4PX adapter: the network half (signed gateway calls, label download, polling).

Every call is ``POST /router/api/service`` on 4PX's FOP open platform (https://open.4px.com/), the method
named in the signed query string: ``ds.xms.order.create``, ``ds.xms.order.get``, ``ds.xms.order.cancel``,
``ds.xms.label.get``, ``ds.xms.estimated_cost.get`` and ``tr.order.tracking.get``. Business errors come
back as HTTP 200 with ``result`` "0".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from kiriman.carriers.base import (
    AccountConfig,
    CarrierError,
    CarrierQuote,
    CreatedShipment,
    Label,
    NotCancellable,
    NotSupported,
    PackageRef,
    Pickup,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
    WebhookAck,
)
from kiriman.carriers.fourpx import mapping
from kiriman.carriers.fourpx.info import INFO
from kiriman.carriers.tracking import TrackingEvent
from kiriman.carriers.transport import CarrierHttp

NO_PUSH = "4PX documents no tracking push API; tracking is polled with tr.order.tracking.get"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


class FourPx:
    info = INFO

    def __init__(
        self,
        account: AccountConfig,
        credentials: Mapping[str, str],
        http: CarrierHttp,
        now_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.account = account
        self.account_id = account.account_id
        self._app_key = credentials["app_key"]
        self._secret = credentials["app_secret"]
        self._http = http
        self._now_ms = now_ms
        self._label_hosts: dict[str, CarrierHttp] = {}

    # --- transport -------------------------------------------------------------------------------
    def _call(self, method: str, body: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        """One signed gateway call; ``data`` of a success, a typed error otherwise. The timestamp and
        sign are made once, so a retried send (after a 429) is the same request."""
        text = mapping.encode_body(body)
        params = mapping.public_params(self._app_key, self._secret, method, self._now_ms(), text)

        def errors(resp: httpx.Response) -> CarrierError:  # HTTP 4xx other than 401/429
            return mapping.error_from_http(resp.status_code, _json(resp), resp.text, method, body)

        resp = self._http.request(
            "POST",
            mapping.GATEWAY,
            errors=errors,
            idempotent=idempotent,
            params=params,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"},
        )
        return mapping.envelope_data(_json(resp), method, body)

    def _download(self, url: str) -> bytes:
        """Fetch a label URL: through the gateway's client when it is on the same host (the sandbox), else
        through one client per label host (4PX serves label files from its file service)."""
        origin, path = mapping.split_url(url, self._http.base_url)
        http = self._http if origin == self._http.base_url else self._label_hosts.get(origin)
        if http is None:
            http = self._label_hosts[origin] = CarrierHttp(mapping.CARRIER, origin, policy=self._http.policy)

        def errors(resp: httpx.Response) -> CarrierError:
            if resp.status_code == 404:
                return ShipmentNotFound(mapping.CARRIER, "label file not found", code="http_404", status=404)
            return CarrierError(
                mapping.CARRIER,
                f"label download: HTTP {resp.status_code}",
                code=f"http_{resp.status_code}",
                status=resp.status_code,
            )

        return http.request("GET", path, errors=errors).content

    # --- operations ------------------------------------------------------------------------------
    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        """4PX's price trial (CNY); contract prices still come from rate cards."""
        data = self._call(mapping.ESTIMATE, mapping.estimate_payload(request, self.account.settings))
        return mapping.quotes_from_data(data)

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Never retried on an ambiguous failure: a repeat of the same ref_no is refused as a duplicate."""
        body = mapping.order_payload(request, self.account.settings)
        data = self._call(mapping.CREATE, body, idempotent=False)
        return mapping.created_from_data(
            data, self.account_id, request.reference, body["logistics_service_info"]["logistics_product_code"]
        )

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        try:
            data = self._call(mapping.GET, mapping.order_get_payload(reference))
        except ShipmentNotFound:
            return None
        return mapping.found_from_data(data, self.account_id, reference)

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        """ds.xms.label.get answers a URL; the PDF is fetched at once (label URLs may expire)."""
        size = mapping.label_size(self.account.settings)
        data = self._call(mapping.LABEL, mapping.label_payload(tracking_number, self.account.settings))
        url, content = mapping.label_source(data)
        if content is None:
            content = self._download(url)
        if not content.startswith(b"%PDF"):
            raise CarrierError(mapping.CARRIER, "label is not a PDF", code="bad_label")
        return Label(
            content=content,
            format="pdf",
            size=mapping.LABEL_SIZES.get(size, size.removeprefix("label_")),
            tracking_number=tracking_number,
        )

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        """Only before 4PX handles the parcel. A cancel of an order cancelled already is done, not an error
        (a retried cancel whose first attempt went through)."""
        try:
            self._call(mapping.CANCEL, mapping.cancel_payload(tracking_number))
        except NotCancellable as exc:
            if not mapping.already_cancelled(exc):
                raise

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        data = self._call(mapping.TRACK, mapping.tracking_payload(tracking_number))
        return mapping.events_from_tracking(data, tracking_number)

    def book_pickup(self, request: PickupRequest) -> Pickup:
        raise NotSupported(
            mapping.CARRIER,
            "book_pickup",
            "4PX collects through the order itself (deliver_type_info.deliver_type 1 = pickup)",
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        raise NotSupported(mapping.CARRIER, "verify_webhook", NO_PUSH)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        raise NotSupported(mapping.CARRIER, "parse_webhook", NO_PUSH)

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        raise NotSupported(mapping.CARRIER, "webhook_ack", NO_PUSH)


ADAPTER = FourPx
