"""Shopee's integrated logistics ("Shopee Supported Logistics") as a carrier: Shopee books the 3PL.

No credentials of its own: it speaks through the shop's Shopee Open Platform authorization, so its
adapter is built with the shop's Shopee client (see :class:`kiriman.carriers.shopee.client.ShopeeLogistics`).
"""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo

HOSTS: dict[str, str] = {}  # the Shopee client's host setting applies
REQUEST_ID_HEADER = ""

INFO = CarrierInfo(
    slug="shopee",
    name="Shopee integrated logistics",
    countries=frozenset({"SG", "MY", "TH", "ID", "VN", "PH", "TW", "BR"}),
    services=("pickup", "dropoff"),
    volumetric_divisor=6000,  # Shopee prices its channels itself; used only for our own estimates
    reference_max_len=200,
    # The reference is the package identity (shop, order_sn, package_number): Shopee arranges a package
    # once, and get_tracking_number / get_package_detail tell whether it was.
    searchable_by_reference=True,
    operations=frozenset({"create_shipment", "find_by_reference", "get_label", "track"}),
    credential_fields=(),
    setting_fields=("method",),
    docs="https://open.shopee.com/documents/v2/v2.logistics.ship_order",
    reference_is_package=True,
)
