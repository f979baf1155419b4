"""ds.xms.order.create (validation, success, the ref_no guard, package identity), ds.xms.order.get,
ds.xms.order.cancel, labels, the rate trial and the product list."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import Api, Clock, order_body, ref

HOUR = 3600


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for name in parents:
            node = node[int(name)] if name.isdigit() else node[name]
        del node[last]

    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for name in parents:
            node = node[int(name)] if name.isdigit() else node[name]
        node[last] = value

    return mutate


P0 = "parcel_list.0"
D0 = "parcel_list.0.declare_product_info.0"
DP = "parcel_list[0].declare_product_info[0]"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_drop("ref_no"), "ref_no"),
        (_set("ref_no", "R" * 51), "ref_no"),
        (_set("duty_type", "X"), "duty_type"),
        (_set("business_type", "FBA"), "business_type"),
        (_drop("logistics_service_info"), "logistics_service_info"),
        (_set("logistics_service_info.logistics_product_code", "ZZ"), "logistics_service_info.logistics_product_code"),
        (_drop("sender.first_name"), "sender.first_name"),
        (_drop("sender.city"), "sender.city"),
        (_set("sender.country", "China"), "sender.country"),
        (_drop("recipient_info.city"), "recipient_info.city"),
        (_drop("recipient_info.state"), "recipient_info.state"),
        (_drop("recipient_info.phone"), "recipient_info.phone"),
        (_drop("recipient_info.street"), "recipient_info.street"),
        (_set("recipient_info.first_name", "陈大文"), "recipient_info.first_name"),
        (_set("recipient_info.street", "ถนนสุขุมวิท 1"), "recipient_info.street"),
        (_set("recipient_info.country", "US"), "recipient_info.country"),
        (_set("recipient_info.country", "MY"), "recipient_info.country"),  # the sg account does not serve MY
        (_drop("parcel_list"), "parcel_list"),
        (_set(f"{P0}.weight", 1.5), "parcel_list[0].weight"),
        (_set(f"{P0}.weight", 0), "parcel_list[0].weight"),
        (_drop(f"{P0}.weight"), "parcel_list[0].weight"),
        (_drop(f"{P0}.height"), "parcel_list[0].length"),
        (_set(f"{P0}.currency", "EUR"), "parcel_list[0].currency"),
        (_set(f"{P0}.include_battery", "Y"), "parcel_list[0].include_battery"),  # PX takes no batteries
        (_drop(f"{P0}.declare_product_info"), "parcel_list[0].declare_product_info"),
        (_drop(f"{D0}.declare_product_name_en"), f"{DP}.declare_product_name_en"),
        (_set(f"{D0}.declare_product_name_en", "数据线"), f"{DP}.declare_product_name_en"),
        (_set(f"{D0}.declare_product_name_cn", "USB cable"), f"{DP}.declare_product_name_cn"),
        (_set(f"{D0}.declare_product_code_qty", 0), f"{DP}.declare_product_code_qty"),
        (_set(f"{D0}.currency_export", "SGD"), f"{DP}.currency_export"),
        (_set(f"{D0}.hscode_export", "8544.42"), f"{DP}.hscode_export"),
        (_set("deliver_type_info.deliver_type", "4"), "deliver_type_info.deliver_type"),
        (_set("is_insure", "Y"), "insurance_info"),
        (_set("return_info.is_return_on_oversea", "maybe"), "return_info.is_return_on_oversea"),
    ],
)  # fmt: skip
def test_validation_names_the_field(api: Api, mutate: Callable[[dict[str, Any]], None], field: str) -> None:
    body = order_body()
    mutate(body)
    fop = api.create(body)
    assert fop.status == 200 and fop.body["result"] == "0", fop.body
    assert set(fop.codes) == {"DS000000"}
    assert field in fop.fields, fop.body["errors"]
    problem = next(e for e in fop.body["errors"] if e["error_data"] == field)
    assert problem["error_msg"].startswith(f"{field}: ")
    assert fop.body["msg"] == fop.body["errors"][0]["error_msg"]
    if isinstance(body.get("ref_no"), str):
        assert not api.shipments_with_ref(body["ref_no"])


def test_validation_lists_every_problem_and_tolerates_numeric_strings(api: Api) -> None:
    body = order_body()
    del body["recipient_info"]["city"]
    body["parcel_list"][0]["weight"] = "abc"
    body["parcel_list"][0]["declare_product_info"][0]["currency_import"] = "EUR"
    fields = set(api.create(body).fields)
    assert {"recipient_info.city", "parcel_list[0].weight",
            "parcel_list[0].declare_product_info[0].currency_import"} <= fields  # fmt: skip
    tolerant = order_body(
        deliver_type_info={"deliver_type": 2},
        parcel_list=[{**order_body()["parcel_list"][0], "weight": "900", "parcel_value": "11.80"}],
    )
    del tolerant["parcel_list"][0]["declare_product_info"][0]["declare_product_name_cn"]  # optional
    del tolerant["sender"]["post_code"]  # optional unless require_sender_post_code
    assert api.create(tolerant).ok
    local = order_body(cc="th", parcel_list=[{**order_body()["parcel_list"][0], "currency": "THB"}])
    for item in local["parcel_list"][0]["declare_product_info"]:
        item["currency_export"] = item["currency_import"] = "THB"
    assert api.create(local, cc="th").ok  # USD or the destination's currency
    battery = order_body(logistics_service_info={"logistics_product_code": "PY"})
    battery["parcel_list"][0]["include_battery"] = "Y"
    assert api.create(battery).fields == ["parcel_list[0].battery_type"]
    battery["parcel_list"][0]["battery_type"] = "966"
    assert api.create(battery).ok
    vietnamese = order_body(cc="vn", recipient_info={"first_name": "Nguyễn Văn Đức", "street": "12 Lê Lợi"})
    assert api.create(vietnamese, cc="vn").ok  # Latin script with accents is Latin script


def test_create_returns_the_numbers(api: Api) -> None:
    ref_no = ref()
    fop = api.create(order_body(ref_no))
    assert fop.status == 200 and fop.ok
    data = fop.data
    assert set(data) == {"ref_no", "4px_tracking_no", "ds_consignment_no", "label_barcode", "logistics_channel_no",
                         "logistics_channel_name"}  # fmt: skip
    assert data["ref_no"] == ref_no
    assert re.fullmatch(r"4PX3\d{12}CN", data["4px_tracking_no"])
    assert data["ds_consignment_no"].startswith("DS") and data["label_barcode"] == data["4px_tracking_no"]
    assert data["logistics_channel_no"] == ""  # assigned only after warehouse processing
    shipment = api.shipment(data["4px_tracking_no"])
    assert shipment["reference"] == ref_no and shipment["account"] == "fpx-demo-sg"
    assert shipment["status"] == "forecast" and shipment["consignment_status"] == "P"
    assert shipment["cancelled_at"] is None and shipment["created_at"] > 0
    assert shipment["charge"]["currency"] == "CNY"
    # 1120 g (volumetric 20x15x5/6000 = 250 g) -> 1.12 kg x 48 + 14 = 67.76 CNY
    assert shipment["charge"]["amount"] == pytest.approx(67.76)
    assert shipment["charge"]["chargeable_weight_g"] == 1120


def test_a_repeated_ref_no_is_refused_and_buys_nothing(api: Api) -> None:
    ref_no = ref()
    first = api.create_ok(ref_no=ref_no)
    again = api.create(order_body(ref_no, remark="KRM1|1|DUP|P1|outbound"))
    assert again.status == 200 and again.body["result"] == "0"
    assert again.codes == ["DS000001"] and again.fields == ["ref_no"]
    assert again.body["data"] is None  # the existing order is never returned
    assert "already exists" in again.body["msg"]
    assert "此单已存在" in api.create(order_body(ref_no), language="cn").body["msg"]
    assert [s["tracking_number"] for s in api.shipments_with_ref(ref_no)] == [first["4px_tracking_no"]]
    rejected = [d for d in api.ledger()["duplicate_rejections"] if d["ref_no"] == ref_no]
    assert len(rejected) == 2 and rejected[0]["existing_tracking_number"] == first["4px_tracking_no"]
    # another account may use the same ref_no
    assert api.create(order_body(ref_no, cc="my"), cc="my").ok


def test_a_cancelled_order_frees_its_ref_no(api: Api) -> None:
    ref_no = ref()
    first = api.create_ok(ref_no=ref_no)
    assert api.cancel(first["4px_tracking_no"]).ok
    second = api.create_ok(ref_no=ref_no)  # 4PX: cancel, then submit again
    assert second["4px_tracking_no"] != first["4px_tracking_no"]
    found = api.order(ref_no)
    assert found is not None and found["consignment_info"]["4px_tracking_no"] == second["4px_tracking_no"]
    api.control("POST", "config", {"ref_no_reusable_after_cancel": False})
    try:
        other = ref()
        tn = api.create_ok(ref_no=other)["4px_tracking_no"]
        assert api.cancel(tn).ok
        assert api.create(order_body(other)).codes == ["DS000001"]
    finally:
        api.control("POST", "config", {"ref_no_reusable_after_cancel": True})


def test_package_identity_is_parsed_and_purchases_are_counted_per_package(api: Api) -> None:
    identity = "KRM1|220000101|2511ABCDEF01|OFG77|line_haul"
    a = api.create_ok(remark=identity)
    b = api.create_ok(remark=identity)  # the same package bought again under a second reference
    junk = api.create_ok(remark="shop order 123")
    none = order_body()
    del none["remark"]
    bare = api.ok("ds.xms.order.create", none)
    ledger = api.ledger()
    key = "220000101|2511ABCDEF01|OFG77|line_haul"
    assert api.shipment(a["4px_tracking_no"])["package"] == {
        "shop_id": "220000101", "order_sn": "2511ABCDEF01", "package_number": "OFG77", "leg": "line_haul",
    }  # fmt: skip
    assert api.shipment(junk["4px_tracking_no"])["package"] is None
    assert api.shipment(bare["4px_tracking_no"])["package"] is None
    assert ledger["purchases_by_package"][key] == 2
    assert ledger["active_purchases_by_package"][key] == 2
    double = next(d for d in ledger["double_purchases"] if d["key"] == key)
    assert double == {"key": key, "purchases": 2, "active": 2,
                      "tracking_numbers": [a["4px_tracking_no"], b["4px_tracking_no"]]}  # fmt: skip
    assert api.cancel(b["4px_tracking_no"]).ok
    ledger = api.ledger()
    assert ledger["purchases_by_package"][key] == 2 and ledger["active_purchases_by_package"][key] == 1


def test_order_get_by_reference_and_number(api: Api, clock: Clock) -> None:
    created = api.create_ok()
    tn, ref_no = created["4px_tracking_no"], created["ref_no"]
    by_ref = api.order(ref_no)
    by_tn = api.order(tn.lower())
    assert by_ref == by_tn and by_ref is not None
    info = by_ref["consignment_info"]
    assert info["4px_tracking_no"] == tn and info["ref_no"] == ref_no and info["consignment_status"] == "P"
    assert info["logistics_product_code"] == "PX" and info["logistics_channel_no"] == ""
    assert isinstance(info["consignment_create_date"], int) and info["4px_inbound_date"] is None
    assert by_ref["parcel_confirm_info"]["parcel_list_confirm_info"] == []
    assert api.order("NO-SUCH-REF") is None  # unknown: an empty list, result "1"
    assert api.order(ref_no, cc="my") is None  # another account's order is not visible
    clock.jump(11 * HOUR)  # weighed (SC10) and last mile assigned (SC40)
    info = api.order(ref_no)
    assert info is not None
    assert info["consignment_info"]["consignment_status"] == "H"
    assert info["consignment_info"]["logistics_channel_no"].startswith("NVSG4PX")
    assert info["consignment_info"]["logistics_channel_name"] == "Ninja Van SG"
    confirm = info["parcel_confirm_info"]
    assert confirm["confirm_parcel_weight"] == 1120
    assert confirm["parcel_list_confirm_info"][0]["confirm_charge_weight"] == 1120
    # batch mode: a creation window of at most 7 days
    now_ms = int(clock.now() * 1000)
    window = {"start_time_of_create_consignment": now_ms - 86400_000, "end_time_of_create_consignment": now_ms}
    listed = api.ok("ds.xms.order.get", {**window, "consignment_status": "H"})
    assert tn in [o["consignment_info"]["4px_tracking_no"] for o in listed]
    too_wide = {**window, "start_time_of_create_consignment": now_ms - 8 * 86400_000}
    assert api.call("ds.xms.order.get", too_wide).fields == ["end_time_of_create_consignment"]
    assert api.call("ds.xms.order.get", {}).fields == ["start_time_of_create_consignment",
                                                        "end_time_of_create_consignment"]  # fmt: skip


def test_cancel_only_before_pickup(api: Api, clock: Clock) -> None:
    early = api.create_ok()
    fop = api.cancel(early["ref_no"])  # by ref_no works too
    assert fop.ok and fop.body["data"] is None
    info = api.order(early["4px_tracking_no"])
    assert info is not None and info["consignment_info"]["consignment_status"] == "X"
    assert [e["businessLinkCode"] for e in api.track(early["4px_tracking_no"])] == ["OR10", "OR30"]
    again = api.cancel(early["4px_tracking_no"])
    assert again.codes == ["DS000003"] and "already cancelled" in again.body["msg"]
    late = api.create_ok()
    clock.jump(5 * HOUR)  # picked up at +4 h
    refused = api.cancel(late["4px_tracking_no"])
    assert refused.status == 200 and refused.codes == ["DS000003"] and refused.fields == ["request_no"]
    assert api.cancel("4PX3000000000000CN").codes == ["DS000002"]
    assert api.call("ds.xms.order.cancel", {}).fields == ["request_no"]
    assert api.shipment(late["4px_tracking_no"])["cancelled_at"] is None
    records = [c for c in api.ledger()["cancellations"]
               if c["tracking_number"] in (early["4px_tracking_no"], late["4px_tracking_no"])]  # fmt: skip
    assert [(c["tracking_number"], c["ok"]) for c in records] == [
        (early["4px_tracking_no"], True),
        (early["4px_tracking_no"], False),
        (late["4px_tracking_no"], False),
    ]
    shipment = api.shipment(early["4px_tracking_no"])
    assert shipment["status"] == "cancelled" and shipment["cancelled_at"] is not None
    clock.jump(5 * 86400)  # a cancelled order never moves again
    assert [e["businessLinkCode"] for e in api.track(early["4px_tracking_no"])] == ["OR10", "OR30"]


def _pdf_text(pdf: bytes) -> bytes:
    chunks = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(c) for c in chunks)


def test_label_is_a_pdf_behind_a_url(api: Api, clock: Clock) -> None:
    created = api.create_ok()
    tn = created["4px_tracking_no"]
    data = api.ok("ds.xms.label.get", {"request_no": created["ref_no"]})
    assert data["label_barcode"] == tn and set(data["label_url_info"]) == {"logistics_label"}
    url = data["label_url_info"]["logistics_label"]
    assert url.startswith(api.base_url + "/label-files/") and url.endswith(".pdf")
    pdf = api.http.get(url)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 228.2 255.1]" in pdf.content  # label_80x90 (80.5 x 90 mm) by default
    text = _pdf_text(pdf.content)
    assert f"({tn})".encode() in text and created["ref_no"].encode() in text
    assert b"not assigned yet" in text
    clock.jump(11 * HOUR)  # the last-mile number shows up on the label once assigned
    channel = api.order(tn)["consignment_info"]["logistics_channel_no"]  # type: ignore[index]
    assert channel.encode() in _pdf_text(api.http.get(url).content)
    by_channel = api.ok("ds.xms.label.get", {"request_no": channel, "label_size": "label_100x150"})
    big = api.http.get(by_channel["label_url_info"]["logistics_label"]).content
    assert b"/MediaBox [0 0 283.5 425.2]" in big
    labels = [lb for lb in api.ledger()["labels"] if lb["tracking_number"] == tn]
    assert [lb["label_size"] for lb in labels] == ["label_80x90", "label_100x150"]
    files = [f for f in api.ledger()["label_files"] if f["tracking_number"] == tn]
    assert sum(f["downloads"] for f in files) == 3


def test_label_options_and_errors(api: Api) -> None:
    created = api.create_ok()
    tn = created["4px_tracking_no"]
    split = api.ok("ds.xms.label.get", {"request_no": tn, "is_print_declaration_list": "Y",
                                        "create_package_label": "Y"})  # fmt: skip
    assert set(split["label_url_info"]) == {"logistics_label", "custom_label", "package_label"}
    customs = _pdf_text(api.http.get(split["label_url_info"]["custom_label"]).content)
    assert b"CN22" in customs and b"USB-C cable 1m" in customs and b"854442" in customs
    merged = api.ok("ds.xms.label.get", {"request_no": tn, "is_print_declaration_list": "Y",
                                         "create_package_label": "Y", "is_print_merge": "Y"})  # fmt: skip
    assert set(merged["label_url_info"]) == {"logistics_label"}
    assert b"/Count 3" in api.http.get(merged["label_url_info"]["logistics_label"]).content
    img = api.ok("ds.xms.label.get", {"request_no": tn, "response_label_format": "IMG"})
    png = api.http.get(img["label_url_info"]["logistics_label"])
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert api.call("ds.xms.label.get", {"request_no": tn, "label_size": "A4"}).fields == ["label_size"]
    assert api.call("ds.xms.label.get", {"request_no": "NOPE"}).codes == ["DS000002"]
    assert api.http.get(api.base_url + "/label-files/0000.pdf").status_code == 404
    other = api.create_ok()
    listed = api.ok("ds.xms.label.getlist", {"request_no": [tn, other["4px_tracking_no"]],
                                             "label_size": "label_100x100"})  # fmt: skip
    assert isinstance(listed, str) and b"/Count 2" in api.http.get(listed).content
    assert api.cancel(other["4px_tracking_no"]).ok
    assert api.call("ds.xms.label.get", {"request_no": other["4px_tracking_no"]}).codes == ["DS000005"]
    api.control("POST", "accounts/fpx-demo-sg", {"label_allowed": False})
    try:
        assert api.call("ds.xms.label.get", {"request_no": tn}).codes == ["DS000004"]
    finally:
        api.control("POST", "accounts/fpx-demo-sg", {"label_allowed": True})


def test_label_urls_can_expire_on_the_shared_clock(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"label_url_ttl_s": 600})
    try:
        tn = api.create_ok()["4px_tracking_no"]
        url = api.ok("ds.xms.label.get", {"request_no": tn})["label_url_info"]["logistics_label"]
        assert api.http.get(url).status_code == 200
        clock.jump(601)
        assert api.http.get(url).status_code == 403
    finally:
        api.control("POST", "config", {"label_url_ttl_s": 0})


def test_rate_trial(api: Api) -> None:
    data = api.ok("ds.xms.estimated_cost.get", {"country_code": "SG", "weight": 1234, "cargocode": "P"})
    assert [d["logistics_product_code"] for d in data] == ["PX", "PY"]
    px = data[0]
    assert set(px) == {"logistics_product_code", "logistics_product_name", "lump_sum_fee", "charge_weight",
                       "is_volume_cargo", "estimated_time", "is_show_track", "remarks"}  # fmt: skip
    assert px["charge_weight"] == "1240" and px["is_volume_cargo"] == "N"  # 10 g steps
    assert px["lump_sum_fee"] == "73.52"  # 1.24 kg x 48 + 14 CNY
    volume = api.ok("ds.xms.estimated_cost.get", {"country_code": "SG", "weight": 100, "length": 30, "width": 20,
                                                  "height": 20, "logistics_product_code": ["PY"]})  # fmt: skip
    assert len(volume) == 1 and volume[0]["is_volume_cargo"] == "Y" and volume[0]["charge_weight"] == "2000"
    bad = api.call("ds.xms.estimated_cost.get", {"country_code": "MY", "weight": 0, "length": 10})
    assert set(bad.fields) == {"country_code", "weight", "length"}
    created = api.create_ok()
    by_order = api.ok("ds.xms.estimated_cost.get", {"request_no": created["ref_no"]})
    assert by_order[0]["4px_tracking_no"] == created["4px_tracking_no"] and by_order[0]["lump_sum_fee"] == "67.76"
    api.control("POST", "accounts/fpx-demo-sg", {"quote_allowed": False})
    try:
        assert api.call("ds.xms.estimated_cost.get", {"country_code": "SG", "weight": 100}).codes == ["DS000004"]
    finally:
        api.control("POST", "accounts/fpx-demo-sg", {"quote_allowed": True})


def test_products_and_custom_accounts(api: Api) -> None:
    products = api.ok("ds.xms.logistics_product.getlist", {"transport_mode": 1})
    assert [p["logistics_product_code"] for p in products] == ["PX", "PY"]
    assert products[1]["with_battery"] == "Y" and products[0]["country_list"] == ["SG"]
    created = api.control("POST", "accounts", {"app_key": "fpx-custom", "app_secret": "custom-secret",
                                               "countries": ["PH", "id"], "products": ["PY"]})  # fmt: skip
    assert created["countries"] == ["ph", "id"] and created["products"] == ["PY"]
    body = order_body(cc="ph", logistics_service_info={"logistics_product_code": "PY"})
    assert api.create(body, app_key="fpx-custom", secret="custom-secret").ok
    px = order_body(cc="ph")
    assert api.create(px, app_key="fpx-custom", secret="custom-secret").fields == [
        "logistics_service_info.logistics_product_code"
    ]
    api.control("POST", "accounts", {"app_key": "fpx-custom", "countries": ["sg"]}, expect=409)
    api.control("POST", "accounts", {"countries": ["us"]}, expect=400)
    api.control("POST", "accounts/fpx-custom", {"shipper_prefix": "X"}, expect=400)
