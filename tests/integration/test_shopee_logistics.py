"""Shopee-integrated logistics as a carrier, against the Shopee sandbox.

Shopee logistics runs on real buyer orders, so it has this suite instead of the generic contract
suite's made-up parcels; it asserts the same promises: one arrangement per package whatever the retries,
typed errors, labels as PDF, tracking in the normalised language, and "not supported" where Shopee has no
such operation — above all ``cancel``, whose only Shopee equivalent would cancel the buyer's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kiriman.carriers.base import (
    AccountConfig,
    CarrierRejected,
    CarrierUnavailable,
    DuplicateReference,
    NotSupported,
    PackageRef,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.shopee.client import ShopeeLogistics, package_of
from kiriman.carriers.tracking import TrackingStatus
from kiriman.domain.parcels import Address, Item, Money, Parcel
from kiriman.shopee.client import ShopeeClient
from local.sandboxes.shopee.server import ShopeeSandbox
from tests.integration.test_shopee_client_sandbox import KEY, PID, connected, control


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Any, ShopeeClient, int, list[str]]]:
    clock_file = tmp_path / "clock-offset"
    sb = ShopeeSandbox(partner_id=PID, partner_key=KEY, clock_file=clock_file, seed="none").start()
    sb.clock_file = clock_file
    try:
        client, _, shop_id, sns = connected(sb, 3)
        yield sb, client, shop_id, sns
    finally:
        sb.stop()


def advance(sb: Any, seconds: float) -> None:
    path: Path = sb.clock_file
    now = float(path.read_text()) if path.exists() else 0.0
    path.write_text(repr(now + seconds))


def request(shop_id: int, order_sn: str, package_number: str) -> ShipmentRequest:
    who = Address(name="Somchai Shop", country="TH", line1="88 Bangna-Trad Rd", city="Bangkok", postcode="10260")
    parcel = Parcel(items=(Item("Mug", 1, 300, Decimal("120")),), declared_value=Money.of(120, "THB"))
    return ShipmentRequest(reference="", package=PackageRef(shop_id, order_sn, package_number), service="pickup",
                           sender=who, recipient=who, parcel=parcel, ship_date=date.today())


def package_number(sb: Any, order_sn: str) -> str:
    order = control(sb, "GET", f"/orders/{order_sn}")
    packages = order.get("packages") or order.get("package_list") or []
    return str(packages[0]["package_number"])


def order_status(sb: Any, order_sn: str) -> str:
    found = control(sb, "GET", f"/orders/{order_sn}")
    order = found.get("order") or found
    return str(order.get("order_status") or order.get("status"))


def adapter(sb: Any, client: ShopeeClient, shop_id: int) -> ShopeeLogistics:
    """Waits between document polls pass on the sandbox's clock."""
    return ShopeeLogistics(AccountConfig(f"shopee:{shop_id}", "shopee", "TH"), client,
                           sleep=lambda s: advance(sb, s), document_polls=6)


def test_arrange_once_then_tracking_number_label_and_tracking(world: tuple[Any, ShopeeClient, int, list[str]]) -> None:
    sb, client, shop_id, sns = world
    nv = adapter(sb, client, shop_id)
    pkg = package_number(sb, sns[0])
    created = nv.create_shipment(request(shop_id, sns[0], pkg))
    assert created.reference == PackageRef(shop_id, sns[0], pkg).identity
    assert created.service in ("pickup", "dropoff")  # as the channel's info_needed allows
    # arranging again (a retry after a crash) never arranges twice: Shopee refuses, and the reference finds it
    with pytest.raises(DuplicateReference):
        nv.create_shipment(request(shop_id, sns[0], pkg))
    advance(sb, 120)  # the tracking number arrives after a delay
    found = nv.find_by_reference(created.reference)
    assert found is not None and found.tracking_number
    ship = control(sb, "GET", "/ledger?include=ship")["ship_order_calls"]
    assert sum(v["ok"] for v in ship.values()) == 1
    # an unarranged package is not found
    other = package_number(sb, sns[1])
    assert nv.find_by_reference(PackageRef(shop_id, sns[1], other).identity) is None

    label = nv.get_label(found.tracking_number, package_of(created.reference))
    assert label.content.startswith(b"%PDF")
    advance(sb, 3 * 86400)
    events = nv.track(found.tracking_number, package_of(created.reference))
    assert events and all(e.raw_code for e in events)
    assert events[-1].status in (TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED, TrackingStatus.OUT_FOR_DELIVERY)


def test_refuses_to_cancel_and_leaves_the_buyers_order_alone(world: tuple[Any, ShopeeClient, int, list[str]]) -> None:
    sb, client, shop_id, sns = world
    nv = adapter(sb, client, shop_id)
    pkg = package_number(sb, sns[0])
    created = nv.create_shipment(request(shop_id, sns[0], pkg))
    before = order_status(sb, sns[0])
    with pytest.raises(NotSupported) as err:
        nv.cancel(created.tracking_number, package_of(created.reference))
    assert err.value.operation == "cancel"
    after = order_status(sb, sns[0])
    assert after == before and after not in ("CANCELLED", "IN_CANCEL")
    calls = control(sb, "GET", "/ledger?include=calls")["calls"]
    assert not [c for c in calls if "cancel_order" in c["path"]]


def test_unsupported_operations(world: tuple[Any, ShopeeClient, int, list[str]]) -> None:
    sb, client, shop_id, sns = world
    nv = adapter(sb, client, shop_id)
    req = request(shop_id, sns[0], "")
    for call in (lambda: nv.quote(req), lambda: nv.book_pickup(PickupRequest(req.sender, date.today())),
                 lambda: nv.verify_webhook(b"{}", {}), lambda: nv.parse_webhook(b"{}", {}),
                 lambda: nv.webhook_ack([])):
        with pytest.raises(NotSupported):
            call()
    with pytest.raises(CarrierRejected) as err:
        nv.find_by_reference("not-an-identity")
    assert err.value.field == "reference"


def test_shopee_errors_are_typed(world: tuple[Any, ShopeeClient, int, list[str]]) -> None:
    sb, client, shop_id, sns = world
    nv = adapter(sb, client, shop_id)
    with pytest.raises(ShipmentNotFound):
        nv.create_shipment(request(shop_id, "NOSUCHORDER0001", ""))
    control(sb, "POST", "/faults", {"error_next": 20})
    with pytest.raises(CarrierUnavailable) as err:
        nv.create_shipment(request(shop_id, sns[2], package_number(sb, sns[2])))
    assert err.value.retryable


def test_voiding_a_shopee_arrangement_never_cancels_the_order(
    world: tuple[Any, ShopeeClient, int, list[str]], aws: dict[str, Any]
) -> None:
    from kiriman.clock import FixedClock
    from kiriman.domain.purchases import ClaimState, purchase, void
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    sb, client, shop_id, sns = world
    bind(aws["table"], "ap-southeast-1", None)
    clock = FixedClock()
    store = Store(clock)
    nv = adapter(sb, client, shop_id)
    req = request(shop_id, sns[0], package_number(sb, sns[0]))
    bought = purchase(store, nv, req, "mer_1", clock, call_budget_s=60)
    assert bought.claim.state == ClaimState.BOUGHT and bought.claim.reference == req.package.identity
    before = order_status(sb, sns[0])
    voided = void(store, nv, req.package, clock, "channel changed")
    assert voided.claim.state == ClaimState.VOIDED and voided.at_carrier is False
    assert order_status(sb, sns[0]) == before
    calls = control(sb, "GET", "/ledger?include=calls")["calls"]
    assert not [c for c in calls if "cancel" in c["path"]]
