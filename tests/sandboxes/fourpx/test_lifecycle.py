"""The line-haul lifecycle on the shared clock: milestones appear as time passes, the delayed last-mile number,
each scenario's sequence, re-planning, the scenario mix, timings and tracking access."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from .helpers import Api, Clock, order_body, ref

HOUR = 3600
DAY = 86400
CHINA = dt.timezone(dt.timedelta(hours=8))
DELIVERED = ["OR10", "PU10", "SC10", "SC40", "EC10", "EC20", "SC20", "LH10", "LH20", "LH50", "IC50", "IC60", "LM10",
             "LM25", "LM40"]  # fmt: skip
TRACKING_KEYS = {"businessLinkCode", "trackingContent", "occurDatetime", "occurLocation", "destinationCountry"}


def _ts(event: dict[str, Any]) -> float:
    return dt.datetime.strptime(event["occurDatetime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).timestamp()


def _codes(events: list[dict[str, Any]]) -> list[str]:
    return [e["businessLinkCode"] for e in events]


def test_milestones_appear_as_the_clock_advances(api: Api, clock: Clock) -> None:
    created = api.create_ok()
    tn = created["4px_tracking_no"]
    first = api.track(tn)
    assert _codes(first) == ["OR10"] and set(first[0]) == TRACKING_KEYS
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first[0]["occurDatetime"])
    assert abs(_ts(first[0]) - api.shipment(tn)["created_at"]) < 1.5  # China time, UTC+8
    assert first[0]["destinationCountry"] == "SG" and first[0]["occurLocation"] == "Shenzhen, CN"
    clock.jump(5 * HOUR)
    assert _codes(api.track(tn)) == ["OR10", "PU10"]
    assert api.order(tn)["consignment_info"]["consignment_status"] == "V"  # type: ignore[index]
    clock.jump(4 * DAY)
    events = api.track(tn)
    assert _codes(events) == DELIVERED
    start = _ts(events[0])
    assert [round((_ts(e) - start) / HOUR) for e in events] == [0, 4, 8, 10, 14, 18, 20, 26, 30, 42, 46, 54, 60, 78,
                                                                84]  # fmt: skip
    raw = api.ok("tr.order.tracking.get", {"deliveryOrderNo": tn})
    assert raw["deliveryOrderNo"] == tn
    assert raw["trackingList"][0]["businessLinkCode"] == "LM40"  # newest first, as 4PX integrations read it
    assert events[-1]["occurLocation"] == "Singapore, SG" and events[-1]["trackingContent"] == "Delivered"
    latest_cn = api.ok("tr.order.tracking.get", {"deliveryOrderNo": tn}, language="cn")["trackingList"][0]
    assert latest_cn["trackingContent"] == "已签收"
    info = api.order(tn)["consignment_info"]  # type: ignore[index]
    assert info["consignment_status"] == "F" and info["4px_outbound_date"] > info["4px_inbound_date"]
    shipment = api.shipment(tn)
    assert shipment["status"] == "delivered" and shipment["last_code"] == "LM40"


def test_the_last_mile_number_appears_after_processing(api: Api, clock: Clock) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    assert api.order(tn)["consignment_info"]["logistics_channel_no"] == ""  # type: ignore[index]
    clock.jump(9 * HOUR)  # SC10 done, SC40 not yet
    assert api.order(tn)["consignment_info"]["logistics_channel_no"] == ""  # type: ignore[index]
    clock.jump(2 * HOUR)
    channel = api.order(tn)["consignment_info"]["logistics_channel_no"]  # type: ignore[index]
    assert channel.startswith("NVSG4PX") and len(channel) == 17
    by_channel = api.ok("tr.order.tracking.get", {"deliveryOrderNo": channel})
    assert by_channel["deliveryOrderNo"] == channel
    assert by_channel["trackingList"] == api.ok("tr.order.tracking.get", {"deliveryOrderNo": tn})["trackingList"]
    assert channel in by_channel["trackingList"][0]["trackingContent"]  # SC40: carrier and number assigned
    api.control("POST", "config", {"channel_no_on_create": True})
    try:
        early = api.create_ok(cc="th")
        assert early["logistics_channel_no"].startswith("TH0") and early["logistics_channel_name"] == "Flash Express"
    finally:
        api.control("POST", "config", {"channel_no_on_create": False})


AFTER_DC = DELIVERED[:13]
SEQUENCES: dict[str, list[str]] = {
    "delivered": DELIVERED,
    "attempt_fail": [*AFTER_DC, "LM25", "LM50", "LM25", "LM40"],
    "rts": [*AFTER_DC, "LM25", "LM50", "LM25", "LM75", "LM90"],
    "lost": [*DELIVERED[:9], "LM85"],
    "measurement": DELIVERED,
    "pickup_fail": ["OR10", "PU30", *DELIVERED[1:]],
    "export_fail": [*DELIVERED[:5], "EC30"],
    "import_fail": [*DELIVERED[:11], "IC70"],
    "collection_point": [*AFTER_DC, "LM30", "LM40"],
}
FINAL = {
    "delivered": ("delivered", "F"),
    "attempt_fail": ("delivered", "F"),
    "rts": ("returned", "R"),
    "lost": ("lost", "C"),
    "measurement": ("delivered", "F"),
    "pickup_fail": ("delivered", "F"),
    "export_fail": ("export_failed", "H"),
    "import_fail": ("import_failed", "C"),
    "collection_point": ("delivered", "F"),
}


@pytest.mark.parametrize("scenario", sorted(SEQUENCES))
def test_scenario_sequences(api: Api, clock: Clock, scenario: str) -> None:
    ref_no = ref(scenario[:2].upper())
    # set before the order exists (by client reference): applied at creation
    pending = api.control("POST", "scenario", {"reference": ref_no, "scenario": scenario})
    assert pending["pending"] is True
    created = api.create_ok(ref_no=ref_no)
    tn = created["4px_tracking_no"]
    clock.jump(12 * DAY)
    events = api.track(tn)
    assert _codes(events) == SEQUENCES[scenario]
    times = [_ts(e) for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    shipment = api.shipment(tn)
    assert shipment["scenario"] == scenario
    assert (shipment["status"], shipment["consignment_status"]) == FINAL[scenario]
    by_code = {e["businessLinkCode"]: e for e in events}
    if scenario == "measurement":
        assert shipment["measured"]["weight_g"] == 1730  # 1120 x 1.5 + 50
        assert shipment["adjusted_charge"]["amount"] > shipment["charge"]["amount"]
        assert "1.730 kg" in by_code["SC10"]["trackingContent"]
        confirm = api.order(tn)["parcel_confirm_info"]  # type: ignore[index]
        assert confirm["confirm_parcel_weight"] == 1730
        fee = api.ok("ds.xms.estimated_cost.get", {"request_no": tn})[0]
        assert fee["charge_weight"] == "1730" and fee["lump_sum_fee"] == f"{shipment['adjusted_charge']['amount']:.2f}"
    else:
        assert shipment["measured"] is None
    if scenario == "pickup_fail":
        assert round((_ts(by_code["PU10"]) - _ts(events[0])) / HOUR) == 28  # picked up a day later
    if scenario == "rts":
        assert by_code["LM90"]["occurLocation"] == "Shenzhen, CN"


def test_a_failed_pickup_is_still_cancellable(api: Api, clock: Clock) -> None:
    ref_no = ref("PF")
    api.control("POST", "scenario", {"reference": ref_no, "scenario": "pickup_fail"})
    tn = api.create_ok(ref_no=ref_no)["4px_tracking_no"]
    clock.jump(5 * HOUR)
    assert _codes(api.track(tn)) == ["OR10", "PU30"]
    assert api.cancel(tn).ok
    assert _codes(api.track(tn)) == ["OR10", "PU30", "OR30"]


def test_scenario_change_replans_only_the_future(api: Api, clock: Clock) -> None:
    tn = api.create_ok()["4px_tracking_no"]
    clock.jump(43 * HOUR)  # arrived in the destination country
    before = api.track(tn)
    assert _codes(before) == DELIVERED[:10]
    out = api.control("POST", "scenario", {"tracking_number": tn, "scenario": "rts"})
    assert out["pending"] is False and out["parcels"][0]["scenario"] == "rts"
    clock.jump(12 * DAY)
    events = api.track(tn)
    assert events[:10] == before
    assert _codes(events) == SEQUENCES["rts"]
    api.control("POST", "scenario", {"tracking_number": tn, "scenario": "delivered"}, expect=409)
    api.control("POST", "scenario", {"tracking_number": tn, "scenario": "teleported"}, expect=400)
    api.control("POST", "scenario", {"scenario": "lost"}, expect=400)


def test_scenario_mix_is_deterministic_per_number(api: Api) -> None:
    try:
        api.control("POST", "config", {"scenario_mix": {"lost": 1.0}})
        assert api.shipment(api.create_ok()["4px_tracking_no"])["scenario"] == "lost"
        api.control("POST", "config", {"scenario_mix": {"delivered": 0.5, "attempt_fail": 0.5}})
        scenarios = [api.shipment(api.create_ok()["4px_tracking_no"])["scenario"] for _ in range(16)]
        assert set(scenarios) == {"delivered", "attempt_fail"}
        api.control("POST", "config", {"scenario_mix": {"nonsense": 1.0}}, expect=400)
    finally:
        api.control("POST", "config", {"scenario_mix": {}})
    assert api.shipment(api.create_ok()["4px_tracking_no"])["scenario"] == "delivered"


def test_timings_are_configurable(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"timings": {"pickup_after_s": 60}})
    try:
        tn = api.create_ok()["4px_tracking_no"]
        assert len(api.track(tn)) == 1
        clock.jump(61)
        assert _codes(api.track(tn)) == ["OR10", "PU10"]
    finally:
        api.control("POST", "config", {"timings": {"pickup_after_s": 4 * HOUR}})
    assert api.control("GET", "config")["pickup_after_s"] == 4 * HOUR
    api.control("POST", "config", {"timings": {"warp_s": 1}}, expect=400)


def test_a_big_jump_replays_steps_in_time_order(api: Api, clock: Clock) -> None:
    first = api.create_ok()["4px_tracking_no"]
    clock.jump(3 * HOUR)
    second = api.create_ok(cc="my", recipient_info={"city": "Kuala Lumpur"})["4px_tracking_no"]
    clock.jump(5 * DAY)
    api.control("POST", "tick")
    events = [
        (e["seq"], e["at"], tn)
        for tn in (first, second)
        for e in api.control("GET", f"parcels/{tn}")["events"]
        if e["done"]
    ]
    events.sort()
    assert [at for _, at, _ in events] == sorted(at for _, at, _ in events)  # materialised in event-time order
    assert [tn for _, _, tn in events][:4] == [first, second, first, second]
    assert api.shipment(second)["status"] == "delivered"


def test_tracking_access(api: Api) -> None:
    created = api.create_ok()
    tn, ref_no = created["4px_tracking_no"], created["ref_no"]
    assert api.call("tr.order.tracking.get", {"deliveryOrderNo": "4PX3999999999999CN"}).codes == ["TR000001"]
    assert api.call("tr.order.tracking.get", {"deliveryOrderNo": ref_no}).codes == ["TR000001"]  # not by ref_no
    assert api.call("tr.order.tracking.get", {}).fields == ["deliveryOrderNo"]
    assert api.ok("tr.order.tracking.get", {"deliveryOrderNo": tn}, cc="ph")["trackingList"]  # public tracking
    api.control("POST", "config", {"tracking_newest_first": False})
    try:
        tn2 = api.create_ok()["4px_tracking_no"]
        assert api.cancel(tn2).ok
        listed = api.ok("tr.order.tracking.get", {"deliveryOrderNo": tn2})["trackingList"]
        assert _codes(listed) == ["OR10", "OR30"]
    finally:
        api.control("POST", "config", {"tracking_newest_first": True})
    api.control("POST", "accounts/fpx-demo-sg", {"tracking_allowed": False})
    try:
        assert api.call("tr.order.tracking.get", {"deliveryOrderNo": tn}).codes == ["DS000004"]
    finally:
        api.control("POST", "accounts/fpx-demo-sg", {"tracking_allowed": True})


def test_every_destination_works(api: Api) -> None:
    for cc in ("sg", "my", "th", "id", "vn", "ph"):
        assert api.create(order_body(cc=cc), cc=cc).ok
        assert api.create(order_body(cc=cc), cc="sea").ok  # the all-destination account
