"""Ninja Van mapping against reconstructed golden files, and the webhook signature against fixed vectors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kiriman.carriers.base import (
    CarrierRejected,
    DuplicateReference,
    NotCancellable,
    PackageRef,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.ninjavan import mapping, statuses
from kiriman.carriers.tracking import TrackingStatus
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "ninjavan"


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


SENDER = Address(name="Merlion Gadgets", country="SG", line1="10 Ubi Crescent", line2="#05-01", city="Singapore",
                 postcode="408564", phone="+6560000001", email="ops@merlion.example")
RECIPIENT = Address(name="Tan Wei Ling", country="SG", line1="Blk 123 Ang Mo Kio Ave 3", line2="#07-89",
                    city="Singapore", postcode="560123", phone="+6591234567")


def request() -> ShipmentRequest:
    parcel = Parcel(
        items=(Item("USB-C cable 1m", 2, 60, Decimal("5.90")), Item("Power bank 10000mAh", 1, 400, Decimal("29.00"),
                                                                     dangerous=True)),
        declared_value=Money.of("40.80", "SGD"), packaging_weight_g=100,
        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(8)), cod=Money.of("45.90", "SGD"),
    )
    return ShipmentRequest(
        reference="KA7Q2M9XW4TB", package=PackageRef(220000101, "2511250ABCDEF", "OFG1234567"), service="Standard",
        sender=SENDER, recipient=RECIPIENT, parcel=parcel, ship_date=date(2026, 11, 26),
        instructions="Leave with the guard",
    )


def test_order_request_matches_the_published_shape() -> None:
    body = mapping.order_payload(request(), "SG", date(2026, 11, 25), {})
    assert body == golden("order_request.json")


def test_vietnam_addresses_use_ward_district_city() -> None:
    addr = Address(name="Nguyễn Văn An", country="VN", line1="12 Lý Thường Kiệt", ward="Phường 7", district="Quận 10",
                   city="Hồ Chí Minh", postcode="700000", phone="+84901234567")
    out = mapping.address_payload(addr)
    assert out == {"address1": "12 Lý Thường Kiệt", "country": "VN", "ward": "Phường 7", "district": "Quận 10",
                   "city": "Hồ Chí Minh"}


def test_marketplace_accounts_name_the_seller() -> None:
    body = mapping.order_payload(request(), "SG", date(2026, 11, 25), {"service_type": "Marketplace"})
    assert body["marketplace"] == {"seller_id": "220000101", "seller_company_name": "Merlion Gadgets"}


def test_pickup_address_id_replaces_the_address() -> None:
    body = mapping.order_payload(request(), "SG", date(2026, 11, 25), {"pickup_address_id": "ADDR-7"})
    assert body["parcel_job"]["pickup_address_id"] == "ADDR-7" and "pickup_address" not in body["parcel_job"]


def test_order_response_gives_the_tracking_number() -> None:
    created = mapping.created_from_response(golden("order_response.json"), "ca_1", "KA7Q2M9XW4TB", "Standard")
    assert created.tracking_number == "NVSGKRMKA7Q2M9XW4TB"
    assert mapping.tracking_number_for("KA7Q2M9XW4TB", {"shipper_prefix": "NVSGKRM"}) == created.tracking_number


def test_tracking_pull_is_ordered_and_mapped() -> None:
    events = mapping.events_from_pull(golden("tracking_events.response.json"), "NVSGKRMKA7Q2M9XW4TB")
    assert [e.sub_status for e in events] == ["InfoReceived_001", "InTransit_002", "InTransit_003",
                                              "OutForDelivery_001", "Delivered_003"]
    assert events[2].location == "Benoi Hub, Singapore, SG"
    assert events[-1].status is TrackingStatus.DELIVERED and events[-1].terminal
    assert events[0].raw_code == "Pending Pickup" and events[0].raw_text == "Order created"
    assert len({e.event_id for e in events}) == 5


def test_webhook_v2_delivered_and_its_event_id_matches_the_pull() -> None:
    body = (GOLDEN / "webhook_v2_delivered.json").read_bytes()
    [event] = mapping.events_from_webhook(body)
    assert event.sub_status == "Delivered_003" and event.tracking_number == "NVSGKRMKA7Q2M9XW4TB"
    pulled = mapping.events_from_pull(golden("tracking_events.response.json"), "NVSGKRMKA7Q2M9XW4TB")[-1]
    assert event.event_id == pulled.event_id  # webhook and sweep de-duplicate against each other


def test_delivered_on_the_rts_leg_is_returned_to_sender() -> None:
    [event] = mapping.events_from_webhook((GOLDEN / "webhook_v2_rts.json").read_bytes())
    assert event.sub_status == "Exception_011" and "return_leg" in event.flags and event.terminal


def test_measurement_update_keeps_the_status_and_asks_for_rerating() -> None:
    [event] = mapping.events_from_webhook((GOLDEN / "webhook_v2_measurements.json").read_bytes())
    assert {"remeasured", "no_status_change"} <= event.flags
    assert event.details["parcel_measurements_information"]["weight"] == 1.4


def test_v1_webhook() -> None:
    [event] = mapping.events_from_webhook((GOLDEN / "webhook_v1.json").read_bytes())
    assert event.sub_status == "Delivered_001"
    assert event.time == datetime(2026, 11, 27, 3, 42, tzinfo=UTC)


def test_unknown_event_is_flagged_not_guessed() -> None:
    mapped = statuses.lookup("Teleported, Beamed Up", "Teleported", False)
    assert "unmapped" in mapped.flags


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"tracking_id": "X"}', b"not json"])
def test_malformed_webhooks_raise(body: bytes) -> None:
    with pytest.raises(ValueError):
        mapping.events_from_webhook(body)


def test_errors_name_the_field() -> None:
    err = mapping.error_from_body(400, golden("error_validation.json"))
    assert isinstance(err, CarrierRejected) and not err.retryable
    assert err.field == "parcel_job.delivery_timeslot"
    assert err.request_id == "6f1b1c3e-7d4a-4d1e-9b7a-3a2f0e9c1d22"


def test_legacy_error_and_not_found() -> None:
    err = mapping.error_from_body(404, golden("error_legacy.json"))
    assert isinstance(err, ShipmentNotFound) and "not found" in err.message


def test_duplicate_reference_and_not_cancellable() -> None:
    dup = {"error": {"code": 1, "request_id": "r", "title": "t", "message": "m",
                     "details": [{"field": "requested_tracking_number", "reason": "DUPLICATE", "message": "in use"}]}}
    assert isinstance(mapping.error_from_body(400, dup), DuplicateReference)
    late = {"error": {"code": 2, "request_id": "r", "title": "t", "message": "Order cannot be cancelled",
                      "details": [{"field": "tracking_number", "reason": "ORDER_NOT_CANCELLABLE", "message": "x"}]}}
    assert isinstance(mapping.error_from_body(400, late), NotCancellable)


# --- signatures: fixed vectors, never values from our own signer ------------------------------------
def test_signature_vector_from_the_reference() -> None:
    body = b'{"tracking_id":"NVSGTEST000000001","status":"Delivered","event":"Delivered, Received by Customer"}'
    assert mapping.signature(body, "client-secret-xyz") == "xz/rdudJ36MjRJHqB3aWEYLk7m1u9BpYIQdvzCMzu+M="
    assert mapping.verify(body, "xz/rdudJ36MjRJHqB3aWEYLk7m1u9BpYIQdvzCMzu+M=", "client-secret-xyz")


def test_signature_vector_from_the_published_sample() -> None:
    body = b'{"tracking_number":"TEST1234","status":"Delivered"}'
    assert mapping.verify(body, "1rvT1GqwkasvxaARr9GU1E0Hk8I3WRXCqpeDdD35gwA=", "test_sg_secret")


@pytest.mark.parametrize("header", [None, "", "xz/rdudJ36MjRJHqB3aWEYLk7m1u9BpYIQdvzCMzu+N=", "garbage"])
def test_bad_or_missing_signature(header: str | None) -> None:
    body = b'{"tracking_id":"NVSGTEST000000001","status":"Delivered","event":"Delivered, Received by Customer"}'
    assert not mapping.verify(body, header, "client-secret-xyz")


def test_one_byte_changed_fails() -> None:
    body = b'{"tracking_id":"NVSGTEST000000001","status":"Delivered","event":"Delivered, Received by Customer"} '
    assert not mapping.verify(body, "xz/rdudJ36MjRJHqB3aWEYLk7m1u9BpYIQdvzCMzu+M=", "client-secret-xyz")
