"""Packing slips and pick lists: the data (package contents, bin order, sums) and the printed PDFs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiriman.documents import packing
from kiriman.documents.pdf import PageSize, html_to_pdf, page_count
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.domain.orders import Package
from tests.unit.documents.orders_for_documents import (
    CHINESE,
    IFRAME,
    SCRIPT,
    THAI,
    VIETNAMESE,
    chinese_order,
    item,
    loose,
    order,
    pdf_text,
    thai_order,
    vietnamese_order,
)

LOCATIONS = {"TS-BLK-L": "A-10", "CUP-R": "A-2", "TEA-J": "A-2", "INJ-1": "B-1"}
AT = datetime(2025, 1, 2, 9, 30, tzinfo=UTC)


def wave() -> packing.PickList:
    return packing.pick_list(
        [(thai_order(), "PKG-2404098R48U37H"), (vietnamese_order(), "PKG-2404098R48U38J"),
         (chinese_order(), "PKG-2404098R48U39K")],
        LOCATIONS, "W-0001", "Bangkok 1", printed_at=AT)


def test_pick_list_sorted_by_bin_then_sku_with_summed_quantities_and_unlocated_last() -> None:
    pl = wave()
    assert [(line.location, line.sku) for line in pl.lines] == [
        ("A-2", "CUP-R"), ("A-2", "TEA-J"),  # same bin: by SKU
        ("A-10", "TS-BLK-L"),  # natural order: A-2 before A-10
        ("B-1", "INJ-1"),
        ("", "AO-DO"),  # no bin: last
    ]
    shirt = next(line for line in pl.lines if line.sku == "TS-BLK-L")
    assert shirt.quantity == 3
    assert [(s.order_sn, s.quantity) for s in shirt.sources] == [("2404098R48U37H", 2), ("2404098R48U38J", 1)]
    assert pl.total_quantity == 1 + 2 + 3 + 1 + 3
    assert len(pl.packages) == 3


def test_location_key_is_natural_and_case_insensitive() -> None:
    bins = ["b-1", "A-10", "", "A-2", "a-3", "A-2-10", "A-2-9"]
    assert sorted(bins, key=packing.location_key) == ["A-2", "A-2-9", "A-2-10", "a-3", "A-10", "b-1", ""]


def test_pick_list_refuses_a_package_twice_and_an_empty_wave() -> None:
    o = thai_order()
    with pytest.raises(InvalidInput) as err:
        packing.pick_list([(o, "PKG-2404098R48U37H"), (o, "PKG-2404098R48U37H")], {}, "W", "WH")
    assert err.value.details[0].field == "packages"
    with pytest.raises(InvalidInput):
        packing.pick_list([], {}, "W", "WH")


def test_package_items_follow_the_package_not_the_whole_order() -> None:
    items = [item(1, 0, "A", "", "SKU-A", 3), item(2, 9, "B", "blue", "", 1, model_sku="SKU-B-BLUE"),
             item(3, 0, "C", "", "", 2)]
    o = order("SPLIT1", items, {"name": "x"}, packages=[
        Package("P1", "LOGISTICS_READY", 1, "x", [{"item_id": 1, "model_id": 0, "model_quantity": 2},
                                                  {"item_id": 3, "model_id": 0, "model_quantity": 2}]),
        Package("P2", "LOGISTICS_READY", 1, "x", [{"item_id": 1, "model_id": 0, "model_quantity": 1},
                                                  {"item_id": 2, "model_id": 9, "model_quantity": 1}]),
        Package("P3", "LOGISTICS_READY", 1, "x", [{"item_id": 99, "model_id": 0, "model_quantity": 1}]),
    ])
    assert [(i.sku, i.quantity) for i in packing.package_items(o, "P1")] == [("SKU-A", 2), ("#3-0", 2)]
    assert [(i.sku, i.quantity) for i in packing.package_items(o, "P2")] == [("SKU-A", 1), ("SKU-B-BLUE", 1)]
    assert [(i.sku, i.quantity) for i in packing.package_items(o, None)] == [("SKU-A", 3), ("SKU-B-BLUE", 1),
                                                                            ("#3-0", 2)]
    with pytest.raises(NotFound):
        packing.package_items(o, "P9")
    with pytest.raises(InvalidInput) as err:
        packing.package_items(o, "P3")
    assert err.value.details[0].field == "package_number"


def test_packing_slip_lines_in_bin_order() -> None:
    slip = packing.packing_slip(thai_order(), "PKG-2404098R48U37H", "Shop", LOCATIONS, printed_at=AT)
    assert [(line.location, line.sku, line.quantity) for line in slip.lines] == [("A-2", "CUP-R", 1),
                                                                                 ("A-10", "TS-BLK-L", 2)]
    assert slip.recipient.name == THAI and slip.recipient.postcode == "10110"
    assert slip.total_quantity == 3


@pytest.fixture(scope="module")
def printed() -> tuple[bytes, bytes]:
    slips = [
        packing.packing_slip(thai_order(), "PKG-2404098R48U37H", "ร้าน Kiriman", LOCATIONS, tracking_number="NVTH1",
                             carrier="ninjavan", note=SCRIPT, printed_at=AT),
        packing.packing_slip(vietnamese_order(), "PKG-2404098R48U38J", "Cửa hàng Đức", LOCATIONS, printed_at=AT),
        packing.packing_slip(chinese_order(), "PKG-2404098R48U39K", "小明商店", LOCATIONS, printed_at=AT),
    ]
    return packing.render_packing_slips(slips, PageSize.A6), packing.render_pick_list(wave())


def test_packing_slips_print_every_script_and_injections_literally(printed: tuple[bytes, bytes]) -> None:
    slips_pdf, _ = printed
    assert page_count(slips_pdf) == 3
    text = pdf_text(slips_pdf)
    for expected in (THAI, VIETNAMESE, CHINESE, "2404098R48U37H", "PKG-2404098R48U39K", "NVTH1", "Cửa hàng Đức",
                     "小明商店", "Áo dài lụa tơ tằm", "茉莉花茶 250克", "红色杯子", "Hồ Chí Minh", "台北市信義區松仁路",
                     IFRAME, SCRIPT):
        assert expected in text, expected
    assert loose("เสื้อยืดคอกลม ผ้าฝ้าย") in loose(text)
    assert "root:x:" not in text


def test_pick_list_pdf_in_walking_order(printed: tuple[bytes, bytes]) -> None:
    _, pick_pdf = printed
    text = pdf_text(pick_pdf)
    positions = [text.index(sku) for sku in ("CUP-R", "TEA-J", "TS-BLK-L", "INJ-1", "AO-DO")]
    assert positions == sorted(positions)
    for expected in ("W-0001", "Bangkok 1", "2404098R48U38J/PKG-2404098R48U38J", "茉莉花茶 250克", IFRAME, "no bin"):
        assert expected in text, expected
    assert "root:x:" not in text


def test_paginate_fills_sheets_and_keeps_room_for_the_footer() -> None:
    assert packing.paginate([5, 5, 5, 5, 5], 12, float) == [[5, 5], [5, 5], [5]]
    assert packing.paginate([5, 5, 5, 5], 12, float, last_reserve=4) == [[5, 5], [5], [5]]
    assert packing.paginate([20], 12, float) == [[20]]  # one item taller than a sheet still prints
    assert packing.paginate([], 12, float) == [[]]


def test_long_wave_and_long_slip_never_overflow_a_sheet() -> None:
    """Each fragment is one sheet: wkhtmltopdf here repeats no table header and splits rows, so the estimates
    in packing.py must keep every fragment within its sheet. Page count == fragment count proves it."""
    names = ["", "สินค้า ชุดใหญ่พิเศษ 商品 long name to wrap", "Áo dài lụa tơ tằm cao cấp " * 3, "茉莉花茶 " * 12]
    orders = [(order(f"SN{i:04d}", [item(i, 0, names[i % 4] or f"x{i}", "variant " * (i % 3), f"SKU-{i:03d}", 1)],
                     {"name": "x"}), f"PKG-SN{i:04d}") for i in range(70)]
    orders += [(order(f"2404098R48U{i:03d}", [item(5, 0, "x", "", "SKU-005", 1)], {"name": "x"},
                      packages=[Package(f"OFG16630079121{i:04d}", "x", 1, "x", [])]), f"OFG16630079121{i:04d}")
               for i in range(25)]
    pl = packing.pick_list(orders, {f"SKU-{i:03d}": f"R{i % 7}-{i % 11}" for i in range(50)}, "W-9", "WH")
    pick_pages = packing.pick_list_html(pl)
    slip = packing.packing_slip(order("BIG", [item(i, 0, names[i % 4] or f"x{i}", "v", f"S{i:02d}", 1)
                                               for i in range(25)], {"name": "x"}), "PKG-BIG", "Shop")
    slip_pages = packing.packing_slip_html(slip, PageSize.A6)
    assert len(pick_pages) > 1 and len(slip_pages) > 1
    assert page_count(packing.render_pick_list(pl)) == len(pick_pages)
    assert page_count(html_to_pdf(slip_pages, PageSize.A6)) == len(slip_pages)
