"""The parcel lifecycle on the shared clock: events appear as time passes, each scenario's sequence, re-planning,
the scenario mix, time zones and the bulk tracking call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from .helpers import Api, Clock, order_body, rtn

HOUR = 3600
DELIVERED = [
    "Pending Pickup",
    "Picked Up, In Transit To Origin Hub",
    "Arrived at Origin Hub",
    "In Transit to Next Sorting Hub",
    "Arrived at Destination Hub",
    "On Vehicle for Delivery",
    "Delivered, Received by Customer",
]
EVENT_KEYS = {"status", "event", "timestamp", "is_parcel_on_rts_leg", "comments"}


def _ts(event: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(event["timestamp"]).timestamp()


def test_events_appear_as_the_clock_advances(api: Api, clock: Clock) -> None:
    tn = api.create_ok()["tracking_number"]
    first = api.events(tn)
    assert [e["event"] for e in first] == ["Pending Pickup"]
    assert set(first[0]) == EVENT_KEYS and first[0]["is_parcel_on_rts_leg"] is False
    clock.jump(5 * HOUR)
    events = api.events(tn)
    assert [e["event"] for e in events] == DELIVERED[:2]
    assert [e["status"] for e in events] == ["Pending Pickup", "Picked Up"]
    assert events[1]["picked_up_information"]["proof"]["signed_by"]["name"] == "Merlion Gadgets"
    clock.jump(2 * 86400)
    events = api.events(tn)
    assert [e["event"] for e in events] == DELIVERED
    assert [e["status"] for e in events][-1] == "Delivered"
    start = _ts(events[0])
    offsets = [round((_ts(e) - start) / HOUR) for e in events]
    assert offsets == [0, 4, 8, 16, 24, 36, 40]  # each step at its own time, despite one big jump
    hub = events[2]["arrived_at_origin_hub_information"]
    assert set(hub) == {"country", "city", "hub"} and hub["country"] == "SG" and hub["city"] == "Jurong"
    assert events[4]["arrived_at_destination_hub_information"]["city"] == "Orchard"
    assert events[5]["on_vehicle_information"] == {"allow_doorstep_dropoff": False}
    delivery = events[6]["delivery_information"]
    assert delivery["state"] == "Received by Customer" and delivery["left_in_safe_place"] is False
    assert delivery["proof"]["signed_by"]["name"] == "Tan Ah Kow"
    assert api.shipment(tn)["status"] == "Delivered"


SEQUENCES: dict[str, list[tuple[str, bool]]] = {
    "delivered": [(e, False) for e in DELIVERED],
    "attempt_fail": [(e, False) for e in DELIVERED[:6]]
    + [
        ("Delivery Exception, Pending Reschedule", False),
        ("On Vehicle for Delivery", False),
        ("Delivered, Received by Customer", False),
    ],
    "rts": [(e, False) for e in DELIVERED[:6]]
    + [
        ("Delivery Exception, Pending Reschedule", False),
        ("On Vehicle for Delivery", False),
        ("Delivery Exception, Max Attempts Reached", False),
        ("Delivery Exception, Return to Sender Initiated", True),
        ("In Transit to Next Sorting Hub", True),
        ("Arrived at Origin Hub", True),
        ("On Vehicle for Delivery", True),
        ("Delivered, Received by Customer", True),
        ("Returned to Sender", True),
    ],
    "lost": [(e, False) for e in DELIVERED[:4]] + [("Delivery Exception, Parcel Lost", False)],
    "measurement": [(e, False) for e in DELIVERED[:3]]
    + [("Parcel Measurements Update", False)]
    + [(e, False) for e in DELIVERED[3:]],
    "pickup_fail": [("Pending Pickup", False), ("Pickup Exception, Pending Reschedule", False)]
    + [(e, False) for e in DELIVERED[1:]],
}
FINAL_STATUS = {
    "delivered": "Delivered",
    "attempt_fail": "Delivered",
    "rts": "Returned to Sender",
    "lost": "Delivery Exception",
    "measurement": "Delivered",
    "pickup_fail": "Delivered",
}


@pytest.mark.parametrize("scenario", sorted(SEQUENCES))
def test_scenario_sequences(api: Api, clock: Clock, scenario: str) -> None:
    requested = rtn(scenario[:2].upper())
    # set before the order exists (by requested tracking number): applied at creation
    pending = api.control("POST", "scenario", {"requested_tracking_number": requested, "scenario": scenario})
    assert pending["pending"] is True
    tn = api.create_ok(requested=requested)["tracking_number"]
    clock.jump(8 * 86400)
    events = api.events(tn)
    assert [(e["event"], e["is_parcel_on_rts_leg"]) for e in events] == SEQUENCES[scenario]
    assert [_ts(e) for e in events] == sorted(_ts(e) for e in events)
    shipment = api.shipment(tn)
    assert shipment["scenario"] == scenario and shipment["status"] == FINAL_STATUS[scenario]
    by_event = {e["event"]: e for e in events}
    if scenario == "attempt_fail":
        exc = by_event["Delivery Exception, Pending Reschedule"]["delivery_exception"]
        assert exc["state"] == "Pending Reschedule" and exc["failure_reason"] and exc["rescheduled_date"]
        assert exc["is_liable"] is False
    if scenario == "rts":
        initiated = by_event["Delivery Exception, Return to Sender Initiated"]
        assert initiated["rts_reason"] and initiated["status"] == "Delivery Exception"
        assert by_event["Returned to Sender"]["status"] == "Returned to Sender"
        back = [e for e in events if e["event"] == "Delivered, Received by Customer"][-1]
        assert back["is_parcel_on_rts_leg"] is True and back["delivery_information"]["proof"]["signed_by"]["name"] == (
            "Merlion Gadgets"
        )
    if scenario == "lost":
        assert by_event["Delivery Exception, Parcel Lost"]["delivery_exception"]["state"] == "Parcel Lost"
    if scenario == "measurement":
        info = by_event["Parcel Measurements Update"]["parcel_measurements_information"]
        assert info["weight"] > 1.2 and set(info["dimensions"]) >= {"length", "width", "height"}
        assert shipment["measured"]["weight"] == info["weight"]
        assert shipment["adjusted_charge"]["amount"] > shipment["charge"]["amount"]
    if scenario == "pickup_fail":
        exc = by_event["Pickup Exception, Pending Reschedule"]
        assert exc["status"] == "Pickup Exception" and exc["pickup_exception"]["rescheduled_date"]
        picked = by_event["Picked Up, In Transit To Origin Hub"]
        assert round((_ts(picked) - _ts(events[0])) / HOUR) == 28  # the next day


def test_scenario_change_replans_only_the_future(api: Api, clock: Clock) -> None:
    tn = api.create_ok()["tracking_number"]
    clock.jump(10 * HOUR)  # at the origin hub
    before = api.events(tn)
    assert [e["event"] for e in before] == DELIVERED[:3]
    out = api.control("POST", "scenario", {"tracking_number": tn, "scenario": "rts"})
    assert out["pending"] is False and out["parcels"][0]["scenario"] == "rts"
    clock.jump(8 * 86400)
    events = api.events(tn)
    assert events[:3] == before
    assert [(e["event"], e["is_parcel_on_rts_leg"]) for e in events] == SEQUENCES["rts"]
    # a parcel in its final state cannot change scenario
    api.control("POST", "scenario", {"tracking_number": tn, "scenario": "delivered"}, expect=409)
    api.control("POST", "scenario", {"tracking_number": tn, "scenario": "teleported"}, expect=400)


def test_scenario_mix_is_deterministic_per_tracking_number(api: Api) -> None:
    try:
        api.control("POST", "config", {"scenario_mix": {"lost": 1.0}})
        assert api.shipment(api.create_ok()["tracking_number"])["scenario"] == "lost"
        api.control("POST", "config", {"scenario_mix": {"delivered": 0.5, "attempt_fail": 0.5}})
        scenarios = [api.shipment(api.create_ok()["tracking_number"])["scenario"] for _ in range(24)]
        assert set(scenarios) == {"delivered", "attempt_fail"}
        api.control("POST", "config", {"scenario_mix": {"nonsense": 1.0}}, expect=400)
    finally:
        api.control("POST", "config", {"scenario_mix": {}})
    assert api.shipment(api.create_ok()["tracking_number"])["scenario"] == "delivered"


def test_timings_are_configurable(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"timings": {"pickup_after_s": 60}})
    try:
        tn = api.create_ok()["tracking_number"]
        assert len(api.events(tn)) == 1
        clock.jump(61)
        assert [e["status"] for e in api.events(tn)] == ["Pending Pickup", "Picked Up"]
    finally:
        api.control("POST", "config", {"timings": {"pickup_after_s": 4 * HOUR}})
    assert api.control("GET", "config")["pickup_after_s"] == 4 * HOUR


def test_timestamps_carry_the_country_offset(api: Api) -> None:
    for cc, offset in (("th", "+07:00"), ("vn", "+07:00"), ("id", "+07:00"), ("my", "+08:00"), ("ph", "+08:00")):
        data = api.create_ok(cc=cc)
        assert data["created_at"].endswith(offset)
        assert api.events(data["tracking_number"], cc=cc)[0]["timestamp"].endswith(offset)


def test_bulk_tracking(api: Api, clock: Clock) -> None:
    a = api.create_ok()["tracking_number"]
    b = api.create_ok()["tracking_number"]
    clock.jump(5 * HOUR)
    url = "/sg/1.0/orders/tracking-events"
    forms: list[httpx.QueryParams] = [
        httpx.QueryParams([("tracking_number", a), ("tracking_number", b), ("tracking_number", "NVSGKRMNOSUCH0003")]),
        httpx.QueryParams([("tracking_number", f"{a},{b}")]),
    ]
    for params in forms:
        resp = api.http.get(url, params=params, headers=api.auth())
        assert resp.status_code == 200
        data = resp.json()["data"]
        assert [d["tracking_number"] for d in data] == [a, b]
        assert [len(d["events"]) for d in data] == [2, 2]
    assert api.http.get(url, headers=api.auth()).status_code == 400


def test_a_big_jump_replays_steps_in_time_order(api: Api, clock: Clock) -> None:
    first = api.create_ok()["tracking_number"]
    clock.jump(2 * HOUR)
    second = api.create_ok()["tracking_number"]
    clock.jump(3 * 86400)
    api.control("POST", "tick")
    messages = [m for m in api.control("GET", "webhooks")["messages"] if m["tracking_id"] in (first, second)]
    assert len(messages) == 14
    times = [m["event_at"] for m in messages]
    assert times == sorted(times)  # emitted in event-time order across both parcels
    assert [m["tracking_id"] for m in messages][:3] == [first, second, first]


def test_order_body_helper_is_valid_for_every_country(api: Api) -> None:
    for cc in ("sg", "my", "th", "id", "vn", "ph"):
        assert api.create(order_body(cc=cc), cc=cc).status_code == 200
