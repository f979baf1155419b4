"""The Shopee Open Platform v2 HTTP client (httpx).

Every call has a timeout, retries only what can succeed later (server errors, throttling, transport
failures) with exponential backoff, full jitter and an overall deadline, and never retries
``error_limit``: that opens a circuit for the shop until 00:00 UTC+8, when Shopee resets the quota.
Shop calls get their access token from a :class:`TokenSource`; an invalid token is refreshed once.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from kiriman.clock import Clock
from kiriman.retry import RetryPolicy
from kiriman.shopee import signing
from kiriman.shopee.errors import (
    ShopeeAuthError,
    ShopeeError,
    ShopeeQuotaExhausted,
    ShopeeRetryable,
    ShopeeThrottled,
    raise_for_envelope,
)
from kiriman.shopee.models import ORDER_DETAIL_FIELDS, OrderDetail, OrderListPage, TokenPair

# Hosts per environment ("API calls" guide, "Environment"). The BR host is disputed between sources,
# so every host is a setting; these are defaults.
HOSTS = {
    "production": "https://partner.shopeemobile.com",
    "production_cn": "https://openplatform.shopee.cn",
    "production_br": "https://openplatform.shopee.com.br",
    "sandbox": "https://openplatform.sandbox.test-stable.shopee.sg",
    "sandbox_cn": "https://openplatform.sandbox.test-stable.shopee.cn",
}
UTC8 = 8 * 3600
MAX_DETAIL_BATCH = 50
MAX_PAGE_SIZE = 100
MAX_WINDOW_S = 15 * 86400


class TokenSource(Protocol):
    def access_token(self, shop_id: int) -> str: ...
    def refresh(self, shop_id: int, stale_token: str) -> str: ...


class QuotaCircuit(Protocol):
    def blocked_until(self, shop_id: int) -> float | None: ...
    def block(self, shop_id: int, until: float) -> None: ...


class MemoryCircuit:
    def __init__(self) -> None:
        self._until: dict[int, float] = {}

    def blocked_until(self, shop_id: int) -> float | None:
        return self._until.get(shop_id)

    def block(self, shop_id: int, until: float) -> None:
        self._until[shop_id] = until


def next_quota_reset(now: float) -> float:
    """The next 00:00 in UTC+8 after ``now`` (Shopee resets the daily quota then)."""
    local = now + UTC8
    return (local // 86400 + 1) * 86400 - UTC8


class ShopeeClient:
    def __init__(
        self,
        host: str,
        partner_id: int,
        partner_key: str,
        clock: Clock,
        tokens: TokenSource | None = None,
        circuit: QuotaCircuit | None = None,
        policy: RetryPolicy | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.partner_id = int(partner_id)
        self._key = partner_key
        self._clock = clock
        self._tokens = tokens
        self._circuit = circuit or MemoryCircuit()
        self.policy = policy or RetryPolicy()
        self._http = http or httpx.Client(timeout=self.policy.timeout_s)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.calls = 0  # HTTP requests made, for benchmarks

    @property
    def tokens(self) -> TokenSource:
        if self._tokens is None:
            raise RuntimeError("no TokenSource attached")
        return self._tokens

    def use_tokens(self, tokens: TokenSource) -> None:
        """Token sources refresh through this client, so they are attached after it exists."""
        self._tokens = tokens

    # --- transport --------------------------------------------------------------------------
    def _common(self, path: str, access_token: str = "", entity: tuple[str, int] | None = None) -> dict[str, Any]:
        ts = int(self._clock.time())
        params: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": ts}
        entity_id = entity[1] if entity else None
        params["sign"] = signing.sign(self._key, self.partner_id, path, ts, access_token, entity_id)
        if access_token and entity:
            params["access_token"] = access_token
            params[entity[0]] = entity[1]
        return params

    def _once(self, method: str, path: str, params: dict[str, Any], body: Any) -> tuple[Any, httpx.Response]:
        self.calls += 1
        try:
            resp = self._http.request(
                method,
                self.host + path,
                params=params,
                json=body if method == "POST" else None,
                timeout=self.policy.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise ShopeeRetryable("timeout", str(exc)) from exc
        except httpx.TransportError as exc:
            raise ShopeeRetryable("transport_error", str(exc)) from exc
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            if resp.status_code >= 500:
                raise ShopeeRetryable("http_error", f"HTTP {resp.status_code}", "", resp.status_code)
            if resp.status_code == 429:
                raise ShopeeThrottled("http_429", "Too many requests", "", 429)
            return None, resp  # a file (shipping documents)
        try:
            data = resp.json()
        except json.JSONDecodeError as exc:
            raise ShopeeRetryable("invalid_json", f"HTTP {resp.status_code}", "", resp.status_code) from exc
        raise_for_envelope(data, resp.status_code)
        return data, resp

    def _call(
        self,
        method: str,
        path: str,
        *,
        shop_id: int | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        raw: bool = False,
        token: str | None = None,
    ) -> Any:
        """One API call with retries; shop calls also refresh an invalid token once.

        ``token`` signs with a given access token instead of asking the TokenSource (right after
        authorization, before the shop is stored).
        """
        if shop_id is not None:
            until = self._circuit.blocked_until(shop_id)
            if until is not None and until > self._clock.time():
                raise ShopeeQuotaExhausted("error_limit", f"daily quota circuit open until {until:.0f}")
        start = time.monotonic()
        refreshed = False
        attempt = 0
        while True:
            access = token or ""
            if shop_id is not None and not token:
                if self._tokens is None:
                    raise RuntimeError("shop calls need a TokenSource")
                access = self._tokens.access_token(shop_id)
            params = self._common(path, access, ("shop_id", shop_id) if shop_id is not None else None)
            params.update({k: v for k, v in (query or {}).items() if v is not None})
            try:
                data, resp = self._once(method, path, params, body)
                return resp.content if raw and data is None else data
            except ShopeeAuthError:
                if shop_id is None or refreshed or self._tokens is None or token:
                    raise
                refreshed = True
                self._tokens.refresh(shop_id, access)
            except ShopeeQuotaExhausted:
                if shop_id is not None:
                    self._circuit.block(shop_id, next_quota_reset(self._clock.time()))
                raise
            except ShopeeRetryable:
                attempt += 1
                wait = self.policy.delay(attempt, self._rng)
                spent = time.monotonic() - start
                if attempt >= self.policy.attempts or spent + wait > self.policy.deadline_s:
                    raise
                self._sleep(wait)

    # --- authorization ("Authorization and Authentication" guide) --------------------------
    def auth_link(self, redirect: str) -> str:
        path = "/api/v2/shop/auth_partner"
        params = self._common(path)
        params["redirect"] = redirect
        return f"{self.host}{path}?{urlencode(params)}"

    def get_access_token(self, code: str, shop_id: int | None = None, main_account_id: int | None = None) -> TokenPair:
        if (shop_id is None) == (main_account_id is None):
            raise ValueError("exactly one of shop_id and main_account_id")
        body: dict[str, Any] = {"code": code, "partner_id": self.partner_id}
        if shop_id is not None:
            body["shop_id"] = shop_id
        else:
            body["main_account_id"] = main_account_id
        data = self._call("POST", "/api/v2/auth/token/get", body=body)
        return TokenPair.model_validate(data)

    def refresh_access_token(
        self, refresh_token: str, shop_id: int | None = None, merchant_id: int | None = None
    ) -> TokenPair:
        body: dict[str, Any] = {"refresh_token": refresh_token, "partner_id": self.partner_id}
        if shop_id is not None:
            body["shop_id"] = shop_id
        else:
            body["merchant_id"] = merchant_id
        data = self._call("POST", "/api/v2/auth/access_token/get", body=body)
        return TokenPair.model_validate(data)

    def get_shop_info(self, shop_id: int, access_token: str | None = None) -> dict[str, Any]:
        """``v2.shop.get_shop_info``: fields at top level (shop_name, region, status, is_cb, ...)."""
        return dict(self._call("GET", "/api/v2/shop/get_shop_info", shop_id=shop_id, token=access_token))

    # --- orders (v2.order.*) ----------------------------------------------------------------
    def get_order_list(
        self,
        shop_id: int,
        time_from: int,
        time_to: int,
        cursor: str = "",
        page_size: int = MAX_PAGE_SIZE,
        order_status: str | None = None,
        time_range_field: str = "update_time",
    ) -> OrderListPage:
        if time_to - time_from > MAX_WINDOW_S:
            raise ValueError("get_order_list windows are at most 15 days")
        query = {
            "time_range_field": time_range_field,
            "time_from": time_from,
            "time_to": time_to,
            "page_size": min(page_size, MAX_PAGE_SIZE),
            "cursor": cursor or None,
            "order_status": order_status,
            "response_optional_fields": "order_status",
        }
        data = self._call("GET", "/api/v2/order/get_order_list", shop_id=shop_id, query=query)
        return OrderListPage.model_validate(data.get("response") or {})

    def get_order_detail(self, shop_id: int, order_sns: list[str]) -> list[OrderDetail]:
        if not 1 <= len(order_sns) <= MAX_DETAIL_BATCH:
            raise ValueError("get_order_detail takes 1 to 50 order_sn")
        query = {"order_sn_list": ",".join(order_sns), "response_optional_fields": ORDER_DETAIL_FIELDS}
        data = self._call("GET", "/api/v2/order/get_order_detail", shop_id=shop_id, query=query)
        return [OrderDetail.model_validate(o) for o in (data.get("response") or {}).get("order_list", [])]

    def get_shipment_list(self, shop_id: int, cursor: str = "", page_size: int = MAX_PAGE_SIZE) -> dict[str, Any]:
        query = {"page_size": min(page_size, MAX_PAGE_SIZE), "cursor": cursor or None}
        data = self._call("GET", "/api/v2/order/get_shipment_list", shop_id=shop_id, query=query)
        return dict(data.get("response") or {})

    def get_package_detail(self, shop_id: int, package_numbers: list[str]) -> list[dict[str, Any]]:
        if not 1 <= len(package_numbers) <= MAX_DETAIL_BATCH:
            raise ValueError("get_package_detail takes 1 to 50 package numbers")
        query = {"package_number_list": ",".join(package_numbers)}
        data = self._call("GET", "/api/v2/order/get_package_detail", shop_id=shop_id, query=query)
        return list((data.get("response") or {}).get("package_list", []))

    # --- logistics (v2.logistics.*) ---------------------------------------------------------
    def get_channel_list(self, shop_id: int) -> list[dict[str, Any]]:
        data = self._call("GET", "/api/v2/logistics/get_channel_list", shop_id=shop_id)
        return list((data.get("response") or {}).get("logistics_channel_list", []))

    def get_shipping_parameter(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]:
        # package_number is omitted, never sent empty, when the order is not split.
        query = {"order_sn": order_sn, "package_number": package_number or None}
        data = self._call("GET", "/api/v2/logistics/get_shipping_parameter", shop_id=shop_id, query=query)
        return dict(data.get("response") or {})

    def ship_order(
        self, shop_id: int, order_sn: str, package_number: str | None, method: str, fields: Mapping[str, Any]
    ) -> None:
        """``method`` is pickup, dropoff or non_integrated; its object is sent even when empty.

        ``get_shipping_parameter`` names the tracking field ``tracking_no`` but ``ship_order`` takes
        ``tracking_number``: callers pass ``tracking_number``.
        """
        if method not in ("pickup", "dropoff", "non_integrated"):
            raise ValueError("method must be pickup, dropoff or non_integrated")
        body: dict[str, Any] = {"order_sn": order_sn, method: dict(fields)}
        if package_number:
            body["package_number"] = package_number
        self._call("POST", "/api/v2/logistics/ship_order", shop_id=shop_id, body=body)

    def update_shipping_order(
        self, shop_id: int, order_sn: str, package_number: str | None, pickup: Mapping[str, Any]
    ) -> None:
        body: dict[str, Any] = {"order_sn": order_sn, "pickup": dict(pickup)}
        if package_number:
            body["package_number"] = package_number
        self._call("POST", "/api/v2/logistics/update_shipping_order", shop_id=shop_id, body=body)

    def get_tracking_number(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]:
        query = {"order_sn": order_sn, "package_number": package_number or None}
        data = self._call("GET", "/api/v2/logistics/get_tracking_number", shop_id=shop_id, query=query)
        return dict(data.get("response") or {})

    def get_tracking_info(self, shop_id: int, order_sn: str, package_number: str | None) -> dict[str, Any]:
        query = {"order_sn": order_sn, "package_number": package_number or None}
        data = self._call("GET", "/api/v2/logistics/get_tracking_info", shop_id=shop_id, query=query)
        return dict(data.get("response") or {})

    def _documents(self, step: str, shop_id: int, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = self._call("POST", f"/api/v2/logistics/{step}", shop_id=shop_id, body=dict(body))
        return list((data.get("response") or {}).get("result_list", []))

    def get_shipping_document_parameter(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]:
        return self._documents("get_shipping_document_parameter", shop_id, {"order_list": packages})

    def create_shipping_document(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]:
        return self._documents("create_shipping_document", shop_id, {"order_list": packages})

    def get_shipping_document_result(self, shop_id: int, packages: list[dict[str, str]]) -> list[dict[str, Any]]:
        return self._documents("get_shipping_document_result", shop_id, {"order_list": packages})

    def download_shipping_document(self, shop_id: int, document_type: str, packages: list[dict[str, str]]) -> bytes:
        body = {"shipping_document_type": document_type, "order_list": packages}
        content = self._call(
            "POST", "/api/v2/logistics/download_shipping_document", shop_id=shop_id, body=body, raw=True
        )
        if not isinstance(content, bytes):
            raise ShopeeError("unexpected_json", "download_shipping_document returned JSON without an error")
        return content

    # --- push recovery (v2.push.*) ----------------------------------------------------------
    def get_lost_push_message(self) -> dict[str, Any]:
        data = self._call("GET", "/api/v2/push/get_lost_push_message")
        return dict(data.get("response") or {})

    def confirm_consumed_lost_push_message(self, last_message_id: int) -> None:
        self._call("POST", "/api/v2/push/confirm_consumed_lost_push_message", body={"last_message_id": last_message_id})

    def close(self) -> None:
        self._http.close()
