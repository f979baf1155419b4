"""Fault switches: throttling with Retry-After, scripted and random server errors, create-then-fail, hangs,
latency, and the calls ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .helpers import Api, order_params, ref


@pytest.fixture(autouse=True)
def clean_faults(api: Api) -> Iterator[None]:
    api.control("DELETE", "faults")
    yield
    api.control("DELETE", "faults")


def _routes(api: Api, pno: str) -> httpx.Response:
    return api.call(f"/open/v1/orders/{pno}/routes")


def test_throttle_answers_429_with_retry_after(api: Api) -> None:
    view = api.control("POST", "faults", {"throttle": {"count": 2, "retry_after_s": 7}})
    assert view["throttle"] == {"count": 2, "retry_after_s": 7}
    for _ in range(2):
        resp = api.create(order_params())
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
        body = resp.json()
        assert body["code"] == 0 and body["data"] is None and "retry after 7" in body["message"]
    assert api.create(order_params()).json()["code"] == 1
    assert api.ledger()["calls"]["POST /open/v3/orders"] >= 3


def test_scripted_and_random_server_errors(api: Api) -> None:
    pno = api.create_ok()["pno"]
    api.control("POST", "faults", {"next_errors": [{"match": "/open/v3/orders", "status": 503, "count": 1}]})
    assert _routes(api, pno).status_code == 200  # another path does not match
    resp = api.create(order_params())
    assert resp.status_code == 503 and resp.json()["code"] == 0
    assert api.create(order_params()).status_code == 200
    assert api.control("GET", "faults")["next_errors"] == []
    # the Ninja Van sandbox's spelling works too (path_contains + method)
    api.control("POST", "faults", {"next_errors": [{"path_contains": "/routes", "method": "POST", "status": 502}]})
    assert _routes(api, pno).status_code == 502
    assert _routes(api, pno).status_code == 200

    api.control("POST", "faults", {"error_rate": 1.0, "error_status": 502})
    assert _routes(api, pno).status_code == 502
    api.control("POST", "faults", {"error_rate": 0.5, "seed": 3})
    statuses = [_routes(api, pno).status_code for _ in range(40)]
    assert 5 < statuses.count(502) < 35 and statuses.count(200) == 40 - statuses.count(502)
    api.control("POST", "faults", {"error_rate": 1.5}, expect=400)
    api.control("POST", "faults", {"error_rate": 1.0, "paths": ["/pre_print"]})
    assert _routes(api, pno).status_code == 200  # out of scope
    assert api.call(f"/open/v1/orders/{pno}/pre_print").status_code == 502


def test_create_then_fail_keeps_the_order(api: Api) -> None:
    api.control("POST", "faults", {"create_then_fail": 1})
    reference = ref("CTF")
    resp = api.create(order_params(reference))
    assert resp.status_code == 502 and resp.json()["code"] == 0
    [shipment] = [s for s in api.ledger()["shipments"] if s["client_reference"] == reference]
    assert shipment["state"] == 0  # the purchase happened
    # the client's blind retry is refused as a duplicate, and no second order appears
    assert api.error("/open/v3/orders", order_params(reference))["code"] == 1003
    assert [s["client_reference"] for s in api.ledger()["shipments"]].count(reference) == 1

    api.control("POST", "faults", {"create_then_fail": 1, "create_then_fail_mode": "close"})
    dropped = ref("CTF")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create(order_params(dropped))
    assert any(s["client_reference"] == dropped for s in api.ledger()["shipments"])
    calls = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["fault"] for c in calls if c["fault"]][-2:] == ["create_then_fail", "create_then_fail"]
    assert [c["status"] for c in calls if c["fault"] == "create_then_fail"][-2:] == [502, 0]


def test_timeouts_hang_then_fail(api: Api) -> None:
    pno = api.create_ok()["pno"]
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.3})
    started = time.monotonic()
    resp = _routes(api, pno)
    assert resp.status_code == 504 and time.monotonic() - started >= 0.3 and resp.json()["code"] == 0
    assert _routes(api, pno).status_code == 200
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.1, "timeout_mode": "close"})
    with pytest.raises(httpx.RemoteProtocolError):
        _routes(api, pno)
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 5})
    with pytest.raises(httpx.ReadTimeout):  # the client's own timeout fires first
        api.call(f"/open/v1/orders/{pno}/routes", timeout=0.3)


def test_latency_and_reset(api: Api) -> None:
    pno = api.create_ok()["pno"]
    api.control("POST", "faults", {"latency_s": 0.25})
    started = time.monotonic()
    assert _routes(api, pno).status_code == 200
    assert time.monotonic() - started >= 0.25
    assert api.control("DELETE", "faults")["latency_s"] == 0
    api.control("POST", "faults", {"timeout_mode": "sometimes"}, expect=400)
    api.control("POST", "faults", {"no_such_switch": 1}, expect=400)
    merged = api.control("POST", "faults", {"latency_s": 0.01})
    merged = api.control("POST", "faults", {"error_status": 503})
    assert merged["latency_s"] == 0.01 and merged["error_status"] == 503  # partial updates merge
    assert api.control("POST", "faults", {"reset": True})["latency_s"] == 0
