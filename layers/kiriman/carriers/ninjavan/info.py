"""Ninja Van's registry entry (no network code here, so the domain can read it)."""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo

SIGNATURE_HEADER = "X-Ninjavan-Hmac-Sha256"
HOSTS = {"production": "https://api.ninjavan.co", "sandbox": "https://api-sandbox.ninjavan.co"}

INFO = CarrierInfo(
    slug="ninjavan",
    name="Ninja Van",
    countries=frozenset({"SG", "MY", "TH", "ID", "VN", "PH"}),
    services=("Standard", "Express", "Sameday", "Nextday"),
    volumetric_divisor=6000,  # not published by Ninja Van (carriers.md §7.1): the IATA 1:6000 default
    reference_max_len=30,
    searchable_by_reference=True,  # the tracking number is prefix + our requested number
    operations=frozenset({"create_shipment", "find_by_reference", "get_label", "cancel", "track",
                          "verify_webhook", "parse_webhook", "webhook_ack"}),
    credential_fields=("client_id", "client_secret"),
    setting_fields=("shipper_prefix", "service_type", "pickup_address_id", "pickup_approx_volume"),
    webhook_signature_header=SIGNATURE_HEADER,
    docs="https://api-docs.ninjavan.co/en",
    pickup_with_order=True,  # 4.2 orders: is_pickup_required + pickup_date creates the reservation
)
REQUEST_ID_HEADER = "x-nv-request-id"
