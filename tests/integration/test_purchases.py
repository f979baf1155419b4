"""Exactly-once label purchase, for every carrier, against its sandbox's ledger.

The ledger counts purchases per package and leg from the payloads, across every reference, so a
second purchase under another reference would show. Workers are "killed" at the three points the
acceptance names (after the claim, after the carrier accepted, before the save) by a crash hook.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kiriman.carriers.base import CarrierUnavailable, PackageRef
from kiriman.clock import FixedClock
from kiriman.domain.purchases import ClaimState, PurchaseInProgress, purchase, reference_for
from tests.contract.harness import HARNESSES, Harness, running

CARRIERS = sorted(HARNESSES)


class Killed(Exception):
    pass


def crash_at(point: str) -> Any:
    def hook(at: str) -> None:
        if at == point:
            raise Killed(point)

    return hook


@pytest.fixture(scope="module", params=CARRIERS)
def carrier(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with running(request.param, tmp_path_factory.mktemp(f"purchase-{request.param}")) as harness:
        yield harness


@pytest.fixture
def store(aws: dict[str, Any], clock: FixedClock) -> Iterator[Any]:
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    bind(aws["table"], "ap-southeast-1", None)
    yield Store(clock)


@pytest.fixture(autouse=True)
def _clean(carrier: Harness) -> Iterator[None]:
    carrier.reset_faults()
    yield
    carrier.reset_faults()


def package() -> PackageRef:
    return PackageRef(220000101, "2511" + uuid.uuid4().hex[:10].upper(), "OFG" + uuid.uuid4().hex[:8].upper())


def buy(store: Any, carrier: Harness, pkg: PackageRef, clock: FixedClock, **kw: Any) -> Any:
    return purchase(store, carrier.adapter(), carrier.request("", pkg), "mer_1", clock, call_budget_s=60, **kw)


def test_reference_is_short_stable_and_per_attempt() -> None:
    pkg = PackageRef(1, "SN", "PKG")
    ref = reference_for(pkg, 1)
    assert ref == reference_for(pkg, 1) and ref != reference_for(pkg, 2)
    assert len(ref) == 14 and ref.isalnum() and ref.isupper()
    assert reference_for(PackageRef(1, "SN", "PKG", "return:R1"), 1) != ref


def test_bought_once_and_a_redelivery_buys_nothing(store: Any, carrier: Harness, clock: FixedClock) -> None:
    pkg = package()
    first = buy(store, carrier, pkg, clock)
    assert first.created and first.claim.state == ClaimState.BOUGHT and first.claim.tracking_number
    again = buy(store, carrier, pkg, clock)
    assert not again.created and again.claim.tracking_number == first.claim.tracking_number
    assert carrier.purchases(pkg) == 1


@pytest.mark.parametrize("point", ["after_claim", "after_carrier_accepted", "before_save"])
def test_a_killed_worker_never_causes_a_second_purchase(
    store: Any, carrier: Harness, clock: FixedClock, point: str
) -> None:
    pkg = package()
    with pytest.raises(Killed):
        buy(store, carrier, pkg, clock, crash=crash_at(point))
    if point != "after_claim":
        with pytest.raises(PurchaseInProgress):  # its deadline has not passed: nobody else calls meanwhile
            buy(store, carrier, pkg, clock)
    clock.advance(61)  # the dead worker's function timeout has passed
    outcome = buy(store, carrier, pkg, clock)
    assert carrier.purchases(pkg) == 1
    if carrier.adapter().info.searchable_by_reference or point == "after_claim":
        assert outcome.claim.state == ClaimState.BOUGHT and outcome.claim.tracking_number
    else:  # sold, but the carrier cannot tell us what: an operator decides
        assert outcome.claim.state == ClaimState.UNKNOWN
    assert buy(store, carrier, pkg, clock).claim.state == outcome.claim.state  # final states stay final
    assert carrier.purchases(pkg) == 1


def test_carrier_accepted_but_the_answer_was_lost(store: Any, carrier: Harness, clock: FixedClock) -> None:
    pkg = package()
    carrier.fail_after_create(1)
    with pytest.raises(Exception) as err:
        buy(store, carrier, pkg, clock)
    assert getattr(err.value, "retryable", False)
    clock.advance(61)
    outcome = buy(store, carrier, pkg, clock)
    assert carrier.purchases(pkg) == 1
    expected = ClaimState.BOUGHT if carrier.adapter().info.searchable_by_reference else ClaimState.UNKNOWN
    assert outcome.claim.state == expected


def test_a_5xx_before_the_carrier_acted_is_bought_on_the_next_delivery(
    store: Any, carrier: Harness, clock: FixedClock
) -> None:
    """Nothing was sold: re-sending the same reference buys it, for every carrier (Flash included)."""
    pkg = package()
    carrier.next_create_error(503, 10)
    with pytest.raises(CarrierUnavailable):
        buy(store, carrier, pkg, clock)
    carrier.reset_faults()
    clock.advance(61)
    outcome = buy(store, carrier, pkg, clock)
    assert outcome.claim.state == ClaimState.BOUGHT and carrier.purchases(pkg) == 1


def test_a_refusal_is_final_until_a_new_attempt(store: Any, carrier: Harness, clock: FixedClock) -> None:
    pkg = package()
    bad, field = carrier.invalid_request(carrier.request("", pkg))
    adapter = carrier.adapter()
    failed = purchase(store, adapter, bad, "mer_1", clock, call_budget_s=60)
    assert failed.claim.state == ClaimState.FAILED and failed.claim.error["field"] == field
    assert failed.claim.error["message"] and failed.claim.error["retryable"] is False
    again = purchase(store, adapter, bad, "mer_1", clock, call_budget_s=60)
    assert again.claim.state == ClaimState.FAILED and again.claim.calls == 1  # no loop
    assert store.advance_attempt(pkg, 1) == 2
    assert store.advance_attempt(pkg, 1) == 2  # a second click makes no third attempt
    fixed = buy(store, carrier, pkg, clock)
    assert fixed.claim.attempt == 2 and fixed.claim.state == ClaimState.BOUGHT
    assert fixed.claim.reference == reference_for(pkg, 2)
    assert carrier.purchases(pkg) == 1


def test_throttled_goes_back_to_claimed(store: Any, carrier: Harness, clock: FixedClock) -> None:
    pkg = package()
    carrier.throttle_next(10, retry_after_s=30)
    with pytest.raises(Exception) as err:
        purchase(store, carrier.adapter(attempts=1), carrier.request("", pkg), "mer_1", clock, call_budget_s=60)
    assert getattr(err.value, "retry_after_s", None) == 30
    claim = store.get_claim(pkg, 1)
    assert claim.state == ClaimState.CLAIMED and claim.calling_until is None
    carrier.reset_faults()
    assert buy(store, carrier, pkg, clock).claim.state == ClaimState.BOUGHT
    assert carrier.purchases(pkg) == 1


def test_needs_attention_lists_failed_claims(store: Any, carrier: Harness, clock: FixedClock) -> None:
    pkg = package()
    bad, _ = carrier.invalid_request(carrier.request("", pkg))
    purchase(store, carrier.adapter(), bad, "mer_1", clock, call_budget_s=60)
    items, _ = store.claims_by_state("mer_1", "FAILED", 10, None)
    assert pkg in [c.package for c in items]



def test_void_then_buy_again_under_the_next_attempt(store: Any, carrier: Harness, clock: FixedClock) -> None:
    from kiriman.domain.purchases import void

    pkg = package()
    first = buy(store, carrier, pkg, clock)
    adapter = carrier.adapter()
    if "cancel" not in adapter.info.operations:
        pytest.skip("the carrier has no void")
    voided = void(store, adapter, pkg, clock, "buyer changed the address")
    assert voided.at_carrier and voided.claim.state == ClaimState.VOIDED and voided.next_attempt == 2
    second = buy(store, carrier, pkg, clock)
    assert second.created and second.claim.attempt == 2
    assert second.claim.tracking_number != first.claim.tracking_number
    assert carrier.purchases(pkg) == 2 and carrier.active_purchases(pkg) == 1
