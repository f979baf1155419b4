"""J&T Express's registry entry (no network code here, so the domain can read it).

JMS open platform, Malaysia tenant: https://ylopenapi.jtexpress.my/webopenplatformapi (production) and
https://demoopenapi.jtexpress.my/webopenplatformapi (testing), per J&T's MY API pages re-published in
laraditz/courier-jt-express ``docs/j&t-api/*.md``. Other JMS tenants (VN, EG, CN) speak the same
protocol on their own hosts: point the registry's ``endpoints`` at them and set ``business_auth``.
"""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo

SIGNATURE_HEADER = "digest"
HOSTS = {"production": "https://ylopenapi.jtexpress.my", "sandbox": "https://demoopenapi.jtexpress.my"}
# J&T returns its request id in the body envelope (``requestId``), not in a header; the mapping puts it
# on every error it raises.
REQUEST_ID_HEADER = ""

INFO = CarrierInfo(
    slug="jnt",
    name="J&T Express",
    countries=frozenset({"MY"}),
    services=("EZ", "EX", "FD"),  # expressType: standard, next day, fresh
    volumetric_divisor=6000,  # J&T MY domestic (https://jtexpress.my/faqdetails.php?faq_id=20); 5000 international
    reference_max_len=50,  # txlogisticId String(50)
    searchable_by_reference=True,  # order/getOrders by txlogisticId
    operations=frozenset({"create_shipment", "find_by_reference", "get_label", "cancel", "track",
                          "verify_webhook", "parse_webhook", "webhook_ack"}),
    credential_fields=("api_account", "private_key", "customer_code", "password"),
    setting_fields=("business_auth", "country_iso3", "currency", "service_type", "express_type", "pay_type"),
    webhook_signature_header=SIGNATURE_HEADER,
    docs="https://github.com/laraditz/courier-jt-express",  # J&T's MY API pages, re-published (docs/j&t-api)
)
