"""Flash Express adapter: the network half (signed form calls, envelopes, labels, webhooks).

Endpoints per Flash's Open API documentation (https://open-docs.flashexpress.com/): ``/open/v3/orders``,
``/open/v1/orders/estimate_rate``, ``/open/v1/orders/{pno}/pre_print`` (and ``/small/pre_print``),
``/open/v1/orders/{pno}/cancel``, ``/open/v1/orders/{pno}/routes``, ``/open/v1/orders/routesBatch``,
``/open/v1/notify``, ``/open/v1/setting/web_hook_service``; all ``POST`` form-urlencoded, signed per call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from kiriman.carriers.base import (
    AccountConfig,
    CarrierError,
    CarrierQuote,
    CarrierRejected,
    CreatedShipment,
    Label,
    NotSupported,
    PackageRef,
    Pickup,
    PickupRequest,
    ShipmentRequest,
    WebhookAck,
)
from kiriman.carriers.flash import mapping, statuses
from kiriman.carriers.flash.info import INFO
from kiriman.carriers.tracking import TrackingEvent
from kiriman.carriers.transport import CarrierHttp


def _nonce() -> str:
    """``nonceStr``: random, at most 32 characters."""
    return uuid.uuid4().hex


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


class FlashExpress:
    info = INFO

    def __init__(
        self,
        account: AccountConfig,
        credentials: Mapping[str, str],
        http: CarrierHttp,
        nonce: Callable[[], str] = _nonce,
    ) -> None:
        self.account = account
        self.account_id = account.account_id
        self._mch_id = credentials["mch_id"]
        self._key = credentials["key"]
        self._http = http
        self._nonce = nonce

    # --- transport -------------------------------------------------------------------------------
    def _send(self, path: str, params: Mapping[str, str], *, idempotent: bool = True) -> httpx.Response:
        """One signed form POST. The nonce is drawn once per call, so a retried send is the same request."""
        form = mapping.signed_form(params, self._mch_id, self._key, self._nonce())

        def errors(resp: httpx.Response) -> CarrierError:  # HTTP 4xx other than 401/429
            body = _json(resp)
            if isinstance(body, Mapping) and "code" in body:
                return mapping.error_from_envelope(body, params, resp.status_code)
            return CarrierRejected(
                mapping.CARRIER, f"HTTP {resp.status_code}", code=f"http_{resp.status_code}", status=resp.status_code
            )

        return self._http.request(
            "POST",
            path,
            errors=errors,
            idempotent=idempotent,
            content=mapping.encode_form(form),
            headers={"Content-Type": mapping.FORM, "Accept": "application/json"},
        )

    def _call(self, path: str, params: Mapping[str, str], *, idempotent: bool = True) -> Any:
        resp = self._send(path, params, idempotent=idempotent)
        return mapping.envelope_data(_json(resp), params, resp.status_code)

    # --- operations ------------------------------------------------------------------------------
    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        data = self._call(mapping.ESTIMATE, mapping.estimate_params(request, self.account.settings))
        return [mapping.quote_from_data(data, request.service or "Standard")]

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Never retried on an ambiguous failure: Flash has no idempotent replay (a repeat gets 1003)."""
        params = mapping.order_params(request, self.account.settings)
        data = self._call(mapping.ORDERS, params, idempotent=False)
        return mapping.created_from_data(data, self.account_id, request.reference, request.service or "Standard")

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        raise NotSupported(
            mapping.CARRIER,
            "find_by_reference",
            "Flash has no lookup by outTradeNo, and a repeated outTradeNo (1003) does not return the original pno",
        )

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        """PDF bytes on success, a JSON envelope on error. Flash keys everything by pno: ``package`` is unused."""
        path, size = mapping.label_path(self.account.settings, tracking_number)
        resp = self._send(path, {})
        if resp.content.startswith(b"%PDF"):
            return Label(content=resp.content, format="pdf", size=size, tracking_number=tracking_number)
        mapping.envelope_data(_json(resp), {}, resp.status_code)
        raise CarrierError(mapping.CARRIER, "label is not a PDF", code="bad_label")

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        self._call(mapping.parcel_path(tracking_number, "cancel"), {})

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        data = self._call(mapping.parcel_path(tracking_number, "routes"), {})
        return mapping.events_from_routes(data, tracking_number)

    def track_many(self, tracking_numbers: Iterable[str]) -> dict[str, list[TrackingEvent]]:
        """routesBatch, in as many calls as the 500-character ``pnos`` limit needs."""
        out: dict[str, list[TrackingEvent]] = {}
        for pnos in mapping.batches(list(tracking_numbers)):
            out.update(mapping.events_from_batch(self._call(mapping.ROUTES_BATCH, {"pnos": pnos})))
        return out

    def book_pickup(self, request: PickupRequest) -> Pickup:
        """Notify a courier; Flash answers 1010 while an earlier pickup request is still open."""
        data = self._call(mapping.NOTIFY, mapping.pickup_params(request), idempotent=False)
        return mapping.pickup_from_data(data, request.pickup_date)

    def cancel_pickup(self, confirmation: str) -> None:
        self._call(mapping.pickup_cancel_path(confirmation), {})

    def configure_webhooks(self, url: str, types: Iterable[str] = statuses.SUBSCRIBED_TYPES) -> None:
        """One ``web_hook_service`` call per webhook type: status, weight, price and routes by default."""
        for code in types:
            self._call(mapping.WEBHOOK_SETTING, mapping.webhook_setting_params(url, code))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The signature is the form's ``sign`` field. A sign over mchId and nonceStr only is accepted too
        (UNCONFIRMED which one Flash sends); ``parse_webhook`` then flags the events ``unverified_payload``."""
        form = mapping.parse_form(body)
        return form is not None and bool(mapping.webhook_signature(form, self._key, self._mch_id))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return mapping.events_from_webhook(body, self._key, self._mch_id)

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        """Flash re-sends until it gets HTTP 2xx with exactly this body."""
        return WebhookAck(status=200, body=mapping.ACK_BODY, content_type="application/json")


ADAPTER = FlashExpress
