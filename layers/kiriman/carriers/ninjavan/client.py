"""Ninja Van adapter: the network half (OAuth tokens, orders, waybills, cancel, tracking, webhooks).

Endpoints per Ninja Van's API reference (https://api-docs.ninjavan.co/en): ``POST /{cc}/2.0/oauth/access_token``,
``POST /{cc}/4.2/orders``, ``GET /{cc}/2.0/reports/waybill``, ``DELETE /{cc}/2.2/orders/{tn}``,
``GET /{cc}/1.0/orders/tracking-events/{tn}``. The sandbox host serves only ``sg``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import httpx

from kiriman.carriers.base import (
    AccountConfig,
    CarrierAuthError,
    CarrierError,
    CarrierQuote,
    CreatedShipment,
    Label,
    NotSupported,
    PackageRef,
    Pickup,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
    WebhookAck,
)
from kiriman.carriers.ninjavan import mapping
from kiriman.carriers.ninjavan.info import INFO
from kiriman.carriers.tracking import TrackingEvent
from kiriman.carriers.transport import CarrierHttp

# Tokens are cached per (host, client_id, country) for the life of the process: Ninja Van asks clients
# not to mint a token per request.
_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
_TOKEN_LOCK = threading.Lock()


class NinjaVan:
    info = INFO

    def __init__(
        self, account: AccountConfig, credentials: Mapping[str, str], http: CarrierHttp, today: date | None = None
    ) -> None:
        self.account = account
        self.account_id = account.account_id
        self._client_id = credentials["client_id"]
        self._secret = credentials["client_secret"]
        self._http = http
        self._today = today
        # The sandbox serves only "sg"; production uses the account's country.
        self._cc = "sg" if account.environment == "sandbox" else account.country.lower()

    # --- auth ----------------------------------------------------------------------------------
    def _token(self, refresh: bool) -> str:
        key = (self._http.base_url, self._client_id, self._cc)
        with _TOKEN_LOCK:
            cached = _TOKENS.get(key)
            if cached and not refresh and cached[1] > time.time():
                return cached[0]
            resp = self._http.request(
                "POST",
                f"/{self._cc}/2.0/oauth/access_token",
                errors=self._error,
                json={"client_id": self._client_id, "client_secret": self._secret, "grant_type": "client_credentials"},
            )
            data = resp.json()
            token = str(data.get("access_token") or "")
            if not token:
                raise CarrierAuthError(mapping.CARRIER, "token response without access_token")
            _TOKENS[key] = (token, mapping.token_expiry(data, time.time()))
            return token

    def _auth(self, refresh: bool) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token(refresh)}"}

    def _error(self, resp: httpx.Response) -> CarrierError:
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        return mapping.error_from_body(resp.status_code, body, resp.headers.get("x-nv-request-id", ""))

    def _call(self, method: str, path: str, *, idempotent: bool = True, **kw: Any) -> httpx.Response:
        return self._http.request(
            method, f"/{self._cc}{path}", errors=self._error, auth=self._auth, idempotent=idempotent, **kw
        )

    # --- operations ----------------------------------------------------------------------------
    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        raise NotSupported(
            mapping.CARRIER, "quote", "the tariff API's shape is unpublished; contract prices come from rate cards"
        )

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        today = self._today or date.today()
        body = mapping.order_payload(request, self.account.country, today, self.account.settings)
        resp = self._call("POST", "/4.2/orders", idempotent=False, json=body)
        return mapping.created_from_response(
            resp.json(), self.account_id, request.reference, request.service or "Standard"
        )

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        """The tracking number is derived from the reference, so its tracking events tell whether it exists."""
        tn = mapping.tracking_number_for(reference, self.account.settings)
        try:
            self._call("GET", f"/1.0/orders/tracking-events/{tn}")
        except ShipmentNotFound:
            return None
        return CreatedShipment(
            carrier=mapping.CARRIER, account_id=self.account_id, reference=reference, tracking_number=tn
        )

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        resp = self._call("GET", "/2.0/reports/waybill", params={"tid": tracking_number})
        if not resp.content.startswith(b"%PDF"):
            raise CarrierError(mapping.CARRIER, "waybill is not a PDF", code="bad_label")
        return Label(content=resp.content, format="pdf", size="A6", tracking_number=tracking_number)

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        self._call("DELETE", f"/2.2/orders/{tracking_number}")

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        resp = self._call("GET", f"/1.0/orders/tracking-events/{tracking_number}")
        return mapping.events_from_pull(resp.json(), tracking_number)

    def book_pickup(self, request: PickupRequest) -> Pickup:
        raise NotSupported(
            mapping.CARRIER, "book_pickup", "pickups are reserved by the order itself (parcel_job.is_pickup_required)"
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        lowered = {k.lower(): v for k, v in headers.items()}
        return mapping.verify(body, lowered.get(mapping.SIGNATURE_HEADER.lower()), self._secret)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return mapping.events_from_webhook(body)

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        return WebhookAck(status=200, body="", content_type="text/plain")


ADAPTER = NinjaVan
