"""Misbehaviour switches: server errors, latency, throttling, daily quota, early token expiry, lost responses."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import Api, Clock, Grant

INFO = "/api/v2/shop/get_shop_info"
SHIP = "/api/v2/logistics/ship_order"


@pytest.fixture(autouse=True)
def clean_faults(api: Api) -> Iterator[None]:
    api.control("POST", "faults", {"reset": True})
    yield
    api.control("POST", "faults", {"reset": True})
    api.control("POST", "config", {"http_status_mode": "200"})


@pytest.fixture(scope="module")
def grants(env: Any) -> tuple[Grant, Grant]:
    api: Api = env.api
    return api.authorize(api.new_shop("SG")), api.authorize(api.new_shop("TH"))


def test_error_next_and_rate(api: Api, grants: tuple[Grant, Grant]) -> None:
    a, _b = grants
    api.control("POST", "faults", {"error_next": 2})
    for _ in range(2):
        resp = api.raw_get(INFO, grant=a)
        assert resp.status_code == 500
        assert resp.json()["error"] == "error_server"
        assert set(resp.json()) == {"request_id", "error", "message"}
    assert api.raw_get(INFO, grant=a).status_code == 200
    api.control("POST", "faults", {"error_rate": 1.0, "error_status": 503})
    assert api.raw_get(INFO, grant=a).status_code == 503
    api.control("POST", "faults", {"error_rate": 0.5, "seed": 7})
    outcomes = [api.raw_get(INFO, grant=a).status_code for _ in range(40)]
    assert 5 < outcomes.count(503) < 35
    calls = api.control("GET", "ledger?include=calls")["calls"]
    assert any(c["fault"] == "error" and c["outcome"] == "error_server" for c in calls)


def test_faults_can_be_scoped(api: Api, grants: tuple[Grant, Grant]) -> None:
    a, b = grants
    api.control("POST", "faults", {"error_rate": 1.0, "shop_ids": [a.shop_id], "paths": ["/api/v2/shop/"]})
    assert api.raw_get(INFO, grant=a).status_code == 500
    assert api.raw_get(INFO, grant=b).status_code == 200
    assert api.get("/api/v2/logistics/get_channel_list", grant=a)["error"] == ""


def test_throttle(api: Api, grants: tuple[Grant, Grant]) -> None:
    a, _b = grants
    api.control("POST", "faults", {"throttle_next": 1})
    resp = api.raw_get(INFO, grant=a)
    assert resp.status_code == 429
    assert resp.json() == {
        "request_id": resp.json()["request_id"],
        "error": "error_rate_limit",
        "message": "Too many requests. You have reached the rate limit. Please try again later.",
    }
    assert api.get(INFO, grant=a)["error"] == ""


def test_latency(api: Api, grants: tuple[Grant, Grant]) -> None:
    a, _b = grants
    api.control("POST", "faults", {"latency_ms": 300})
    started = time.monotonic()
    assert api.get(INFO, grant=a)["error"] == ""
    assert time.monotonic() - started >= 0.3


def test_daily_quota_exhausted_until_midnight_utc8(api: Api, clock: Clock, grants: tuple[Grant, Grant]) -> None:
    a, b = grants
    api.control("POST", "faults", {"quota_exhausted_shops": [a.shop_id]})
    out = api.get(INFO, grant=a)
    assert out["error"] == "error_limit" and "00: 00 (UTC+08:00)" in out["message"]
    assert api.get(INFO, grant=b)["error"] == ""
    assert api.control("GET", "faults")["quota_exhausted_shops"] == [a.shop_id]
    # jump past the next 00:00 UTC+8
    now = clock.now()
    next_midnight = (int(now + 8 * 3600) // 86400 + 1) * 86400 - 8 * 3600
    clock.jump(next_midnight - now + 5)
    grants_after = api.authorize(a.shop_id)
    assert api.get(INFO, grant=grants_after)["error"] == ""


def test_daily_quota_counts_calls(api: Api) -> None:
    fresh = api.authorize(api.new_shop("TW"))
    api.control("POST", "faults", {"daily_quota": 3})
    assert [api.get(INFO, grant=fresh)["error"] for _ in range(4)] == ["", "", "", "error_limit"]
    api.control("POST", "faults", {"daily_quota": None})
    assert api.get(INFO, grant=fresh)["error"] == ""


def test_early_token_expiry(api: Api, clock: Clock) -> None:
    grant = api.authorize(api.new_shop("VN"))
    api.control("POST", "faults", {"access_token_lifetime_s": 600})
    assert api.get(INFO, grant=grant)["error"] == ""
    clock.jump(601)
    assert api.get(INFO, grant=grant)["error"] == "invalid_acceess_token"
    api.control("POST", "faults", {"reset": True})
    fresh = api.authorize(grant.shop_id)
    assert api.get(INFO, grant=fresh)["error"] == ""
    out = api.control("POST", "faults", {"expire_access_tokens": [grant.shop_id]})
    assert out["expired_access_tokens"] >= 1
    assert api.get(INFO, grant=fresh)["error"] == "invalid_acceess_token"
    # the refresh token still works
    refreshed = api.post(
        "/api/v2/auth/access_token/get",
        {"refresh_token": fresh.refresh_token, "partner_id": 2001234, "shop_id": grant.shop_id},
    )
    assert refreshed["error"] == ""


def test_commit_then_error_loses_the_response_not_the_change(api: Api) -> None:
    shop_id = api.new_shop("MY")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1)
    api.control("POST", "faults", {"commit_then_error_next": 1})
    first = api.raw_post(SHIP, {"order_sn": sn, "dropoff": {}}, grant=grant)
    assert first.status_code == 500 and first.json()["error"] == "error_server"
    retry = api.post(SHIP, {"order_sn": sn, "dropoff": {}}, grant=grant)
    assert retry["error"] == "logistics.package_already_shipped"
    calls = api.control("GET", "ledger?include=ship")["ship_order_calls"]
    pn = api.order(sn)["packages"][0]["package_number"]
    assert calls[pn]["calls"] == 2 and calls[pn]["outcomes"] == ["ok", "logistics.package_already_shipped"]


def test_pickup_failure_fault(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("PH")
    [sn] = api.new_orders(shop_id, 1, status="PROCESSED")
    api.control("POST", "faults", {"pickup_fail_next": 1, "shop_ids": [shop_id]})
    clock.jump(86400 + 60)
    api.control("POST", "tick")
    snap = api.order(sn)
    assert snap["order"]["status"] == "RETRY_SHIP"
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_PICKUP_RETRY"


def test_mapped_http_status_mode(api: Api) -> None:
    a = api.authorize(api.new_shop("SG"))
    api.control("POST", "config", {"http_status_mode": "mapped"})
    assert api.raw_get(INFO, grant=Grant(a.shop_id, "0" * 32, "")).status_code == 403
    assert api.raw_get("/api/v2/order/get_order_detail", {"order_sn_list": "X"}, grant=a).status_code == 404
    assert api.raw_get("/api/v2/order/get_order_list", grant=a).status_code == 400
    api.control("POST", "config", {"http_status_mode": "200"})
    assert api.raw_get(INFO, grant=Grant(a.shop_id, "0" * 32, "")).status_code == 200


def test_bad_fault_payload_is_rejected(api: Api) -> None:
    api.control("POST", "faults", {"no_such_switch": 1}, expect=400)
    api.control("POST", "faults", {"error_rate": "high"}, expect=400)
