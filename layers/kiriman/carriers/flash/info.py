"""Flash Express's registry entry (no network code here, so the domain can read it)."""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo

# https://open-docs.flashexpress.com/#the-security-reference: production and training ("tra") hosts, with
# separate credentials per environment issued by Flash staff.
HOSTS = {"production": "https://open-api.flashexpress.com", "sandbox": "https://open-api-tra.flashexpress.com"}

INFO = CarrierInfo(
    slug="flash",
    name="Flash Express",
    countries=frozenset({"TH"}),
    services=("Standard",),  # expressCategory 1; other categories' meanings disagree between sources
    volumetric_divisor=6000,  # not published by Flash (it only says pricePolicy 2 = priced by size)
    reference_max_len=32,  # outTradeNo's length is not published: the 32 of mchId/nonceStr, to be safe
    searchable_by_reference=False,  # no lookup by outTradeNo; a repeat gets 1003 without the original pno
    operations=frozenset({"quote", "create_shipment", "get_label", "cancel", "track", "book_pickup",
                          "verify_webhook", "parse_webhook", "webhook_ack"}),
    credential_fields=("mch_id", "key"),
    setting_fields=("warehouse_no", "express_category", "article_category", "label_size"),
    webhook_signature_header="",  # the signature is the form field ``sign``, not a header
    docs="https://open-docs.flashexpress.com/",
)
# Flash names a request by ``tid`` in the response body, not in a header; errors carry it as request_id.
REQUEST_ID_HEADER = ""
