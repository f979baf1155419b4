"""J&T Express adapter: the network half (signed form POSTs to the JMS open platform, label download).

Endpoints per J&T's MY open-platform pages (re-published in laraditz/courier-jt-express
``docs/j&t-api/*.md``), under ``/webopenplatformapi/api``: ``order/addOrder``, ``order/getOrders``,
``order/cancelOrder``, ``order/printOrder``, ``logistics/trace``. Business errors come back with HTTP 200
and a code in the body, so every answer goes through :func:`mapping.envelope_data`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from kiriman.carriers.base import (
    AccountConfig,
    CarrierAuthError,
    CarrierError,
    CarrierQuote,
    CarrierRejected,
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
from kiriman.carriers.jnt import mapping
from kiriman.carriers.jnt.info import INFO
from kiriman.carriers.tracking import TrackingEvent
from kiriman.carriers.transport import CarrierHttp

# printOrder and cancelOrder want our ``txlogisticId`` next to the bill code, but the interface hands them
# only the tracking number. What this process created or found is remembered here (bounded); otherwise
# the trace answer may carry it, and failing both the bill code is sent alone.
_REFERENCES: OrderedDict[tuple[str, str], str] = OrderedDict()
_REFERENCES_MAX = 10_000
_REFERENCES_LOCK = threading.Lock()


class JntExpress:
    info = INFO

    def __init__(
        self,
        account: AccountConfig,
        credentials: Mapping[str, str],
        http: CarrierHttp,
        clock: Callable[[], float] = time.time,
    ) -> None:
        missing = [k for k in INFO.credential_fields if not credentials.get(k)]
        if missing:
            raise CarrierAuthError(
                mapping.CARRIER, f"account {account.account_id} lacks credentials {missing}", code="missing_credentials"
            )
        self.account = account
        self.account_id = account.account_id
        self._api_account = str(credentials["api_account"])
        self._key = str(credentials["private_key"])
        self._auth = mapping.business_auth(
            str(credentials["customer_code"]),
            str(credentials["password"]),
            self._key,
            account.setting("business_auth", "password"),
        )
        self._zone = mapping.default_offset(account.country)
        self._http = http
        self._clock = clock
        # Hosts are configured without the API path; tolerate one that already ends with it.
        self._prefix = "" if http.base_url.endswith(mapping.API_PREFIX) else mapping.API_PREFIX

    # --- transport -----------------------------------------------------------------------------
    def _error(self, resp: httpx.Response, sent: Mapping[str, Any], operation: str) -> CarrierError:
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        if isinstance(body, Mapping) and "code" in body and not mapping.is_success(body):
            return mapping.error_from_envelope(body, sent, operation, resp.status_code)
        return CarrierRejected(
            mapping.CARRIER, f"HTTP {resp.status_code}", code=f"http_{resp.status_code}", status=resp.status_code
        )

    def _post(self, path: str, biz: Mapping[str, Any], *, operation: str = "", idempotent: bool = True) -> Any:
        """Sign the exact string we send: serialise once, digest it, form-encode it. HTTP 429 / 5xx are retried
        by the transport; a rate-limit told in the body (no code published) is raised to the caller as
        retryable, unretried here."""
        text = mapping.encode_biz(biz)
        sent_headers = mapping.headers(self._api_account, text, self._key, int(self._clock() * 1000))
        resp = self._http.request(
            "POST",
            self._prefix + path,
            errors=lambda r: self._error(r, biz, operation),
            idempotent=idempotent,
            content=mapping.form_body(text),
            headers=sent_headers,
        )
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        return mapping.envelope_data(body, biz, operation, resp.status_code)

    def _remember(self, tracking_number: str, reference: str) -> None:
        with _REFERENCES_LOCK:
            _REFERENCES[(self._api_account, tracking_number)] = reference
            _REFERENCES.move_to_end((self._api_account, tracking_number))
            while len(_REFERENCES) > _REFERENCES_MAX:
                _REFERENCES.popitem(last=False)

    def _reference_of(self, tracking_number: str) -> str:
        with _REFERENCES_LOCK:
            known = _REFERENCES.get((self._api_account, tracking_number), "")
        if known:
            return known
        try:
            data = self._post(mapping.TRACE, mapping.trace_payload(self._auth, tracking_number))
        except ShipmentNotFound:
            return ""
        found = mapping.reference_in_trace(data, tracking_number)
        if found:
            self._remember(tracking_number, found)
        return found

    def _download(self, url: str) -> bytes:
        """``urlContent`` is a PDF link on the API host (carriers.md §2.2), so it is fetched from the host we
        are configured with: the sandbox, or a proxy in front of J&T, serve the same path."""
        parts, base = urlsplit(url), urlsplit(self._http.base_url)
        path = parts.path
        if base.path and path.startswith(base.path.rstrip("/") + "/"):
            path = path[len(base.path.rstrip("/")) :]
        if parts.query:
            path += f"?{parts.query}"

        def refused(resp: httpx.Response) -> CarrierError:
            return CarrierError(
                mapping.CARRIER, f"label download: HTTP {resp.status_code}", code="bad_label", status=resp.status_code
            )

        return self._http.request("GET", path, errors=refused).content

    # --- operations ----------------------------------------------------------------------------
    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        raise NotSupported(
            mapping.CARRIER, "quote", "J&T's open platform publishes no rate API; contract prices come from rate cards"
        )

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        body = mapping.order_payload(request, self.account.country, self.account.settings, self._auth)
        data = self._post(mapping.ADD_ORDER, body, operation="create", idempotent=False)
        created = mapping.created_from_response(data, self.account_id, request.reference, str(body["expressType"]))
        self._remember(created.tracking_number, request.reference)
        return created

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        try:
            data = self._post(mapping.GET_ORDERS, mapping.reference_payload(self._auth, reference))
        except ShipmentNotFound:
            return None
        found = mapping.found_order(data, self.account_id, reference)
        if found is not None:
            self._remember(found.tracking_number, reference)
        return found

    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label:
        payload = mapping.print_payload(self._auth, tracking_number, reference or self._reference_of(tracking_number))
        content, url = mapping.label_content(self._post(mapping.PRINT_ORDER, payload))
        if content is None:
            content = self._download(url)
        if not content.startswith(b"%PDF"):
            raise CarrierError(mapping.CARRIER, "waybill is not a PDF", code="bad_label")
        # Page size is unpublished; J&T's waybills are the usual 100 x 150 mm thermal label.
        return Label(content=content, format="pdf", size="4x6", tracking_number=tracking_number)

    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None:
        payload = mapping.cancel_payload(self._auth, tracking_number, reference or self._reference_of(tracking_number))
        try:
            self._post(mapping.CANCEL_ORDER, payload, operation="cancel")
        except CarrierRejected as exc:
            if mapping.ALREADY_CANCELLED.search(exc.message):
                return  # a void repeated after a lost answer: the order is cancelled, which is what was asked
            raise

    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]:
        """Scans oldest first. J&T has no "order created" or "cancelled" scan: until pickup the list is empty
        (as it is for a bill code J&T does not know — its trace cannot tell the two apart); an explicit
        "no order data found" answer is :class:`ShipmentNotFound`."""
        data = self._post(mapping.TRACE, mapping.trace_payload(self._auth, tracking_number))
        reference = mapping.reference_in_trace(data, tracking_number)
        if reference:
            self._remember(tracking_number, reference)
        return mapping.events_from_trace(data, tracking_number, self._zone)

    def book_pickup(self, request: PickupRequest) -> Pickup:
        raise NotSupported(
            mapping.CARRIER,
            "book_pickup",
            "J&T has no pickup-booking API: a collection is asked for per order (serviceType 1)",
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return mapping.verify(body, headers, self._api_account, self._key)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return mapping.events_from_webhook(body, self._zone)

    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck:
        return WebhookAck(status=200, body=mapping.webhook_ack(events), content_type="application/json")


ADAPTER = JntExpress
