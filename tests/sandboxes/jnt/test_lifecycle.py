"""The parcel lifecycle on the shared clock: scans appear as time passes, keyed on scanTypeCode, each scenario's
sequence, re-planning, the scenario mix, local scan times and time order after a big jump."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from .helpers import CN, VN, Api, Clock, envelope, ref

HOUR = 3600
DELIVERED = ["10", "20", "30", "20", "30", "94", "100"]
DETAIL_KEYS = {
    "billCode", "scanTime", "desc", "scanTypeCode", "scanTypeName", "scanType", "realWeight", "scanNetworkTypeName",
    "scanNetworkName", "scanNetworkId", "scanNetworkContact", "scanNetworkProvince", "scanNetworkCity",
    "scanNetworkArea", "staffName", "staffContact", "sigPicUrl", "problemType", "nextStopName", "longitude",
    "latitude", "timeZone",
}  # fmt: skip


def _ts(detail: dict[str, Any], offset_hours: int = 8) -> float:
    local = dt.datetime.strptime(detail["scanTime"], "%Y-%m-%d %H:%M:%S")
    return local.replace(tzinfo=dt.timezone(dt.timedelta(hours=offset_hours))).timestamp()


def test_scans_appear_as_the_clock_advances(api: Api, clock: Clock) -> None:
    data = api.create_ok()
    bill = data["billCode"]
    assert api.trace(bill) == []  # J&T has no "order created" scan
    clock.jump(5 * HOUR)
    [pickup] = api.trace(bill)
    assert set(pickup) == DETAIL_KEYS
    assert pickup["scanTypeCode"] == "10" and pickup["scanType"] == "Pick Up" and pickup["scanTypeName"] == "快件揽收"
    assert pickup["timeZone"] == "GMT+08:00" and pickup["realWeight"] == "1.20" and pickup["billCode"] == bill
    assert pickup["scanNetworkCity"] == "Bandar Penawar" and pickup["staffName"]
    assert abs(_ts(pickup) - (clock.now() - HOUR)) < 5
    assert api.shipment(bill)["status"] == "picked_up"
    clock.jump(2 * 86400)  # one big jump: every step still at its own time
    details = api.trace(bill)
    assert [d["scanTypeCode"] for d in details] == DELIVERED
    start = _ts(details[0]) - 4 * HOUR
    assert [round((_ts(d) - start) / HOUR) for d in details] == [4, 6, 8, 16, 24, 36, 40]
    assert details[2]["scanNetworkTypeName"] == "中心" and details[4]["scanNetworkCity"] == "Batu Gajah"
    assert details[5]["scanType"] == "On Delivery" and details[6]["scanType"] == "Delivery Signature"
    assert "Siti Aminah" in details[6]["desc"] and details[6]["sigPicUrl"]
    assert api.shipment(bill)["status"] == "delivered"
    assert api.trace(bill) == details  # stable: the same scans, the same fields, every time


SEQUENCES: dict[str, list[str]] = {
    "delivered": DELIVERED,
    "attempt_fail": ["10", "20", "30", "20", "30", "94", "110", "94", "100"],
    "rts": ["10", "20", "30", "20", "30", "94", "110", "94", "110", "172", "20", "30", "94", "173"],
    "lost": ["10", "20", "30", "20", "301"],
    "measurement": DELIVERED,
    "pickup_fail": DELIVERED,
}
FINAL_STATUS = {
    "delivered": "delivered",
    "attempt_fail": "delivered",
    "rts": "returned",
    "lost": "lost",
    "measurement": "delivered",
    "pickup_fail": "delivered",
}


@pytest.mark.parametrize("scenario", sorted(SEQUENCES))
def test_scenario_sequences(api: Api, clock: Clock, scenario: str) -> None:
    reference = ref(scenario[:2].upper())
    pending = api.control("POST", "scenario", {"reference": reference, "scenario": scenario})
    assert pending["pending"] is True  # set before the order exists: applied at creation
    bill = api.create_ok(txlogisticId=reference)["billCode"]
    if scenario == "pickup_fail":
        clock.jump(5 * HOUR)
        assert api.trace(bill) == []  # no pickup yet ...
        assert api.shipment(bill)["status"] == "pending_pickup"  # ... so still cancellable
    clock.jump(9 * 86400)
    details = api.trace(bill)
    assert [d["scanTypeCode"] for d in details] == SEQUENCES[scenario]
    assert [_ts(d) for d in details] == sorted(_ts(d) for d in details)
    shipment = api.shipment(bill)
    assert shipment["scenario"] == scenario and shipment["status"] == FINAL_STATUS[scenario]
    if scenario in ("attempt_fail", "rts"):
        problem = next(d for d in details if d["scanTypeCode"] == "110")
        assert problem["problemType"] == "Recipient not available" and problem["scanType"] == "Problematic"
    if scenario == "rts":
        assert details[-1]["scanType"] == "Return Delivery Signature"
        assert "Merdeka Gadgets" in details[-1]["desc"] and details[-1]["scanNetworkCity"] == "Bandar Penawar"
    if scenario == "lost":
        assert details[-1]["scanType"] == "Lost Parcel"
    if scenario == "measurement":
        weights = [d["realWeight"] for d in details]
        assert weights[:2] == ["1.20", "1.20"] and set(weights[2:]) == {"2.30"}  # 1.2 x 1.5 + 0.5
        assert shipment["measured"]["realWeight"] == "2.30"
        assert shipment["adjusted_charge"]["amount"] > shipment["charge"]["amount"]
    if scenario == "pickup_fail":
        assert round((_ts(details[0]) - shipment["created_at"]) / HOUR) == 28  # the next day


def test_drop_off_orders_start_with_a_collected_scan(api: Api, clock: Clock) -> None:
    bill = api.create_ok(serviceType="6")["billCode"]
    clock.jump(5 * HOUR)
    [first] = api.trace(bill)
    assert first["scanTypeCode"] == "200" and first["scanType"] == "Collected"


def test_scenario_change_replans_only_the_future(api: Api, clock: Clock) -> None:
    bill = api.create_ok()["billCode"]
    clock.jump(10 * HOUR)
    before = api.trace(bill)
    assert [d["scanTypeCode"] for d in before] == DELIVERED[:3]
    out = api.control("POST", "scenario", {"tracking_number": bill, "scenario": "rts"})
    assert out["pending"] is False and out["parcels"][0]["scenario"] == "rts"
    clock.jump(9 * 86400)
    details = api.trace(bill)
    assert details[:3] == before
    assert [d["scanTypeCode"] for d in details] == SEQUENCES["rts"]
    api.control("POST", "scenario", {"tracking_number": bill, "scenario": "delivered"}, expect=409)
    api.control("POST", "scenario", {"tracking_number": bill, "scenario": "teleported"}, expect=400)
    api.control("POST", "scenario", {"scenario": "lost"}, expect=400)


def test_scenario_mix_is_deterministic_per_bill_code(api: Api) -> None:
    try:
        api.control("POST", "config", {"scenario_mix": {"lost": 1.0}})
        assert api.shipment(api.create_ok()["billCode"])["scenario"] == "lost"
        api.control("POST", "config", {"scenario_mix": {"delivered": 0.5, "attempt_fail": 0.5}})
        scenarios = [api.shipment(api.create_ok()["billCode"])["scenario"] for _ in range(24)]
        assert set(scenarios) == {"delivered", "attempt_fail"}
        api.control("POST", "config", {"scenario_mix": {"nonsense": 1.0}}, expect=400)
    finally:
        api.control("POST", "config", {"scenario_mix": {}})
    assert api.shipment(api.create_ok()["billCode"])["scenario"] == "delivered"


def test_timings_are_configurable(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"timings": {"pickup_after_s": 60}})
    try:
        bill = api.create_ok()["billCode"]
        assert api.trace(bill) == []
        clock.jump(61)
        assert api.codes(bill) == ["10"]
    finally:
        api.control("POST", "config", {"timings": {"pickup_after_s": 4 * HOUR}})
    assert api.control("GET", "config")["pickup_after_s"] == 4 * HOUR
    api.control("POST", "config", {"timings": {"warp_after_s": 1}}, expect=400)


def test_scan_times_are_local_to_the_account_country(api: Api, clock: Clock) -> None:
    vn = api.create_ok(VN)["billCode"]
    cn = api.create_ok(CN)["billCode"]
    clock.jump(5 * HOUR)
    [vn_scan] = api.trace(vn, VN)
    [cn_scan] = api.trace(cn, CN)
    assert vn_scan["timeZone"] == "GMT+07:00" and cn_scan["timeZone"] == "GMT+08:00"
    assert abs(_ts(vn_scan, 7) - _ts(cn_scan, 8)) < 5  # the same instant written in two local times


def test_a_big_jump_replays_steps_in_time_order(api: Api, clock: Clock) -> None:
    first = api.create_ok()["billCode"]
    clock.jump(2 * HOUR)
    second = api.create_ok()["billCode"]
    clock.jump(3 * 86400)
    api.control("POST", "tick")
    messages = [m for m in api.control("GET", "webhooks")["messages"] if m["tracking_number"] in (first, second)]
    assert len(messages) == 14
    times = [m["event_at"] for m in messages]
    assert times == sorted(times)  # emitted in scan-time order across both parcels
    assert [m["tracking_number"] for m in messages][:3] == [first, first, second]  # +4 h, +6 h, +2 h + 4 h
    parcel = api.control("GET", f"parcels/{first}")
    assert [e["scanTypeCode"] for e in parcel["events"]] == DELIVERED and all(e["done"] for e in parcel["events"])


def test_get_orders_keeps_working_after_delivery(api: Api, clock: Clock) -> None:
    data = api.create_ok()
    clock.jump(3 * 86400)
    code, _, order = envelope(api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}))
    assert code == "1" and order["billCode"] == data["billCode"]
