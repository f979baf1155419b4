"""Logistics: shipping parameters, ship_order rules, tracking number on the clock, tracking info, documents."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest

from .helpers import Api, Clock, Grant, same_shape, sample

PARAMS = "/api/v2/logistics/get_shipping_parameter"
SHIP = "/api/v2/logistics/ship_order"
TRACKING = "/api/v2/logistics/get_tracking_number"
TRACKING_INFO = "/api/v2/logistics/get_tracking_info"
DOC_PARAM = "/api/v2/logistics/get_shipping_document_parameter"
DOC_CREATE = "/api/v2/logistics/create_shipping_document"
DOC_RESULT = "/api/v2/logistics/get_shipping_document_result"
DOC_DOWNLOAD = "/api/v2/logistics/download_shipping_document"


@pytest.fixture(scope="module")
def sg(env: Any) -> tuple[int, Grant]:
    """A fresh SG shop (channels: 18099 pickup+dropoff with slots, 18036 pickup without slots, 18098 own fleet)."""
    api: Api = env.api
    shop_id = api.new_shop("SG", name="Logistics test SG")
    return shop_id, api.authorize(shop_id)


def _pickup_body(api: Api, grant: Grant, sn: str, package_number: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"order_sn": sn}
    if package_number:
        params["package_number"] = package_number
    out = api.get(PARAMS, params, grant=grant)
    assert out["error"] == "", out
    address = out["response"]["pickup"]["address_list"][0]
    body: dict[str, Any] = {"order_sn": sn, "pickup": {"address_id": address["address_id"]}}
    if address["time_slot_list"]:
        body["pickup"]["pickup_time_id"] = address["time_slot_list"][0]["pickup_time_id"]
    if package_number:
        body["package_number"] = package_number
    return body


def test_shipping_parameter_golden_shape(api: Api, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18099)
    out = api.get(PARAMS, {"order_sn": sn}, grant=grant)
    same_shape(sample("get_shipping_parameter.response.json"), out)
    resp = out["response"]
    assert resp["info_needed"] == {"pickup": ["address_id", "pickup_time_id"], "dropoff": []}
    slot = resp["pickup"]["address_list"][0]["time_slot_list"][0]
    assert set(slot) == {"date", "pickup_time_id", "time_text", "flags"} and slot["pickup_time_id"] == str(slot["date"])
    [no_slots] = api.new_orders(shop_id, 1, channel_id=18036)
    out = api.get(PARAMS, {"order_sn": no_slots}, grant=grant)["response"]
    assert out["info_needed"] == {"pickup": ["address_id"]} and out["dropoff"] is None
    assert out["pickup"]["address_list"][0]["time_slot_list"] is None
    missing = api.get(PARAMS, {"order_sn": "2401010000000X"}, grant=grant)
    assert {k: v for k, v in missing.items() if k != "request_id"} == {
        k: v for k, v in sample("get_shipping_parameter.error.json").items() if k != "request_id"
    }


def test_pickup_flow_tracking_number_after_delay(api: Api, clock: Clock, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18099)
    body = _pickup_body(api, grant, sn)
    out = api.post(SHIP, body, grant=grant)
    assert out == {**sample("ship_order.response.json"), "request_id": out["request_id"]}
    snap = api.order(sn)
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_REQUEST_CREATED"
    assert snap["order"]["status"] == "READY_TO_SHIP"  # PROCESSED only once the tracking number exists
    empty = api.get(TRACKING, {"order_sn": sn}, grant=grant)
    assert empty["error"] == "" and empty["response"]["tracking_number"] == ""
    clock.jump(30)
    assert api.get(TRACKING, {"order_sn": sn}, grant=grant)["response"]["tracking_number"] == ""
    clock.jump(31)  # tracking_delay_s = 60
    out = api.get(TRACKING, {"order_sn": sn, "response_optional_fields": "first_mile_tracking_number"}, grant=grant)
    same_shape(sample("get_tracking_number.response.json"), out, allow_extra=frozenset({"hint", "pickup_code"}))
    assert out["response"]["tracking_number"].startswith("SPXSG0")
    assert api.order(sn)["order"]["status"] == "PROCESSED"

    info = api.get(TRACKING_INFO, {"order_sn": sn}, grant=grant)
    same_shape(
        sample("get_tracking_info.response.2025.json")["response"]["tracking_info"][0],
        info["response"]["tracking_info"][0],
    )
    assert info["response"]["logistics_status"] == "LOGISTICS_REQUEST_CREATED"
    times = [e["update_time"] for e in info["response"]["tracking_info"]]
    assert times == sorted(times) and len(times) == 2


def test_ship_order_rules(api: Api, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18099)
    body = _pickup_body(api, grant, sn)
    both = api.post(SHIP, {**body, "dropoff": {}}, grant=grant)
    assert both["error"] == "logistics.ship_order_only_support_one_type"
    assert api.post(SHIP, {"order_sn": sn}, grant=grant)["error"] == "logistics.ship_order_only_support_one_type"
    bad_slot = api.post(SHIP, {"order_sn": sn, "pickup": {**body["pickup"], "pickup_time_id": "123"}}, grant=grant)
    assert bad_slot["error"] == "logistics.ship_order_pickup_time_invalid"
    no_addr = api.post(
        SHIP,
        {"order_sn": sn, "pickup": {"address_id": 1, "pickup_time_id": body["pickup"]["pickup_time_id"]}},
        grant=grant,
    )
    assert no_addr["error"] == "logistics.address_not_found"
    # the published request sample (address_id 0, empty strings) is incomplete
    published = dict(sample("ship_order.request.json"), order_sn=sn)
    assert api.post(SHIP, published, grant=grant)["error"] == "logistics.ship_order_need_address_pickup_time"
    assert (
        api.post(SHIP, {"order_sn": sn, "non_integrated": {"tracking_number": "X1"}}, grant=grant)["error"]
        == "logistics.ship_order_unsupport_non_integrated"
    )
    assert api.post(SHIP, body, grant=grant)["error"] == ""
    again = api.post(SHIP, body, grant=grant)
    assert again["error"] == "logistics.package_already_shipped"
    assert api.get(PARAMS, {"order_sn": sn}, grant=grant)["error"] == "error_param"

    [unpaid] = api.new_orders(shop_id, 1, status="UNPAID", channel_id=18099)
    out = api.post(SHIP, {"order_sn": unpaid, "dropoff": {}}, grant=grant)
    assert (out["error"], out["message"]) == ("logistics.error_param", "The order status is not ready to ship.")
    [shipped] = api.new_orders(shop_id, 1, status="SHIPPED", channel_id=18099)
    assert api.post(SHIP, {"order_sn": shipped, "dropoff": {}}, grant=grant)["message"] == "Order has been shipped."
    [cancelled] = api.new_orders(shop_id, 1, status="CANCELLED")
    assert api.post(SHIP, {"order_sn": cancelled, "dropoff": {}}, grant=grant)["error"] == "error_status"
    [fbs] = api.new_orders(shop_id, 1, fulfilled_by_shopee=True)
    assert api.post(SHIP, {"order_sn": fbs, "dropoff": {}}, grant=grant)["error"] == "logistics.ship_order_pff_init"
    [advance] = api.new_orders(shop_id, 1, advance=True)
    assert api.post(SHIP, {"order_sn": advance, "dropoff": {}}, grant=grant)["error"] == "logistics.error_booking_order"
    missing = api.post(SHIP, {"order_sn": "2401010000000X", "dropoff": {}}, grant=grant)
    assert missing["error"] == "error_not_found"

    ledger = api.control("GET", "ledger?include=ship")["ship_order_calls"]
    pn = api.order(sn)["packages"][0]["package_number"]
    assert ledger[pn]["calls"] == 8 and ledger[pn]["ok"] == 1


def test_split_order_needs_package_number(api: Api, clock: Clock, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, items=2, split=2, channel_id=18099)
    numbers = [p["package_number"] for p in api.order(sn)["packages"]]
    assert api.get(PARAMS, {"order_sn": sn}, grant=grant)["error"] == "logistics.package_number_not_exist"
    no_pn = api.post(SHIP, {"order_sn": sn, "dropoff": {}}, grant=grant)
    assert (no_pn["error"], no_pn["message"]) == (
        "logistics.ship_order_need_pacakge_number",
        "Please request with package_number for this split order.",
    )
    assert api.post(SHIP, _pickup_body(api, grant, sn, numbers[0]), grant=grant)["error"] == ""
    assert api.post(SHIP, {"order_sn": sn, "package_number": numbers[1], "dropoff": {}}, grant=grant)["error"] == ""
    assert api.get(TRACKING, {"order_sn": sn}, grant=grant)["error"] == "logistics.package_number_not_exist"
    clock.jump(61)
    trackings = [
        api.get(TRACKING, {"order_sn": sn, "package_number": n}, grant=grant)["response"]["tracking_number"]
        for n in numbers
    ]
    assert all(trackings) and trackings[0] != trackings[1]
    assert api.order(sn)["order"]["status"] == "PROCESSED"


def test_non_integrated_uses_tracking_number_not_tracking_no(api: Api, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18098)
    params = api.get(PARAMS, {"order_sn": sn}, grant=grant)["response"]
    assert params["info_needed"] == {"non_integrated": ["tracking_no"]}
    wrong = api.post(SHIP, {"order_sn": sn, "non_integrated": {"tracking_no": "OWN123456"}}, grant=grant)
    assert wrong["error"] == "logistics.ship_order_need_tracking_number"
    assert (
        api.post(SHIP, {"order_sn": sn, "non_integrated": {"tracking_number": "OWN123456"}}, grant=grant)["error"] == ""
    )
    snap = api.order(sn)
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_PICKUP_DONE"
    assert snap["order"]["status"] == "SHIPPED"
    assert api.get(TRACKING, {"order_sn": sn}, grant=grant)["response"]["tracking_number"] == "OWN123456"
    [other] = api.new_orders(shop_id, 1, channel_id=18098)
    dup = api.post(SHIP, {"order_sn": other, "non_integrated": {"tracking_number": "OWN123456"}}, grant=grant)
    assert dup["message"] == "Please input a unique tracking number."


def test_tw_dropoff_needs_branch_and_sender_name(api: Api) -> None:
    shop_id = api.new_shop("TW")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, channel_id=30005)
    params = api.get(PARAMS, {"order_sn": sn}, grant=grant)["response"]
    assert params["info_needed"] == {"dropoff": ["branch_id", "sender_real_name"]}
    branch = params["dropoff"]["branch_list"][0]["branch_id"]
    assert (
        api.post(SHIP, {"order_sn": sn, "dropoff": {}}, grant=grant)["error"] == "logistics.ship_order_need_branch_id"
    )
    out = api.post(SHIP, {"order_sn": sn, "dropoff": {"branch_id": branch}}, grant=grant)
    assert out == {**sample("ship_order.error.json"), "request_id": out["request_id"]}
    assert (
        api.post(SHIP, {"order_sn": sn, "dropoff": {"branch_id": branch, "sender_real_name": "陳小姐"}}, grant=grant)[
            "error"
        ]
        == ""
    )


def test_cross_border_is_dropoff_only(api: Api) -> None:
    grant = api.authorize(220_000_107)
    [sn] = api.new_orders(220_000_107, 1)
    params = api.get(PARAMS, {"order_sn": sn}, grant=grant)["response"]
    assert params["info_needed"] == {"dropoff": []} and params["pickup"] is None
    assert (
        api.post(SHIP, {"order_sn": sn, "pickup": {"address_id": 1}}, grant=grant)["error"]
        == "logistics.ship_order_unsupport_pickup"
    )
    assert api.post(SHIP, {"order_sn": sn, "dropoff": {}}, grant=grant)["error"] == ""
    api.action(sn, "assign-tracking")
    out = api.get(TRACKING, {"order_sn": sn, "response_optional_fields": "first_mile_tracking_number"}, grant=grant)
    assert re.fullmatch(r"MY2\d{12}IT", out["response"]["tracking_number"])
    assert re.fullmatch(r"CNF\d{18}", out["response"]["first_mile_tracking_number"])


def test_pickup_retry_and_update_shipping_order(api: Api, clock: Clock, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18099)
    body = _pickup_body(api, grant, sn)
    api.post(SHIP, body, grant=grant)
    update = "/api/v2/logistics/update_shipping_order"
    assert api.post(update, body, grant=grant)["error"] == "logistics.error_limit"
    api.action(sn, "pickup-fail")
    assert api.order(sn)["order"]["status"] == "RETRY_SHIP"
    assert api.post(update, body, grant=grant)["error"] == "logistics.update_shipping_order_no_param_change"
    params = api.get(PARAMS, {"order_sn": sn}, grant=grant)["response"]
    new_slot = params["pickup"]["address_list"][0]["time_slot_list"][1]["pickup_time_id"]
    out = api.post(update, {**body, "pickup": {**body["pickup"], "pickup_time_id": new_slot}}, grant=grant)
    assert out["error"] == "" and "response" not in out
    snap = api.order(sn)
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_REQUEST_CREATED"


def test_tracking_errors(api: Api, sg: tuple[int, Grant]) -> None:
    _shop_id, grant = sg
    out = api.get(TRACKING, {"order_sn": "2401010000000X"}, grant=grant)
    assert {k: v for k, v in out.items() if k != "request_id"} == {
        k: v for k, v in sample("get_tracking_number.error.json").items() if k != "request_id"
    }
    out = api.get(TRACKING_INFO, {"order_sn": "2401010000000X"}, grant=grant)
    assert {k: v for k, v in out.items() if k != "request_id"} == {
        k: v for k, v in sample("get_tracking_info.error.json").items() if k != "request_id"
    }


def _doc(sn: str, pn: str, **extra: Any) -> dict[str, Any]:
    return {"order_sn": sn, "package_number": pn, **extra}


def test_document_flow(api: Api, clock: Clock, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, channel_id=18099, items=2)
    pn = api.order(sn)["packages"][0]["package_number"]

    # before arrangement: no AWB
    early = api.post(DOC_CREATE, {"order_list": [_doc(sn, pn, tracking_number="X")]}, grant=grant)
    assert early["error"] == "common.batch_api_all_failed"
    assert early["response"]["result_list"][0]["fail_error"] == "logistics.order_status_error"
    assert early["warning"] == [{"order_sn": sn, "package_number": pn}]

    api.post(SHIP, _pickup_body(api, grant, sn), grant=grant)
    pending = api.post(DOC_CREATE, {"order_list": [_doc(sn, pn)]}, grant=grant)  # tracking number not there yet
    assert pending["response"]["result_list"][0]["fail_error"] == "logistics.error_param"
    clock.jump(61)
    tracking = api.get(TRACKING, {"order_sn": sn}, grant=grant)["response"]["tracking_number"]

    param = api.post(DOC_PARAM, {"order_list": [_doc(sn, pn)]}, grant=grant)
    row = param["response"]["result_list"][0]
    assert row["suggest_shipping_document_type"] == "THERMAL_AIR_WAYBILL"
    assert "NORMAL_AIR_WAYBILL" in row["selectable_shipping_document_type"] and "fail_error" not in row

    not_created = api.post(DOC_RESULT, {"order_list": [_doc(sn, pn)]}, grant=grant)
    assert not_created["response"]["result_list"][0]["fail_error"] == "logistics.shipping_document_should_print_first"
    wrong_tn = api.post(DOC_CREATE, {"order_list": [_doc(sn, pn, tracking_number="NOPE")]}, grant=grant)
    assert wrong_tn["response"]["result_list"][0]["fail_error"] == "logistics.tracking_number_invalid"
    created = api.post(
        DOC_CREATE,
        {
            "order_list": [
                _doc(sn, pn, tracking_number=tracking, shipping_document_type="THERMAL_AIR_WAYBILL"),
                _doc("2401010000000X", "OFG0"),
            ]
        },
        grant=grant,
    )
    assert created["error"] == ""  # partial failure: top level stays clean
    assert created["response"]["result_list"][0] == {"order_sn": sn, "package_number": pn}
    assert created["response"]["result_list"][1]["fail_error"] == "logistics.order_not_exist"

    result = api.post(DOC_RESULT, {"order_list": [_doc(sn, pn)]}, grant=grant)
    assert result["response"]["result_list"][0]["status"] == "PROCESSING"
    later = api.raw_post(
        DOC_DOWNLOAD, {"shipping_document_type": "THERMAL_AIR_WAYBILL", "order_list": [_doc(sn, pn)]}, grant=grant
    )
    assert later.headers["content-type"].startswith("application/json")
    assert later.json()["error"] == "logistics.download_later"
    clock.jump(6)  # document_delay_s = 5
    assert (
        api.post(DOC_RESULT, {"order_list": [_doc(sn, pn)]}, grant=grant)["response"]["result_list"][0]["status"]
        == "READY"
    )
    pdf = api.raw_post(
        DOC_DOWNLOAD, {"shipping_document_type": "THERMAL_AIR_WAYBILL", "order_list": [_doc(sn, pn)]}, grant=grant
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    _check_pdf(pdf.content, tracking)
    wrong_type = api.raw_post(
        DOC_DOWNLOAD, {"shipping_document_type": "NORMAL_AIR_WAYBILL", "order_list": [_doc(sn, pn)]}, grant=grant
    )
    assert wrong_type.json()["error"] == "logistics.shipping_document_should_print_first"

    # after pickup the AWB can no longer be created
    api.action(sn, "pickup")
    gone = api.post(DOC_CREATE, {"order_list": [_doc(sn, pn, tracking_number=tracking)]}, grant=grant)
    assert gone["error"] == "common.batch_api_all_failed"
    assert gone["response"]["result_list"][0]["fail_error"] == "logistics.order_status_error"


def test_document_failure_fault(api: Api, clock: Clock, sg: tuple[int, Grant]) -> None:
    shop_id, grant = sg
    [sn] = api.new_orders(shop_id, 1, status="PROCESSED", channel_id=18099)
    snap = api.order(sn)["packages"][0]
    api.control("POST", "faults", {"document_fail_next": 1})
    api.post(
        DOC_CREATE,
        {"order_list": [_doc(sn, snap["package_number"], tracking_number=snap["tracking_number"])]},
        grant=grant,
    )
    clock.jump(6)
    row = api.post(DOC_RESULT, {"order_list": [_doc(sn, snap["package_number"])]}, grant=grant)["response"][
        "result_list"
    ][0]
    assert row["status"] == "FAILED"
    assert (
        api.raw_post(DOC_DOWNLOAD, {"order_list": [_doc(sn, snap["package_number"])]}, grant=grant).json()["error"]
        == "logistics.package_print_failed"
    )


def test_document_batch_limits(api: Api, sg: tuple[int, Grant]) -> None:
    _shop_id, grant = sg
    many = [{"order_sn": "2401010000000X"}] * 51
    assert api.post(DOC_CREATE, {"order_list": many}, grant=grant)["error"] == "error_param"
    assert api.post(DOC_CREATE, {"order_list": []}, grant=grant)["error"] == "error_param"
    assert api.post(DOC_PARAM, {}, grant=grant)["error"] == "error_param"


def _check_pdf(data: bytes, tracking: str) -> None:
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    # the xref table points at the real object offsets
    start = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[start : start + 4] == b"xref"
    lines = data[start:].split(b"\n")
    count = int(lines[1].split()[1])
    for number in range(1, count):
        offset = int(lines[2 + number][:10])
        assert data[offset:].startswith(b"%d 0 obj" % number)
    streams = re.findall(rb"stream\n(.*?)\nendstream", data, re.S)
    text = b"".join(zlib.decompress(s) for s in streams)
    assert tracking.encode() in text
