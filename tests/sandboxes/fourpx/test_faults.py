"""Fault switches: throttling with Retry-After, scripted and random server errors, create-then-fail, hangs,
latency, scoping, the accepted-but-inert webhook switches, and the calls ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .helpers import Api, Fop, order_body, ref


@pytest.fixture(autouse=True)
def clean_faults(api: Api) -> Iterator[None]:
    api.control("DELETE", "faults")
    yield
    api.control("DELETE", "faults")


def _track(api: Api, tn: str) -> Fop:
    return api.call("tr.order.tracking.get", {"deliveryOrderNo": tn})


def test_throttle_answers_429_with_retry_after_in_the_carrier_envelope(api: Api) -> None:
    view = api.control("POST", "faults", {"throttle": {"count": 2, "retry_after_s": 7}})
    assert view["throttle"] == {"count": 2, "retry_after_s": 7}
    bodies = [order_body() for _ in range(3)]
    for body in bodies[:2]:
        fop = api.create(body)
        assert fop.status == 429 and fop.response.headers["Retry-After"] == "7"
        assert fop.body["result"] == "0" and fop.codes == ["SYS000429"] and fop.body["data"] is None
        assert "7" in fop.body["msg"]
    assert api.create(bodies[2]).ok
    assert not api.shipments_with_ref(bodies[0]["ref_no"])  # nothing was bought while throttled
    assert api.control("GET", "faults")["throttle"]["count"] == 0


def test_scripted_errors_match_the_method_name_or_path(api: Api) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    api.control("POST", "faults", {"next_errors": [{"match": "ds.xms.order.create", "status": 503, "count": 1}]})
    assert _track(api, tn).ok  # another method: untouched
    body = order_body()
    fop = api.create(body)
    assert fop.status == 503 and fop.codes == ["SYS000503"]
    assert not api.shipments_with_ref(body["ref_no"])  # failed before the carrier acted
    assert api.create(body).ok
    assert api.control("GET", "faults")["next_errors"] == []
    scripted = [
        {"path_contains": "/label-files/", "status": 502},
        {"method": "tr.order.tracking.get", "status": 500, "count": 2},
    ]
    api.control("POST", "faults", {"next_errors": scripted})
    assert [_track(api, tn).status for _ in range(3)] == [500, 500, 200]
    url = api.ok("ds.xms.label.get", {"request_no": tn})["label_url_info"]["logistics_label"]
    assert api.http.get(url).status_code == 502
    assert api.http.get(url).status_code == 200
    api.control("POST", "faults", {"next_errors": [{"match": "x", "status": 418}]}, expect=400)


def test_random_errors_are_seeded_and_scoped(api: Api) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    api.control("POST", "faults", {"error_rate": 1.0, "error_status": 502})
    fop = _track(api, tn)
    assert fop.status == 502 and fop.codes == ["SYS000502"]
    api.control("POST", "faults", {"error_rate": 0.5, "seed": 3})
    statuses = [_track(api, tn).status for _ in range(20)]
    assert 2 < statuses.count(502) < 18 and statuses.count(200) == 20 - statuses.count(502)
    api.control("POST", "faults", {"seed": 3})
    assert [_track(api, tn).status for _ in range(20)] == statuses  # same seed, same draws
    api.control("POST", "faults", {"error_rate": 1.5}, expect=400)
    api.control("POST", "faults", {"error_status": 404}, expect=400)
    api.control("POST", "faults", {"error_rate": 1.0, "paths": ["ds.xms.label"]})
    assert _track(api, tn).ok  # out of scope
    assert api.call("ds.xms.label.get", {"request_no": tn}).status == 502


def test_create_then_fail_keeps_the_order(api: Api) -> None:
    api.control("POST", "faults", {"create_then_fail": 1})
    ref_no = ref("CTF")
    fop = api.create(order_body(ref_no))
    assert fop.status == 502 and fop.body["result"] == "0" and fop.codes == ["SYS000502"]
    [shipment] = api.shipments_with_ref(ref_no)  # the purchase happened
    assert shipment["status"] == "forecast"
    # the client's blind retry is refused as a duplicate; looking the reference up finds the order
    assert api.create(order_body(ref_no)).codes == ["DS000001"]
    found = api.order(ref_no)
    assert found is not None and found["consignment_info"]["4px_tracking_no"] == shipment["tracking_number"]
    assert len(api.shipments_with_ref(ref_no)) == 1

    api.control("POST", "faults", {"create_then_fail": 1, "create_then_fail_mode": "close"})
    dropped = ref("CTF")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create(order_body(dropped))
    assert len(api.shipments_with_ref(dropped)) == 1
    calls = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["fault"] for c in calls if c["fault"]][-2:] == ["create_then_fail", "create_then_fail"]
    assert calls[-1]["http_status"] == 0


def test_timeouts_hang_then_fail(api: Api) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.3})
    started = time.monotonic()
    fop = _track(api, tn)
    assert fop.status == 504 and time.monotonic() - started >= 0.3 and fop.codes == ["SYS000504"]
    assert _track(api, tn).ok
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 0.1, "timeout_mode": "close"})
    with pytest.raises(httpx.RemoteProtocolError):
        _track(api, tn)
    api.control("POST", "faults", {"timeout_next": 1, "hang_s": 5})
    with pytest.raises(httpx.ReadTimeout):  # the client's own timeout fires first
        api.http.post("/router/api/service", params={"method": "x"}, content=b"{}", timeout=0.3)


def test_latency(api: Api) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    api.control("POST", "faults", {"latency_s": 0.25})
    started = time.monotonic()
    assert _track(api, tn).ok
    assert time.monotonic() - started >= 0.25
    assert api.control("DELETE", "faults")["latency_s"] == 0


def test_webhook_switches_are_accepted_but_inert(api: Api) -> None:
    view = api.control(
        "POST",
        "faults",
        {"webhook_drop_rate": 1.0, "webhook_duplicate_next": 2, "webhook_out_of_order": True, "latency_s": 0},
    )
    assert view["webhook_drop_rate"] == 1.0 and view["webhook_out_of_order"] is True
    assert api.create_ok()["4px_tracking_no"]
    assert api.ledger()["webhooks"] == []
    api.control("POST", "faults", {"webhook_drop_rate": 2}, expect=400)
    api.control("POST", "faults", {"no_such_switch": 1}, expect=400)
    assert api.control("POST", "faults", {"reset": True})["webhook_drop_rate"] == 0
