"""Fault switches: throttling with Retry-After, scripted HTTP and J&T-style errors, random errors, create-then-fail,
hangs, latency, path scoping and the calls ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .helpers import Api, envelope, order_body, ref

CREATE = "POST /webopenplatformapi/api/order/addOrder"


@pytest.fixture(autouse=True)
def clean_faults(api: Api) -> Iterator[None]:
    api.control("DELETE", "faults")
    yield
    api.control("DELETE", "faults")


def _trace(api: Api, bill: str) -> httpx.Response:
    return api.post("logistics/trace", {"billCode": bill})


def test_throttle_answers_429_with_retry_after(api: Api) -> None:
    view = api.control("POST", "faults", {"throttle": {"count": 2, "retry_after_s": 7}})
    assert view["throttle"] == {"count": 2, "retry_after_s": 7}
    for _ in range(2):
        resp = api.create(order_body())
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
        body = resp.json()
        assert set(body) == {"code", "msg", "data", "requestId"} and str(body["code"]) == "429" and "7" in body["msg"]
    assert envelope(api.create(order_body()))[0] == "1"
    assert api.control("GET", "faults")["throttle"]["count"] == 0
    log = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["http_status"] for c in log[-3:]] == [429, 429, 200]
    assert [c["fault"] for c in log[-3:]] == ["throttle", "throttle", ""]


def test_scripted_errors(api: Api) -> None:
    bill = api.create_ok()["billCode"]
    api.control("POST", "faults", {"next_errors": [{"match": "addOrder", "status": 503, "count": 1}]})
    assert envelope(_trace(api, bill))[0] == "1"  # another method: not matched
    resp = api.create(order_body())
    assert resp.status_code == 503 and str(resp.json()["code"]) == "503"
    assert envelope(api.create(order_body()))[0] == "1"
    assert api.control("GET", "faults")["next_errors"] == []
    # J&T-style failure: HTTP 200 with a business code (here the documented "获取运单号失败")
    api.control("POST", "faults", {"next_errors": [{"match": "addOrder", "code": "0", "msg": "获取运单号失败"}]})
    reference = ref()
    assert envelope(api.create(order_body(reference))) == ("0", "获取运单号失败", None)
    assert all(s["reference"] != reference for s in api.ledger()["shipments"])  # nothing was bought
    api.control("POST", "faults", {"next_errors": [{"path_contains": "/logistics/", "method": "GET", "count": 1}]})
    assert envelope(_trace(api, bill))[0] == "1"  # POST does not match a GET rule
    api.control("DELETE", "faults")


def test_random_errors_and_path_scope(api: Api) -> None:
    bill = api.create_ok()["billCode"]
    api.control("POST", "faults", {"error_rate": 1.0, "error_status": 502})
    resp = _trace(api, bill)
    assert resp.status_code == 502 and str(resp.json()["code"]) == "502"
    api.control("POST", "faults", {"error_rate": 0.5, "seed": 3})
    statuses = [_trace(api, bill).status_code for _ in range(40)]
    assert 5 < statuses.count(502) < 35 and statuses.count(200) == 40 - statuses.count(502)
    api.control("POST", "faults", {"error_rate": 1.5}, expect=400)
    api.control("POST", "faults", {"error_rate": 1.0, "paths": ["/order/printOrder"]})
    assert _trace(api, bill).status_code == 200  # out of scope
    assert api.post("order/printOrder", {"billCode": bill}).status_code == 502
    assert api.control("GET", "faults")["paths"] == ["/order/printOrder"]  # merged, not replaced


def test_create_then_fail_keeps_the_order(api: Api) -> None:
    api.control("POST", "faults", {"create_then_fail": 1})
    reference = ref("CTF")
    resp = api.create(order_body(reference))
    assert resp.status_code == 502 and str(resp.json()["code"]) == "502"
    [shipment] = [s for s in api.ledger()["shipments"] if s["reference"] == reference]
    assert shipment["status"] == "pending_pickup"  # the purchase happened
    # the client's blind retry is refused as a duplicate; getOrders finds the order
    assert envelope(api.create(order_body(reference)))[:2] == ("0", "txlogisticId already exists")
    code, _, order = envelope(api.post("order/getOrders", {"txlogisticId": reference}))
    assert code == "1" and order["billCode"] == shipment["tracking_number"]
    assert [s["reference"] for s in api.ledger()["shipments"]].count(reference) == 1

    api.control("POST", "faults", {"create_then_fail": 1, "create_then_fail_mode": "close"})
    dropped = ref("CTF")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create(order_body(dropped))
    assert any(s["reference"] == dropped for s in api.ledger()["shipments"])
    calls = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["fault"] for c in calls if c["fault"] == "create_then_fail"][-2:] == ["create_then_fail"] * 2
    api.control("POST", "faults", {"create_then_fail_mode": "maybe"}, expect=400)


def test_timeouts_hang_then_fail(api: Api) -> None:
    bill = api.create_ok()["billCode"]
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.3})
    started = time.monotonic()
    resp = _trace(api, bill)
    assert resp.status_code == 504 and time.monotonic() - started >= 0.3
    assert str(resp.json()["code"]) == "504"
    assert _trace(api, bill).status_code == 200
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.1, "timeout_mode": "close"})
    with pytest.raises(httpx.RemoteProtocolError):
        _trace(api, bill)
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 5})
    with pytest.raises(httpx.ReadTimeout):  # the client's own timeout fires first
        api.post("logistics/trace", {"billCode": bill}, timeout=0.3)


def test_latency(api: Api) -> None:
    bill = api.create_ok()["billCode"]
    api.control("POST", "faults", {"latency_s": 0.25})
    started = time.monotonic()
    assert _trace(api, bill).status_code == 200
    assert time.monotonic() - started >= 0.25
    assert api.control("DELETE", "faults")["latency_s"] == 0


def test_faults_come_before_auth_and_never_hit_the_control_api(api: Api) -> None:
    api.control("POST", "faults", {"error_rate": 1.0})
    resp = api.post("order/getOrders", {"txlogisticId": "x"}, headers={"digest": "bad"})
    assert resp.status_code == 500
    assert api.control("GET", "health")["ok"] is True
    api.control("POST", "faults", {"reset": True})
    assert envelope(api.post("order/getOrders", {"txlogisticId": "x"}, headers={"digest": "bad"}))[0] == "145003030"
    calls = api.ledger()["calls"]
    assert calls[CREATE] >= 1 and calls["POST /webopenplatformapi/api/order/getOrders"] >= 2
