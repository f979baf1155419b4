"""v2 webhooks: the signature (fixed vector and live), body shape, retries on the shared clock, giving up,
and the drop / duplicate / out-of-order faults."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.sandboxes.ninjavan.webhooks import sign

from .helpers import SIGNATURE_HEADER, Api, Clock, Receiver, b64_hmac, wait_until

SECRET = "nv-demo-sg-secret"

# carriers.md section 11 vector (computed from the published algorithm; the secret is made up)
VECTOR_BODY = b'{"tracking_id":"NVSGTEST000000001","status":"Delivered","event":"Delivered, Received by Customer"}'
VECTOR_SECRET = "client-secret-xyz"
VECTOR_SIGNATURE = "xz/rdudJ36MjRJHqB3aWEYLk7m1u9BpYIQdvzCMzu+M="


class Policy:
    """Receiver behaviour: ``fail_first`` failures per (tracking_id, event), or always ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.fail_first = 0
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, n: int, body: dict[str, Any]) -> tuple[int, float]:
        key = (str(body.get("tracking_id")), str(body.get("event")))
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] <= self.fail_first:
            return 500, 0.0
        return self.status, 0.0


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def receiver(api: Api, policy: Policy) -> Iterator[Receiver]:
    rx = Receiver(policy=policy)
    api.control("POST", "webhook-config", {"client_id": "nv-demo-sg", "url": rx.url})
    yield rx
    api.control("POST", "webhook-config", {"url": None})
    api.control("DELETE", "faults")
    rx.close()


def test_signature_matches_the_fixed_vector() -> None:
    digest = hmac.new(VECTOR_SECRET.encode(), VECTOR_BODY, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == VECTOR_SIGNATURE
    assert b64_hmac(VECTOR_SECRET, VECTOR_BODY) == VECTOR_SIGNATURE
    assert sign(VECTOR_SECRET, VECTOR_BODY) == VECTOR_SIGNATURE  # the sandbox's signer


def test_webhooks_are_signed_and_shaped(api: Api, clock: Clock, receiver: Receiver) -> None:
    ref = "KRM1|220000101|2411250ĐƠN|PKG-1|outbound"  # non-ASCII: the signature covers the raw UTF-8 bytes
    tn = api.create_ok(reference={"merchant_order_number": ref})["tracking_number"]
    [first] = receiver.wait_for(lambda b: len(b) == 1, tn)
    raw = receiver.all()[-1]
    assert raw.path == "/webhooks/ninjavan/sg"
    assert raw.headers["Content-Type"] == "application/json"
    expected = b64_hmac(SECRET, raw.body)
    assert hmac.compare_digest(raw.headers[SIGNATURE_HEADER], expected)
    assert raw.headers[SIGNATURE_HEADER] != b64_hmac("some-other-secret", raw.body)
    assert "ĐƠN".encode() in raw.body
    assert first == {
        "tracking_id": tn,
        "shipper_order_ref_no": ref,
        "timestamp": first["timestamp"],
        "status": "Pending Pickup",
        "event": "Pending Pickup",
        "is_parcel_on_rts_leg": False,
        "comments": first["comments"],
    }
    assert first["timestamp"].endswith("+08:00")
    clock.jump(2 * 86400)
    bodies = receiver.wait_for(lambda b: len(b) == 7, tn)
    assert [b["status"] for b in bodies] == [
        "Pending Pickup",
        "Picked Up",
        "Arrived at Origin Hub",
        "In Transit to Next Sorting Hub",
        "Arrived at Destination Hub",
        "On Vehicle for Delivery",
        "Delivered",
    ]
    assert bodies[-1]["delivery_information"]["proof"]["signed_by"]["name"] == "Tan Ah Kow"
    for r in receiver.all():
        assert r.headers[SIGNATURE_HEADER] == b64_hmac(SECRET, r.body)
    ledger = wait_until(lambda: _all_acked(api, tn, 7))
    assert all(m["attempts"] == 1 and m["last_status"] == 200 for m in ledger)


def _all_acked(api: Api, tn: str, count: int) -> list[dict[str, Any]] | None:
    msgs = [m for m in api.ledger()["webhooks"] if m["tracking_id"] == tn]
    return msgs if len(msgs) == count and all(m["acknowledged"] for m in msgs) else None


def _message(api: Api, tn: str, event: str = "Pending Pickup") -> dict[str, Any]:
    return next(m for m in api.ledger()["webhooks"] if m["tracking_id"] == tn and m["event"] == event)


def test_failed_delivery_is_retried_on_the_shared_clock(
    api: Api, clock: Clock, receiver: Receiver, policy: Policy
) -> None:
    policy.fail_first = 1
    tn = api.create_ok()["tracking_number"]
    wait_until(lambda: _message(api, tn)["attempts"] == 1 and _message(api, tn)["state"] == "pending")
    msg = _message(api, tn)
    assert msg["acknowledged"] is False and msg["last_status"] == 500
    assert msg["next_attempt_at"] == pytest.approx(clock.now() + 60, abs=5)
    time.sleep(0.5)  # no retry before the shared clock says so
    assert len(receiver.bodies(tn)) == 1
    clock.jump(60)
    bodies = receiver.wait_for(lambda b: len(b) == 2, tn)
    assert bodies[0] == bodies[1]
    wait_until(lambda: _message(api, tn)["acknowledged"])
    msg = _message(api, tn)
    assert msg["attempts"] == 2 and msg["last_status"] == 200


def test_delivery_gives_up_after_the_last_retry(api: Api, clock: Clock, receiver: Receiver, policy: Policy) -> None:
    policy.status = 503
    tn = api.create_ok()["tracking_number"]

    def waiting_after(attempts: int) -> bool:
        msg = _message(api, tn)
        return bool(msg["attempts"] == attempts and msg["state"] == "pending")

    for n, delay in enumerate((60, 300, 1800, 7200), start=1):
        wait_until(functools.partial(waiting_after, n))
        clock.jump(delay)
    wait_until(lambda: _message(api, tn)["state"] == "gave_up")
    msg = _message(api, tn)
    assert msg["attempts"] == 5 and msg["gave_up"] is True and msg["last_status"] == 503
    assert len(receiver.bodies(tn)) == 5


def test_unreachable_receiver_counts_as_a_failed_attempt(api: Api) -> None:
    api.control("POST", "webhook-config", {"client_id": "nv-demo-sg", "url": "http://127.0.0.1:9/nothing-here"})
    try:
        tn = api.create_ok()["tracking_number"]
        wait_until(lambda: _message(api, tn)["attempts"] == 1)
        msg = _message(api, tn)
        assert msg["last_status"] is None and msg["last_error"] and msg["state"] == "pending"
    finally:
        api.control("POST", "webhook-config", {"url": None})


def test_drop_and_duplicate_faults(api: Api, receiver: Receiver) -> None:
    api.control("POST", "faults", {"webhook_drop_rate": 1.0})
    dropped = api.create_ok()["tracking_number"]
    api.control("POST", "faults", {"webhook_drop_rate": 0.0, "webhook_duplicate_rate": 1.0})
    doubled = api.create_ok()["tracking_number"]
    bodies = receiver.wait_for(lambda b: len(b) == 2, doubled)
    assert bodies[0] == bodies[1]
    time.sleep(0.3)
    assert receiver.bodies(dropped) == []
    msg = _message(api, dropped)
    assert msg["dropped"] is True and msg["attempts"] == 0 and msg["state"] == "dropped"
    pair = [m for m in api.ledger()["webhooks"] if m["tracking_id"] == doubled]
    assert len(pair) == 2 and pair[1]["duplicate_of"] == pair[0]["id"]
    assert api.control("GET", "webhooks")["summary"]["dropped"] >= 1


def test_out_of_order_delivery(api: Api, clock: Clock, receiver: Receiver) -> None:
    api.control("POST", "faults", {"webhook_out_of_order": True, "webhook_hold_s": 5})
    tn = api.create_ok()["tracking_number"]
    clock.jump(5 * 3600)
    bodies = receiver.wait_for(lambda b: len(b) == 2, tn)
    assert [b["event"] for b in bodies] == ["Picked Up, In Transit To Origin Hub", "Pending Pickup"]


def test_cancellation_sends_a_cancelled_webhook(api: Api, receiver: Receiver) -> None:
    tn = api.create_ok()["tracking_number"]
    assert api.cancel(tn).status_code == 200
    bodies = receiver.wait_for(lambda b: len(b) == 2, tn)
    assert bodies[-1]["status"] == "Cancelled" and bodies[-1]["event"] == "Cancelled"
    assert bodies[-1]["cancellation_information"]["reason"]


def test_accounts_without_a_url_record_no_url(api: Api) -> None:
    tn = api.create_ok(cc="my")["tracking_number"]
    assert _message(api, tn)["state"] == "no_url"
