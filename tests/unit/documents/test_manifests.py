"""End-of-day manifests: rows from orders, checks, the CSV round trip and the printed handover list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kiriman.documents import manifests
from kiriman.documents.manifests import CSV_COLUMNS, ManifestRow
from kiriman.documents.pdf import page_count
from kiriman.domain.errors import InvalidInput
from kiriman.domain.orders import Package
from kiriman.domain.parcels import Address
from tests.unit.documents.orders_for_documents import (
    CHINESE,
    IFRAME,
    SCRIPT,
    THAI,
    chinese_order,
    loose,
    pdf_text,
    thai_order,
    vietnamese_order,
)

DAY = date(2025, 1, 2)
AT = datetime(2025, 1, 2, 17, 45, tzinfo=UTC)


def rows() -> list[ManifestRow]:
    cod_order = vietnamese_order(cod=True, total=1250000)
    heavy = thai_order(packages=[Package("PKG-2404098R48U37H", "LOGISTICS_READY", 1, "x", [], 1830)])
    return [
        manifests.row_for(cod_order, "PKG-2404098R48U38J", "NVVN000000003"),
        manifests.row_for(heavy, "PKG-2404098R48U37H", "NVTH000000001"),
        manifests.row_for(chinese_order(), "PKG-2404098R48U39K", "NVTW000000002", parcels=2),
        ManifestRow("NVTH000000004", "ORD4", "PKG4", IFRAME, "10110", 500, Decimal("99.5"), "THB"),
        ManifestRow("NVTH000000005", "ORD5", "PKG5", "=HYPERLINK(\"http://x\")", "-1+1", 250),
    ]


def build() -> manifests.Manifest:
    return manifests.manifest("ninjavan", "acc-th-1", "wh-bkk-1", DAY, rows(), account_name="Ninja Van TH",
                              warehouse_name="คลังสินค้า บางนา",
                              warehouse_address=Address(name="WH", country="TH", line1="1 Bangna-Trad Rd",
                                                        city="Bangkok", postcode="10260"),
                              generated_at=AT)


def test_rows_from_orders() -> None:
    by_tn = {r.tracking_number: r for r in rows()}
    cod = by_tn["NVVN000000003"]
    assert (cod.recipient_city, cod.recipient_postcode, cod.cod_amount, cod.cod_currency) == (
        "Hồ Chí Minh", "700000", Decimal("1250000"), "VND")
    assert cod.weight_g == 3 * 250 + 250  # no chargeable weight: the package's items (kg -> g)
    assert by_tn["NVTH000000001"].weight_g == 1830  # Shopee's parcel_chargeable_weight_gram
    assert by_tn["NVTH000000001"].cod_amount is None and by_tn["NVTH000000001"].cod_currency == ""


def test_manifest_sorted_with_totals() -> None:
    m = build()
    assert [r.tracking_number for r in m.rows] == sorted(r.tracking_number for r in rows())
    assert m.manifest_id == "2025-01-02-wh-bkk-1-ninjavan-acc-th-1"
    assert m.parcels == 6
    assert m.cod_totals == {"THB": Decimal("99.5"), "VND": Decimal("1250000")}
    assert m.cod_count == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (ManifestRow("NVTH000000001", "X", "P", "c", "1", 1), "rows[5].tracking_number"),  # twice
        (ManifestRow(" ", "X", "P", "c", "1", 1), "rows[5].tracking_number"),
        (ManifestRow("T9", "X", "P", "c", "1", -1), "rows[5].weight_g"),
        (ManifestRow("T9", "X", "P", "c", "1", 1, parcels=0), "rows[5].parcels"),
        (ManifestRow("T9", "X", "P", "c", "1", 1, Decimal(-5), "THB"), "rows[5].cod_amount"),
        (ManifestRow("T9", "X", "P", "c", "1", 1, Decimal(5), "baht"), "rows[5].cod_currency"),
    ],
)
def test_bad_rows_name_the_field(bad: ManifestRow, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        manifests.manifest("ninjavan", "acc", "wh", DAY, [*rows(), bad])
    assert err.value.details[0].field == field


def test_csv_round_trips_with_bom_fixed_columns_and_no_formulas() -> None:
    m = build()
    data = manifests.manifest_csv(m)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == list(CSV_COLUMNS)
    assert parsed[1:] == [r.csv_cells() for r in m.rows]
    assert len(parsed) == 1 + len(m.rows)
    by_tn = {line[0]: dict(zip(CSV_COLUMNS, line, strict=True)) for line in parsed[1:]}
    assert by_tn["NVVN000000003"]["recipient_city"] == "Hồ Chí Minh"
    assert by_tn["NVVN000000003"]["cod_amount"] == "1250000" and by_tn["NVVN000000003"]["cod_currency"] == "VND"
    assert by_tn["NVTH000000004"]["cod_amount"] == "99.50"
    assert by_tn["NVTH000000004"]["recipient_city"] == IFRAME  # quotes survive csv quoting
    assert by_tn["NVTH000000001"]["weight_kg"] == "1.830" and by_tn["NVTH000000001"]["cod_amount"] == ""
    assert by_tn["NVTW000000002"]["recipient_city"] == "台北市" and by_tn["NVTW000000002"]["parcels"] == "2"
    assert by_tn["NVTH000000005"]["recipient_city"] == "'=HYPERLINK(\"http://x\")"
    assert by_tn["NVTH000000005"]["recipient_postcode"] == "'-1+1"
    assert manifests.manifest_csv(build()) == data  # stable: same day, same bytes


def test_pdf_prints_rows_totals_signature_boxes_and_injections_literally() -> None:
    m = build()
    pdf = manifests.render_manifest_pdf(m)
    text = pdf_text(pdf)
    assert loose("คลังสินค้า บางนา") in loose(text)
    for expected in ("Handover manifest", "ninjavan", "Ninja Van TH", "2025-01-02",
                     "NVTH000000001", "NVVN000000003", "PKG-2404098R48U39K", "Hồ Chí Minh", "台北市",
                     "<iframe", 'src="file:///etc/passwd">',  # the city column wraps it
                     "1,250,000 VND", "99.50 THB", "Total: 5 shipments, 2 COD", "Driver (carrier)", "Warehouse",
                     "Signature", "of 6"):
        assert expected in text, expected
    assert text.index("NVTH000000001") < text.index("NVTH000000004") < text.index("NVVN000000003")
    assert "root:x:" not in text
    assert THAI not in text and CHINESE not in text and SCRIPT not in text  # names are not on a handover list


def test_long_manifest_numbers_rows_across_sheets_and_never_overflows() -> None:
    many = [ManifestRow(f"TN{i:05d}", f"SN{i}", f"PKG-{i}", "Thành phố Hồ Chí Minh, Quận Bình Thạnh" if i % 2 else
                        "กรุงเทพมหานคร", "10110", 500) for i in range(120)]
    m = manifests.manifest("ninjavan", "acc", "wh", DAY, many)
    pages = manifests.manifest_html(m)
    assert len(pages) > 1
    pdf = manifests.render_manifest_pdf(m, copies=2)
    assert page_count(pdf) == 2 * len(pages)
    text = pdf_text(pdf)
    assert text.count("Driver (carrier)") == 2  # signatures on each copy's last sheet only
    assert "TN00119" in text and "120" in text
