"""4PX mapping against reconstructed golden files, the gateway sign against the reference's fixed vector,
and the client's wire behaviour through an in-memory transport (no network)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from kiriman.carriers.base import (
    AccountConfig,
    CarrierAuthError,
    CarrierError,
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    DuplicateReference,
    NotCancellable,
    NotSupported,
    PackageRef,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.fourpx import mapping, statuses
from kiriman.carriers.fourpx.client import FourPx
from kiriman.carriers.fourpx.info import INFO
from kiriman.carriers.tracking import TrackingStatus
from kiriman.carriers.transport import CarrierHttp
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.retry import RetryPolicy

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "fourpx"


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


SENDER = Address(name="Shenzhen Merlion Trading", country="CN", line1="1001 Bao'an Avenue", line2="Building B 3F",
                 city="Shenzhen", state="Guangdong", district="Bao'an", postcode="518101", phone="+8613800138000",
                 email="ops@merlion.example")
RECIPIENT = Address(name="Tan Wei Ling", country="SG", line1="Blk 123 Ang Mo Kio Ave 3", line2="#07-89",
                    city="Singapore", state="Singapore", postcode="560123", phone="+6591234567")
SETTINGS = {"logistics_product_code": "F3", "duty_type": "U", "deliver_type": "1", "label_size": "label_100x150"}


def request(**changes: Any) -> ShipmentRequest:
    parcel = Parcel(
        items=(Item("USB-C cable 1m", 2, 60, Decimal("1.50"), sku="CBL-1", hs_code="854442"),
               Item("Power bank 10000mAh", 1, 400, Decimal("8.00"), sku="PB-10", hs_code="850760", dangerous=True)),
        declared_value=Money.of("11.00", "USD"), packaging_weight_g=100,
        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(8)),
    )
    fields: dict[str, Any] = {
        "reference": "KA7Q2M9XW4TB", "package": PackageRef(220000101, "2511250ABCDEF", "OFG1234567", "line_haul"),
        "service": "Standard", "sender": SENDER, "recipient": RECIPIENT, "parcel": parcel,
        "ship_date": date(2026, 11, 25), "options": {"battery_type": "966"},
    }
    fields.update(changes)
    return ShipmentRequest(**fields)


# --- create -------------------------------------------------------------------------------------------
def test_order_request_matches_the_published_shape() -> None:
    assert mapping.order_payload(request(), SETTINGS) == golden("order_request.json")


def test_identity_in_remark_and_reference_in_ref_no() -> None:
    body = mapping.order_payload(request(), SETTINGS)
    assert body["ref_no"] == "KA7Q2M9XW4TB"
    assert body["remark"] == "KRM1|220000101|2511250ABCDEF|OFG1234567|line_haul"


def test_units_are_grams_and_centimetres() -> None:
    heavy = replace(request().parcel, measured_weight_g=1234,
                    dimensions=Dimensions(Decimal("20.456"), Decimal("15"), Decimal("8.5")))
    parcel = mapping.order_payload(request(parcel=heavy), SETTINGS)["parcel_list"][0]
    assert parcel["weight"] == 1234 and isinstance(parcel["weight"], int)
    assert (parcel["length"], parcel["width"], parcel["height"]) == (20.46, 15.0, 8.5)


def test_defaults_without_settings_come_from_the_request() -> None:
    body = mapping.order_payload(request(pickup=False, options={}), {"logistics_product_code": "F3"})
    assert body["duty_type"] == "U" and body["deliver_type_info"] == {"deliver_type": 3}
    assert body["parcel_list"][0]["include_battery"] == "Y" and "battery_type" not in body["parcel_list"][0]
    assert mapping.order_payload(request(options={}), {"logistics_product_code": "F3"})[
        "deliver_type_info"] == {"deliver_type": 1}


def test_ddp_and_no_battery() -> None:
    plain = replace(request().parcel, items=(Item("Phone case", 1, 50, Decimal("2.00")),))
    body = mapping.order_payload(request(parcel=plain, options={}), {**SETTINGS, "duty_type": "p"})
    assert body["duty_type"] == "P" and body["parcel_list"][0]["include_battery"] == "N"
    assert "hscode_export" not in body["parcel_list"][0]["declare_product_info"][0]
    assert "declare_product_name_cn" not in body["parcel_list"][0]["declare_product_info"][0]


def test_a_chinese_description_also_fills_the_chinese_declaration_name() -> None:
    parcel = replace(request().parcel, items=(Item("数据线 USB-C cable", 1, 50, Decimal("2.00")),))
    [line] = mapping.order_payload(request(parcel=parcel), SETTINGS)["parcel_list"][0]["declare_product_info"]
    assert line["declare_product_name_cn"] == line["declare_product_name_en"] == "数据线 USB-C cable"


def test_a_request_may_name_the_product_code() -> None:
    assert mapping.order_payload(request(service="F4"), SETTINGS)["logistics_service_info"] == {
        "logistics_product_code": "F4"}
    assert mapping.product_code(request(service="standard"), SETTINGS) == "F3"


def test_no_product_code_names_the_setting() -> None:
    with pytest.raises(CarrierRejected) as err:
        mapping.order_payload(request(), {})
    assert err.value.field == "settings.logistics_product_code"


def test_cash_on_delivery_is_refused_before_the_call() -> None:
    cod = replace(request().parcel, cod=Money.of("10", "SGD"))
    with pytest.raises(CarrierRejected) as err:
        mapping.order_payload(request(parcel=cod), SETTINGS)
    assert err.value.field == "parcel.cod"


def test_order_response_gives_the_4px_number() -> None:
    data = mapping.envelope_data(golden("order_response.json"), mapping.CREATE)
    created = mapping.created_from_data(data, "ca_1", "KA7Q2M9XW4TB", "F3")
    assert created.tracking_number == "4PX3001234567890CN" and created.service == "F3"
    assert created.raw["ds_consignment_no"] == "DS2611250000123"


def test_data_as_a_json_string_is_parsed_twice() -> None:
    data = mapping.envelope_data(golden("order_response.data_string.json"), mapping.CREATE)
    assert mapping.created_from_data(data, "ca_1", "KA7Q2M9XW4TB", "F3").tracking_number == "4PX3001234567890CN"


def test_a_create_answer_without_a_number_is_ambiguous() -> None:
    with pytest.raises(CarrierUnavailable):
        mapping.created_from_data({"ref_no": "KA7Q2M9XW4TB"}, "ca_1", "KA7Q2M9XW4TB", "F3")


@pytest.mark.parametrize("body", [None, [], "<html>gateway</html>", {"data": {}}])
def test_an_answer_that_is_no_envelope_is_ambiguous(body: Any) -> None:
    with pytest.raises(CarrierUnavailable):
        mapping.envelope_data(body, mapping.CREATE)


# --- look-up ------------------------------------------------------------------------------------------
def test_order_get_finds_the_reference_and_keeps_the_last_mile_number() -> None:
    data = mapping.envelope_data(golden("order_get.response.json"), mapping.GET)
    found = mapping.found_from_data(data, "ca_1", "KA7Q2M9XW4TB")
    assert found is not None and found.tracking_number == "4PX3001234567890CN"
    assert found.raw["logistics_channel_no"] == "SPXSG0123456789" and found.service == "F3"
    assert mapping.found_from_data(data, "ca_1", "KOTHERREF00001") is None
    assert mapping.found_from_data(data[0], "ca_1", "KA7Q2M9XW4TB") is not None  # one object, not a list
    assert mapping.found_from_data([], "ca_1", "KA7Q2M9XW4TB") is None


def test_order_get_with_nested_blocks() -> None:
    data = {"consignment_info": {"4px_tracking_no": "4PX1", "ref_no": "KA7Q2M9XW4TB", "logistics_channel_no": ""},
            "parcel_confirm_info": {"parcel_list_confirm_info": [{"confirm_weight": "200"}]},
            "notes": [{"text": "no marker here"}]}
    found = mapping.found_from_data(data, "ca_1", "KA7Q2M9XW4TB")
    assert found is not None and found.tracking_number == "4PX1" and "parcel_confirm_info" in found.raw


def test_tracking_for_an_unknown_number_is_not_found() -> None:
    body = {"result": "0", "errors": [{"error_code": "TR1", "error_msg": "No tracking information for 4PXNOPE"}]}
    with pytest.raises(ShipmentNotFound):
        mapping.envelope_data(body, mapping.TRACK, {"deliveryOrderNo": "4PXNOPE"})


def test_order_get_for_an_unknown_reference_is_not_found() -> None:
    with pytest.raises(ShipmentNotFound):
        mapping.envelope_data(golden("order_get.not_found.json"), mapping.GET, {"request_no": "KNOSUCHREF0001"})


# --- errors -------------------------------------------------------------------------------------------
def test_duplicate_reference() -> None:
    with pytest.raises(DuplicateReference) as err:
        mapping.envelope_data(golden("error_duplicate.json"), mapping.CREATE, golden("order_request.json"))
    assert err.value.field == "reference" and err.value.code == "DS000032" and not err.value.retryable


def test_validation_error_names_the_field_in_our_terms() -> None:
    sent = golden("order_request.json")
    del sent["recipient_info"]["city"]
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data(golden("error_validation.json"), mapping.CREATE, sent)
    assert type(err.value) is CarrierRejected and err.value.field == "recipient.city"
    assert err.value.message == "recipient_info.city must not be empty" and not err.value.retryable


def test_camel_case_error_items_and_indexed_paths() -> None:
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data(golden("error_validation.camel.json"), mapping.CREATE, golden("order_request.json"))
    assert err.value.field == "parcel.items.hs_code" and err.value.code == "DS000012"


def test_a_path_in_error_data_names_the_field() -> None:
    item = {"error_code": "E1", "error_msg": "must not be empty", "error_data": "recipient_info.city"}
    body: dict[str, Any] = {"result": "0", "msg": "fail", "data": None, "errors": [item]}
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data(body, mapping.CREATE, golden("order_request.json"))
    assert err.value.field == "recipient.city" and err.value.message == "must not be empty"
    item["error_data"] = "parcel_list[0].declare_product_info[0].brand_export"
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data(body, mapping.CREATE, {})
    assert err.value.field == "parcel_list.declare_product_info.brand_export"


def test_a_bare_field_name_resolves_to_the_place_left_empty() -> None:
    sent = golden("order_request.json")
    del sent["recipient_info"]["city"]
    assert mapping.field_named("city is required", sent) == "recipient.city"
    assert mapping.field_named("ref_no too long", sent) == "reference"
    assert mapping.field_named("weight must be an integer", sent) == "parcel.weight"
    assert mapping.field_named("system busy", sent) == ""


def test_unknown_paths_are_reported_as_the_carriers() -> None:
    assert mapping.field_named("request_no is required", {"request_no": ""}) == "request_no"
    sent = golden("order_request.json")
    assert mapping.field_named("parcel_list[0].declare_product_info[0].brand_export is required", sent) == (
        "parcel_list.declare_product_info.brand_export")
    assert mapping.field_named("see open.4px.com for help", sent) == ""


def test_sign_refusal_is_an_auth_error() -> None:
    with pytest.raises(CarrierAuthError) as err:
        mapping.envelope_data(golden("error_sign.json"), mapping.TRACK, {"deliveryOrderNo": "X"})
    assert not err.value.retryable and err.value.message == "Invalid sign"


def test_rate_limit_answer_is_retryable() -> None:
    body = {"result": "0", "msg": "fail", "errors": [{"error_code": "SYS0429", "error_msg": "Too many requests"}]}
    with pytest.raises(CarrierThrottled) as err:
        mapping.envelope_data(body, mapping.CREATE, {})
    assert err.value.retryable


def test_cancel_refusals() -> None:
    with pytest.raises(NotCancellable) as err:
        mapping.envelope_data(golden("cancel_refused.json"), mapping.CANCEL, {"request_no": "4PX3001234567890CN"})
    assert not mapping.already_cancelled(err.value)
    again = {"result": "0", "errors": [{"error_code": "DS000121", "error_msg": "Order has already been cancelled"}]}
    with pytest.raises(NotCancellable) as err2:
        mapping.envelope_data(again, mapping.CANCEL, {})
    assert mapping.already_cancelled(err2.value)


def test_a_create_refusal_mentioning_not_found_is_not_a_missing_shipment() -> None:
    body = {"result": "0", "errors": [{"error_code": "X", "error_msg": "city not found in the destination list"}]}
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data(body, mapping.CREATE, golden("order_request.json"))
    assert type(err.value) is CarrierRejected


def test_result_zero_without_errors_keeps_the_message() -> None:
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data({"result": "0", "msg": "parameter error", "data": None}, mapping.LABEL, {})
    assert err.value.message == "parameter error"


def test_http_errors_without_an_envelope() -> None:
    assert isinstance(mapping.error_from_http(403, None, "Forbidden", mapping.GET, {}), CarrierAuthError)
    err = mapping.error_from_http(400, None, "bad request", mapping.GET, {})
    assert type(err) is CarrierRejected and err.status == 400
    dup = mapping.error_from_http(400, golden("error_duplicate.json"), "", mapping.CREATE, {})
    assert isinstance(dup, DuplicateReference) and dup.status == 400


# --- label --------------------------------------------------------------------------------------------
def test_label_answer_gives_the_url() -> None:
    data = mapping.envelope_data(golden("label.response.json"), mapping.LABEL)
    assert mapping.label_source(data) == ("https://fss.example-4px.com/label/4PX3001234567890CN.pdf", None)
    assert mapping.label_payload("4PX3001234567890CN", SETTINGS) == {
        "request_no": "4PX3001234567890CN", "response_label_format": "PDF", "label_size": "label_100x150"}
    assert mapping.label_payload("T", {})["label_size"] == "label_80x90"


def test_label_as_base64_content() -> None:
    encoded = base64.b64encode(b"%PDF-1.4 tiny").decode()
    assert mapping.label_source({"label_content": encoded}) == ("", b"%PDF-1.4 tiny")
    with pytest.raises(CarrierError):
        mapping.label_source({"label_url_info": {}})


def test_label_url_host_split() -> None:
    assert mapping.split_url("http://127.0.0.1:9/labels/a.pdf?x=1", "http://127.0.0.1:9") == (
        "http://127.0.0.1:9", "/labels/a.pdf?x=1")
    assert mapping.split_url("/labels/a.pdf", "http://127.0.0.1:9/") == ("http://127.0.0.1:9", "/labels/a.pdf")


# --- quote --------------------------------------------------------------------------------------------
def test_estimate_request_and_answer() -> None:
    body = mapping.estimate_payload(request(), SETTINGS)
    assert body == {"country_code": "SG", "weight": 620, "cargocode": "P", "length": 20.0, "width": 15.0,
                    "height": 8.0, "logistics_product_code": ["F3"]}
    quotes = mapping.quotes_from_data(mapping.envelope_data(golden("estimated_cost.response.json"), mapping.ESTIMATE))
    assert [(q.service, q.price, q.transit_days) for q in quotes] == [
        ("F3", Money.of("38.60", "CNY"), 12), ("F4", Money.of("29.1", "CNY"), None)]


# --- tracking -----------------------------------------------------------------------------------------
def test_tracking_is_ordered_mapped_and_in_beijing_time() -> None:
    data = mapping.envelope_data(golden("tracking.response.json"), mapping.TRACK)
    events = mapping.events_from_tracking(data, "4PX3001234567890CN")
    assert [e.raw_code for e in events] == ["OR10", "PU10", "SC10", "SC40", "EC20", "LH20", "LH50", "IC60",
                                            "LM25", "LM40"]
    assert [e.sub_status for e in events] == ["InfoReceived_001", "InTransit_002", "InTransit_003",
                                              "InTransit_003", "InTransit_001", "InTransit_007", "InTransit_004",
                                              "InTransit_005", "OutForDelivery_001", "Delivered_001"]
    assert events[0].time == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert events[0].time.utcoffset() == timedelta(hours=8)
    assert events[-1].status is TrackingStatus.DELIVERED and events[-1].terminal
    assert events[-1].raw_text == "Delivered, signed by Tan" and events[-1].location == "Singapore"
    assert events[3].details == {"logistics_channel_no": "SPXSG0123456789"}
    assert len({e.event_id for e in events}) == len(events)
    again = mapping.events_from_tracking(data, "4PX3001234567890CN")
    assert [e.event_id for e in again] == [e.event_id for e in events]  # stable across pulls


def test_cancelled_order_tracking() -> None:
    data = mapping.envelope_data(golden("tracking.cancelled.response.json"), mapping.TRACK)
    events = mapping.events_from_tracking(data, "4PX3001234567891CN")
    assert events[-1].raw_code == "OR30" and "cancelled" in events[-1].flags and events[-1].terminal


def test_channel_number_on_the_answer_goes_to_every_event() -> None:
    data = {"deliveryOrderNo": "T", "logistics_channel_no": "SPX1", "trackingList": [
        {"businessLinkCode": "OR10", "trackingContent": "created", "occurDatetime": "2026-11-25 10:00:00"}]}
    assert mapping.events_from_tracking(data, "T")[0].details == {"logistics_channel_no": "SPX1"}


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-25 10:00:00", datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    ("2026/11/25 10:00:00", datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    ("2026-11-25T10:00:00+07:00", datetime(2026, 11, 25, 3, 0, tzinfo=UTC)),
    (1764036000000, datetime(2025, 11, 25, 2, 0, tzinfo=UTC)),
    ("1764036000", datetime(2025, 11, 25, 2, 0, tzinfo=UTC)),
    ("", None), ("yesterday", None), (None, None),
])
def test_times(value: Any, expected: datetime | None) -> None:
    assert mapping.parse_time(value) == expected


def test_events_without_time_or_code_are_dropped() -> None:
    data = {"trackingList": [{"businessLinkCode": "OR10"}, {"occurDatetime": "2026-11-25 10:00:00"}, "junk"]}
    assert mapping.events_from_tracking(data, "T") == []
    assert mapping.events_from_tracking(None, "T") == []


# --- status table -------------------------------------------------------------------------------------
CONVENTION = {  # the codes the project's convention uses, with the reference §6.4 mapping
    "OR10": "InfoReceived_001", "PU10": "InTransit_002", "SC10": "InTransit_003", "SC20": "InTransit_007",
    "SC40": "InTransit_003", "EC10": "InTransit_006", "EC20": "InTransit_001", "EC30": "Exception_004",
    "LH10": "InTransit_001", "LH20": "InTransit_007", "LH50": "InTransit_004", "IC50": "InTransit_006",
    "IC60": "InTransit_005", "IC70": "Exception_004", "LM10": "InTransit_003", "LM25": "OutForDelivery_001",
    "LM30": "AvailableForPickup_001", "LM40": "Delivered_001", "LM50": "AttemptFail_001", "LM75": "Exception_003",
    "LM85": "Exception_013", "LM90": "Exception_010", "OR30": "Exception_001",
}


@pytest.mark.parametrize(("code", "sub_status"), sorted(CONVENTION.items()))
def test_convention_codes(code: str, sub_status: str) -> None:
    assert statuses.lookup(code).sub_status == sub_status
    assert "unmapped" not in statuses.lookup(code).flags


def test_special_rows() -> None:
    assert statuses.lookup("OR30").flags == frozenset({"cancelled"})
    assert "return_leg" in statuses.lookup("LM90").flags
    assert statuses.lookup(" lm40 ").sub_status == "Delivered_001"
    assert "unmapped" in statuses.lookup("ZZ99").flags


# --- signatures: the reference's fixed vector, never values from our own signer -----------------------
def test_signature_vector_from_the_reference() -> None:
    v = golden("signature_vector.json")
    assert mapping.sign(v["app_key"], v["method"], v["timestamp"], v["v"], v["body"], v["app_secret"]) == v["sign"]
    assert mapping.sign("app-key-1", "ds.xms.order.create", "1700000000000", "1.1.0", '{"ref_no":"TEST001"}',
                        "app-secret-1") == "a18ec6e1213590e1bcbfabc82b759975"


def test_public_params_carry_the_vector_sign() -> None:
    params = dict(mapping.public_params("app-key-1", "app-secret-1", "ds.xms.order.create", 1700000000000,
                                        '{"ref_no":"TEST001"}'))
    assert params == {"app_key": "app-key-1", "format": "json", "method": "ds.xms.order.create",
                      "timestamp": "1700000000000", "v": "1.1.0", "sign": "a18ec6e1213590e1bcbfabc82b759975",
                      "language": "en"}


@pytest.mark.parametrize("change", [
    {"body": '{"ref_no":"TEST001"} '}, {"secret": "app-secret-2"}, {"timestamp": "1700000000001"},
    {"version": "1.0.0"}, {"fmt": "xml"},
])
def test_one_changed_input_changes_the_sign(change: dict[str, str]) -> None:
    args = {"app_key": "app-key-1", "method": "ds.xms.order.create", "timestamp": "1700000000000",
            "version": "1.1.0", "body": '{"ref_no":"TEST001"}', "secret": "app-secret-1", **change}
    assert mapping.sign(**args) != "a18ec6e1213590e1bcbfabc82b759975"


def test_the_body_is_compact_utf8_json() -> None:
    assert mapping.encode_body({"ref_no": "TEST001"}) == '{"ref_no":"TEST001"}'
    assert mapping.encode_body({"city": "Hồ Chí Minh"}) == '{"city":"Hồ Chí Minh"}'


# --- the client on an in-memory transport -------------------------------------------------------------
Handler = Callable[[httpx.Request], httpx.Response]
PDF = b"%PDF-1.4\n% tiny\n%%EOF\n"


def independent_sign(query: dict[str, str], body: bytes, secret: str) -> str:
    """The documented rule written out again, apart from the adapter's signer."""
    text = "".join(k + query[k] for k in ("app_key", "format", "method", "timestamp", "v"))
    return hashlib.md5(text.encode() + body + secret.encode(), usedforsecurity=False).hexdigest()


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"result": "1", "msg": "success", "errors": [], "data": data})


class Gateway:
    """Routes by the ``method`` query parameter and records every request."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.seen.append(req)
        if req.url.path != mapping.GATEWAY:
            return self.routes[req.url.path](req)
        query = dict(parse_qsl(urlsplit(str(req.url)).query))
        if query["sign"] != independent_sign(query, req.content, "secret-1"):
            return httpx.Response(200, json=golden("error_sign.json"))
        return self.routes[query["method"]](req)


def adapter(gateway: Gateway, sleeps: list[float] | None = None, **settings: str) -> FourPx:
    http = CarrierHttp("fourpx", "http://fourpx.test", client=httpx.Client(transport=httpx.MockTransport(gateway)),
                       sleep=(sleeps if sleeps is not None else []).append,
                       policy=RetryPolicy(attempts=3, base_delay_s=0.01, deadline_s=30, timeout_s=5))
    account = AccountConfig("ca_4px", "fourpx", "SG", "production", {**SETTINGS, **settings})
    return FourPx(account, {"app_key": "key-1", "app_secret": "secret-1"}, http, now_ms=lambda: 1764036000000)


def test_create_sends_a_signed_query_and_the_signed_body() -> None:
    gw = Gateway({mapping.CREATE: lambda r: ok(golden("order_response.json")["data"])})
    created = adapter(gw).create_shipment(request())
    assert created.tracking_number == "4PX3001234567890CN" and created.account_id == "ca_4px"
    [sent] = gw.seen
    query = dict(parse_qsl(urlsplit(str(sent.url)).query))
    assert query["method"] == "ds.xms.order.create" and query["timestamp"] == "1764036000000"
    assert query["app_key"] == "key-1" and query["format"] == "json" and query["language"] == "en"
    assert query["sign"] == independent_sign(query, sent.content, "secret-1")
    assert json.loads(sent.content) == golden("order_request.json")
    assert sent.method == "POST" and sent.headers["content-type"].startswith("application/json")


def test_a_5xx_create_is_not_retried() -> None:
    gw = Gateway({mapping.CREATE: lambda r: httpx.Response(502, text="bad gateway")})
    with pytest.raises(CarrierUnavailable):
        adapter(gw).create_shipment(request())
    assert len(gw.seen) == 1


def test_a_wrong_secret_is_an_auth_error() -> None:
    gw = Gateway({mapping.TRACK: lambda r: ok({"trackingList": []})})
    fourpx = adapter(gw)
    fourpx._secret = "not-the-secret"
    with pytest.raises(CarrierAuthError):
        fourpx.track("4PX3001234567890CN")


def test_429_is_retried_after_retry_after() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}), ok(golden("tracking.response.json")["data"])])
    gw, sleeps = Gateway({mapping.TRACK: lambda r: next(answers)}), list[float]()
    events = adapter(gw, sleeps).track("4PX3001234567890CN")
    assert events[-1].status is TrackingStatus.DELIVERED and sleeps and sleeps[0] >= 3
    assert json.loads(gw.seen[-1].content) == {"deliveryOrderNo": "4PX3001234567890CN"}


def test_label_is_fetched_from_the_url_on_the_same_host() -> None:
    gw = Gateway({mapping.LABEL: lambda r: ok({"label_barcode": "T1", "label_url_info": {
        "logistics_label": "http://fourpx.test/labels/T1.pdf"}}),
                  "/labels/T1.pdf": lambda r: httpx.Response(200, content=PDF)})
    label = adapter(gw).get_label("T1")
    assert label.content == PDF and label.size == "4x6" and label.tracking_number == "T1" and label.format == "pdf"
    assert json.loads(gw.seen[0].content)["label_size"] == "label_100x150"


def test_label_that_is_not_a_pdf() -> None:
    gw = Gateway({mapping.LABEL: lambda r: ok({"label_url_info": {"logistics_label": "/labels/T1.pdf"}}),
                  "/labels/T1.pdf": lambda r: httpx.Response(200, content=b"<html>")})
    with pytest.raises(CarrierError):
        adapter(gw).get_label("T1")


def test_find_by_reference() -> None:
    def get(r: httpx.Request) -> httpx.Response:
        if json.loads(r.content)["request_no"] == "KA7Q2M9XW4TB":
            return ok(golden("order_get.response.json")["data"])
        return httpx.Response(200, json=golden("order_get.not_found.json"))

    fourpx = adapter(Gateway({mapping.GET: get}))
    found = fourpx.find_by_reference("KA7Q2M9XW4TB")
    assert found is not None and found.tracking_number == "4PX3001234567890CN"
    assert fourpx.find_by_reference("KNOSUCHREF0001") is None


def test_cancel_and_a_repeated_cancel() -> None:
    answers = iter([ok({"request_no": "T1"}), httpx.Response(200, json={"result": "0", "errors": [
        {"error_code": "DS1", "error_msg": "Order has already been cancelled"}]}),
                    httpx.Response(200, json=golden("cancel_refused.json"))])
    fourpx = adapter(Gateway({mapping.CANCEL: lambda r: next(answers)}))
    fourpx.cancel("T1")
    fourpx.cancel("T1")
    with pytest.raises(NotCancellable):
        fourpx.cancel("T1")


def test_quote() -> None:
    gw = Gateway({mapping.ESTIMATE: lambda r: ok(golden("estimated_cost.response.json")["data"])})
    quotes = adapter(gw).quote(request())
    assert quotes[0].price == Money.of("38.60", "CNY")


def test_unsupported_operations_say_why() -> None:
    fourpx = adapter(Gateway({}))
    calls = {"book_pickup": lambda: fourpx.book_pickup(PickupRequest(address=SENDER, pickup_date=date(2026, 11, 26))),
             "verify_webhook": lambda: fourpx.verify_webhook(b"{}", {}),
             "parse_webhook": lambda: fourpx.parse_webhook(b"{}", {}),
             "webhook_ack": lambda: fourpx.webhook_ack([])}
    for operation, call in calls.items():
        assert operation not in INFO.operations
        with pytest.raises(NotSupported) as err:
            call()
        assert err.value.operation == operation and err.value.message


def test_registry_entry() -> None:
    from kiriman.carriers.registry import REGISTRY

    entry = REGISTRY["fourpx"]
    assert entry.info is INFO and entry.factory is FourPx and entry.hosts["production"] == "https://open.4px.com"
    assert INFO.credential_fields == ("app_key", "app_secret") and INFO.searchable_by_reference
    assert INFO.setting_fields == ("logistics_product_code", "label_size", "duty_type", "deliver_type")


def test_beijing_zone_constant() -> None:
    assert mapping.CHINA.utcoffset(None) == timezone(timedelta(hours=8)).utcoffset(None)
