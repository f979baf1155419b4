"""Fault switches: throttling with Retry-After, scripted and random server errors, create-then-fail, hangs,
latency, and the calls ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .helpers import Api, order_body, rtn


@pytest.fixture(autouse=True)
def clean_faults(api: Api) -> Iterator[None]:
    api.control("DELETE", "faults")
    yield
    api.control("DELETE", "faults")


def _tracking(api: Api, tn: str) -> httpx.Response:
    return api.http.get(f"/sg/1.0/orders/tracking-events/{tn}", headers=api.auth())


def test_throttle_answers_429_with_retry_after(api: Api) -> None:
    headers = api.auth()  # token first: the OAuth call is not throttled unless include_auth
    view = api.control("POST", "faults", {"throttle": {"count": 2, "retry_after_s": 7}})
    assert view["throttle"] == {"count": 2, "retry_after_s": 7}
    assert api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret").status_code == 200
    for _ in range(2):
        resp = api.http.post("/sg/4.2/orders", json=order_body(), headers=headers)
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "7"
        err = resp.json()["error"]
        assert err["code"] == 4290 and err["request_id"] == resp.headers["x-nv-request-id"]
    assert api.http.post("/sg/4.2/orders", json=order_body(), headers=headers).status_code == 200
    calls = api.ledger()["calls"]
    assert calls["POST /{cc}/4.2/orders"] >= 3


def test_scripted_and_random_server_errors(api: Api) -> None:
    tn = api.create_ok()["tracking_number"]
    headers = api.auth()
    api.control(
        "POST", "faults", {"next_errors": [{"path_contains": "/orders", "method": "POST", "status": 503, "count": 1}]}
    )
    assert _tracking(api, tn).status_code == 200  # GET does not match
    resp = api.http.post("/sg/4.2/orders", json=order_body(), headers=headers)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == 5030
    assert api.http.post("/sg/4.2/orders", json=order_body(), headers=headers).status_code == 200
    assert api.control("GET", "faults")["next_errors"] == []

    api.control("POST", "faults", {"error_rate": 1.0, "error_status": 502})
    assert _tracking(api, tn).status_code == 502
    assert api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret").status_code == 200  # auth excluded ...
    api.control("POST", "faults", {"include_auth": True})
    assert api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret").status_code == 502  # ... unless asked
    api.control("POST", "faults", {"error_rate": 0.5, "include_auth": False, "seed": 3})
    statuses = [_tracking(api, tn).status_code for _ in range(40)]
    assert 5 < statuses.count(502) < 35 and statuses.count(200) == 40 - statuses.count(502)
    api.control("POST", "faults", {"error_rate": 1.5}, expect=400)
    api.control("POST", "faults", {"error_rate": 1.0, "paths": ["/reports/waybill"]})
    assert _tracking(api, tn).status_code == 200  # out of scope
    waybill = api.http.get("/sg/2.0/reports/waybill", params={"tid": tn}, headers=headers)
    assert waybill.status_code == 502


def test_create_then_fail_keeps_the_order(api: Api) -> None:
    api.control("POST", "faults", {"create_then_fail": 1})
    requested = rtn("CTF")
    resp = api.create(order_body(requested))
    assert resp.status_code == 502 and resp.json()["error"]["code"] == 5020
    tn = "NVSGKRM" + requested
    assert api.shipment(tn)["status"] == "Pending Pickup"  # the purchase happened
    # the client's blind retry is refused as a duplicate; looking it up works
    again = api.create(order_body(requested))
    assert again.status_code == 400 and again.json()["error"]["details"][0]["reason"] == "DUPLICATE"
    assert _tracking(api, tn).status_code == 200
    assert [s["requested_tracking_number"] for s in api.ledger()["shipments"]].count(requested) == 1

    api.control("POST", "faults", {"create_then_fail": 1, "create_then_fail_mode": "close"})
    dropped = rtn("CTF")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create(order_body(dropped))
    assert api.shipment("NVSGKRM" + dropped)["requested_tracking_number"] == dropped
    calls = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["fault"] for c in calls if c["fault"]][-2:] == ["create_then_fail", "create_then_fail"]


def test_timeouts_hang_then_fail(api: Api) -> None:
    tn = api.create_ok()["tracking_number"]
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.3})
    started = time.monotonic()
    resp = _tracking(api, tn)
    assert resp.status_code == 504 and time.monotonic() - started >= 0.3
    assert resp.json()["error"]["code"] == 5040
    assert _tracking(api, tn).status_code == 200
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.1, "timeout_mode": "close"})
    with pytest.raises(httpx.RemoteProtocolError):
        _tracking(api, tn)
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 5})
    with pytest.raises(httpx.ReadTimeout):  # the client's own timeout fires first
        api.http.get(f"/sg/1.0/orders/tracking-events/{tn}", headers=api.auth(), timeout=0.3)


def test_latency_and_token_ttl(api: Api) -> None:
    tn = api.create_ok()["tracking_number"]
    api.control("POST", "faults", {"latency_s": 0.25, "token_ttl_s": 900})
    started = time.monotonic()
    assert _tracking(api, tn).status_code == 200
    assert time.monotonic() - started >= 0.25
    try:
        assert api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret").json()["expires_in"] == 900
    finally:
        api.control("POST", "config", {"token_ttl_s": 43200})
    assert api.control("DELETE", "faults")["latency_s"] == 0
