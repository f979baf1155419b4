"""Sample labels shared by the document tests (and the bench)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from kiriman.documents.labels import LabelDocument, Party

THAI = "สมชาย ใจดี"
CHINESE = "王小明"
VIETNAMESE = "Nguyễn Văn Đức"
IFRAME = '<iframe src="file:///etc/passwd">'
SCRIPT = "<script>alert(1)</script>"

SENDER = Party(
    name="Kiriman Fulfilment SZ",
    phone="+86 755 1234 5678",
    lines=("Bldg 3, 18 Keji Rd",),
    city="Shenzhen",
    state="Guangdong",
    postcode="518000",
    country="CN",
)

RECIPIENTS = {
    THAI: Party(THAI, "+66 81 234 5678", ("99/12 ถนนสุขุมวิท", "แขวงคลองเตย"), "Bangkok", "", "10110", "TH"),
    CHINESE: Party(CHINESE, "+886 912 345 678", ("信義路五段7號",), "台北市", "", "110", "TW"),
    VIETNAMESE: Party(
        VIETNAMESE, "+84 90 123 4567", ("12 Lê Lợi", "Phường Bến Nghé, Quận 1"), "Hồ Chí Minh", "", "700000", "VN"
    ),
    "Tan Ah Kow": Party("Tan Ah Kow", "+65 9123 4567", ("1 Raffles Place #20-01",), "Singapore", "", "048616", "SG"),
}


def label(name: str, tracking_number: str, **overrides: object) -> LabelDocument:
    recipient = RECIPIENTS.get(name) or Party(name, "+66 80 000 0000", ("1 Test Road",), "Bangkok", "", "10110", "TH")
    fields: dict[str, object] = {
        "tracking_number": tracking_number,
        "carrier": "Flash Express",
        "service": "Standard",
        "sender": SENDER,
        "recipient": recipient,
        "order_sn": "240501ABCD1234",
        "package_number": "OFG123456789",
        "reference": "KRM-" + tracking_number[-6:],
        "weight_g": 1250,
        "items_count": 2,
        "printed_at": datetime(2024, 5, 1, 7, 3, tzinfo=UTC),
    }
    fields.update(overrides)
    return LabelDocument(**fields)  # type: ignore[arg-type]


def batch(n: int) -> list[LabelDocument]:
    """``n`` labels cycling through the scripts, with and without COD and sort codes."""
    names = list(RECIPIENTS)
    docs = []
    for i in range(n):
        cod = i % 2 == 0
        docs.append(
            label(
                names[i % len(names)],
                f"TH{20240501000 + i:013d}A",
                cod_amount=Decimal("1234.50") if cod else Decimal(0),
                currency="THB" if cod else "",
                sort_code=f"BKK-{i % 90 + 10}" if i % 3 == 0 else "",
            )
        )
    return docs
