"""The carrier contract: every registered carrier, through its adapter, against its own sandbox.

Each test states one promise the rest of the system relies on (money is spent once, errors are typed
and name the field, webhooks are verified before anything is believed, Retry-After is honoured).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiriman.carriers.base import (
    OPERATIONS,
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    DuplicateReference,
    NotCancellable,
    NotSupported,
    PackageRef,
    PickupRequest,
)
from kiriman.carriers.registry import REGISTRY
from kiriman.carriers.tracking import TrackingStatus
from tests.contract.harness import HARNESSES, Harness, running

CARRIERS = sorted(HARNESSES)


# Shopee logistics runs on real buyer orders, not made-up parcels: tests/integration/test_shopee_logistics.py
# holds it to the same promises against the Shopee sandbox.
OWN_SUITE = {"shopee"}


def test_every_registered_carrier_has_a_harness() -> None:
    assert set(REGISTRY) - OWN_SUITE == set(HARNESSES)


@pytest.fixture(scope="module", params=CARRIERS)
def carrier(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    folder: Path = tmp_path_factory.mktemp(f"contract-{request.param}")
    with running(request.param, folder) as harness:
        yield harness


@pytest.fixture(autouse=True)
def _clean(carrier: Harness) -> Iterator[None]:
    carrier.reset_faults()
    carrier.sleeps.waits.clear()
    yield
    carrier.reset_faults()


def ref() -> str:
    return "K" + uuid.uuid4().hex[:13].upper()


def package() -> PackageRef:
    return PackageRef(220000101, "2511" + uuid.uuid4().hex[:10].upper(), "OFG" + uuid.uuid4().hex[:8].upper())


def supports(h: Harness, op: str) -> bool:
    return op in REGISTRY[h.slug].info.operations


def test_create_then_find_by_reference(carrier: Harness) -> None:
    nv = carrier.adapter()
    pkg, reference = package(), ref()
    created = nv.create_shipment(carrier.request(reference, pkg))
    assert created.tracking_number and created.reference == reference and created.account_id == nv.account_id
    assert carrier.purchases(pkg) == 1
    if not REGISTRY[carrier.slug].info.searchable_by_reference:
        with pytest.raises(NotSupported):  # the purchase flow parks such a package for an operator
            nv.find_by_reference(reference)
        return
    found = nv.find_by_reference(reference)
    assert found is not None and found.tracking_number == created.tracking_number
    assert nv.find_by_reference(ref()) is None


def test_a_repeated_reference_never_buys_twice(carrier: Harness) -> None:
    nv = carrier.adapter()
    pkg, reference = package(), ref()
    nv.create_shipment(carrier.request(reference, pkg))
    with pytest.raises(DuplicateReference):
        nv.create_shipment(carrier.request(reference, pkg))
    assert carrier.purchases(pkg) == 1


def test_an_ambiguous_create_is_not_retried_and_the_reference_tells_the_truth(carrier: Harness) -> None:
    nv = carrier.adapter()
    pkg, reference = package(), ref()
    carrier.fail_after_create(1)
    with pytest.raises(CarrierUnavailable):
        nv.create_shipment(carrier.request(reference, pkg))
    assert carrier.purchases(pkg) == 1  # bought, although the client saw a failure
    if not REGISTRY[carrier.slug].info.searchable_by_reference:
        with pytest.raises(NotSupported):
            nv.find_by_reference(reference)
        return
    found = nv.find_by_reference(reference)
    assert found is not None and found.tracking_number


def test_label_is_a_pdf(carrier: Harness) -> None:
    nv = carrier.adapter()
    created = nv.create_shipment(carrier.request(ref(), package()))
    label = nv.get_label(created.tracking_number)
    assert label.content.startswith(b"%PDF") and label.format == "pdf"
    assert label.tracking_number == created.tracking_number


def test_cancel_before_pickup_and_not_after(carrier: Harness) -> None:
    nv = carrier.adapter()
    if not supports(carrier, "cancel"):
        with pytest.raises(NotSupported):
            nv.cancel("X")
        return
    early = nv.create_shipment(carrier.request(ref(), package()))
    nv.cancel(early.tracking_number)
    late = nv.create_shipment(carrier.request(ref(), package()))
    carrier.advance(2 * 86400)  # picked up meanwhile
    with pytest.raises(NotCancellable):
        nv.cancel(late.tracking_number)
    events = nv.track(early.tracking_number)
    # Carriers that report cancellation as a scan flag it; J&T publishes no such scan (its trace stays empty).
    assert not events or any("cancelled" in e.flags for e in events)


def test_track_moves_with_the_clock(carrier: Harness) -> None:
    nv = carrier.adapter()
    created = nv.create_shipment(carrier.request(ref(), package()))
    first = nv.track(created.tracking_number)
    # Some carriers report an "order created" event at once (Ninja Van), others only from the first scan (J&T).
    assert not first or first[0].status in (TrackingStatus.INFO_RECEIVED, TrackingStatus.PENDING)
    carrier.advance(4 * 86400)
    events = nv.track(created.tracking_number)
    assert events[-1].status is TrackingStatus.DELIVERED
    assert [e.time for e in events] == sorted(e.time for e in events)
    assert len({e.event_id for e in events}) == len(events)
    assert all(e.raw_code for e in events)


def test_webhooks_verify_parse_and_ack(carrier: Harness) -> None:
    nv = carrier.adapter()
    if not supports(carrier, "verify_webhook"):
        with pytest.raises(NotSupported):
            nv.verify_webhook(b"{}", {})
        return
    created = nv.create_shipment(carrier.request(ref(), package()))
    carrier.advance(6 * 3600)  # past pickup: every carrier pushes by then
    while True:  # earlier tests' parcels post too; take this parcel's first webhook
        hook = carrier.receiver.next()
        if created.tracking_number.encode() in hook.body:
            break
    assert nv.verify_webhook(hook.body, hook.headers)
    assert not nv.verify_webhook(hook.body + b" ", hook.headers)
    tampered = hook.body.replace(created.tracking_number.encode(), b"NVSGFORGED0000001")
    assert not nv.verify_webhook(tampered, hook.headers)
    unsigned_body, unsigned_headers = carrier.without_signature(hook.body, hook.headers)
    assert not nv.verify_webhook(unsigned_body, unsigned_headers)
    events = nv.parse_webhook(hook.body, hook.headers)
    # a carrier may batch several parcels in one callback (J&T): ours is among them
    assert events and created.tracking_number in {e.tracking_number for e in events}
    ack = nv.webhook_ack(events)
    assert 200 <= ack.status < 300


def test_rejections_are_typed_and_name_the_field(carrier: Harness) -> None:
    nv = carrier.adapter()
    bad, field = carrier.invalid_request(carrier.request(ref(), package()))
    with pytest.raises(CarrierRejected) as err:
        nv.create_shipment(bad)
    assert err.value.field == field and not err.value.retryable and err.value.message


def test_429_honours_retry_after(carrier: Harness) -> None:
    nv = carrier.adapter()
    created = nv.create_shipment(carrier.request(ref(), package()))
    carrier.throttle_next(1, retry_after_s=3)
    nv.track(created.tracking_number)  # answered after the wait (possibly with no scans yet)
    assert carrier.sleeps.waits and carrier.sleeps.waits[0] >= 3


def test_throttled_create_is_retried_because_nothing_was_bought(carrier: Harness) -> None:
    nv = carrier.adapter()
    pkg = package()
    carrier.throttle_next(1, retry_after_s=1)
    nv.create_shipment(carrier.request(ref(), pkg))
    assert carrier.purchases(pkg) == 1


def test_persistent_throttling_surfaces_retry_after_to_the_caller(carrier: Harness) -> None:
    nv = carrier.adapter(attempts=2)
    created = nv.create_shipment(carrier.request(ref(), package()))
    carrier.throttle_next(5, retry_after_s=7)
    with pytest.raises(CarrierError) as err:
        nv.track(created.tracking_number)
    assert err.value.retryable and err.value.retry_after_s == 7


def test_unsupported_operations_say_so(carrier: Harness) -> None:
    nv = carrier.adapter()
    info = REGISTRY[carrier.slug].info
    req = carrier.request(ref(), package())
    calls = {
        "quote": lambda: nv.quote(req),
        "book_pickup": lambda: nv.book_pickup(PickupRequest(address=req.sender, pickup_date=req.ship_date)),  # type: ignore[arg-type]
    }
    for op in OPERATIONS:
        if op not in info.operations and op in calls:
            with pytest.raises(NotSupported) as err:
                calls[op]()
            assert err.value.operation == op


def test_marketplace_service_type_names_the_seller(carrier: Harness) -> None:
    if carrier.slug != "ninjavan":
        pytest.skip("Ninja Van only")
    nv = carrier.adapter()
    req = replace(carrier.request(ref(), package()), seller_id="merlion-gadgets", seller_name="Merlion Gadgets")
    assert nv.create_shipment(req).tracking_number
