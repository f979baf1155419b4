"""The Shopee client against recorded payloads (tests/golden/shopee) through httpx's mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from kiriman.clock import FixedClock
from kiriman.retry import RetryPolicy
from kiriman.shopee.client import ShopeeClient, next_quota_reset
from kiriman.shopee.errors import (
    ShopeeAuthError,
    ShopeeInvalidRefreshToken,
    ShopeeNotFound,
    ShopeeQuotaExhausted,
    ShopeeRejected,
    ShopeeRetryable,
)
from kiriman.shopee.models import OrderDetail
from kiriman.shopee.signing import sign

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "shopee"
KEY = "partner-key"
PID = 2001887


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


class Tokens:
    def __init__(self) -> None:
        self.token = "tok-1"
        self.refreshes = 0

    def access_token(self, shop_id: int) -> str:
        return self.token

    def refresh(self, shop_id: int, stale_token: str) -> str:
        self.refreshes += 1
        self.token = f"tok-{self.refreshes + 1}"
        return self.token


def make(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> tuple[ShopeeClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req)

    client = ShopeeClient(
        "https://shopee.test",
        PID,
        KEY,
        kw.pop("clock", FixedClock(1_700_000_000)),
        tokens=kw.pop("tokens", Tokens()),
        http=httpx.Client(transport=httpx.MockTransport(record)),
        sleep=lambda s: None,
        policy=kw.pop("policy", RetryPolicy(attempts=4, base_delay_s=0.01, deadline_s=5)),
        **kw,
    )
    return client, seen


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def test_requests_are_signed_with_common_params_in_the_query() -> None:
    client, seen = make(lambda r: ok(golden("get_order_list.response.json")))
    page = client.get_order_list(600000, 1_699_000_000, 1_700_000_000)
    q = {k: v[0] for k, v in parse_qs(urlparse(str(seen[0].url)).query).items()}
    assert q["partner_id"] == str(PID) and q["shop_id"] == "600000" and q["access_token"] == "tok-1"
    assert q["sign"] == sign(KEY, PID, "/api/v2/order/get_order_list", int(q["timestamp"]), "tok-1", 600000)
    assert q["time_range_field"] == "update_time" and q["page_size"] == "100"
    assert page.more is True and page.next_cursor == "20" and len(page.order_list) == 10


def test_order_detail_golden_file_parses_with_packages_and_items() -> None:
    client, seen = make(lambda r: ok(golden("get_order_detail.response.json")))
    orders = client.get_order_detail(600000, ["201218V2Y6E59M"])
    assert orders and all(isinstance(o, OrderDetail) for o in orders)
    o = orders[0]
    assert o.order_sn and o.order_status and o.item_list
    assert all(p.package_number not in ("", "-") for p in o.package_list)
    fields = parse_qs(urlparse(str(seen[0].url)).query)["response_optional_fields"][0]
    assert {"item_list", "package_list", "recipient_address"} <= set(fields.split(","))


def test_tolerant_parsing() -> None:
    o = OrderDetail.model_validate(
        {
            "ordersn": "X1",
            "order_status": "SOMETHING_NEW",
            "create_time": "1700000000",
            "update_time": 1700000001,
            "pay_time": "",
            "booking_sn": "",
            "pending_terms": None,
            "package_list": [
                {"package_number": "OFG1", "parcel_chargeable_weight": 120, "logistics_channel_id": "18080"}
            ],
        }
    )
    assert o.order_sn == "X1" and o.order_status == "SOMETHING_NEW" and o.create_time == 1700000000
    assert o.pay_time is None and o.booking_sn is None and o.pending_terms == []
    assert o.package_list[0].parcel_chargeable_weight_gram == 120 and o.package_list[0].logistics_channel_id == 18080
    with pytest.raises(ValueError):
        OrderDetail.model_validate(
            {
                "order_sn": "X",
                "order_status": "READY_TO_SHIP",
                "create_time": 1,
                "update_time": 1,
                "package_list": [{"package_number": "-"}],
            }
        )


def test_batch_limits_are_enforced_before_calling() -> None:
    client, seen = make(lambda r: ok({}))
    with pytest.raises(ValueError):
        client.get_order_detail(1, [f"o{i}" for i in range(51)])
    with pytest.raises(ValueError):
        client.get_order_list(1, 0, 16 * 86400)
    assert seen == []


def test_server_errors_are_retried_then_succeed() -> None:
    answers = [
        ok({"error": "error_server", "message": "System error", "request_id": "r1"}),
        httpx.Response(502, text="bad gateway"),
        ok(golden("get_order_list.response.json")),
    ]
    client, seen = make(lambda r: answers.pop(0))
    assert client.get_order_list(1, 0, 10).more is True
    assert len(seen) == 3


def test_throttling_is_retried_and_gives_up_after_attempts() -> None:
    client, seen = make(lambda r: ok({"error": "error_rate_limit", "message": "Too many requests"}))
    with pytest.raises(ShopeeRetryable):
        client.get_order_list(1, 0, 10)
    assert len(seen) == 4


def test_timeouts_are_retried() -> None:
    calls = {"n": 0}

    def handler(r: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=r)
        return ok(golden("get_order_list.response.json"))

    client, _ = make(handler)
    assert client.get_order_list(1, 0, 10).next_cursor == "20"


def test_error_limit_opens_the_circuit_until_midnight_utc8() -> None:
    clock = FixedClock(1_700_000_000)
    client, seen = make(lambda r: ok({"error": "error_limit", "message": "quota"}), clock=clock)
    with pytest.raises(ShopeeQuotaExhausted):
        client.get_order_list(7, 0, 10)
    assert len(seen) == 1  # never retried
    with pytest.raises(ShopeeQuotaExhausted):
        client.get_order_list(7, 0, 10)
    assert len(seen) == 1  # the circuit answers without calling
    reset = next_quota_reset(clock.time())
    assert (reset + 8 * 3600) % 86400 == 0 and 0 < reset - clock.time() <= 86400
    clock.advance(reset - clock.time() + 1)
    with pytest.raises(ShopeeQuotaExhausted):
        client.get_order_list(7, 0, 10)
    assert len(seen) == 2  # after the reset it calls again


def test_invalid_access_token_is_refreshed_once() -> None:
    tokens = Tokens()

    def handler(r: httpx.Request) -> httpx.Response:
        token = parse_qs(urlparse(str(r.url)).query)["access_token"][0]
        if token == "tok-1":
            return ok({"error": "invalid_access_token", "message": "Invalid access_token, please have a check."})
        return ok(golden("get_order_list.response.json"))

    client, seen = make(handler, tokens=tokens)
    client.get_order_list(1, 0, 10)
    assert tokens.refreshes == 1 and len(seen) == 2

    always_bad, _ = make(lambda r: ok({"error": "error_auth", "message": "Invalid access_token."}), tokens=Tokens())
    with pytest.raises(ShopeeAuthError):
        always_bad.get_order_list(1, 0, 10)


def test_token_endpoints_and_their_errors() -> None:
    client, seen = make(lambda r: ok(golden("auth_token_get.response.json")))
    pair = client.get_access_token("code-1", shop_id=600000)
    assert pair.access_token == "6b5a46716e474d6f6e59777659459849" and pair.expire_in == 14312
    body = json.loads(seen[0].content)
    assert body == {"code": "code-1", "partner_id": PID, "shop_id": 600000}
    assert "access_token" not in parse_qs(urlparse(str(seen[0].url)).query)  # public call

    refresh, _ = make(lambda r: ok(golden("auth_access_token_get.response.json")))
    assert refresh.refresh_access_token("r", shop_id=322300222).shop_id == 322300222
    bad, _ = make(lambda r: ok(golden("auth_access_token_get.error.json")))
    with pytest.raises(ShopeeInvalidRefreshToken):
        bad.refresh_access_token("r", shop_id=1)


def test_not_found_and_rejections_are_not_retried() -> None:
    client, seen = make(lambda r: ok(golden("get_order_detail.error.json")))
    with pytest.raises(ShopeeNotFound):
        client.get_order_detail(1, ["x"])
    client, seen = make(lambda r: ok(golden("ship_order.error.json")))
    with pytest.raises(ShopeeRejected):
        client.ship_order(1, "o", None, "dropoff", {})
    assert len(seen) == 1


def test_ship_order_body_shapes() -> None:
    client, seen = make(lambda r: ok(golden("ship_order.response.json")))
    client.ship_order(1, "220301QQY0WASP", None, "dropoff", {})
    client.ship_order(1, "220301QQY0WASP", "OFG1", "non_integrated", {"tracking_number": "AK224200239740W"})
    assert json.loads(seen[0].content) == {"order_sn": "220301QQY0WASP", "dropoff": {}}
    assert json.loads(seen[1].content) == {
        "order_sn": "220301QQY0WASP",
        "package_number": "OFG1",
        "non_integrated": {"tracking_number": "AK224200239740W"},
    }


def test_auth_link_is_signed_as_public() -> None:
    client, _ = make(lambda r: ok({}))
    link = client.auth_link("https://example.test/cb?state=abc")
    q = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert urlparse(link).path == "/api/v2/shop/auth_partner"
    assert q["sign"] == sign(KEY, PID, "/api/v2/shop/auth_partner", int(q["timestamp"]))
    assert q["redirect"] == "https://example.test/cb?state=abc"
