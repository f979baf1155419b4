"""Order creation (validation codes naming the field, success, the outTradeNo duplicate guard, package identity,
charges), labels, cancellation, estimates, pickup requests and route access."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest

from .helpers import MCH, Api, Clock, order_params, ref

HOUR = 3600
CREATE = "/open/v3/orders"
SRC = ("srcName", "srcPhone", "srcProvinceName", "srcCityName", "srcPostalCode", "srcDetailAddress")


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"outTradeNo": None}, 1000, "outTradeNo"),
        ({"outTradeNo": "x" * 65}, 1000, "outTradeNo"),
        ({"expressCategory": "3"}, 1000, "expressCategory"),
        ({"articleCategory": None}, 1000, "articleCategory"),
        ({"dstName": None}, 1000, "dstName"),
        ({"dstPhone": "  "}, 1000, "dstPhone"),
        ({"dstDetailAddress": ""}, 1000, "dstDetailAddress"),
        ({"dstName": "x" * 51}, 1000, "dstName"),
        ({"dstPostalCode": "5021"}, 1021, "dstPostalCode"),
        ({"dstPostalCode": "00000"}, 1005, "dstPostalCode"),
        ({"srcPostalCode": "1011A"}, 1021, "srcPostalCode"),
        ({"srcPostalCode": "99999"}, 1004, "srcPostalCode"),
        ({"srcPhone": None}, 1018, "srcPhone"),
        (dict.fromkeys(SRC), 1018, "warehouseNo"),
        ({"warehouseNo": "NOPE_001"}, 1007, "warehouseNo"),
        ({"weight": None}, 1000, "weight"),
        ({"weight": "1.5"}, 1000, "weight"),
        ({"weight": "0"}, 1000, "weight"),
        ({"length": "-1"}, 1000, "length"),
        ({"insured": None}, 1000, "insured"),
        ({"insured": "1", "insureDeclareValue": "-100"}, 1020, "insureDeclareValue"),
        ({"insured": "1"}, 1000, "insureDeclareValue"),
        ({"codEnabled": "2"}, 1000, "codEnabled"),
        ({"codEnabled": "1", "codAmount": "-5"}, 1009, "codAmount"),
        ({"codEnabled": "1"}, 1000, "codAmount"),
        ({"remark": "r" * 201}, 1000, "remark"),
        ({"returnPostalCode": "123"}, 1021, "returnPostalCode"),
    ],
)  # fmt: skip
def test_validation_names_the_field(api: Api, overrides: dict[str, str | None], code: int, field: str) -> None:
    params = order_params(**overrides)
    body = api.error(CREATE, params)
    assert body["code"] == code, body
    title, _, detail = body["message"].partition(": ")
    assert title and detail.split(" ")[0] == field, body
    if code == 1000:  # Flash's validation answer: data names the parameter
        assert body["data"] == {field: [detail]}, body
    else:
        assert body["data"] is None
    reference = params.get("outTradeNo")
    assert all(s["client_reference"] != reference for s in api.ledger()["shipments"])


def test_account_flags_and_service_area(api: Api) -> None:
    api.control("POST", f"accounts/{MCH}", {"cod_enabled": False})
    try:
        assert api.error(CREATE, order_params(codEnabled="1", codAmount="50000"))["code"] == 1008
    finally:
        api.control("POST", f"accounts/{MCH}", {"cod_enabled": True})
    assert api.create_ok(codEnabled="1", codAmount="50000")["pno"]
    api.control("POST", "config", {"unserviced_postcodes": ["10110"]})
    try:
        body = api.error(CREATE, order_params())
        assert body["code"] == 1022 and "srcPostalCode" in body["message"]
    finally:
        api.control("POST", "config", {"unserviced_postcodes": []})


def test_create_returns_the_pno(api: Api) -> None:
    reference = ref("ORD-")
    data = api.create_ok(reference=reference)
    assert set(data) == {
        "pno",
        "mchId",
        "outTradeNo",
        "sortCode",
        "lineCode",
        "sortingLineCode",
        "dstStoreName",
        "earlyFlightEnabled",
        "packEnabled",
        "upcountry",
        "upcountryAmount",
        "upcountryCharge",
        "sameProvince",
        "notice",
        "srcPostalCode",
        "dstPostalCode",
    }
    assert data["srcPostalCode"] == "10110" and data["dstPostalCode"] == "50210" and data["sameProvince"] is False
    assert re.fullmatch(r"TH50\d{6}[A-Z]", data["pno"])
    assert data["mchId"] == MCH and data["outTradeNo"] == reference and data["upcountryCharge"] is False
    shipment = api.shipment(data["pno"])
    assert shipment["client_reference"] == reference and shipment["account"] == MCH
    assert shipment["status"] == "Pending pickup" and shipment["state"] == 0 and shipment["cancelled_at"] is None
    assert shipment["package"] is None and shipment["remark"] == "SHIP-0001"
    assert shipment["charge"] == {**shipment["charge"], "amount": 45.0, "currency": "THB", "amount_satang": 4500}
    # the older /open/v1/orders path is served too; a warehouseNo stands in for the sender block
    sender = dict.fromkeys((*SRC, "srcDistrictName"))
    data = api.ok("/open/v1/orders", order_params(warehouseNo="FLDEMO01_001", **sender))
    parcel = api.control("GET", f"parcels/{data['pno']}")
    assert parcel["src"]["postal_code"] == "10110" and parcel["src"]["name"] == "Demo Shop One"
    assert api.ledger()["calls"]["POST /open/v1/orders"] == 1


def test_duplicate_out_trade_no_is_refused(api: Api) -> None:
    reference = ref("DUP")
    first = api.create_ok(reference=reference)
    for _ in range(2):
        body = api.error(CREATE, order_params(reference))
        assert body["code"] == 1003 and body["message"].startswith("Order is exists") and reference in body["message"]
    assert api.cancel(first["pno"])["code"] == 1
    assert api.error(CREATE, order_params(reference))["code"] == 1003  # still taken once cancelled
    ledger = api.ledger()
    assert [s["client_reference"] for s in ledger["shipments"]].count(reference) == 1
    assert [d["client_reference"] for d in ledger["duplicate_rejections"]].count(reference) == 3
    other = api.create_ok(mch="FLDEMO02", reference=reference)  # another merchant may use the same number
    assert other["pno"] != first["pno"]


def test_package_identity_and_double_purchases(api: Api) -> None:
    identity = "KRM1|220000101|2411250ABCDE|PKG-1|outbound"
    a = api.create_ok(remark=identity)
    b = api.create_ok(remark=identity)  # a second purchase under another outTradeNo
    ret = api.create_ok(remark="KRM1|220000101|2411250ABCDE|PKG-1|return:RS001")
    inside = api.create_ok(remark=f"fragile {identity.replace('PKG-1', 'PKG-2')} handle with care")
    plain = api.create_ok(remark="KRM1|not|enough")
    key = "220000101|2411250ABCDE|PKG-1|outbound"
    assert api.shipment(a["pno"])["package"] == {
        "shop_id": "220000101",
        "order_sn": "2411250ABCDE",
        "package_number": "PKG-1",
        "leg": "outbound",
    }
    assert api.shipment(ret["pno"])["package"]["leg"] == "return:RS001"
    assert api.shipment(inside["pno"])["package"]["package_number"] == "PKG-2"
    assert api.shipment(plain["pno"])["package"] is None
    ledger = api.ledger()
    entry = next(s for s in ledger["shipments"] if s["tracking_number"] == a["pno"])
    assert {"tracking_number", "client_reference", "account", "package", "status", "created_at", "cancelled_at",
            "charge"} <= set(entry)  # fmt: skip
    assert entry["package"]["leg"] == "outbound" and set(entry["charge"]) >= {"amount", "currency"}
    assert ledger["purchases_by_package"][key] == 2
    assert next(d for d in ledger["double_purchases"] if d["key"] == key) == {
        "key": key,
        "purchases": 2,
        "active": 2,
        "tracking_numbers": [a["pno"], b["pno"]],
    }
    assert api.cancel(b["pno"])["code"] == 1
    ledger = api.ledger()
    assert ledger["purchases_by_package"][key] == 2  # a cancelled purchase still counts ...
    assert ledger["active_purchases_by_package"][key] == 1  # ... but not as active


def _pdf_text(pdf: bytes) -> bytes:
    chunks = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(c) for c in chunks)


def test_labels_are_pdf_bytes(api: Api) -> None:
    data = api.create_ok(codEnabled="1", codAmount="150000")
    pno = data["pno"]
    resp = api.call(f"/open/v1/orders/{pno}/pre_print")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-") and resp.content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 283.5 510.2]" in resp.content  # 100 x 180 mm
    text = _pdf_text(resp.content)
    assert f"({pno})".encode() in text and b"Somchai Jaidee" in text and b"COD THB 1500.00" in text
    assert data["sortCode"].encode() in text
    small = api.call(f"/open/v1/orders/{pno}/small/pre_print")
    assert small.status_code == 200 and b"/MediaBox [0 0 283.5 212.6]" in small.content  # 100 x 75 mm
    labels = [lb for lb in api.ledger()["labels"] if lb["tracking_number"] == pno]
    assert [lb["size"] for lb in labels] == ["large", "small"]


def test_label_errors_are_json(api: Api) -> None:
    pno = api.create_ok()["pno"]
    body = api.error("/open/v1/orders/TH00999999X/pre_print")
    assert body["code"] == 1006
    assert api.error(f"/open/v1/orders/{pno}/pre_print", mch="FLDEMO02")["code"] == 1019
    api.control("POST", f"accounts/{MCH}", {"label_allowed": False})
    try:
        resp = api.call(f"/open/v1/orders/{pno}/pre_print")
        assert resp.headers["content-type"].startswith("application/json") and resp.json()["code"] == 1000
    finally:
        api.control("POST", f"accounts/{MCH}", {"label_allowed": True})


def test_cancel_only_before_pickup(api: Api, clock: Clock) -> None:
    early = api.create_ok()["pno"]
    assert api.cancel(early) == {"code": 1, "message": "success", "data": None}
    routes = api.routes(early)
    assert routes["state"] == 9 and routes["stateText"] == "Cancelled"
    assert [r["routeAction"] for r in routes["routes"]] == ["CANCEL_PARCEL"]
    assert api.cancel(early)["code"] == 1  # again: nothing changes
    late = api.create_ok()["pno"]
    clock.jump(4 * HOUR + 60)  # picked up
    body = api.cancel(late)
    assert body["code"] == 1015 and body["message"].startswith("Parcel is picked up, not allowed to cancel")
    assert api.cancel("TH00999999X")["code"] == 1006
    assert api.cancel(late, mch="FLDEMO02")["code"] == 1019
    shipment = api.shipment(late)
    assert shipment["status"] == "Picked up" and shipment["cancelled_at"] is None
    assert api.shipment(early)["cancelled_at"] is not None
    records = [c for c in api.ledger()["cancellations"] if c["tracking_number"] in (early, late)]
    assert [(c["tracking_number"], c["ok"], c["code"]) for c in records] == [
        (early, True, 1),
        (early, True, 1),
        (late, False, 1015),
    ]
    clock.jump(3 * 86400)  # a cancelled parcel never moves again
    assert api.actions(early) == ["CANCEL_PARCEL"]


def test_estimate_rate(api: Api) -> None:
    data = api.ok("/open/v1/orders/estimate_rate", {"weight": "2500", "dstPostalCode": "50210"})
    assert data == {  # freight 35 + 2 x 10 THB, in satang strings
        "estimatePrice": "5500",
        "upCountryAmount": "0",
        "upCountry": False,
        "pricePolicy": 1,
        "codTransferFee": "0",
        "valueInsuranceFee": "0",
    }
    remote = api.ok(
        "/open/v1/orders/estimate_rate",
        {"weight": "800", "dstPostalCode": "84320", "srcPostalCode": "10110", "expressCategory": "1"},
    )
    assert remote == {**remote, "estimatePrice": "3500", "upCountryAmount": "2000", "upCountry": True}
    bulky = api.ok(
        "/open/v1/orders/estimate_rate",
        {"weight": "1000", "length": "60", "width": "40", "height": "30", "dstPostalCode": "50210"},
    )
    assert bulky["pricePolicy"] == 2 and bulky["estimatePrice"] == "14500"  # 12 kg by dimensions
    cod = api.ok("/open/v1/orders/estimate_rate", {"weight": "500", "dstPostalCode": "50210", "codEnabled": "1",
                                                   "codAmount": "100000"})  # fmt: skip
    assert cod["estimatePrice"] == "3500" and cod["codTransferFee"] == "2000"  # 2 % of 1000 THB
    insured = api.ok("/open/v1/orders/estimate_rate", {"weight": "500", "dstPostalCode": "50210", "insured": "1",
                                                       "insureDeclareValue": "200000"})  # fmt: skip
    assert insured["valueInsuranceFee"] == "1000"  # 0.5 % of 2000 THB
    assert api.error("/open/v1/orders/estimate_rate", {"weight": "500", "dstPostalCode": "502"})["code"] == 1021
    assert api.error("/open/v1/orders/estimate_rate", {"dstPostalCode": "50210"})["code"] == 1000
    assert api.create_ok(dstPostalCode="84320")["upcountryCharge"] is True


def test_pickup_requests(api: Api, clock: Clock) -> None:
    data = api.ok("/open/v1/notify", {"warehouseNo": "FLDEMO01_001", "estimateParcelNumber": "3", "remark": "ASAP"})
    assert set(data) == {
        "ticketPickupId",
        "staffInfoId",
        "staffInfoName",
        "staffInfoPhone",
        "upCountryNote",
        "timeoutAtText",
        "ticketMessage",
        "notice",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", data["timeoutAtText"])
    again = api.error("/open/v1/notify", {"warehouseNo": "FLDEMO01_001", "estimateParcelNumber": "1"})
    assert again["code"] == 1010 and str(data["ticketPickupId"]) in again["message"]
    assert api.ok("/open/v1/notify", {"warehouseNo": "FLDEMO02_001", "estimateParcelNumber": "1"}, mch="FLDEMO02")
    assert api.error("/open/v1/notify", {"estimateParcelNumber": "1"})["code"] == 1018
    assert api.error("/open/v1/notify", {"warehouseNo": "FLDEMO01_001"})["code"] == 1000
    listed = api.ok("/open/v1/notifications")
    assert [(t["ticketPickupId"], t["state"]) for t in listed] == [(data["ticketPickupId"], 0)]
    clock.jump(4 * HOUR + 1)  # the courier came: completed, a new request is allowed
    assert api.ok("/open/v1/notifications")[0]["state"] == 2
    cancel = f"/open/v1/notify/{data['ticketPickupId']}/cancel"
    assert api.error(cancel)["code"] == 1011
    second = api.ok("/open/v1/notify", {**{k: v for k, v in order_params().items() if k.startswith("src")},
                                        "estimateParcelNumber": "1"})  # fmt: skip
    assert api.ok(f"/open/v1/notify/{second['ticketPickupId']}/cancel") is None
    assert api.ok("/open/v1/notifications")[-1]["state"] == 4
    assert [p["ticket_id"] for p in api.ledger()["pickups"]][-1] == second["ticketPickupId"]


def test_route_access(api: Api) -> None:
    pno = api.create_ok()["pno"]
    assert api.error(f"/open/v1/orders/{pno}/routes", mch="FLDEMO02")["code"] == 1019
    assert api.error("/open/v1/orders/TH00999999X/routes")["code"] == 1006
    api.control("POST", f"accounts/{MCH}", {"tracking_allowed": False})
    try:
        assert api.error(f"/open/v1/orders/{pno}/routes")["code"] == 1000
    finally:
        api.control("POST", f"accounts/{MCH}", {"tracking_allowed": True})


def test_accounts_control(api: Api) -> None:
    accounts = api.control("GET", "accounts")["accounts"]
    demo = next(a for a in accounts if a["mch_id"] == MCH)
    assert demo["key"] == "flash-demo-01-key" and demo["countries"] == ["th"]
    assert demo["settings"] == {
        "warehouse_no": "FLDEMO01_001",
        "express_category": "1",
        "article_category": "2",
        "label_size": "large",
    }
    created: dict[str, Any] = api.control(
        "POST", "accounts", {"mch_id": "FLNEW1", "key": "new-key", "label_size": "small"}
    )
    assert created["warehouses"][0]["warehouse_no"] == "FLNEW1_001" and created["settings"]["label_size"] == "small"
    api.control("POST", "accounts", {"mch_id": "FLNEW1"}, expect=409)
    api.control("POST", "accounts", {"countries": ["sg"]}, expect=400)
    resp = api.call("/open/v1/warehouses", {}, mch="FLNEW1", key="new-key")
    assert resp.json()["data"][0]["warehouseNo"] == "FLNEW1_001"
