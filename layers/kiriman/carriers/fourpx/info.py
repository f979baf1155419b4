"""4PX's registry entry (no network code here, so the domain can read it)."""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo

# The FOP open-platform gateway host (https://open.4px.com/router/api/service). Public clients disagree on
# the sandbox host (open-test.4px.com vs open.sandbox.4px.com): UNCONFIRMED which is current; the newer
# client's is used, and CARRIER_ENDPOINTS can point elsewhere.
HOSTS = {"production": "https://open.4px.com", "sandbox": "https://open-test.4px.com"}

INFO = CarrierInfo(
    slug="fourpx",
    name="4PX",
    # China -> Southeast Asia line haul into the Shopee markets we serve.
    countries=frozenset({"SG", "MY", "TH", "ID", "PH", "VN"}),
    # One generic service: the 4PX logistics product code comes from the account setting
    # ``logistics_product_code`` (per contract and destination); a request may name a product code instead.
    services=("Standard",),
    volumetric_divisor=6000,  # not published by 4PX (it answers is_volume_cargo + charge_weight): IATA 1:6000
    reference_max_len=32,  # ref_no's length limit is not published: a conservative 32
    searchable_by_reference=True,  # ds.xms.order.get accepts our ref_no as request_no
    operations=frozenset({"quote", "create_shipment", "find_by_reference", "get_label", "cancel", "track"}),
    credential_fields=("app_key", "app_secret"),
    setting_fields=("logistics_product_code", "label_size", "duty_type", "deliver_type"),
    webhook_signature_header="",  # no documented push API: tracking is polled
    docs="https://open.4px.com/",
)
# 4PX documents no request-id header.
REQUEST_ID_HEADER = ""
