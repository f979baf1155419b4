"""Order creation (validation, success, duplicate guard, package identity, charges), waybills, cancellation,
tracking access flags and the price call."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import Api, Clock, order_body, rtn


def _details(resp: Any) -> list[dict[str, str]]:
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["request_id"] == resp.headers["x-nv-request-id"]
    assert all(set(d) == {"field", "message", "reason"} for d in err["details"])
    return list(err["details"])


def _fields(resp: Any) -> set[str]:
    return {d["field"] for d in _details(resp)}


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[name]
        del node[last]

    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[name]
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (_set("parcel_job.delivery_timeslot", {"start_time": "10:00", "end_time": "12:00"}),
         "parcel_job.delivery_timeslot", "INVALID_VALUE"),
        (_set("parcel_job.delivery_timeslot.start_time", "9am"), "parcel_job.delivery_timeslot.start_time",
         "INVALID_FORMAT"),
        (_drop("parcel_job.delivery_timeslot"), "parcel_job.delivery_timeslot", "REQUIRED"),
        (_set("requested_tracking_number", "ABC_123456789"), "requested_tracking_number", "INVALID_FORMAT"),
        (_set("requested_tracking_number", "ABC--12345678"), "requested_tracking_number", "INVALID_FORMAT"),
        (_set("requested_tracking_number", "AB-12"), "requested_tracking_number", "MIN_LENGTH"),
        (_drop("requested_tracking_number"), "requested_tracking_number", "REQUIRED"),
        (_drop("to.address.address1"), "to.address.address1", "REQUIRED"),
        (_set("to.address.country", "US"), "to.address.country", "INVALID_VALUE"),
        (_set("to.name", "Al"), "to.name", "MIN_LENGTH"),
        (_drop("to.phone_number"), "to.phone_number", "REQUIRED"),
        (_set("service_type", "Marketplace"), "marketplace", "REQUIRED"),
        (_set("service_level", "Turbo"), "service_level", "INVALID_VALUE"),
        (_set("parcel_job.cash_on_delivery", -1), "parcel_job.cash_on_delivery", "MINIMUM"),
        (_set("parcel_job.delivery_start_date", "2026-13-01"), "parcel_job.delivery_start_date", "INVALID_FORMAT"),
        (_set("parcel_job.is_pickup_required", "yes"), "parcel_job.is_pickup_required", "INVALID_TYPE"),
        (_set("parcel_job.is_pickup_required", True), "parcel_job.pickup_date", "REQUIRED"),
        (_set("parcel_job.items", [{"quantity": 1}]), "parcel_job.items[0].item_description", "REQUIRED"),
        (_set("parcel_job.dimensions.size", "XXXL"), "parcel_job.dimensions.size", "INVALID_VALUE"),
        (_set("reference.merchant_order_number", "x" * 256), "reference.merchant_order_number", "MAX_LENGTH"),
    ],
)  # fmt: skip
def test_validation_names_the_field(
    api: Api, mutate: Callable[[dict[str, Any]], None], field: str, reason: str
) -> None:
    body = order_body()
    mutate(body)
    details = _details(api.create(body))
    assert (field, reason) in {(d["field"], d["reason"]) for d in details}, details
    requested = body.get("requested_tracking_number")
    assert all(s["requested_tracking_number"] != requested for s in api.ledger()["shipments"])


def test_validation_reports_every_problem_and_marketplace_fields(api: Api) -> None:
    body = order_body(service_type="Marketplace", marketplace={"seller_id": "seller_1!"})
    body["parcel_job"]["delivery_timeslot"] = {"start_time": "09:00", "end_time": "11:00"}
    del body["to"]["address"]["address1"]
    fields = _fields(api.create(body))
    assert {
        "marketplace.seller_id",
        "marketplace.seller_company_name",
        "parcel_job.delivery_timeslot",
        "to.address.address1",
    } <= fields
    ok = order_body(
        service_type="Marketplace", marketplace={"seller_id": "shop-220000101", "seller_company_name": "MG"}
    )
    assert api.create(ok).status_code == 200


def test_create_returns_the_order_with_prefix_tracking_number(api: Api) -> None:
    requested = rtn("KRM-")
    body = order_body(requested, reference={"merchant_order_number": "SHIP-ABC"})
    resp = api.create(body)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["tracking_number"] == "NVSGKRM" + requested
    assert data["requested_tracking_number"] == requested
    assert data["status"] == "Pending Pickup"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", data["created_at"])
    for key in ("service_type", "service_level", "reference", "from", "to", "parcel_job"):
        assert data[key] == body[key]
    shipment = api.shipment(data["tracking_number"])
    assert shipment["client_id"] == "nv-demo-sg" and shipment["country"] == "sg"
    assert shipment["merchant_order_number"] == "SHIP-ABC" and shipment["package"] is None
    assert shipment["status"] == "Pending Pickup" and shipment["cancelled_at"] is None
    assert shipment["charge"]["currency"] == "SGD" and shipment["charge"]["amount"] > 0
    # 4.1 is still served with the same body
    resp = api.create(order_body(), version="4.1")
    assert resp.status_code == 200 and resp.json()["tracking_number"].startswith("NVSGKRM")
    assert api.ledger()["calls"]["POST /{cc}/4.1/orders"] == 1


def test_duplicate_requested_tracking_number_is_rejected(api: Api) -> None:
    requested = rtn("DUP")
    first = api.create(order_body(requested))
    assert first.status_code == 200
    for again in (requested, requested.lower()):
        details = _details(api.create(order_body(again)))
        assert details == [
            {
                "field": "requested_tracking_number",
                "reason": "DUPLICATE",
                "message": f"requested_tracking_number {again} is already in use",
            }
        ]
    # still a duplicate after the first order was cancelled
    assert api.cancel(first.json()["tracking_number"]).status_code == 200
    assert _details(api.create(order_body(requested)))[0]["reason"] == "DUPLICATE"
    ledger = api.ledger()
    assert [s["requested_tracking_number"] for s in ledger["shipments"]].count(requested) == 1
    rejected = [d for d in ledger["duplicate_rejections"] if d["requested_tracking_number"].upper() == requested]
    assert len(rejected) == 3
    # another account may use the same requested number (its own prefix)
    other = api.create(order_body(requested, cc="my"), cc="my")
    assert other.status_code == 200 and other.json()["tracking_number"] == "NVMYKRM" + requested


def test_package_identity_and_double_purchases(api: Api) -> None:
    ref = "KRM1|220000101|2411250ABCDE|PKG-1|outbound"
    a = api.create_ok(reference={"merchant_order_number": ref})
    b = api.create_ok(reference={"merchant_order_number": ref})  # a second purchase under another reference
    ret = api.create_ok(reference={"merchant_order_number": "KRM1|220000101|2411250ABCDE|PKG-1|return:RS001"})
    plain = api.create_ok(reference={"merchant_order_number": "KRM1|not|enough"})
    ledger = api.ledger()
    key = "220000101|2411250ABCDE|PKG-1|outbound"
    assert api.shipment(a["tracking_number"])["package"] == {
        "shop_id": "220000101",
        "order_sn": "2411250ABCDE",
        "package_number": "PKG-1",
        "leg": "outbound",
    }
    assert api.shipment(ret["tracking_number"])["package"]["leg"] == "return:RS001"
    assert api.shipment(plain["tracking_number"])["package"] is None
    assert ledger["purchases_by_package"][key] == 2
    assert ledger["purchases_by_package"]["220000101|2411250ABCDE|PKG-1|return:RS001"] == 1
    double = next(d for d in ledger["double_purchases"] if d["key"] == key)
    assert double == {
        "key": key,
        "purchases": 2,
        "active": 2,
        "tracking_numbers": [a["tracking_number"], b["tracking_number"]],
    }
    assert api.cancel(b["tracking_number"]).status_code == 200
    ledger = api.ledger()
    assert ledger["purchases_by_package"][key] == 2  # a cancelled purchase still counts ...
    assert ledger["active_purchases_by_package"][key] == 1  # ... but not as active
    assert next(d for d in ledger["double_purchases"] if d["key"] == key)["active"] == 1


def test_charges_use_the_country_tariff(api: Api) -> None:
    th = api.create_ok(
        cc="th",
        parcel_job={"cash_on_delivery": 1000, "dimensions": {"weight": 2.5, "length": 10, "width": 10, "height": 10}},
    )
    charge = api.shipment(th["tracking_number"])["charge"]
    assert charge["currency"] == "THB" and charge["billable_kg"] == 3
    assert charge["amount"] == pytest.approx(35 + 2 * 10 + 10)  # first kg + 2 more + 1 % COD
    vn = api.create_ok(cc="vn", service_level="Express", parcel_job={"dimensions": {"weight": 0.4}})
    charge = api.shipment(vn["tracking_number"])["charge"]
    assert charge == {**charge, "currency": "VND", "amount": 37500}  # 25 000 x 1.5, whole dong
    # volumetric weight wins when bigger: 50 x 40 x 30 / 5000 = 12 kg
    big = api.create_ok(parcel_job={"dimensions": {"weight": 1, "length": 50, "width": 40, "height": 30}})
    assert api.shipment(big["tracking_number"])["charge"]["chargeable_weight"] == 12


def _pdf_text(pdf: bytes) -> bytes:
    chunks = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(c) for c in chunks)


def test_waybill_is_a_pdf(api: Api) -> None:
    a = api.create_ok(reference={"merchant_order_number": "KRM1|1|2411X|P1|outbound"})
    b = api.create_ok(to={"name": "Nguyễn Văn Đức"})
    resp = api.http.get("/sg/2.0/reports/waybill", params={"tid": a["tracking_number"]}, headers=api.auth())
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-") and resp.content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 297.6 419.5]" in resp.content  # A6 portrait
    text = _pdf_text(resp.content)
    assert f"({a['tracking_number']})".encode() in text
    assert b"KRM1|1|2411X|P1|outbound" in text and b"Tan Ah Kow" in text and b"Merlion" in text
    # several tids (comma list and repeated), landscape, shipper hidden, non-Latin names transliterated
    resp = api.http.get(
        f"/sg/2.0/reports/waybill?tid={a['tracking_number']},{b['tracking_number']}&tid={a['tracking_number']}"
        "&orientation=landscape&hide_shipper_details=true",
        headers=api.auth(),
    )
    assert resp.status_code == 200 and b"/Count 3" in resp.content
    assert b"/MediaBox [0 0 419.5 297.6]" in resp.content
    text = _pdf_text(resp.content)
    assert b"Merlion" not in text and b"Nguyen Van Duc" in text
    labels = [
        lb for lb in api.ledger()["labels"] if lb["tracking_number"] in (a["tracking_number"], b["tracking_number"])
    ]
    assert len(labels) == 4 and {lb["orientation"] for lb in labels} == {"portrait", "landscape"}


def test_waybill_errors(api: Api) -> None:
    a = api.create_ok()
    url = "/sg/2.0/reports/waybill"
    resp = api.http.get(url, params={"tid": "NVSGKRMUNKNOWN0001"}, headers=api.auth())
    assert resp.status_code == 404 and resp.json()["error"]["details"][0]["field"] == "tid"
    assert api.http.get(url, headers=api.auth()).status_code == 400
    # another account's parcel is not found; a token of another country is refused
    other = api.http.get("/my/2.0/reports/waybill", params={"tid": a["tracking_number"]}, headers=api.auth("my"))
    assert other.status_code == 404
    assert api.http.get(url, params={"tid": a["tracking_number"]}, headers=api.auth("my")).status_code == 401
    api.control("POST", "accounts/nv-demo-sg", {"waybill_allowed": False})
    try:
        resp = api.http.get(url, params={"tid": a["tracking_number"]}, headers=api.auth())
        assert resp.status_code == 403 and resp.json()["error"]["code"] == 1004
    finally:
        api.control("POST", "accounts/nv-demo-sg", {"waybill_allowed": True})


def test_cancel_only_before_pickup(api: Api, clock: Clock) -> None:
    a = api.create_ok()
    resp = api.cancel(a["tracking_number"])
    assert resp.status_code == 200
    data = resp.json()
    assert data["tracking_number"] == a["tracking_number"] and data["status"] == "Cancelled"
    assert data["updated_at"].endswith("+08:00")
    assert [e["status"] for e in api.events(a["tracking_number"])] == ["Pending Pickup", "Cancelled"]
    again = api.cancel(a["tracking_number"])
    assert _details(again)[0]["reason"] == "ORDER_NOT_CANCELLABLE"

    b = api.create_ok()
    clock.jump(4 * 3600 + 60)  # picked up
    details = _details(api.cancel(b["tracking_number"]))
    assert details[0] == {**details[0], "field": "tracking_number", "reason": "ORDER_NOT_CANCELLABLE"}
    assert api.cancel("NVSGKRMNOSUCH0001").status_code == 404
    shipment = api.shipment(b["tracking_number"])
    assert shipment["status"] == "Picked Up" and shipment["cancelled_at"] is None
    records = [
        c for c in api.ledger()["cancellations"] if c["tracking_number"] in (a["tracking_number"], b["tracking_number"])
    ]
    assert [(c["tracking_number"], c["ok"]) for c in records] == [
        (a["tracking_number"], True),
        (a["tracking_number"], False),
        (b["tracking_number"], False),
    ]
    assert api.shipment(a["tracking_number"])["cancelled_at"] is not None
    clock.jump(3 * 86400)  # a cancelled parcel never moves again
    assert [e["status"] for e in api.events(a["tracking_number"])] == ["Pending Pickup", "Cancelled"]


def test_tracking_access(api: Api) -> None:
    a = api.create_ok()
    url = f"/sg/1.0/orders/tracking-events/{a['tracking_number']}"
    assert api.http.get(url, headers=api.auth()).status_code == 200
    assert api.http.get(url.replace("/sg/", "/my/"), headers=api.auth("my")).status_code == 404
    resp = api.http.get("/sg/1.0/orders/tracking-events/NVSGKRMNOSUCH0002", headers=api.auth())
    assert resp.status_code == 404 and resp.json()["error"]["code"] == 2004
    api.control("POST", "accounts/nv-demo-sg", {"tracking_allowed": False})
    try:
        resp = api.http.get(url, headers=api.auth())
        assert resp.status_code == 403 and resp.json()["error"]["code"] == 1004
        params = {"tracking_number": a["tracking_number"]}
        bulk = api.http.get("/sg/1.0/orders/tracking-events", params=params, headers=api.auth())
        assert bulk.status_code == 403
    finally:
        api.control("POST", "accounts/nv-demo-sg", {"tracking_allowed": True})


def test_custom_account_prefix_and_price(api: Api) -> None:
    api.control(
        "POST",
        "accounts",
        {"client_id": "nv-ph-2", "client_secret": "ph2-secret", "countries": ["ph"], "shipper_prefix": "NVPH2"},
    )
    requested = rtn()
    resp = api.create(order_body(requested, cc="ph"), cc="ph", client_id="nv-ph-2", secret="ph2-secret")
    assert resp.status_code == 200 and resp.json()["tracking_number"] == "NVPH2" + requested
    conflict = api.http.post(
        "/_sandbox/accounts", json={"client_id": "nv-ph-3", "countries": ["ph"], "shipper_prefix": "NVPH2"}
    )
    assert conflict.status_code == 409
    price = api.http.post(
        "/ph/1.0/public/price", json={"weight": 2.2, "service_level": "Standard"}, headers=api.auth("ph")
    )
    assert price.status_code == 200
    assert price.json()["data"] == {**price.json()["data"], "total_fee": 145.0, "currency": "PHP"}  # 85 + 2 x 30
