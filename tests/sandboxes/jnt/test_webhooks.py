"""Tracking callbacks: J&T's form + digest, batched bizContent arrays (checked against the published samples),
the ack rule ({"code":"1"} only), retries on the shared clock, giving up, and the drop / duplicate /
out-of-order faults."""

from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import ACK, GOLDEN, MY, Api, Clock, Push, Receiver, sign, wait_until

HOUR = 3600
NACK = b'{"code":"0","msg":"fail","data":null,"requestId":"x"}'


class Policy:
    """Receiver behaviour: the first ``fail_first`` pushes get ``fail_reply``; then ``reply`` (the documented ack)."""

    def __init__(self) -> None:
        self.fail_first = 0
        self.fail_reply: tuple[int, bytes] = (200, NACK)
        self.reply: tuple[int, bytes] = (200, ACK)

    def __call__(self, n: int, push: Push) -> tuple[int, bytes, float]:
        status, body = self.fail_reply if n < self.fail_first else self.reply
        return status, body, 0.0


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def receiver(api: Api, policy: Policy) -> Iterator[Receiver]:
    rx = Receiver(policy=policy)
    api.control("POST", "reset")  # a fresh world: only this test's parcels push callbacks
    api.control("POST", "webhook-config", {"account": MY["api_account"], "url": rx.url})
    yield rx
    api.control("POST", "webhook-config", {"url": None})
    api.control("DELETE", "faults")
    rx.close()


def _messages(api: Api, bill: str) -> list[dict[str, Any]]:
    return [m for m in api.ledger()["webhooks"] if m["tracking_number"] == bill]


def _message(api: Api, bill: str, code: str = "10") -> dict[str, Any]:
    return next(m for m in _messages(api, bill) if m["scan_type_code"] == code)


def test_pushes_are_signed_batched_and_shaped_like_the_samples(api: Api, clock: Clock, receiver: Receiver) -> None:
    a = api.create_ok(remark="KRM1|1|ĐƠN-1|P1|outbound")
    b = api.create_ok()
    clock.jump(7 * HOUR)  # 3 scans each (10, 20 at +6 h ... and 30 is at +8 h: not yet), one push
    receiver.wait_for(lambda d: len(d) == 4)
    [push] = receiver.pushes()
    assert push.path == "/webhooks/jnt/my"
    assert push.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert push.headers["apiAccount"] == MY["api_account"]
    assert hmac.compare_digest(push.headers["digest"], sign(push.biz_content, MY["private_key"]))
    assert push.headers["digest"] != sign(push.biz_content, "another-key")
    assert abs(int(push.headers["timestamp"]) / 1000 - clock.now()) < 5  # ms on the shared clock
    # bizContent: a JSON array, one item per parcel, several scans each (shape of the MX sample)
    golden = json.loads((GOLDEN / "mx_trace_callback.request.reconstructed.json").read_text(encoding="utf-8"))
    sample_item = golden["bizContent"][0]
    assert isinstance(push.items, list) and [i["billCode"] for i in push.items] == [a["billCode"], b["billCode"]]
    for item, data in zip(push.items, (a, b), strict=True):
        assert list(item) == list(sample_item)  # billCode, txlogisticId, details
        assert item["txlogisticId"] == data["txlogisticId"]
        assert [d["scanTypeCode"] for d in item["details"]] == ["10", "20"]
        for detail in item["details"]:
            sample = sample_item["details"][0]
            common = set(sample) & set(detail)
            assert common >= {"scanTime", "desc", "scanTypeCode", "scanType", "scanNetworkName", "scanNetworkId",
                              "scanNetworkProvince", "scanNetworkCity", "scanNetworkArea", "timeZone", "staffName",
                              "sigPicUrl", "problemType", "nextStopName", "longitude", "latitude"}  # fmt: skip
            assert all(type(detail[k]) is type(sample[k]) for k in ("scanTime", "scanTypeCode", "timeZone", "desc"))
    # the callback carries exactly the details logistics/trace shows
    assert push.items[0]["details"] == api.trace(a["billCode"])
    wait_until(lambda: all(m["acknowledged"] for m in _messages(api, a["billCode"])))
    deliveries = [d for d in api.ledger()["webhook_deliveries"] if d["parcels"] == [a["billCode"], b["billCode"]]]
    assert len(deliveries) == 1 and deliveries[0]["scans"] == 4 and deliveries[0]["ok"] is True


def test_every_scan_of_the_lifecycle_is_pushed_once(api: Api, clock: Clock, receiver: Receiver) -> None:
    bill = api.create_ok()["billCode"]
    clock.jump(2 * 86400)
    details = receiver.wait_for(lambda d: len(d) == 7, bill)
    assert [d["scanTypeCode"] for d in details] == ["10", "20", "30", "20", "30", "94", "100"]
    for push in receiver.pushes():
        assert push.headers["digest"] == sign(push.biz_content, MY["private_key"])
    msgs = wait_until(lambda: [m for m in _messages(api, bill) if m["acknowledged"]] if all(
        m["acknowledged"] for m in _messages(api, bill)) else None)  # fmt: skip
    assert len(msgs) == 7 and all(m["attempts"] == 1 and m["last_status"] == 200 for m in msgs)


@pytest.mark.parametrize(
    "reply",
    [
        (200, json.dumps({"code": 1, "msg": "success"}).encode()),  # number 1
        (200, (GOLDEN / "vn_webhook.ack.reconstructed.json").read_bytes()),  # the VN ack: code "1", data null
    ],
)
def test_other_acks_with_code_1_are_accepted(
    api: Api, clock: Clock, receiver: Receiver, policy: Policy, reply: tuple[int, bytes]
) -> None:
    policy.reply = reply
    bill = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)
    wait_until(lambda: _message(api, bill)["acknowledged"])


@pytest.mark.parametrize(
    "fail_reply",
    [
        (200, NACK),  # J&T's failure reply: code "0"
        (200, b"ok"),  # a 2xx without the ack body is not an ack
        (500, ACK),  # the ack body with a 5xx is not an ack
    ],
)
def test_failed_push_is_retried_on_the_shared_clock(
    api: Api, clock: Clock, receiver: Receiver, policy: Policy, fail_reply: tuple[int, bytes]
) -> None:
    policy.fail_first = 1
    policy.fail_reply = fail_reply
    bill = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)
    wait_until(lambda: _message(api, bill)["attempts"] == 1 and _message(api, bill)["state"] == "pending")
    msg = _message(api, bill)
    assert msg["acknowledged"] is False and msg["last_status"] == fail_reply[0] and msg["last_error"]
    assert msg["next_attempt_at"] == pytest.approx(clock.now() + 60, abs=5)
    time.sleep(0.3)  # no retry before the shared clock says so
    assert len(receiver.pushes()) == 1
    clock.jump(60)
    details = receiver.wait_for(lambda d: len(d) == 2, bill)
    assert details[0] == details[1]  # the same detail again (receivers de-duplicate per detail)
    wait_until(lambda: _message(api, bill)["acknowledged"])
    assert _message(api, bill)["attempts"] == 2


def test_push_gives_up_after_the_last_retry(api: Api, clock: Clock, receiver: Receiver, policy: Policy) -> None:
    policy.fail_first = 100
    bill = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)

    def waiting_after(attempts: int) -> bool:
        msg = _message(api, bill)
        return bool(msg["attempts"] == attempts and msg["state"] == "pending")

    for n, delay in enumerate((60, 300, 1800, 7200), start=1):
        wait_until(functools.partial(waiting_after, n))
        clock.jump(delay)
    wait_until(lambda: _message(api, bill)["state"] == "gave_up")
    msg = _message(api, bill)
    assert msg["attempts"] == 5 and msg["gave_up"] is True and len(msg["deliveries"]) == 5
    assert receiver.codes(bill)[:5] == ["10"] * 5


def test_unreachable_receiver_counts_as_a_failed_attempt(api: Api, clock: Clock) -> None:
    api.control("POST", "reset")
    api.control("POST", "webhook-config", {"account": MY["api_account"], "url": "http://127.0.0.1:9/nothing-here"})
    try:
        bill = api.create_ok()["billCode"]
        clock.jump(5 * HOUR)
        wait_until(lambda: _message(api, bill)["attempts"] == 1)
        msg = _message(api, bill)
        assert msg["last_status"] is None and msg["last_error"] and msg["state"] == "pending"
    finally:
        api.control("POST", "webhook-config", {"url": None})


def test_drop_and_duplicate_faults(api: Api, clock: Clock, receiver: Receiver) -> None:
    api.control("POST", "faults", {"webhook_drop_next": 1})
    dropped = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)
    wait_until(lambda: _message(api, dropped)["state"] == "dropped")
    api.control("POST", "faults", {"webhook_duplicate_rate": 1.0})
    doubled = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)
    details = receiver.wait_for(lambda d: len(d) == 2, doubled)
    assert details[0] == details[1]
    pushes = [p for p in receiver.pushes() if any(i["billCode"] == doubled for i in p.items)]
    assert len(pushes) == 2  # the duplicate travels in a later push
    time.sleep(0.3)
    assert "10" not in receiver.codes(dropped)  # a dropped scan is recorded, never sent
    msg = _message(api, dropped)
    assert msg["dropped"] is True and msg["attempts"] == 0
    pair = [m for m in _messages(api, doubled) if m["scan_type_code"] == "10"]
    assert len(pair) == 2 and pair[1]["duplicate_of"] == pair[0]["id"]
    assert api.control("GET", "webhooks")["summary"]["dropped"] >= 1


def test_out_of_order_delivery(api: Api, clock: Clock, receiver: Receiver) -> None:
    api.control("POST", "faults", {"webhook_out_of_order": True, "webhook_hold_s": 5})
    bill = api.create_ok()["billCode"]
    clock.jump(7 * HOUR)  # scans 10 (+4 h) and 20 (+6 h) fall due together
    receiver.wait_for(lambda d: len(d) == 2, bill)
    assert receiver.codes(bill) == ["20", "10"]  # the later scan arrives first, in an earlier push


def test_accounts_without_a_url_record_no_url(api: Api, clock: Clock) -> None:
    api.control("POST", "reset")
    bill = api.create_ok()["billCode"]
    clock.jump(5 * HOUR)
    api.control("POST", "tick")
    assert _message(api, bill)["state"] == "no_url"


def test_webhook_config_validation(api: Api) -> None:
    api.control("POST", "webhook-config", {"url": "ftp://nope"}, expect=400)
    api.control("POST", "webhook-config", {"account": "000", "url": None}, expect=404)
    out = api.control("POST", "webhook-config", {"url": "http://127.0.0.1:9/all"})
    assert {a["webhook_url"] for a in out["accounts"]} == {"http://127.0.0.1:9/all"}
    api.control("POST", "webhook-config", {"url": None})
