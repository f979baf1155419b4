"""The order / package state machine on the shared clock, the seed, and the ledger snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.sandboxes.shopee.server import ShopeeSandbox

from .helpers import PARTNER_ID, PARTNER_KEY, Api, Clock

DETAIL = "/api/v2/order/get_order_detail"


def _status(api: Api, sn: str) -> str:
    return str(api.order(sn)["order"]["status"])


def test_unpaid_order_is_paid_later_on_the_clock(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("TH")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, status="UNPAID", pay_after_s=1800)
    detail = api.get(DETAIL, {"order_sn_list": sn, "response_optional_fields": "pay_time,package_list"}, grant=grant)[
        "response"
    ]["order_list"][0]
    assert detail["order_status"] == "UNPAID" and detail["pay_time"] is None and detail["ship_by_date"] == 0
    assert detail["package_list"][0]["logistics_status"] == "LOGISTICS_NOT_START"
    clock.jump(1700)
    assert _status(api, sn) == "UNPAID"
    clock.jump(200)
    detail = api.get(DETAIL, {"order_sn_list": sn, "response_optional_fields": "pay_time,package_list"}, grant=grant)[
        "response"
    ]["order_list"][0]
    assert detail["order_status"] == "READY_TO_SHIP"
    assert detail["ship_by_date"] == detail["pay_time"] + detail["days_to_ship"] * 86400
    assert detail["package_list"][0]["logistics_status"] == "LOGISTICS_READY"


def test_full_journey_on_the_clock(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("VN")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, channel_id=50021)
    assert api.post("/api/v2/logistics/ship_order", {"order_sn": sn, "dropoff": {}}, grant=grant)["error"] == ""
    steps = [(61, "PROCESSED"), (86400, "SHIPPED"), (3 * 86400, "TO_CONFIRM_RECEIVE"), (3 * 86400, "COMPLETED")]
    for seconds, status in steps:
        clock.jump(seconds)
        assert _status(api, sn) == status
    grant = api.authorize(shop_id)  # the first access token died hours ago
    info = api.get("/api/v2/logistics/get_tracking_info", {"order_sn": sn}, grant=grant)["response"]
    assert info["logistics_status"] == "LOGISTICS_DELIVERY_DONE"
    assert [e["logistics_status"] for e in info["tracking_info"]] == [
        "ORDER_CREATED",
        "PICKUP_PENDING",
        "PICKED_UP",
        "DELIVERED",
    ]
    detail = api.get(DETAIL, {"order_sn_list": sn, "response_optional_fields": "pickup_done_time"}, grant=grant)[
        "response"
    ]["order_list"][0]
    assert detail["pickup_done_time"] > 0
    statuses = [m for m in api.control("GET", "pushes")["messages"] if m["shop_id"] == shop_id and m["code"] == 3]
    assert [json.loads(m["body"])["data"]["status"] for m in statuses] == [
        "READY_TO_SHIP",
        "PROCESSED",
        "SHIPPED",
        "TO_CONFIRM_RECEIVE",
        "COMPLETED",
    ]
    completed = json.loads(statuses[-1]["body"])
    assert completed["data"]["completed_scenario"] == "NORMAL"


def test_late_orders_are_cancelled_by_the_system(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("MY")
    [sn] = api.new_orders(shop_id, 1, days_to_ship=1)
    clock.jump(86400 + 3 * 86400 + 60)
    snap = api.order(sn)
    assert snap["order"]["status"] == "CANCELLED" and snap["order"]["cancel_by"] == "system"
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_INVALID"


def test_shopee_fulfilled_orders_ship_themselves(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("SG")
    [sn] = api.new_orders(shop_id, 1, fulfilled_by_shopee=True)
    clock.jump(3600 + 61)
    assert _status(api, sn) == "PROCESSED"


def test_authorization_expiry_pushes(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("PH")
    api.control("POST", "auth-mode", {"period_days": 10})
    try:
        api.authorize(shop_id)
    finally:
        api.control("POST", "auth-mode", {"period_days": 365})
    clock.jump(3 * 86400 + 60)
    warnings = [m for m in api.control("GET", "pushes")["messages"] if m["code"] == 12]
    bodies = [json.loads(m["body"]) for m in warnings]
    assert any(shop_id in b["data"]["shop_expire_soon"] for b in bodies)
    assert all(list(b) == ["code", "timestamp", "data"] for b in bodies)
    clock.jump(7 * 86400)
    shop = next(s for s in api.control("GET", "shops")["shops"] if s["shop_id"] == shop_id)
    assert shop["authorized"] is False


def test_ledger_snapshot_and_calls(api: Api) -> None:
    shop_id = api.new_shop("TW")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, items=2, split=2)
    api.get(DETAIL, {"order_sn_list": sn}, grant=grant)
    ledger = api.control("GET", f"ledger?shop_id={shop_id}")
    assert [c["path"] for c in ledger["calls"]] == [DETAIL]
    call = ledger["calls"][0]
    assert call["outcome"] == "ok" and call["shop_id"] == shop_id and call["http_status"] == 200
    assert {o["order_sn"] for o in ledger["orders"]} == {sn}
    assert len([p for p in ledger["packages"] if p["order_sn"] == sn]) == 2
    assert set(ledger) >= {
        "calls",
        "refresh_calls",
        "ship_order_calls",
        "pushes",
        "push_messages",
        "orders",
        "packages",
    }


def _world_signature(sandbox: ShopeeSandbox) -> list[Any]:
    with sandbox.state.lock:
        orders = sorted(sandbox.state.world.orders.values(), key=lambda o: (o.shop_id, o.create_time, o.order_sn))
        return [
            (o.shop_id, o.order_sn[6:], o.status, [i.item_name for i in o.items], o.recipient.name, len(o.packages))
            for o in orders
        ]


def test_seed_is_deterministic(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    first = ShopeeSandbox(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, clock_file=clock.path).start()
    second = ShopeeSandbox(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, clock_file=clock.path).start()
    try:
        assert _world_signature(first) == _world_signature(second)
        assert len(_world_signature(first)) > 100
    finally:
        first.stop()
        second.stop()
    empty = ShopeeSandbox(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, seed="none").start()
    try:
        assert empty.ready_info()["shops"] == []
    finally:
        empty.stop()


def test_state_dir_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    state_dir = tmp_path / "state"
    sandbox = ShopeeSandbox(
        partner_id=PARTNER_ID, partner_key=PARTNER_KEY, clock_file=clock.path, seed="none", state_dir=state_dir
    ).start()
    api = Api(sandbox.base_url, clock)
    try:
        shop_id = api.new_shop("SG")
        grant = api.authorize(shop_id)
        [sn] = api.new_orders(shop_id, 1)
    finally:
        api.close()
        sandbox.stop()
    again = ShopeeSandbox(
        partner_id=PARTNER_ID, partner_key=PARTNER_KEY, clock_file=clock.path, seed="none", state_dir=state_dir
    ).start()
    api = Api(again.base_url, clock)
    try:
        out = api.get(DETAIL, {"order_sn_list": sn}, grant=grant)
        assert out["error"] == "" and out["response"]["order_list"][0]["order_sn"] == sn
    finally:
        api.close()
        again.stop()


def test_reset(api: Api) -> None:
    out = api.control("POST", "reset", {"seed": "demo"})
    assert len(out["shops"]) == 7
    assert api.control("GET", "health")["orders"] > 100
