"""The per-account token bucket: the refill arithmetic and the wrapper that takes a token per call."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kiriman.carriers.base import CarrierInfo, CarrierThrottled, CreatedShipment
from kiriman.carriers.ratelimit import DEFAULT_LIMIT, Limit, RateLimitedCarrier, limit_for, take

INFO = CarrierInfo("ninjavan", "Ninja Van", frozenset({"SG"}), ("Standard",), 5000, 20, True,
                   frozenset({"create_shipment", "find_by_reference", "track"}), ())


def test_take_refills_by_time_caps_at_burst_and_says_how_long_to_wait() -> None:
    assert take(10.0, 0.0, 0.0, 5.0, 10.0) == (9.0, 0.0)
    assert take(0.0, 100.0, 100.1, 5.0, 10.0) == (pytest.approx(0.5), pytest.approx(0.1))  # half a token: wait
    assert take(0.0, 100.0, 100.2, 5.0, 10.0) == (pytest.approx(0.0), 0.0)  # exactly one token came back
    assert take(3.0, 0.0, 10_000.0, 5.0, 10.0) == (9.0, 0.0)  # idle for hours: burst, not more
    assert take(0.2, 50.0, 40.0, 1.0, 2.0) == (0.2, pytest.approx(0.8))  # a clock behind the bucket adds nothing


class Buckets:
    """The Store's ``take_token`` with ``take`` over a dict, on a hand-moved clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.items: dict[tuple[str, str], tuple[float, float]] = {}
        self.calls: list[tuple[str, str, float, float]] = []

    def take_token(self, carrier: str, account_id: str, rate_per_s: float, burst: float) -> float:
        self.calls.append((carrier, account_id, rate_per_s, burst))
        tokens, at = self.items.get((carrier, account_id), (burst, self.now))
        left, wait = take(tokens, at, self.now, rate_per_s, burst)
        self.items[(carrier, account_id)] = (left, self.now)
        return wait


class Inner:
    info = INFO
    account_id = "acc_nv"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def create_shipment(self, request: Any) -> CreatedShipment:
        self.sent.append("create_shipment")
        return CreatedShipment("ninjavan", self.account_id, request, "TN")

    def find_by_reference(self, reference: str) -> None:
        self.sent.append("find_by_reference")
        return None

    def verify_webhook(self, body: bytes, headers: Any) -> bool:
        self.sent.append("verify_webhook")
        return True


def test_an_empty_bucket_throttles_before_anything_is_sent() -> None:
    inner, buckets = Inner(), Buckets()
    carrier = RateLimitedCarrier(inner, buckets, Limit(rate_per_s=0.5, burst=2))  # type: ignore[arg-type]
    assert carrier.info is INFO and carrier.account_id == "acc_nv"
    carrier.create_shipment(SimpleNamespace(reference="R1"))  # type: ignore[arg-type]
    carrier.find_by_reference("R1")
    with pytest.raises(CarrierThrottled) as err:
        carrier.create_shipment(SimpleNamespace(reference="R2"))  # type: ignore[arg-type]
    assert inner.sent == ["create_shipment", "find_by_reference"]  # the third call never left
    # 2 s until the next token at 0.5/s; whole seconds, as an SQS delay is
    assert err.value.retry_after_s == 2.0 and err.value.code == "account_rate_limit" and err.value.retryable
    buckets.now += 0.1
    with pytest.raises(CarrierThrottled) as err:
        carrier.create_shipment(SimpleNamespace(reference="R2"))  # type: ignore[arg-type]
    assert err.value.retry_after_s == 2.0  # 1.9 s rounded up, never down to an immediate redelivery
    buckets.now += 2.0
    carrier.create_shipment(SimpleNamespace(reference="R2"))  # type: ignore[arg-type]
    assert inner.sent[-1] == "create_shipment"
    assert {c[:2] for c in buckets.calls} == {("ninjavan", "acc_nv")}


def test_webhooks_take_no_token() -> None:
    inner, buckets = Inner(), Buckets()
    carrier = RateLimitedCarrier(inner, buckets, Limit(1.0, 1.0))  # type: ignore[arg-type]
    for _ in range(3):
        assert carrier.verify_webhook(b"{}", {})
    assert buckets.calls == []


def test_limits_come_from_the_account_or_the_carrier_default() -> None:
    assert limit_for("ninjavan") == DEFAULT_LIMIT
    assert limit_for("jnt", {"rate_limit_per_s": "2", "rate_limit_burst": "4"}) == Limit(2.0, 4.0)
    assert limit_for("flash", {"rate_limit_per_s": "fast"}) == DEFAULT_LIMIT  # malformed: the default
    assert limit_for("fourpx", {"rate_limit_per_s": "0"}) == DEFAULT_LIMIT  # not a usable limit: the default
    with pytest.raises(ValueError):
        Limit(0.0, 1.0)
    with pytest.raises(ValueError):
        Limit(1.0, 0.5)
