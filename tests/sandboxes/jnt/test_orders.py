"""addOrder (validation, success, the duplicate guard, package identity, charges), getOrders, printOrder labels,
cancelOrder and trace access."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import MY, VN, Api, Clock, envelope, order_body, ref


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[int(name)] if isinstance(node, list) else node[name]
        del node[last]

    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[int(name)] if isinstance(node, list) else node[name]
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "code", "msg"),
    [
        (_drop("txlogisticId"), "999001010", "txlogisticId is required"),
        (_set("txlogisticId", "X" * 51), "999001010", "txlogisticId is not allow more than 50 character"),
        (_set("actionType", "update"), "999001010", "actionType only support add"),
        (_drop("expressType"), "999001010", "expressType is required"),
        (_set("expressType", "ZZ"), "999001010", "expressType only support EZ or FD or EX or DO or JS"),
        (_set("serviceType", "3"), "999001010", "serviceType only support 1 or 6"),
        (_set("payType", "FREE"), "999001010", "payType only support PP_PM or PP_CASH or CC_CASH"),
        (_drop("sender"), "999001010", "sender is required"),
        (_drop("receiver.postCode"), "999001010", "receiver.postCode is required"),
        (_set("receiver.postCode", "3100"), "999001030", "receiver postcode invalid"),
        (_set("sender.countryCode", "XYZ"), "999001030", "sender countryCode invalid"),
        (_drop("sender.name"), "999001010", "sender.name is required"),
        (_set("receiver.name", "N" * 101), "999001010", "receiver.name is not allow more than 100 character"),
        (_drop("receiver.phone"), "999001010", "receiver.phone is required"),
        (_drop("receiver.address"), "999001010", "receiver.address is required"),
        (_set("sendStartTime", "2026-11-25T10:00"), "999001010", "sendStartTime format not match yyyy-MM-dd HH:mm:ss"),
        (_set("remark", "r" * 201), "999001010", "remark is not allow more than 200 character"),
        (_set("items", []), "999001010", "items is required"),
        (_drop("items.0.itemName"), "999001010", "items[0].itemName is required"),
        (_set("items.0.number", "0"), "999001010", "items[0].number information is not legal, min number is 1"),
        (_drop("packageInfo"), "999001010", "packageInfo is required"),
        (_set("packageInfo.goodsType", "BOX"), "999001010", "packageInfo.goodsType only support ITN2 or ITN8"),
        (_drop("packageInfo.weight"), "999001010", "packageInfo.weight is required"),
        (_set("packageInfo.weight", "0"), "999001010",
         "packageInfo.weight information is not legal, min weight is 0.01"),
        (_set("packageInfo.weight", "heavy"), "999001010", "packageInfo.weight information is not legal"),
        (_set("codInfo", {"codValue": 0}), "999001010",
         "codInfo.codValue information is not legal, min codValue is 0.01"),
        (_set("offerFeeInfo", {}), "999001010", "offerFeeInfo.offerValue is required"),
        (_set("receiver", {"name": "Wong", "phone": "85291234567", "countryCode": "HKG", "address": "1 Queen's Road",
                           "postCode": "999077", "city": "Hong Kong"}), "999001010", "receiver.prov is required"),
    ],
)  # fmt: skip
def test_validation_names_the_field(api: Api, mutate: Callable[[dict[str, Any]], None], code: str, msg: str) -> None:
    body = order_body()
    mutate(body)
    got = envelope(api.create(body))
    assert got[:2] == (code, msg) and got[2] is None
    reference = body.get("txlogisticId")
    assert all(s["reference"] != reference for s in api.ledger()["shipments"])


def test_international_parcels_need_customs_info(api: Api) -> None:
    body = order_body(receiver={"countryCode": "SGP", "postCode": "238801", "city": "Singapore", "area": "Orchard",
                                "prov": "Singapore"})  # fmt: skip
    assert envelope(api.create(body))[:2] == ("999001030", "customsInfo is required")
    body["customsInfo"] = {"number": "1", "weight": "1.2", "unitPrice": "25", "currency": "MYR"}
    assert envelope(api.create(body))[0] == "1"


def test_create_success(api: Api) -> None:
    body = order_body(ref("KRM"), codInfo={"codValue": "100"}, sendStartTime="2026-11-25 09:00:00")
    code, msg, data = envelope(api.create(body))
    assert (code, msg) == ("1", "success")
    assert set(data) == {"txlogisticId", "billCode", "sortingCode", "thirdSortingCode", "packageChargeWeight"}
    assert data["txlogisticId"] == body["txlogisticId"]
    assert re.fullmatch(r"63\d{10}", data["billCode"])
    assert re.fullmatch(r"\d\d-C\d\d-[A-Z]{3}\d{3}", data["sortingCode"]) and data["thirdSortingCode"].startswith("S")
    assert data["packageChargeWeight"] == "1.20"
    shipment = api.shipment(data["billCode"])
    assert shipment["reference"] == body["txlogisticId"] and shipment["account"] == MY["api_account"]
    assert shipment["package"] is None and shipment["status"] == "pending_pickup"
    assert shipment["created_at"] > 0 and shipment["cancelled_at"] is None
    assert shipment["charge"]["currency"] == "MYR"
    assert shipment["charge"]["amount"] == pytest.approx(6.00 + 1 * 2.00 + 1.00)  # 2 started kg + 1 % COD
    assert shipment["cod"] == 100 and shipment["service_type"] == "1" and shipment["express_type"] == "EZ"
    assert "password" not in api.control("GET", f"parcels/{data['billCode']}")["order"]


def test_charges_and_volumetric_weight(api: Api) -> None:
    # domestic divisor 6000: 60 x 50 x 40 / 6000 = 20 kg
    big = api.create_ok(packageInfo={"weight": "2", "length": "60", "width": "50", "height": "40"}, expressType="EX")
    assert big["packageChargeWeight"] == "20.00"
    charge = api.shipment(big["billCode"])["charge"]
    assert charge["billable_kg"] == 20 and charge["amount"] == pytest.approx((6 + 19 * 2) * 1.3)
    insured = api.create_ok(offerFeeInfo={"offerValue": "1000"})
    assert api.shipment(insured["billCode"])["charge"]["insurance_fee"] == pytest.approx(5.0)
    vn = api.create_ok(VN)
    assert vn["billCode"].startswith("80") and api.shipment(vn["billCode"])["charge"]["currency"] == "VND"


def test_duplicate_txlogistic_id_is_an_error_and_buys_nothing(api: Api) -> None:
    reference = ref("DUP")
    first = api.create_ok(txlogisticId=reference)
    for again in (reference, reference.lower()):
        code, msg, data = envelope(api.create(order_body(again)))
        assert (code, msg, data) == ("0", "txlogisticId already exists", None)  # not the existing order
    assert envelope(api.cancel(reference))[0] == "1"
    assert envelope(api.create(order_body(reference)))[:2] == (
        "0",
        "txlogisticId already exists",
    )  # cancelled still counts
    ledger = api.ledger()
    assert [s["reference"] for s in ledger["shipments"]].count(reference) == 1
    rejected = [d for d in ledger["duplicate_rejections"] if d["reference"].upper() == reference]
    assert len(rejected) == 3 and {d["existing_tracking_number"] for d in rejected} == {first["billCode"]}
    # the existing order is found with getOrders; another account may use the same txlogisticId
    code, _, order = envelope(api.post("order/getOrders", {"txlogisticId": reference}))
    assert code == "1" and order["billCode"] == first["billCode"]
    other = api.create_ok(VN, txlogisticId=reference)
    assert other["billCode"] != first["billCode"]


def test_package_identity_and_double_purchases(api: Api) -> None:
    identity = "KRM1|220000101|2411250ABCDE|PKG-1|outbound"
    a = api.create_ok(remark=identity)
    b = api.create_ok(remark=identity)  # a second purchase under another txlogisticId
    ret = api.create_ok(remark="KRM1|220000101|2411250ABCDE|PKG-1|return:RS001")
    plain = api.create_ok(remark="KRM1|not|enough")
    key = "220000101|2411250ABCDE|PKG-1|outbound"
    assert api.shipment(a["billCode"])["package"] == {
        "shop_id": "220000101",
        "order_sn": "2411250ABCDE",
        "package_number": "PKG-1",
        "leg": "outbound",
    }
    assert api.shipment(a["billCode"])["remark"] == identity
    assert api.shipment(ret["billCode"])["package"]["leg"] == "return:RS001"
    assert api.shipment(plain["billCode"])["package"] is None
    ledger = api.ledger()
    assert ledger["purchases_by_package"][key] == 2
    assert ledger["purchases_by_package"]["220000101|2411250ABCDE|PKG-1|return:RS001"] == 1
    double = next(d for d in ledger["double_purchases"] if d["key"] == key)
    assert double == {"key": key, "purchases": 2, "active": 2, "tracking_numbers": [a["billCode"], b["billCode"]]}
    assert envelope(api.cancel(b["txlogisticId"]))[0] == "1"
    ledger = api.ledger()
    assert ledger["purchases_by_package"][key] == 2  # a cancelled purchase still counts ...
    assert ledger["active_purchases_by_package"][key] == 1  # ... but not as active


def test_get_orders(api: Api) -> None:
    body = order_body(sendStartTime="2026-11-25 09:00:00", codInfo={"codValue": "50"})
    data = api.create_ok(**{k: body[k] for k in ("txlogisticId", "sendStartTime", "codInfo")})
    code, _, order = envelope(api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}))
    assert code == "1"
    assert order["billCode"] == data["billCode"] and order["customerCode"] == MY["customer_code"]
    assert order["expressType"] == "EZ" and order["serviceType"] == "1" and order["payType"] == "PP_PM"
    assert order["receiver"]["phone"] == "****5432" and order["receiver"]["address"] == "4678, Laluan Sentang 35"
    assert "address" not in order["sender"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", order["createOrderTime"])
    assert order["codInfo"] == {"codValue": "50"} and order["sendStartTime"] == "2026-11-25 09:00:00"
    assert envelope(api.post("order/getOrders", {"txlogisticId": "NO-SUCH"}))[:2] == (
        "999001030",
        "No order data found",
    )
    assert envelope(api.post("order/getOrders", {}))[:2] == ("999001010", "txlogisticId is required")
    # another account's order is not visible
    assert envelope(api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}, VN))[0] == "999001030"


def _pdf_ok(pdf: bytes, bill_code: str) -> None:
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert f"({bill_code}) Tj".encode() in pdf
    assert b"/MediaBox [0 0 283.5 425.2]" in pdf  # 100 x 150 mm


def test_print_order_returns_base64_and_url(api: Api) -> None:
    data = api.create_ok(receiver={"name": "Nguyễn Văn Đức"})
    code, _, label = envelope(api.post("order/printOrder", {"txlogisticId": data["txlogisticId"]}))
    assert code == "1"
    assert set(label) == {"txlogisticId", "billCode", "base64EncodeContent", "urlContent"}
    assert label["billCode"] == data["billCode"]
    pdf = base64.b64decode(label["base64EncodeContent"])
    _pdf_ok(pdf, data["billCode"])
    assert b"Nguyen Van Duc" in pdf
    assert label["urlContent"].startswith(api.base_url + "/webopenplatformapi/api/pic/file?url=")
    fetched = api.http.get(label["urlContent"])
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/pdf"
    _pdf_ok(fetched.content, data["billCode"])
    # billCode alone is tolerated; a template name is accepted
    by_code = api.post("order/printOrder", {"billCode": data["billCode"], "enableNewPrint": "mdzt"})
    assert envelope(by_code)[2]["txlogisticId"] == data["txlogisticId"]
    labels = [lb for lb in api.ledger()["labels"] if lb["tracking_number"] == data["billCode"]]
    assert [lb["form"] for lb in labels] == ["both", "both"] and labels[1]["template"] == "mdzt"
    assert api.http.get("/webopenplatformapi/api/pic/file?url=x/nope.pdf").status_code == 404


def test_print_order_modes_and_errors(api: Api) -> None:
    data = api.create_ok()
    api.control("POST", "config", {"label_mode": "url"})
    try:
        label = envelope(api.post("order/printOrder", {"txlogisticId": data["txlogisticId"]}))[2]
        assert "base64EncodeContent" not in label and label["urlContent"]
    finally:
        api.control("POST", "config", {"label_mode": "both"})
    assert envelope(api.post("order/printOrder", {"txlogisticId": "NO-SUCH"}))[0] == "999001030"
    assert envelope(api.post("order/printOrder", {}))[:2] == ("999001010", "txlogisticId is required")
    api.control("POST", f"accounts/{MY['api_account']}", {"label_allowed": False})
    try:
        got = envelope(api.post("order/printOrder", {"txlogisticId": data["txlogisticId"]}))
        assert got[:2] == ("145003012", "API account has no interface permissions")
    finally:
        api.control("POST", f"accounts/{MY['api_account']}", {"label_allowed": True})
    assert envelope(api.cancel(data["txlogisticId"]))[0] == "1"
    assert envelope(api.post("order/printOrder", {"txlogisticId": data["txlogisticId"]}))[0] == "0"


def test_multi_parcel_orders(api: Api) -> None:
    votes = [{"actualWeight": "1.0"}, {"actualWeight": "2.0", "length": "10", "width": "10", "height": "10"}]
    data = api.create_ok(multipleVotes=votes, packageInfo={"packageQuantity": "2", "weight": "3"})
    assert data["multipleVoteBillCodes"] == [data["billCode"], data["billCode"] + "-01"]
    label = envelope(api.post("order/printOrder", {"txlogisticId": data["txlogisticId"]}))[2]
    assert "base64EncodeContent" not in label  # "not returned for multi-parcel orders"
    pdf = api.http.get(label["urlContent"]).content
    assert b"/Count 2" in pdf and f"({data['billCode']}-01) Tj".encode() in pdf
    order = envelope(api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}))[2]
    assert [v["subBillCode"] for v in order["multipleVotes"]] == data["multipleVoteBillCodes"]
    sub = envelope(api.post("logistics/trace", {"billCode": data["billCode"] + "-01"}))[2]
    assert sub == [{"billCode": data["billCode"] + "-01", "details": []}]


def test_cancel_only_before_pickup(api: Api, clock: Clock) -> None:
    a = api.create_ok()
    code, msg, data = envelope(api.cancel(a["txlogisticId"], billCode=a["billCode"]))
    assert (code, msg, data) == ("1", "success", {"txlogisticId": a["txlogisticId"], "billCode": a["billCode"]})
    assert envelope(api.cancel(a["txlogisticId"]))[:2] == ("999002010", "order status can not be cancel")
    b = api.create_ok()
    clock.jump(4 * 3600 + 60)  # picked up
    assert envelope(api.cancel(b["txlogisticId"]))[0] == "999002010"
    assert envelope(api.cancel("NO-SUCH"))[:2] == ("999002000", "No order data found")
    assert envelope(api.cancel(b["txlogisticId"], billCode="630000000000"))[0] == "999002000"
    assert envelope(api.cancel(b["txlogisticId"], reason=""))[:2] == ("999001010", "reason is required")
    assert envelope(api.cancel(b["txlogisticId"], reason="r" * 301))[0] == "999001010"
    shipment = api.shipment(b["billCode"])
    assert shipment["status"] == "picked_up" and shipment["cancelled_at"] is None
    cancelled = api.shipment(a["billCode"])
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] is not None
    records = [c for c in api.ledger()["cancellations"] if c["tracking_number"] in (a["billCode"], b["billCode"])]
    assert [(c["tracking_number"], c["ok"], c["code"]) for c in records] == [
        (a["billCode"], True, "1"),
        (a["billCode"], False, "999002010"),
        (b["billCode"], False, "999002010"),
    ]
    clock.jump(3 * 86400)  # a cancelled parcel never moves
    assert api.trace(a["billCode"]) == []


def test_trace_lookup_and_access(api: Api, clock: Clock) -> None:
    a = api.create_ok()
    b = api.create_ok()
    clock.jump(5 * 3600)
    code, _, data = envelope(api.post("logistics/trace", {"billCode": f"{a['billCode']},{b['billCode']},639999999999"}))
    assert code == "1" and [d["billCode"] for d in data] == [a["billCode"], b["billCode"]]  # unknown left out
    assert [len(d["details"]) for d in data] == [1, 1]
    by_ref = envelope(api.post("logistics/trace", {"txlogisticId": a["txlogisticId"]}))[2]
    assert by_ref == data[:1]
    assert envelope(api.post("logistics/trace", {"billCode": "639999999999"}))[2] == []
    api.control("POST", "config", {"trace_not_found": "error"})
    try:
        assert envelope(api.post("logistics/trace", {"billCode": "639999999999"}))[0] == "999001030"
    finally:
        api.control("POST", "config", {"trace_not_found": "empty"})
    many = ",".join(str(630000000000 + i) for i in range(31))
    assert envelope(api.post("logistics/trace", {"billCode": many}))[0] == "145003502"
    assert envelope(api.post("logistics/trace", {}))[0] == "999001010"
    assert envelope(api.post("logistics/trace", {"billCode": a["billCode"]}, VN))[2] == []  # not VN's parcel
    api.control("POST", f"accounts/{MY['api_account']}", {"tracking_allowed": False})
    try:
        assert envelope(api.post("logistics/trace", {"billCode": a["billCode"]}))[0] == "145003012"
    finally:
        api.control("POST", f"accounts/{MY['api_account']}", {"tracking_allowed": True})


def test_accounts_control(api: Api) -> None:
    accounts = api.control("GET", "accounts")["accounts"]
    my = next(a for a in accounts if a["api_account"] == MY["api_account"])
    assert {k: my[k] for k in MY} == MY
    assert my["countries"] == ["my"] and my["country_iso3"] == "MYS" and my["currency"] == "MYR"
    assert (my["service_type"], my["express_type"], my["pay_type"]) == ("1", "EZ", "PP_PM")
    created = api.control("POST", "accounts", {"countries": ["th"], "service_type": "6"})
    assert created["country_iso3"] == "THA" and created["currency"] == "THB" and len(created["private_key"]) == 32
    api.control("POST", "accounts", {"api_account": created["api_account"], "countries": ["th"]}, expect=409)
    api.control("POST", f"accounts/{created['api_account']}", {"business_auth": "oauth"}, expect=400)
    api.control("POST", f"accounts/{created['api_account']}", {"nonsense": 1}, expect=400)
    api.control("POST", "accounts", {"countries": ["us"]}, expect=400)
    api.control("GET", "accounts/000", expect=404)
