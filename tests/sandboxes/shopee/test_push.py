"""Pushes: signature, body shapes, the 2xx-empty-body ack, retries on the shared clock, lost messages, faults."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import PARTNER_ID, PARTNER_KEY, Api, Clock, PushReceiver, hmac_hex, same_shape, sample, wait_until

LOST = "/api/v2/push/get_lost_push_message"
CONFIRM = "/api/v2/push/confirm_consumed_lost_push_message"


class Switch:
    """Receiver policy: fail (HTTP 500) while ``failing``, else 204 with an empty body."""

    def __init__(self) -> None:
        self.failing = False

    def __call__(self, n: int) -> tuple[int, bytes, float]:
        return (500, b"", 0.0) if self.failing else (204, b"", 0.0)


@pytest.fixture
def switch() -> Switch:
    return Switch()


@pytest.fixture
def receiver(api: Api, switch: Switch) -> Iterator[PushReceiver]:
    rx = PushReceiver(policy=switch)
    api.control("POST", "push-config", {"url": rx.url})
    yield rx
    api.control("POST", "push-config", {"url": None})
    rx.close()


@pytest.fixture(scope="module")
def shop(env: Any) -> int:
    api: Api = env.api
    shop_id = api.new_shop("MY", name="Push test shop")
    api.authorize(shop_id)
    return shop_id


def _messages(api: Api, code: int | None = None, shop_id: int | None = None) -> list[dict[str, Any]]:
    msgs = api.control("GET", "pushes")["messages"]
    return [m for m in msgs if (code is None or m["code"] == code) and (shop_id is None or m["shop_id"] == shop_id)]


def _message(api: Api, message_id: int) -> dict[str, Any]:
    return next(m for m in api.control("GET", "pushes")["messages"] if m["message_id"] == message_id)


def _one_push(api: Api, shop_id: int, faults: dict[str, Any] | None = None) -> tuple[str, int]:
    """Trigger exactly one push (code 47, package_info_push) and return (order_sn, message_id)."""
    [sn] = api.new_orders(shop_id, 1)
    before = {m["message_id"] for m in _messages(api)}
    if faults:
        api.control("POST", "faults", faults)
    api.action(sn, "change-sla", {"delta_s": -3600})
    new = [m for m in _messages(api, 47) if m["message_id"] not in before and m["duplicate_of"] is None]
    assert len(new) == 1
    return sn, new[0]["message_id"]


def test_signature_and_shapes(api: Api, clock: Clock, receiver: PushReceiver) -> None:
    shop_id = api.new_shop("SG")
    api.authorize(shop_id)  # push 1
    bodies = receiver.wait_for(lambda b: any(x["code"] == 1 for x in b))
    auth_push = next(x for x in bodies if x["code"] == 1)
    same_shape(sample("push/shop_authorization_push.code1.json"), auth_push)
    assert auth_push["partner_id"] == PARTNER_ID and "shop_id" not in auth_push
    assert auth_push["data"]["shop_id"] == shop_id

    [sn] = api.new_orders(shop_id, 1, channel_id=18099)
    api.post("/api/v2/logistics/ship_order", {"order_sn": sn, "dropoff": {}}, grant=api.authorize(shop_id))
    clock.jump(61)
    api.control("POST", "tick")
    bodies = receiver.wait_for(
        lambda b: (
            any(x["code"] == 4 and x["data"]["ordersn"] == sn for x in b)
            and any(x["code"] == 3 and x["data"]["status"] == "PROCESSED" for x in b)
        )
    )
    mine = [x for x in bodies if x.get("shop_id") == shop_id]
    by_code: dict[int, dict[str, Any]] = {}
    for x in mine:
        by_code.setdefault(x["code"], x)
    same_shape(sample("push/order_status_push.code3.json"), by_code[3])
    same_shape(sample("push/order_trackingno_push.code4.json"), by_code[4])
    assert by_code[30]["data"]["fulfillment_status"] == "LOGISTICS_REQUEST_CREATED"
    assert list(by_code[3]) == ["data", "shop_id", "code", "timestamp"]

    # Authorization = hex HMAC-SHA256(partner key, configured URL (with its query string) + "|" + raw body)
    for req in receiver.received:
        assert req.path == "/webhooks/shopee?tenant=t1"
        assert req.headers["Authorization"] == hmac_hex(PARTNER_KEY, receiver.url.encode() + b"|" + req.body)
        assert req.headers["Content-Type"] == "application/json"
        assert b": " not in req.body  # compact JSON like the published samples


def test_document_push_shape(api: Api, clock: Clock, receiver: PushReceiver, shop: int) -> None:
    grant = api.authorize(shop)
    [sn] = api.new_orders(shop, 1, status="PROCESSED")
    pkg = api.order(sn)["packages"][0]
    api.post(
        "/api/v2/logistics/create_shipping_document",
        {
            "order_list": [
                {"order_sn": sn, "package_number": pkg["package_number"], "tracking_number": pkg["tracking_number"]}
            ]
        },
        grant=grant,
    )
    clock.jump(6)
    api.control("POST", "tick")
    bodies = receiver.wait_for(lambda b: any(x["code"] == 15 and x["data"]["ordersn"] == sn for x in b))
    doc = next(x for x in bodies if x["code"] == 15)
    same_shape(sample("push/shipping_document_status_push.code15.json"), doc)
    assert doc["data"]["status"] == "READY"


def test_retry_schedule_follows_the_clock(
    api: Api, clock: Clock, receiver: PushReceiver, switch: Switch, shop: int
) -> None:
    switch.failing = True
    _sn, mid = _one_push(api, shop)
    wait_until(lambda: len(_message(api, mid)["attempts"]) == 1)
    first = _message(api, mid)
    assert first["state"] == "pending" and first["attempts"][0]["http_status"] == 500
    assert first["next_attempt_at"] == pytest.approx(first["attempts"][0]["at"] + 300, abs=0.01)
    time.sleep(0.3)
    clock.jump(290)
    time.sleep(0.3)
    assert len(_message(api, mid)["attempts"]) == 1, "retried before +300 s"
    clock.jump(15)
    wait_until(lambda: len(_message(api, mid)["attempts"]) == 2)
    clock.jump(1790)
    time.sleep(0.3)
    assert len(_message(api, mid)["attempts"]) == 2, "second retry before +1800 s"
    switch.failing = False
    clock.jump(15)
    wait_until(lambda: _message(api, mid)["state"] == "acked")
    msg = _message(api, mid)
    gaps = [b["at"] - a["at"] for a, b in zip(msg["attempts"], msg["attempts"][1:], strict=False)]
    assert len(msg["attempts"]) == 3 and gaps[0] >= 300 and gaps[1] >= 1800
    assert [a["ok"] for a in msg["attempts"]] == [False, False, True]
    assert msg["body"] not in [r["data"] for r in api.get(LOST)["response"]["push_message_list"]]


def test_exhausted_retries_become_lost_messages(
    api: Api, clock: Clock, receiver: PushReceiver, switch: Switch, shop: int
) -> None:
    switch.failing = True
    sn, mid = _one_push(api, shop)
    wait_until(lambda: len(_message(api, mid)["attempts"]) == 1)
    for attempts, step in ((2, 301), (3, 1801), (4, 10801)):
        clock.jump(step)
        wait_until(lambda: len(_message(api, mid)["attempts"]) == attempts)  # noqa: B023 - waited on at once
    msg = _message(api, mid)
    assert msg["state"] == "lost" and msg["lost_reason"] == "retries_exhausted" and len(msg["attempts"]) == 4
    out = api.get(LOST)
    same_shape(sample("get_lost_push_message.response.json"), out)
    rows = out["response"]["push_message_list"]
    row = next(r for r in rows if json.loads(r["data"])["data"].get("order_sn") == sn)
    assert isinstance(row["data"], str) and row["data"] == msg["body"]  # the whole push body, as a string
    assert row["shop_id"] == shop and row["code"] == 47
    last = out["response"]["last_message_id"]
    assert last >= mid and out["response"]["has_next_page"] is False
    confirmed = api.post(CONFIRM, {"last_message_id": last})
    assert confirmed["error"] == "" and "response" not in confirmed
    assert api.get(LOST)["response"]["push_message_list"] == []
    assert api.post(CONFIRM, {})["error"] == "error_param"
    switch.failing = False


def test_ack_needs_2xx_and_an_empty_body(api: Api, shop: int) -> None:
    replies = {"n": 0}

    def policy(n: int) -> tuple[int, bytes, float]:
        replies["n"] += 1
        return (200, b'{"ok":true}', 0.0)

    rx = PushReceiver(policy=policy)
    api.control("POST", "push-config", {"url": rx.url})
    try:
        _sn, mid = _one_push(api, shop)
        wait_until(lambda: _message(api, mid)["attempts"])
        attempt = _message(api, mid)["attempts"][0]
        assert attempt["ok"] is False and "non-empty body" in attempt["error"]
    finally:
        api.control("POST", "push-config", {"url": None})
        rx.close()


def test_slow_receiver_counts_as_failure(api: Api, shop: int) -> None:
    api.control("POST", "config", {"push_timeout_s": 0.3})
    rx = PushReceiver(policy=lambda n: (204, b"", 0.6))
    api.control("POST", "push-config", {"url": rx.url})
    try:
        _sn, mid = _one_push(api, shop)
        wait_until(lambda: _message(api, mid)["attempts"])
        assert _message(api, mid)["attempts"][0]["ok"] is False
    finally:
        api.control("POST", "config", {"push_timeout_s": 3.0})
        api.control("POST", "push-config", {"url": None})
        rx.close()


def test_lost_fault(api: Api, receiver: PushReceiver, shop: int) -> None:
    sn, mid = _one_push(api, shop, {"push_lost_next": 1})
    msg = _message(api, mid)
    assert msg["state"] == "lost" and msg["lost_reason"] == "fault" and msg["attempts"] == []
    rows = api.get(LOST)["response"]["push_message_list"]
    assert any(json.loads(r["data"])["data"]["order_sn"] == sn for r in rows)
    time.sleep(0.2)
    assert not any(b["data"].get("order_sn") == sn for b in receiver.bodies())


def test_duplicate_fault(api: Api, receiver: PushReceiver, shop: int) -> None:
    sn, mid = _one_push(api, shop, {"push_duplicate_next": 1})
    assert [m["duplicate_of"] for m in _messages(api, 47, shop) if mid in (m["message_id"], m["duplicate_of"])] == [
        None,
        mid,
    ]
    bodies = receiver.wait_for(lambda b: sum(1 for x in b if x["data"].get("order_sn") == sn) == 2)
    twins = [x for x in bodies if x["data"].get("order_sn") == sn]
    assert twins[0] == twins[1]
    assert api.control("GET", "ledger?include=pushes")["pushes"]["duplicates"] >= 1


def test_out_of_order_fault(api: Api, receiver: PushReceiver, shop: int) -> None:
    first, _ = _one_push(api, shop, {"push_out_of_order_next": 1, "push_hold_s": 0.5})
    second, _ = _one_push(api, shop)
    bodies = receiver.wait_for(lambda b: {first, second} <= {x["data"].get("order_sn") for x in b})
    order = [x["data"]["order_sn"] for x in bodies if x["data"].get("order_sn") in (first, second)]
    assert order == [second, first]


def test_only_authorized_shops_and_subscribed_codes_get_pushes(api: Api, receiver: PushReceiver) -> None:
    shop_id = api.new_shop("PH")
    [sn] = api.new_orders(shop_id, 1)
    api.action(sn, "change-sla", {"delta_s": 60})
    assert _messages(api, shop_id=shop_id) == []  # not authorized: nothing
    api.authorize(shop_id)
    off = api.post("/api/v2/push/set_app_push_config", {"set_push_config_off": [47]})
    assert off["response"] == {"result": "success"}
    api.action(sn, "change-sla", {"delta_s": 60})
    assert _messages(api, 47, shop_id) == []
    api.post("/api/v2/push/set_app_push_config", {"set_push_config_on": [47]})
    api.action(sn, "change-sla", {"delta_s": 60})
    assert len(_messages(api, 47, shop_id)) == 1
    cfg = api.get("/api/v2/push/get_app_push_config")["response"]
    assert cfg["callback_url"] == receiver.url and 47 in cfg["push_config_on_list"]


def test_ledger_counts_pushes(api: Api) -> None:
    summary = api.control("GET", "ledger?include=pushes")["pushes"]
    assert summary["sent"] >= summary["acknowledged"] > 0
    assert summary["lost"] >= 2
