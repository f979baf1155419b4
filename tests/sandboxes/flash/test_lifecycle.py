"""The parcel lifecycle on the shared clock: routes appear as time passes, each scenario's sequence, re-planning,
the scenario mix, configurable timings and the batch routes call."""

from __future__ import annotations

import pytest

from .helpers import Api, Clock, ref

HOUR = 3600
DAY = 86400
DELIVERED = [
    ("RECEIVED", 1),
    ("RECEIVE_WAREHOUSE_SCAN", 2),
    ("SHIPMENT_WAREHOUSE_SCAN", 2),
    ("ARRIVAL_WAREHOUSE_SCAN", 2),
    ("DELIVERY_TICKET_CREATION_SCAN", 3),
    ("DELIVERY_CONFIRM", 5),
]


def _oldest_first(api: Api, pno: str) -> list[dict[str, object]]:
    return sorted(api.routes(pno)["routes"], key=lambda r: int(r["routedAt"]))


def test_routes_appear_as_the_clock_advances(api: Api, clock: Clock) -> None:
    pno = api.create_ok()["pno"]
    first = api.routes(pno)
    created = first["stateChangeAt"]
    assert first == {"pno": pno, "state": 0, "stateText": "Pending pickup", "stateChangeAt": created, "routes": []}
    assert abs(created - clock.now()) < 5
    clock.jump(5 * HOUR)
    data = api.routes(pno)
    assert data["state"] == 1 and data["stateText"] == "Picked up"
    assert data["routes"] == [
        {"routedAt": data["routes"][0]["routedAt"], "routeAction": "RECEIVED", "message": data["routes"][0]["message"],
         "state": 1}
    ]  # fmt: skip
    clock.jump(2 * DAY)
    data = api.routes(pno)
    assert [r["routedAt"] for r in data["routes"]] == sorted((r["routedAt"] for r in data["routes"]), reverse=True)
    routes = _oldest_first(api, pno)
    assert [(r["routeAction"], r["state"]) for r in routes] == DELIVERED
    offsets = [round((int(r["routedAt"]) - created) / HOUR) for r in routes]  # type: ignore[call-overload]
    assert offsets == [4, 8, 16, 24, 36, 40]  # each step at its own time, despite one big jump
    assert data["state"] == 5 and data["stateText"] == "Signed" and data["stateChangeAt"] == routes[-1]["routedAt"]
    assert "Somchai Jaidee" in str(routes[-1]["message"])
    shipment = api.shipment(pno)
    assert shipment["status"] == "Signed" and shipment["last_route_action"] == "DELIVERY_CONFIRM"


SEQUENCES: dict[str, list[tuple[str, int]]] = {
    "delivered": DELIVERED,
    "attempt_fail": [
        *DELIVERED[:5],
        ("DIFFICULTY_HANDOVER", 6),
        ("DELIVERY_TICKET_CREATION_SCAN", 3),
        ("DELIVERY_CONFIRM", 5),
    ],
    "rts": [
        *DELIVERED[:5],
        ("DIFFICULTY_HANDOVER", 6),
        ("DELIVERY_TICKET_CREATION_SCAN", 3),
        ("DIFFICULTY_HANDOVER", 6),
        ("SYSTEM_AUTO_RETURN", 2),
        ("SHIPMENT_WAREHOUSE_SCAN", 2),
        ("ARRIVAL_WAREHOUSE_SCAN", 2),
        ("DELIVERY_TICKET_CREATION_SCAN", 3),
        ("DELIVERY_CONFIRM", 7),
    ],
    "lost": [*DELIVERED[:3], ("DIFFICULTY_FINISH_INDEMNITY", 8)],
    "measurement": [*DELIVERED[:2], ("CHANGE_PARCEL_INFO", 2), *DELIVERED[2:]],
    "pickup_fail": DELIVERED,
}
FINAL = {"delivered": 5, "attempt_fail": 5, "rts": 7, "lost": 8, "measurement": 5, "pickup_fail": 5}


@pytest.mark.parametrize("scenario", sorted(SEQUENCES))
def test_scenario_sequences(api: Api, clock: Clock, scenario: str) -> None:
    reference = ref(scenario[:2].upper())
    # set before the order exists (by outTradeNo): applied at creation
    pending = api.control("POST", "scenario", {"reference": reference, "scenario": scenario})
    assert pending == {"pending": True, "key": f"ref:{reference}", "scenario": scenario}
    data = api.create_ok(reference=reference)
    pno = data["pno"]
    created = api.routes(pno)["stateChangeAt"]
    clock.jump(8 * DAY)
    routes = _oldest_first(api, pno)
    assert [(r["routeAction"], r["state"]) for r in routes] == SEQUENCES[scenario]
    shipment = api.shipment(pno)
    assert shipment["scenario"] == scenario and shipment["state"] == FINAL[scenario]
    parcel = api.control("GET", f"parcels/{pno}")
    if scenario == "rts":
        returned = [r["routeAction"] for r in parcel["routes"] if r["returned"]]
        assert returned[0] == "SYSTEM_AUTO_RETURN" and len(returned) == 5
        assert shipment["returned_pno"] == pno + "R" and shipment["status"] == "Returned"
        assert api.routes(pno + "R")["pno"] == pno  # the return number finds the same parcel
        assert shipment["adjusted_charge"]["return_fee_satang"] == shipment["charge"]["freight_satang"]
    if scenario == "lost":
        assert shipment["status"] == "Closed"
    if scenario == "measurement":
        assert shipment["measured"]["weight"] == 1200 * 1.5 + 500
        assert shipment["adjusted_charge"]["amount_satang"] > shipment["charge"]["amount_satang"]
    if scenario == "pickup_fail":
        assert round((int(routes[0]["routedAt"]) - created) / HOUR) == 28  # type: ignore[call-overload]
    if scenario == "attempt_fail":
        fail = next(r for r in routes if r["routeAction"] == "DIFFICULTY_HANDOVER")
        assert "attempt 1 failed" in str(fail["message"])


def test_pickup_fail_stays_cancellable_a_day_longer(api: Api, clock: Clock) -> None:
    reference = ref("PF")
    api.control("POST", "scenario", {"reference": reference, "scenario": "pickup_fail"})
    pno = api.create_ok(reference=reference)["pno"]
    clock.jump(10 * HOUR)
    assert api.routes(pno)["routes"] == []
    assert api.cancel(pno)["code"] == 1


def test_scenario_change_replans_only_the_future(api: Api, clock: Clock) -> None:
    pno = api.create_ok()["pno"]
    clock.jump(10 * HOUR)  # at the origin DC
    before = _oldest_first(api, pno)
    assert [r["routeAction"] for r in before] == ["RECEIVED", "RECEIVE_WAREHOUSE_SCAN"]
    out = api.control("POST", "scenario", {"tracking_number": pno, "scenario": "rts"})
    assert out["pending"] is False and out["parcels"][0]["scenario"] == "rts"
    clock.jump(8 * DAY)
    routes = _oldest_first(api, pno)
    assert routes[:2] == before
    assert [(r["routeAction"], r["state"]) for r in routes] == SEQUENCES["rts"]
    api.control("POST", "scenario", {"tracking_number": pno, "scenario": "delivered"}, expect=409)
    api.control("POST", "scenario", {"tracking_number": pno, "scenario": "teleported"}, expect=400)


def test_scenario_mix_is_deterministic_per_pno(api: Api) -> None:
    try:
        api.control("POST", "config", {"scenario_mix": {"lost": 1.0}})
        assert api.shipment(api.create_ok()["pno"])["scenario"] == "lost"
        api.control("POST", "config", {"scenario_mix": {"delivered": 0.5, "attempt_fail": 0.5}})
        scenarios = [api.shipment(api.create_ok()["pno"])["scenario"] for _ in range(24)]
        assert set(scenarios) == {"delivered", "attempt_fail"}
        api.control("POST", "config", {"scenario_mix": {"nonsense": 1.0}}, expect=400)
    finally:
        api.control("POST", "config", {"scenario_mix": {}})
    assert api.shipment(api.create_ok()["pno"])["scenario"] == "delivered"


def test_timings_are_configurable(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"timings": {"pickup_after_s": 60}})
    try:
        pno = api.create_ok()["pno"]
        assert api.actions(pno) == []
        clock.jump(61)
        assert api.actions(pno) == ["RECEIVED"]
    finally:
        api.control("POST", "config", {"timings": {"pickup_after_s": 4 * HOUR}})
    assert api.control("GET", "config")["pickup_after_s"] == 4 * HOUR
    api.control("POST", "config", {"timings": {"nonsense_s": 1}}, expect=400)


def test_routes_batch(api: Api, clock: Clock) -> None:
    a = api.create_ok()["pno"]
    b = api.create_ok()["pno"]
    other = api.create_ok(mch="FLDEMO02")["pno"]
    clock.jump(5 * HOUR)
    data = api.ok("/open/v1/orders/routesBatch", {"pnos": f"{a},{b},TH00999999X,{other},{a}"})
    assert [d["pno"] for d in data] == [a, b]  # unknown and other merchants' numbers are left out
    assert [len(d["routes"]) for d in data] == [1, 1] and data[0]["state"] == 1
    body = api.error("/open/v1/orders/routesBatch", {"pnos": ",".join([a] * 50)})
    assert body["code"] == 1000 and "pnos" in body["message"]
    assert api.error("/open/v1/orders/routesBatch", {})["code"] == 1000


def test_a_big_jump_replays_steps_in_time_order(api: Api, clock: Clock) -> None:
    first = api.create_ok()["pno"]
    clock.jump(2 * HOUR)
    second = api.create_ok()["pno"]
    clock.jump(3 * DAY)
    api.control("POST", "tick")
    messages = [
        m for m in api.control("GET", "webhooks")["messages"] if m["pno"] in (first, second) and m["type"] == "routes"
    ]
    assert len(messages) == 12
    times = [m["event_at"] for m in messages]
    assert times == sorted(times)  # emitted in route-time order across both parcels
    assert [m["pno"] for m in messages][:3] == [first, second, first]
