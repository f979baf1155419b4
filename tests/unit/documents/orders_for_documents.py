"""Shared by test_packing, test_customs and test_manifests: Shopee-shaped orders and PDF text extraction."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from typing import Any

from kiriman.domain.orders import Order, Package

THAI = "สมชาย ใจดี"
CHINESE = "王小明"
VIETNAMESE = "Nguyễn Văn Đức"
IFRAME = '<iframe src="file:///etc/passwd">'
SCRIPT = "<script>alert(1)</script>"

# What pdftotext gives back differs from what is printed in three ways: Thai marks that the TLWG fonts draw as
# positioned variant glyphs come back as private-use code points (U+F700-U+F71F, e.g. MAI THO as U+F70B; the
# page itself shows the right mark), CJK ideographs come back as their Kangxi-radical look-alikes (U+2F29 for
# 小), and SARA AM comes back split. NFKC folds the last two; ``loose`` also drops Thai marks above or below the
# line (standard or private-use) and spaces on BOTH sides, so the comparison is on the consonants and vowels
# on the line. The three names above (no shifted marks) are checked exactly.
_SHIFTED = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\uf700-\uf71f\s]")


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))


def loose(text: str) -> str:
    return _SHIFTED.sub("", unicodedata.normalize("NFKC", text))


def item(item_id: int, model_id: int, name: str, model: str, sku: str, qty: int, weight_kg: float = 0.25,
         price: str = "100.00", model_sku: str = "") -> dict[str, Any]:
    return {"item_id": item_id, "model_id": model_id, "item_name": name, "model_name": model, "item_sku": sku,
            "model_sku": model_sku, "model_quantity_purchased": qty, "weight": weight_kg,
            "model_discounted_price": price, "model_original_price": price}


def order(order_sn: str, items: list[dict[str, Any]], recipient: dict[str, Any], packages: list[Package] | None = None,
          region: str = "TH", currency: str = "THB", cod: bool = False, total: float = 100.0) -> Order:
    if packages is None:
        packages = [Package(f"PKG-{order_sn}", "LOGISTICS_READY", 1, "x",
                            [{"item_id": i["item_id"], "model_id": i["model_id"],
                              "model_quantity": i["model_quantity_purchased"]} for i in items])]
    return Order(merchant_id="m1", shop_id=1, order_sn=order_sn, order_status="READY_TO_SHIP", region=region,
                 currency=currency, cod=cod, total_amount=total, create_time=0, update_time=0, pay_time=0,
                 ship_by_date=0, days_to_ship=2, shipping_carrier="x", fulfillment_flag="fulfilled_by_local_seller",
                 booking_sn=None, advance_package=False, pending_terms=[], split_up=False, items=items,
                 packages=packages, recipient=recipient)


def thai_order(order_sn: str = "2404098R48U37H", **kw: Any) -> Order:
    return order(order_sn, [item(1, 0, "เสื้อยืดคอกลม ผ้าฝ้าย", "สีดำ / L", "TS-BLK-L", 2),
                            item(2, 5, f"{SCRIPT} 红色杯子", "大号", "CUP-R", 1, weight_kg=0.4, price="80.50")],
                 {"name": THAI, "phone": "0812345678", "full_address": "99/1 ถนนสุขุมวิท แขวงคลองเตย",
                  "city": "กรุงเทพมหานคร", "zipcode": "10110", "region": "TH"}, **kw)


def vietnamese_order(order_sn: str = "2404098R48U38J", **kw: Any) -> Order:
    return order(order_sn, [item(3, 0, "Áo dài lụa tơ tằm", "Đỏ", "AO-DO", 3),
                            item(1, 0, "เสื้อยืดคอกลม ผ้าฝ้าย", "สีดำ / L", "TS-BLK-L", 1)],
                 {"name": VIETNAMESE, "phone": "0901234567", "full_address": "12 Đường Lê Lợi, Phường Bến Nghé",
                  "city": "Hồ Chí Minh", "zipcode": "700000", "region": "VN"}, region="VN", currency="VND", **kw)


def chinese_order(order_sn: str = "2404098R48U39K", **kw: Any) -> Order:
    return order(order_sn, [item(4, 0, IFRAME, "", "INJ-1", 1), item(5, 7, "茉莉花茶 250克", "礼盒", "TEA-J", 2)],
                 {"name": CHINESE, "phone": "0912345678", "full_address": "台北市信義區松仁路 100 號",
                  "city": "台北市", "zipcode": "110", "region": "TW"}, region="TW", currency="TWD", **kw)
