"""Flash webhooks: form posts signed with the merchant key, the data field, the exact-ack rule with retries on the
shared clock (never given up by default), weight / price / return webhooks, per-type subscriptions, and the drop /
duplicate / out-of-order faults."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import ACK_BODY, DEMO, MCH, Api, Clock, Received, Receiver, flash_sign, ref, wait_until

HOUR = 3600
KEY = DEMO[MCH]
# The field list of Flash's published status-webhook example (samples/flash/webhook_status.data.reconstructed.json)
ROUTE_DATA_FIELDS = {
    "orderId",
    "outTradeNo",
    "pno",
    "origPno",
    "recentPno",
    "state",
    "stateText",
    "returned",
    "returnedPno",
    "customaryPno",
    "currentProvince",
    "updateAt",
    "routedAction",
    "message",
    "markerCategory",
    "staffInfoId",
    "staffInfoPhone",
    "routedAt",
    "eSignature",
}


class Policy:
    """Receiver answers: for requests about ``target`` (and ``code`` if set), the scripted ``responses`` in turn,
    then ``fallback``; everything else gets the ack body."""

    def __init__(self) -> None:
        self.target: str | None = None
        self.code: str | None = None
        self.responses: list[tuple[int, bytes]] = []
        self.fallback: tuple[int, bytes] = (200, ACK_BODY)

    def __call__(self, n: int, form: dict[str, str]) -> tuple[int, bytes]:
        try:
            pno = json.loads(form.get("data", "{}")).get("pno")
        except ValueError:
            pno = None
        if self.target is None or pno != self.target or (self.code and form.get("webhookApiCode") != self.code):
            return 200, ACK_BODY
        return self.responses.pop(0) if self.responses else self.fallback


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def receiver(api: Api, policy: Policy) -> Iterator[Receiver]:
    rx = Receiver(policy=policy)
    api.control("POST", "webhook-config", {"account": MCH, "url": rx.url})
    yield rx
    api.control("POST", "webhook-config", {"url": None})
    api.control("DELETE", "faults")
    api.control("POST", "config", {"webhook_sign_mode": "all", "webhook_max_attempts": 0})
    rx.close()


def _codes(received: list[Received]) -> list[tuple[str, str]]:
    return [(r.form["webhookApiCode"], r.data.get("routedAction", "")) for r in received]


def _message(api: Api, pno: str, api_code: int = 4, event: str = "RECEIVED") -> dict[str, Any]:
    return next(m for m in api.messages(pno) if m["webhook_api_code"] == api_code and m["event"] == event)


def _waiting_after(api: Api, pno: str, attempts: int) -> bool:
    msg = _message(api, pno)
    return bool(msg["attempts"] == attempts and msg["state"] == "pending")


def test_webhooks_are_signed_form_posts(api: Api, clock: Clock, receiver: Receiver) -> None:
    reference = ref("WH")
    pno = api.create_ok(reference=reference)["pno"]
    time.sleep(0.3)
    assert receiver.all(pno) == []  # nothing before the pickup scan
    clock.jump(5 * HOUR)
    got = receiver.wait_for(lambda r: len(r) == 2, pno)
    assert sorted(_codes(got)) == [("0", "RECEIVED"), ("4", "RECEIVED")]
    for r in got:
        assert r.path == "/webhooks/flash"
        assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert list(r.form) == ["mchId", "nonceStr", "webhookApiCode", "data", "sign"]
        assert r.form["mchId"] == MCH and len(r.form["nonceStr"]) <= 32
        assert r.form["sign"] == flash_sign(r.form, KEY)  # every field but sign
        assert r.form["sign"] != flash_sign(r.form, "another-key")
        assert r.form["sign"] != flash_sign({**r.form, "data": r.form["data"].replace(pno, "TH99")}, KEY)
    data = got[0].data
    assert set(data) == ROUTE_DATA_FIELDS
    assert data["pno"] == pno and data["outTradeNo"] == reference and data["recentPno"] == pno
    assert data["state"] == "1" and data["stateText"] == "Picked up" and data["routedAction"] == "RECEIVED"
    assert data["returned"] is False and data["returnedPno"] is None
    assert isinstance(data["routedAt"], str) and int(data["routedAt"]) == pytest.approx(clock.now() - HOUR, abs=60)
    assert "คลองตัน" in data["message"]  # non-ASCII kept in the JSON text (signed as sent)
    clock.jump(2 * 86400)
    got = receiver.wait_for(lambda r: len(r) == 10, pno)  # 6 routes + 4 state changes (2 -> 2 -> 2 is one)
    assert [c for c in _codes(got) if c[0] == "4"] == [
        ("4", a)
        for a in (
            "RECEIVED",
            "RECEIVE_WAREHOUSE_SCAN",
            "SHIPMENT_WAREHOUSE_SCAN",
            "ARRIVAL_WAREHOUSE_SCAN",
            "DELIVERY_TICKET_CREATION_SCAN",
            "DELIVERY_CONFIRM",
        )
    ]
    assert [r.data["state"] for r in got if r.form["webhookApiCode"] == "0"] == ["1", "2", "3", "5"]
    assert got[-1].data["eSignature"]
    wait_until(lambda: len([m for m in api.messages(pno) if m["acknowledged"]]) == 10)
    ledger = [m for m in api.ledger()["webhooks"] if m["pno"] == pno]
    assert len(ledger) == 10 and all(m["attempts"] == 1 and m["last_status"] == 200 for m in ledger)
    assert {m["type"] for m in ledger} == {"status", "routes"}


def test_sign_over_mch_id_and_nonce_only(api: Api, clock: Clock, receiver: Receiver) -> None:
    api.control("POST", "config", {"webhook_sign_mode": "mch_nonce"})
    pno = api.create_ok()["pno"]
    clock.jump(5 * HOUR)
    got = receiver.wait_for(lambda r: len(r) == 2, pno)
    for r in got:
        assert r.form["sign"] == flash_sign(r.form, KEY, only=("mchId", "nonceStr"))
        assert r.form["sign"] != flash_sign(r.form, KEY)
    api.control("POST", "config", {"webhook_sign_mode": "everything"}, expect=400)


def test_only_the_exact_ack_body_acknowledges(api: Api, clock: Clock, receiver: Receiver, policy: Policy) -> None:
    pno = api.create_ok()["pno"]
    policy.target, policy.code = pno, "4"
    policy.responses = [
        (200, b"ok"),
        (200, b'{"errorCode": 1, "state": "success"}'),  # errorCode must be the string "1"
        (500, ACK_BODY),  # the right body with a failing status
        (200, b'{"state":"success","errorCode":"1"}'),  # same object, other spacing and order: an ack
    ]
    clock.jump(5 * HOUR)
    for n, delay in enumerate((60, 300, 1800), start=1):
        wait_until(functools.partial(_waiting_after, api, pno, n))
        msg = _message(api, pno)
        assert msg["acknowledged"] is False and msg["next_attempt_at"] == pytest.approx(clock.now() + delay, abs=5)
        if n == 1:
            assert (
                msg["last_status"] == 200 and "not acknowledged" in msg["last_error"] and msg["last_response"] == "ok"
            )
            time.sleep(0.4)  # no retry before the shared clock says so
            assert len([r for r in receiver.all(pno) if r.form["webhookApiCode"] == "4"]) == 1
        clock.jump(delay)
    wait_until(lambda: _message(api, pno)["acknowledged"])
    assert _message(api, pno)["attempts"] == 4
    bodies = [
        r.body for r in receiver.all(pno) if r.form["webhookApiCode"] == "4" and r.data["routedAction"] == "RECEIVED"
    ]
    assert len(bodies) == 4 and len(set(bodies)) == 1  # a retry re-sends the same signed body


def test_failed_deliveries_are_retried_forever(api: Api, clock: Clock, receiver: Receiver, policy: Policy) -> None:
    api.control("POST", "config", {"timings": {"origin_hub_after_s": 30 * 86400}})  # keep the parcel quiet
    try:
        pno = api.create_ok()["pno"]
    finally:
        api.control("POST", "config", {"timings": {"origin_hub_after_s": 8 * HOUR}})
    policy.target, policy.code, policy.fallback = pno, "4", (503, b"busy")
    clock.jump(5 * HOUR)
    for n, delay in enumerate((60, 300, 1800, 7200, 7200, 7200), start=1):
        wait_until(functools.partial(_waiting_after, api, pno, n))
        assert _message(api, pno)["next_attempt_at"] == pytest.approx(clock.now() + delay, abs=5)
        clock.jump(delay)
    wait_until(lambda: _message(api, pno)["attempts"] == 7 and _message(api, pno)["state"] == "pending")
    assert _message(api, pno)["gave_up"] is False
    api.control("POST", "config", {"webhook_max_attempts": 8})  # a cap, when one is wanted
    clock.jump(7200)
    wait_until(lambda: _message(api, pno)["state"] == "gave_up")
    assert _message(api, pno)["attempts"] == 8


def test_unreachable_receiver_counts_as_a_failed_attempt(api: Api, clock: Clock) -> None:
    api.control("POST", "webhook-config", {"account": MCH, "url": "http://127.0.0.1:9/nothing-here"})
    try:
        pno = api.create_ok()["pno"]
        clock.jump(5 * HOUR)
        wait_until(lambda: _message(api, pno)["attempts"] == 1)
        msg = _message(api, pno)
        assert msg["last_status"] is None and msg["last_error"] and msg["state"] == "pending"
    finally:
        api.control("POST", "webhook-config", {"url": None})


def test_reweigh_sends_weight_and_price_webhooks(api: Api, clock: Clock, receiver: Receiver) -> None:
    reference = ref("MS")
    api.control("POST", "scenario", {"reference": reference, "scenario": "measurement"})
    pno = api.create_ok(reference=reference)["pno"]
    clock.jump(10 * HOUR)
    got = receiver.wait_for(lambda r: {"1", "2"} <= {x.form["webhookApiCode"] for x in r}, pno)
    weight = next(r for r in got if r.form["webhookApiCode"] == "1")
    price = next(r for r in got if r.form["webhookApiCode"] == "2")
    for r in (weight, price):
        assert r.form["sign"] == flash_sign(r.form, KEY)
    assert weight.data == {
        **weight.data,
        "pno": pno,
        "outTradeNo": reference,
        "weight": "2300",
        "originalWeight": "1200",
        "length": "25",
    }
    shipment = api.shipment(pno)
    assert price.data == {
        **price.data,
        "estimatePrice": str(shipment["adjusted_charge"]["freight_satang"]),
        "originalPrice": "4500",
        "reason": "reweigh",
    }
    routes = [r.data["routedAction"] for r in got if r.form["webhookApiCode"] == "4"]
    assert routes == ["RECEIVED", "RECEIVE_WAREHOUSE_SCAN", "CHANGE_PARCEL_INFO"]


def test_return_to_sender_webhooks(api: Api, clock: Clock, receiver: Receiver) -> None:
    reference = ref("RT")
    api.control("POST", "scenario", {"reference": reference, "scenario": "rts"})
    pno = api.create_ok(reference=reference)["pno"]
    clock.jump(8 * 86400)
    got = receiver.wait_for(lambda r: any(x.data.get("state") == "7" for x in r), pno, timeout=8)
    price = next(r for r in got if r.form["webhookApiCode"] == "2")
    assert price.data["reason"] == "return" and price.data["recentPno"] == pno + "R"
    routes = [r.data for r in got if r.form["webhookApiCode"] == "4"]
    back = [d for d in routes if d["returned"]]
    assert back[0]["routedAction"] == "SYSTEM_AUTO_RETURN" and back[0]["returnedPno"] == pno + "R"
    assert back[-1]["routedAction"] == "DELIVERY_CONFIRM" and back[-1]["state"] == "7"
    assert all(not d["returned"] for d in routes[: len(routes) - len(back)])


def _set_hook(api: Api, code: str, url: str | None) -> Any:
    params = {"serviceCategory": "1" if url else "0", "webhookApiCode": code}
    if url:
        params["url"] = url
    return api.ok("/open/v1/setting/web_hook_service", params)


def test_per_type_subscriptions(api: Api, clock: Clock, receiver: Receiver) -> None:
    other = Receiver()
    try:
        routes = _set_hook(api, "4", other.url)
        assert routes == {**routes, "mchId": MCH, "webhookApiCode": 4, "url": other.url, "state": 1}
        closed = _set_hook(api, "0", None)
        assert closed["state"] == 0 and closed["url"] is None
        infos = {i["webhookApiCode"]: i for i in api.ok("/gw/fda/open/standard/webhook/setting/infos")}
        assert infos[4]["url"] == other.url and infos[0]["state"] == 0
        assert infos[1]["url"] == receiver.url and infos[3]["url"] is None  # courier: not covered by default
        body = api.error("/open/v1/setting/web_hook_service", {"serviceCategory": "1", "webhookApiCode": "4"})
        assert body["code"] == 1000 and "url" in body["message"]
        body = api.error("/open/v1/setting/web_hook_service", {"serviceCategory": "1", "webhookApiCode": "9",
                                                                 "url": other.url})  # fmt: skip
        assert "webhookApiCode" in body["message"]
        pno = api.create_ok()["pno"]
        clock.jump(5 * HOUR)
        got = other.wait_for(lambda r: len(r) == 1, pno)
        assert got[0].form["webhookApiCode"] == "4"
        wait_until(lambda: _message(api, pno, api_code=0)["state"] == "no_url")
        assert receiver.all(pno) == []
    finally:
        other.close()


def test_drop_and_duplicate_faults(api: Api, clock: Clock, receiver: Receiver) -> None:
    before = api.control("GET", "webhooks")["summary"]["dropped"]
    api.control("POST", "faults", {"webhook_drop_next": 2})  # the next two messages, whichever parcel
    api.create_ok()
    clock.jump(5 * HOUR)
    wait_until(lambda: api.control("GET", "webhooks")["summary"]["dropped"] == before + 2)
    assert api.control("GET", "faults")["webhook_drop_next"] == 0
    api.control("POST", "faults", {"webhook_drop_rate": 1.0})
    dropped = api.create_ok()["pno"]
    clock.jump(5 * HOUR)
    wait_until(lambda: _message(api, dropped)["state"] == "dropped")
    api.control("POST", "faults", {"webhook_drop_rate": 0.0, "webhook_duplicate_rate": 1.0})
    doubled = api.create_ok()["pno"]
    clock.jump(5 * HOUR)
    got = receiver.wait_for(lambda r: len(r) == 4, doubled)
    routes = [r.body for r in got if r.form["webhookApiCode"] == "4"]
    assert len(routes) == 2 and routes[0] == routes[1]
    time.sleep(0.3)
    assert [r for r in receiver.all(dropped) if r.data["routedAction"] == "RECEIVED"] == []
    msg = _message(api, dropped)
    assert msg["dropped"] is True and msg["attempts"] == 0
    pair = [m for m in api.messages(doubled) if m["webhook_api_code"] == 4]
    assert len(pair) == 2 and pair[1]["duplicate_of"] == pair[0]["id"]
    assert api.control("GET", "webhooks")["summary"]["dropped"] >= 2
    api.control("POST", "faults", {"webhook_duplicate_rate": 0.0, "webhook_duplicate_next": 1})
    before = api.control("GET", "webhooks")["summary"]["duplicates"]
    api.create_ok()
    clock.jump(5 * HOUR)
    wait_until(lambda: api.control("GET", "webhooks")["summary"]["duplicates"] == before + 1)
    assert api.control("GET", "faults")["webhook_duplicate_next"] == 0


def test_out_of_order_delivery(api: Api, clock: Clock, receiver: Receiver) -> None:
    _set_hook(api, "0", None)  # routes only
    api.control("POST", "faults", {"webhook_out_of_order": True, "webhook_hold_s": 5})
    pno = api.create_ok()["pno"]
    clock.jump(9 * HOUR)
    got = receiver.wait_for(lambda r: len(r) == 2, pno)
    assert [r.data["routedAction"] for r in got] == ["RECEIVE_WAREHOUSE_SCAN", "RECEIVED"]


def test_cancellation_sends_webhooks(api: Api, receiver: Receiver) -> None:
    pno = api.create_ok()["pno"]
    assert api.cancel(pno)["code"] == 1
    got = receiver.wait_for(lambda r: len(r) == 2, pno)
    assert sorted(_codes(got)) == [("0", "CANCEL_PARCEL"), ("4", "CANCEL_PARCEL")]
    assert all(r.data["state"] == "9" and r.data["stateText"] == "Cancelled" for r in got)


def test_accounts_without_a_url_record_no_url(api: Api, clock: Clock) -> None:
    pno = api.create_ok(mch="FLDEMO02")["pno"]
    clock.jump(5 * HOUR)
    wait_until(lambda: _message(api, pno)["state"] == "no_url")
