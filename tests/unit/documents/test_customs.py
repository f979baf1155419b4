"""CN22 / CN23 choice at the edges of the thresholds, field checks, and the printed forms and invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kiriman.documents import customs
from kiriman.documents.customs import Category, CustomsInfo, CustomsLine, Form
from kiriman.documents.packing import recipient_of
from kiriman.documents.pdf import page_count
from kiriman.domain.errors import InvalidInput
from kiriman.domain.parcels import Address
from tests.unit.documents.orders_for_documents import (
    CHINESE,
    IFRAME,
    SCRIPT,
    THAI,
    VIETNAMESE,
    chinese_order,
    loose,
    pdf_text,
    thai_order,
    vietnamese_order,
)

RATES = {"THB": Decimal("45.5"), "MYR": Decimal("6.0"), "VND": Decimal("33000")}
SENDER = Address(name="深圳王小明贸易有限公司", country="CN", line1="南山区科技园 88 号", city="深圳",
                 postcode="518000", phone="+86 755 1234 5678")
CATALOGUE = {
    "TS-BLK-L": CustomsInfo("610910", "CN", "Cotton T-shirt, knitted"),
    "CUP-R": CustomsInfo("691200", "CN"),  # no description: the Shopee item name is printed
    "AO-DO": CustomsInfo("620442", "VN", "Silk dress"),
    "INJ-1": CustomsInfo("392690", "CN"),
    "TEA-J": CustomsInfo("090220", "CN", "Jasmine green tea"),
}


@pytest.mark.parametrize(
    ("value", "currency", "weight_g", "lines", "form"),
    [
        ("1800", "MYR", 2000, 3, Form.CN22),  # exactly 300 SDR, 2 kg and the CN22's 3 lines: still a CN22
        ("1800.06", "MYR", 100, 1, Form.CN23),  # 300.01 SDR
        ("13650", "THB", 100, 1, Form.CN22),  # 300 SDR in THB
        ("13650.50", "THB", 100, 1, Form.CN23),
        ("300", "XDR", 100, 1, Form.CN22),  # SDR itself needs no rate
        ("10", "MYR", 2001, 1, Form.CN23),  # 1 g over the small-packet limit
        ("10", "MYR", 500, 4, Form.CN23),  # does not fit the CN22
        ("0", "VND", 0, 1, Form.CN22),
    ],
)
def test_choose_form_at_the_edges(value: str, currency: str, weight_g: int, lines: int, form: Form) -> None:
    choice = customs.choose_form(value, currency, weight_g, RATES, lines=lines)
    assert choice.form is form
    assert bool(choice.reasons) == (form is Form.CN23)


def test_choose_form_parcels_and_requests_always_cn23_and_reasons_are_given() -> None:
    assert customs.choose_form("1", "MYR", 10, RATES, parcel_post=True).form is Form.CN23
    choice = customs.choose_form("6000", "MYR", 2500, RATES, require_cn23=True)
    assert choice.value_sdr == Decimal(1000)
    assert len(choice.reasons) == 3 and "1000.00 SDR" in choice.reasons[0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"currency": "EUR"}, "currency"),  # no rate given: never guessed
        ({"value": "-1"}, "value"),
        ({"value": "abc"}, "value"),
        ({"weight_g": -1}, "weight_g"),
        ({"lines": 0}, "lines"),
        ({"rates": {"MYR": Decimal(0)}}, "units_per_sdr.MYR"),
    ],
)
def test_choose_form_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"value": "10", "currency": "MYR", "weight_g": 100, "lines": 1, "rates": RATES}
    args.update(kwargs)
    with pytest.raises(InvalidInput) as err:
        customs.choose_form(args["value"], args["currency"], args["weight_g"], args["rates"],  # type: ignore[arg-type]
                            lines=args["lines"])  # type: ignore[arg-type]
    assert err.value.details[0].field == field


def test_lines_from_order_use_the_package_prices_weights_and_catalogue() -> None:
    lines = customs.lines_from_order(thai_order(), "PKG-2404098R48U37H", CATALOGUE)
    assert [(x.description, x.quantity, x.net_weight_g, x.value, x.hs_code, x.origin_country) for x in lines] == [
        ("Cotton T-shirt, knitted", 2, 500, Decimal("200.00"), "610910", "CN"),
        (f"{SCRIPT} 红色杯子 (大号)", 1, 400, Decimal("80.50"), "691200", "CN"),
    ]


def _line(**kw: object) -> CustomsLine:
    base: dict[str, object] = {"description": "Tea", "quantity": 1, "net_weight_g": 100, "value": Decimal(5),
                               "hs_code": "090220", "origin_country": "CN"}
    base.update(kw)
    return CustomsLine(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "category", "field"),
    [
        (_line(hs_code=""), Category.SALE_OF_GOODS, "lines[0].hs_code"),
        (_line(hs_code="0902"), Category.GIFT, "lines[0].hs_code"),  # fewer than 6 digits
        (_line(hs_code="0902.20"), Category.GIFT, "lines[0].hs_code"),
        (_line(origin_country=""), Category.COMMERCIAL_SAMPLE, "lines[0].origin_country"),
        (_line(origin_country="China"), Category.GIFT, "lines[0].origin_country"),
        (_line(quantity=0), Category.GIFT, "lines[0].quantity"),
        (_line(value=Decimal(-1)), Category.GIFT, "lines[0].value"),
        (_line(description=" "), Category.GIFT, "lines[0].description"),
        (_line(), Category.OTHER, "category_explanation"),
        (_line(net_weight_g=5000), Category.GIFT, "gross_weight_g"),
    ],
)
def test_declaration_bad_input_names_the_field(line: CustomsLine, category: Category, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        customs.declaration(category, SENDER, recipient_of(thai_order()), [line], "MYR", 200, RATES, "王小明",
                            date(2025, 1, 2))
    assert err.value.details[0].field == field


def test_gift_needs_no_hs_code_and_commercial_cn23_needs_an_invoice() -> None:
    gift = customs.declaration(Category.GIFT, SENDER, recipient_of(thai_order()),
                               [_line(hs_code="", origin_country="")], "MYR", 200, RATES, "Ming", date(2025, 1, 2))
    assert gift.form is Form.CN22
    with pytest.raises(InvalidInput) as err:
        customs.declaration(Category.SALE_OF_GOODS, SENDER, recipient_of(thai_order()), [_line(value=Decimal(5000))],
                            "MYR", 200, RATES, "Ming", date(2025, 1, 2))
    assert err.value.details[0].field == "invoice_number"


def test_commercial_invoice_totals_and_checks() -> None:
    lines = customs.lines_from_order(thai_order(), "PKG-2404098R48U37H", CATALOGUE)
    inv = customs.commercial_invoice("INV-7", date(2025, 1, 2), SENDER, recipient_of(thai_order()), "ddp", "thb", lines,
                                     shipping=Decimal("60"), insurance=Decimal("1.5"))
    assert inv.incoterm is customs.Incoterm.DDP and inv.currency == "THB"
    assert inv.subtotal == Decimal("280.50") and inv.total == Decimal("342.00")
    for kwargs, field in (({"incoterm": "EXW"}, "incoterm"), ({"invoice_number": ""}, "invoice_number"),
                          ({"shipping": Decimal(-1)}, "shipping")):
        args: dict[str, object] = {"invoice_number": "INV-7", "incoterm": "DAP", "shipping": Decimal(0)}
        args.update(kwargs)
        with pytest.raises(InvalidInput) as err:
            customs.commercial_invoice(args["invoice_number"], date(2025, 1, 2), SENDER,  # type: ignore[arg-type]
                                       recipient_of(thai_order()), args["incoterm"], "THB", lines,  # type: ignore[arg-type]
                                       shipping=args["shipping"])  # type: ignore[arg-type]
        assert err.value.details[0].field == field


@pytest.fixture(scope="module")
def printed() -> dict[str, bytes]:
    """Three PDFs for the whole module: a CN22 (Thai addressee), a CN23 (Chinese addressee, injection in an
    item name) and a commercial invoice (Vietnamese buyer)."""
    thai, chinese, viet = thai_order(), chinese_order(), vietnamese_order()
    cn22 = customs.declaration(Category.SALE_OF_GOODS, SENDER, recipient_of(thai),
                               customs.lines_from_order(thai, "PKG-2404098R48U37H", CATALOGUE), "THB", 950, RATES,
                               CHINESE, date(2025, 1, 2), item_id="UA123456785CN")
    assert cn22.form is Form.CN22
    cn23 = customs.declaration(Category.SALE_OF_GOODS, SENDER, recipient_of(chinese),
                               [_line(description=IFRAME, hs_code="392690"),
                                _line(description="茉莉花茶 250克", quantity=2, value=Decimal(900))],
                               "MYR", 2600, RATES, CHINESE, date(2025, 1, 2), invoice_number="INV-8",
                               importer_reference="TW12345678", comments=SCRIPT)
    assert cn23.form is Form.CN23
    inv = customs.commercial_invoice(
        "INV-9", date(2025, 1, 2), SENDER, recipient_of(viet), "DAP", "VND",
        customs.lines_from_order(viet, "PKG-2404098R48U38J", CATALOGUE), order_sn=viet.order_sn, signer=CHINESE,
        extra={"Seller note": SCRIPT})
    return {"cn22": customs.render_declaration(cn22), "cn23": customs.render_declaration(cn23, copies=2),
            "invoice": customs.render_invoice(inv)}


def test_cn22_prints_the_addressee_lines_and_totals(printed: dict[str, bytes]) -> None:
    text = pdf_text(printed["cn22"])
    for expected in ("CN 22", "CUSTOMS DECLARATION", "UA123456785CN", THAI, CHINESE, "Cotton T-shirt, knitted",
                     "610910", SCRIPT, "280.50", "0.950", "2025-01-02"):
        assert expected in text, expected
    assert "红色杯" in text and "(大号)" in text  # the name wraps inside the narrow description column


def test_cn23_prints_sender_addressee_and_injections_literally(printed: dict[str, bytes]) -> None:
    assert page_count(printed["cn23"]) == 2
    text = pdf_text(printed["cn23"])
    for expected in ("CN 23", CHINESE, "深圳王小明贸易有限公司", "台北市信義區松仁路", "TW12345678", "INV-8", IFRAME,
                     SCRIPT, "茉莉花茶 250克", "392690", "905.00", "2.600"):
        assert expected in text, expected
    assert "root:x:" not in text


def test_invoice_prints_buyer_lines_and_totals(printed: dict[str, bytes]) -> None:
    text = pdf_text(printed["invoice"])
    for expected in ("COMMERCIAL INVOICE", "INV-9", "DAP", VIETNAMESE, "Hồ Chí Minh", "Silk dress", "620442", "VN",
                     "2404098R48U38J", SCRIPT, "Total (VND)", "400"):
        assert expected in text, expected
    assert loose("เสื้อยืดคอกลม") not in loose(text)  # catalogue description replaces the shop title
