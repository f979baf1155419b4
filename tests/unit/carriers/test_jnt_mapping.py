"""J&T Express mapping against golden files and published samples, signatures against fixed vectors."""

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
from urllib.parse import parse_qs, quote, quote_plus

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
from kiriman.carriers.jnt import client as jnt_client
from kiriman.carriers.jnt import mapping, statuses
from kiriman.carriers.jnt.info import INFO
from kiriman.carriers.tracking import SUB_STATUSES, TrackingStatus
from kiriman.carriers.transport import CarrierHttp
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.retry import RetryPolicy

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "jnt"
MYT = timezone(timedelta(hours=8))
AUTH = {"customerCode": "ITTEST0001", "password": "69C912AB77B5C9B37409D88118DCF560"}


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def form(biz: str) -> bytes:
    """A push as J&T sends it: one form field, encoded here without the adapter's encoder."""
    return ("bizContent=" + quote_plus(biz)).encode("ascii")


SENDER = Address(name="Kedai Gajet KL", country="MY", line1="No 32, Jalan Kempas 4", line2="Taman Desaru Utama",
                 city="Bandar Penawar", state="Johor", postcode="81930", phone="+60 12-345 6789",
                 email="ops@gajet.example")
RECIPIENT = Address(name="Nur Aisyah", country="MY", line1="4678, Laluan Sentang 35", city="Batu Gajah", state="Perak",
                    district="Kampung Seri Mariah", postcode="31000", phone="+60198765432", email="aisyah@example.my")


def request(**changes: Any) -> ShipmentRequest:
    parcel = Parcel(
        items=(Item("USB-C cable 1m", 2, 60, Decimal("5.90")), Item("Power bank 10000mAh", 1, 400, Decimal("29.00"))),
        declared_value=Money.of("40.80", "MYR"), packaging_weight_g=100,
        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(8)), cod=Money.of("45.90", "MYR"),
    )
    fields: dict[str, Any] = {
        "reference": "KA7Q2M9XW4TB", "package": PackageRef(220000101, "2511250ABCDEF", "OFG1234567"),
        "service": "EZ", "sender": SENDER, "recipient": RECIPIENT, "parcel": parcel, "ship_date": date(2026, 11, 26),
        "options": {"insure": True},
    }
    fields.update(changes)
    return ShipmentRequest(**fields)


# --- create -----------------------------------------------------------------------------------------
def test_order_request_matches_the_published_shape() -> None:
    auth = mapping.business_auth("ITTEST0001", "12345678", "any-key", "password")
    assert mapping.order_payload(request(), "MY", {}, auth) == golden("order_request.json")


def test_the_signed_string_is_the_sent_string() -> None:
    body = mapping.order_payload(request(), "MY", {}, AUTH)
    text = mapping.encode_biz(body)
    assert text == json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    sent = parse_qs(mapping.form_body(text).decode("ascii"), keep_blank_values=True)
    assert list(sent) == ["bizContent"] and sent["bizContent"] == [text]


def test_drop_off_service_and_account_settings() -> None:
    settings = {"service_type": "1", "express_type": "EX", "pay_type": "PP_CASH"}
    body = mapping.order_payload(request(pickup=False, service=""), "MY", settings, AUTH)
    assert (body["serviceType"], body["expressType"], body["payType"]) == ("6", "EX", "PP_CASH")
    assert "sendStartTime" not in body and "sendEndTime" not in body
    assert mapping.order_payload(request(), "MY", {"service_type": "6"}, AUTH)["serviceType"] == "6"


@pytest.mark.parametrize(("service", "express"), [("Standard", "EZ"), ("Nextday", "EX"), ("fresh", "FD"),
                                                  ("EZ", "EZ"), ("js", "JS")])
def test_service_names_map_to_express_types(service: str, express: str) -> None:
    assert mapping.express_type(service, {}) == express


def test_cod_must_be_in_the_account_currency() -> None:
    parcel = replace(request().parcel, cod=Money.of("45.90", "SGD"))
    with pytest.raises(CarrierRejected) as err:
        mapping.order_payload(request(parcel=parcel), "MY", {}, AUTH)
    assert err.value.field == "parcel.cod" and not err.value.retryable


def test_no_cod_and_no_insurance_leave_the_blocks_out() -> None:
    parcel = replace(request().parcel, cod=None, dimensions=None)
    body = mapping.order_payload(request(parcel=parcel, options={}), "MY", {}, AUTH)
    assert "codInfo" not in body and "offerFeeInfo" not in body and "length" not in body["packageInfo"]


def test_country_codes_are_jnts_own() -> None:
    sg = replace(RECIPIENT, country="SG", postcode="560123")
    body = mapping.order_payload(request(recipient=sg), "MY", {"country_iso3": "MYS"}, AUTH)
    assert body["receiver"]["countryCode"] == "SIN" and body["sender"]["countryCode"] == "MYS"
    assert mapping.country_code("EG", "EG", {"country_iso3": "EGY"}) == "EGY"


def test_identity_goes_in_remark_within_200_characters() -> None:
    long = PackageRef(220000101, "2511250ABCDEF", "P" * 300)
    body = mapping.order_payload(request(package=long), "MY", {}, AUTH)
    assert len(body["remark"]) == 200 and body["remark"].startswith("KRM1|220000101|2511250ABCDEF|PPP")
    assert body["txlogisticId"] == "KA7Q2M9XW4TB"


@pytest.mark.parametrize(("grams", "text"), [(0, "0.01"), (1, "0.01"), (620, "0.62"), (1001, "1.01"), (2000, "2")])
def test_grams_become_kilograms_rounded_up(grams: int, text: str) -> None:
    assert mapping.kg(grams) == text


def test_created_from_the_published_response() -> None:
    data = mapping.envelope_data(golden("order_response.json"), {}, "create")
    created = mapping.created_from_response(data, "ca_1", "YLTEST202404101519", "EZ")
    assert created.tracking_number == "630002864925" and created.raw["packageChargeWeight"] == "12.36"


def test_a_success_without_bill_code_is_ambiguous() -> None:
    with pytest.raises(CarrierUnavailable) as err:
        mapping.created_from_response({"txlogisticId": "X"}, "ca_1", "X", "EZ")
    assert err.value.retryable


@pytest.mark.parametrize("body", [None, "<html>502</html>", {"msg": "no code"}, []])
def test_an_unreadable_answer_is_unavailable(body: Any) -> None:
    with pytest.raises(CarrierUnavailable):
        mapping.envelope_data(body, {}, "create")


# --- lookups and labels -----------------------------------------------------------------------------
def test_order_inquiry_finds_the_bill_code() -> None:
    data = mapping.envelope_data(golden("get_orders.response.json"), {})
    found = mapping.found_order(data, "ca_1", "YLTEST202404101519")
    assert found is not None and found.tracking_number == "630002864925" and found.service == "EZ"
    assert mapping.found_order(None, "ca_1", "X") is None
    assert mapping.found_order(data, "ca_1", "SOMETHING-ELSE") is None


def test_cancel_answer_is_a_success() -> None:
    assert mapping.envelope_data(golden("cancel.response.json"), {}, "cancel")["billCode"] == "630002563505"


def test_label_as_base64_or_as_url() -> None:
    content, url = mapping.label_content(mapping.envelope_data(golden("print.response.base64.json"), {}))
    assert content is not None and content.startswith(b"%PDF") and url == ""
    content, url = mapping.label_content(mapping.envelope_data(golden("print.response.url.json"), {}))
    assert content is None and url.endswith("8add1a25cd664dce89fc447d38ef6ac7.pdf")
    with pytest.raises(CarrierError):
        mapping.label_content({"billCode": "1"})


def test_print_and_cancel_send_the_bill_code_with_the_reference_when_known() -> None:
    assert mapping.print_payload(AUTH, "630002864925", "KA7Q2M9XW4TB") == {
        **AUTH, "txlogisticId": "KA7Q2M9XW4TB", "billCode": "630002864925"}
    assert "txlogisticId" not in mapping.print_payload(AUTH, "630002864925", "")
    assert mapping.cancel_payload(AUTH, "1", "R")["reason"]


# --- tracking ---------------------------------------------------------------------------------------
def test_trace_sample_maps_by_code_and_keeps_raw_values() -> None:
    events = mapping.events_from_trace(mapping.envelope_data(golden("trace.response.json"), {}),
                                       "JMX100099499533", MYT)
    assert len(events) == 2 and {e.sub_status for e in events} == {"OutForDelivery_001"}
    first = events[0]
    assert first.raw_code == "94" and first.raw_text.startswith("【Jalpan de Serra】")
    assert first.time == datetime(2024, 3, 11, 14, 0, 45, tzinfo=MYT)
    assert first.location == "JLP-Sierra.pdv, Jalpan de Serra, Querétaro"
    assert events[0].event_id == events[1].event_id  # one scan reported twice: the receiver de-duplicates


def test_journey_is_ordered_mapped_and_terminal() -> None:
    data = mapping.envelope_data(golden("trace_journey.response.json"), {})
    events = mapping.events_from_trace(data, "630002864925", mapping.default_offset("MY"))
    assert [e.sub_status for e in events] == ["InTransit_002", "InTransit_007", "InTransit_003",
                                              "OutForDelivery_001", "Delivered_003"]
    assert events[1].time == datetime(2026, 11, 27, 0, 15, tzinfo=UTC)  # no timeZone: the tenant's +08:00
    assert events[-1].status is TrackingStatus.DELIVERED and events[-1].terminal
    assert events[-1].details["sigPicUrl"].count(",") == 1
    assert len({e.event_id for e in events}) == 5


def test_an_unknown_bill_code_has_no_events() -> None:
    data = mapping.envelope_data(golden("trace_not_found.response.json"), {})
    assert mapping.events_from_trace(data, "000000000000", MYT) == []
    assert mapping.reference_in_trace(data, "000000000000") == ""


@pytest.mark.parametrize(("text", "offset"), [("GMT+08:00", 8), ("UTC+8", 8), ("GMT+07:00", 7), ("+0530", 5.5),
                                              ("GMT-05:00", -5), ("GMT", 0), ("", 8), ("Asia/KL", 8)])
def test_time_zones(text: str, offset: float) -> None:
    assert mapping.zone_of(text, MYT).utcoffset(None) == timedelta(hours=offset)


def test_every_code_in_the_table_maps_to_a_known_sub_status() -> None:
    for code, mapped in statuses.TABLE.items():
        assert mapped.sub_status in SUB_STATUSES, code
    for name, code in statuses.NAMES.items():
        assert code in statuses.TABLE, name


@pytest.mark.parametrize(("code", "sub"), [("10", "InTransit_002"), (200, "InTransit_002"), ("20", "InTransit_007"),
                                           ("30", "InTransit_003"), (94, "OutForDelivery_001"),
                                           ("94.0", "OutForDelivery_001"), ("100", "Delivered_003"),
                                           ("172", "Exception_010"), ("173", "Exception_011"),
                                           ("300", "Exception_012"), ("301", "Exception_013"),
                                           ("303", "Exception_003"), ("304", "Exception_004"),
                                           ("401", "InTransit_006"), ("402", "InTransit_005"),
                                           ("700", "AvailableForPickup_001"), ("702", "Delivered_002")])
def test_scan_codes(code: Any, sub: str) -> None:
    assert statuses.lookup(statuses.normalise_code(code)).sub_status == sub


def test_unknown_code_is_flagged_not_guessed() -> None:
    assert "unmapped" in statuses.lookup("999").flags
    assert "unmapped" in statuses.lookup_name("teleported").flags
    assert "problem_parcel" in statuses.lookup("110").flags


# --- webhooks ---------------------------------------------------------------------------------------
def test_mx_callback_sample_one_event_per_detail() -> None:
    sample = golden("mx_trace_callback.request.reconstructed.json")
    events = mapping.events_from_webhook(form(json.dumps(sample["bizContent"], ensure_ascii=False)), MYT)
    assert [e.tracking_number for e in events] == ["JMX100099499533"] * 2
    assert events[0].event_id == events[1].event_id and events[0].details["txlogisticId"] == "JMX100099499533"
    pulled = mapping.events_from_trace(golden("trace.response.json")["data"], "JMX100099499533", MYT)
    assert events[0].event_id == pulled[0].event_id  # push and pull de-duplicate against each other


def test_vn_callback_sample_single_object_numeric_code_iso_time() -> None:
    sample = golden("vn_webhook.request.reconstructed.json")
    [event] = mapping.events_from_webhook(form(json.dumps(sample, ensure_ascii=False)), mapping.default_offset("VN"))
    assert (event.tracking_number, event.raw_code, event.sub_status) == ("801100195141", "10", "InTransit_002")
    assert event.time == datetime(2024, 6, 21, 13, 23, 56, tzinfo=timezone(timedelta(hours=7)))


def test_eg_callback_sample_without_codes_maps_by_name() -> None:
    sample = golden("eg_statusFeedback_callback.bizContent.repaired.json")
    events = mapping.events_from_webhook(form(json.dumps(sample, ensure_ascii=False)), mapping.default_offset("EG"))
    assert [(e.raw_code, e.sub_status) for e in events] == [("快件揽收", "InTransit_002"),
                                                            ("出仓扫描", "OutForDelivery_001")]
    assert events[0].tracking_number == "1146708484138602002" and events[0].details["billCode"] == "UT0000264445622"


def test_the_published_eg_text_is_not_json() -> None:
    raw = (GOLDEN / "eg_statusFeedback_callback.published.txt").read_text(encoding="utf-8")
    biz = raw.split("bizContent=", 1)[1]
    with pytest.raises(ValueError):
        mapping.events_from_webhook(form(biz), MYT)


def test_batched_callback_many_parcels() -> None:
    batch = (GOLDEN / "webhook_batch.bizContent.json").read_text(encoding="utf-8")
    events = mapping.events_from_webhook(form(batch), MYT)
    assert [(e.tracking_number, e.sub_status) for e in events] == [
        ("630002864925", "InTransit_002"), ("630002864925", "InTransit_007"),
        ("630002864926", "AvailableForPickup_001"), ("630002864926", "Exception_001")]
    assert events[2].details["siteCollectCode"] == "5-4-321" and "problem_parcel" in events[3].flags
    journey = mapping.events_from_trace(golden("trace_journey.response.json")["data"], "630002864925",
                                        mapping.default_offset("MY"))
    assert {events[0].event_id, events[1].event_id} <= {e.event_id for e in journey}


@pytest.mark.parametrize("body", [b"", b"bizContent=", b"bizContent=%5B%5D", b"bizContent=not+json",
                                  b'[{"billCode":"1","details":[]}]', b"bizContent=%7B%22billCode%22%3A%221%22%7D",
                                  b"\xff\xfe"])
def test_malformed_pushes_raise(body: bytes) -> None:
    with pytest.raises(ValueError):
        mapping.events_from_webhook(body, MYT)


def test_ack_matches_the_documented_ack() -> None:
    events = mapping.events_from_webhook(form((GOLDEN / "webhook_batch.bizContent.json").read_text("utf-8")), MYT)
    ack = json.loads(mapping.webhook_ack(events))
    sample = golden("mx_trace_callback.response.reconstructed.json")
    assert {k: ack[k] for k in ("code", "msg", "data")} == {k: sample[k] for k in ("code", "msg", "data")}
    assert ack["code"] == golden("vn_webhook.ack.reconstructed.json")["code"] == "1"
    assert ack["requestId"] and mapping.webhook_ack(events) == mapping.webhook_ack(list(events))
    assert json.loads(mapping.webhook_rejection())["code"] == "145003030"


# --- signatures: the reference's fixed vectors and the published samples, never our own output -------
def test_header_digest_vector_from_the_reference() -> None:
    biz = '{"customerCode":"TESTCUST","txlogisticId":"ORDER-0001"}'
    assert mapping.header_digest(biz, "demo-private-key-0001") == "B6iasPhFensVET92CD8ibA=="


def test_business_password_vector_from_the_reference() -> None:
    assert mapping.business_password("12345678") == "69C912AB77B5C9B37409D88118DCF560"
    assert mapping.business_password("69c912ab77b5c9b37409d88118dcf560") == "69C912AB77B5C9B37409D88118DCF560"


def test_cn_eg_business_digest_vectors_from_the_reference() -> None:
    assert mapping.digest_password("12345678") == "16C8E977E2EF771F4F743A3AA98182C6"
    assert mapping.business_digest("TESTCUST", "12345678", "demo-private-key-0001") == "6r12IDz0CddAN1eEvyIUxg=="
    auth = mapping.business_auth("TESTCUST", "12345678", "demo-private-key-0001", "digest")
    assert auth == {"customerCode": "TESTCUST", "digest": "6r12IDz0CddAN1eEvyIUxg=="}


def test_digest_sample_vector() -> None:
    sample = golden("digest_signature.json")["computed"]
    assert mapping.header_digest(sample["bizContent"], sample["privateKey_dummy"]) == sample["expected_digest"]
    body = form(sample["bizContent"])
    headers = {"apiAccount": "1362", "digest": sample["expected_digest"], "timestamp": "1565238848921"}
    assert mapping.verify(body, headers, "1362", sample["privateKey_dummy"])


def test_unknown_business_auth_is_an_account_error() -> None:
    with pytest.raises(CarrierAuthError) as err:
        mapping.business_auth("C", "p", "k", "token")
    assert err.value.field == "settings.business_auth"


VECTOR_BIZ = '{"customerCode":"TESTCUST","txlogisticId":"ORDER-0001"}'
VECTOR_HEADERS = {"apiAccount": "640826271705595946", "digest": "B6iasPhFensVET92CD8ibA==",
                  "timestamp": "1700000000000"}


def test_verify_a_push_signed_with_the_reference_vector() -> None:
    assert mapping.verify(form(VECTOR_BIZ), VECTOR_HEADERS, "640826271705595946", "demo-private-key-0001")
    lowered = {k.lower(): v for k, v in VECTOR_HEADERS.items()}
    percent = ("bizContent=" + quote(VECTOR_BIZ, safe="")).encode()
    assert mapping.verify(percent, lowered, "640826271705595946", "demo-private-key-0001")


@pytest.mark.parametrize("change", [
    lambda b, h: (b + b" ", h),
    lambda b, h: (b.replace(b"ORDER-0001", b"ORDER-0002"), h),
    lambda b, h: (b, {k: v for k, v in h.items() if k != "digest"}),
    lambda b, h: (b, {**h, "digest": ""}),
    lambda b, h: (b, {**h, "digest": "B6iasPhFensVET92CD8ibB=="}),
    lambda b, h: (b, {**h, "apiAccount": "999"}),
    lambda b, h: (VECTOR_BIZ.encode(), h),  # not form-encoded: no bizContent field
])
def test_bad_or_missing_signature(change: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]]) -> None:
    body, headers = change(form(VECTOR_BIZ), dict(VECTOR_HEADERS))
    assert not mapping.verify(body, headers, "640826271705595946", "demo-private-key-0001")


def test_a_hex_digest_is_not_the_documented_digest() -> None:
    text = hashlib.md5((VECTOR_BIZ + "demo-private-key-0001").encode(), usedforsecurity=False).hexdigest()
    hexed = base64.b64encode(text.encode())
    headers = {**VECTOR_HEADERS, "digest": hexed.decode()}
    assert not mapping.verify(form(VECTOR_BIZ), headers, "640826271705595946", "demo-private-key-0001")


# --- errors -----------------------------------------------------------------------------------------
SENT = mapping.order_payload(request(), "MY", {}, AUTH)


def test_signature_failure_is_an_auth_error() -> None:
    err = mapping.error_from_envelope(golden("error_signature.json"), SENT, "create")
    assert isinstance(err, CarrierAuthError) and not err.retryable and err.code == "145003030"
    assert err.request_id == "e1a2b3c4d5e6f708192a3b4c5d6e7f80"


def test_a_missing_field_is_named_in_our_terms() -> None:
    err = mapping.error_from_envelope(golden("error_required_field.json"), SENT, "create")
    assert type(err) is CarrierRejected and err.field == "recipient.postcode" and err.message
    assert "receiver postCode is required" in str(err)


def test_not_cancellable_and_not_found() -> None:
    assert isinstance(mapping.error_from_envelope(golden("error_not_cancellable.json"), {}, "cancel"), NotCancellable)
    assert isinstance(mapping.error_from_envelope(golden("error_not_found.json"), {}, "cancel"), ShipmentNotFound)


@pytest.mark.parametrize("code", [0, 999001040, "145003050"])
def test_a_reused_reference_is_a_duplicate_whatever_the_code(code: Any) -> None:
    body = {**golden("error_duplicate.json"), "code": code}
    err = mapping.error_from_envelope(body, SENT, "create")
    assert isinstance(err, DuplicateReference) and err.field == "reference"
    assert not isinstance(mapping.error_from_envelope(body, {}, "cancel"), DuplicateReference)


def _with(path: tuple[str, str], value: str) -> dict[str, Any]:
    sent: dict[str, Any] = json.loads(json.dumps(SENT))
    sent[path[0]][path[1]] = value
    return sent


@pytest.mark.parametrize(("msg", "sent", "field"), [
    ("address is required", _with(("receiver", "address"), ""), "recipient.line1"),
    ("address is required", _with(("sender", "address"), ""), "sender.line1"),
    ("phone is required", _with(("sender", "phone"), ""), "sender.phone"),
    ("receiver.address is required", SENT, "recipient.line1"),
    ("receiver.prov is required", SENT, "recipient.state"),
    ("sender postcode invalid", SENT, "sender.postcode"),
    ("receiver country/province/city/area invalid", SENT, "recipient.country"),
    ("items.itemName is required", SENT, "parcel.items.description"),
    ("packageInfo.weight information is not legal, max weight is 99.999", SENT, "parcel.weight"),
    ("customsInfo.customsInfo.currency is required", SENT, "customsInfo.currency"),
    ("txlogisticId number is not allow more than 50 character", SENT, "reference"),
    ("remark is not allow more than 200 character", SENT, "package"),
    ("expressType only support EZ or FD or EX or DO or JS", SENT, "service"),
    ("The application does not set the order source and is prohibited from placing orders.", SENT, ""),
    ("获取运单号失败", SENT, ""),
])
def test_field_named_by_the_message(msg: str, sent: dict[str, Any], field: str) -> None:
    assert mapping.field_of(msg, sent) == field


def test_same_code_different_meanings() -> None:
    postcode = mapping.error_from_envelope({"code": 999001030, "msg": "receiver postcode invalid"}, SENT, "create")
    assert type(postcode) is CarrierRejected and postcode.field == "recipient.postcode"
    missing = mapping.error_from_envelope({"code": 999001030, "msg": "数据未找到"}, {}, "")
    assert isinstance(missing, ShipmentNotFound)
    create = mapping.error_from_envelope({"code": 0, "msg": "sender postcode not found"}, SENT, "create")
    assert type(create) is CarrierRejected and create.field == "sender.postcode"


def test_cancel_refusals() -> None:
    refused = mapping.error_from_envelope({"code": 0, "msg": "fail"}, {}, "cancel")
    assert isinstance(refused, NotCancellable)
    invalid = mapping.error_from_envelope({"code": 999001010, "msg": "txlogisticId is required"},
                                          mapping.cancel_payload(AUTH, "1", ""), "cancel")
    assert type(invalid) is CarrierRejected and invalid.field == "reference"


def test_throttled_and_busy_texts_are_retryable() -> None:
    assert isinstance(mapping.error_from_envelope({"code": 0, "msg": "request too frequent"}, {}), CarrierThrottled)
    busy = mapping.error_from_envelope({"code": 0, "msg": "系统繁忙，请稍后再试"}, {}, "create")
    assert isinstance(busy, CarrierUnavailable) and busy.retryable


# --- the client on a mocked wire ------------------------------------------------------------------
Handler = Callable[[httpx.Request], httpx.Response]


def adapter(handler: Handler, settings: dict[str, str] | None = None,
            key: str = "8e88c8477d4e4939859c560192fcafbc") -> jnt_client.JntExpress:
    mock = httpx.Client(transport=httpx.MockTransport(handler))
    http = CarrierHttp("jnt", "https://demoopenapi.jtexpress.my", client=mock, sleep=lambda s: None,
                       policy=RetryPolicy(attempts=3, base_delay_s=0, timeout_s=1))
    account = AccountConfig("ca_jnt", "jnt", "MY", "sandbox", settings or {})
    creds = {"api_account": "640826271705595946", "private_key": key, "customer_code": "ITTEST0001",
             "password": "12345678"}
    return jnt_client.JntExpress(account, creds, http, clock=lambda: 1_700_000_000.0)


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"code": "1", "msg": "success", "data": data, "requestId": "r1"})


def biz_of(req: httpx.Request) -> dict[str, Any]:
    fields = parse_qs(req.content.decode("ascii"))
    assert list(fields) == ["bizContent"]
    return dict(json.loads(fields["bizContent"][0]))


@pytest.fixture(autouse=True)
def _fresh_reference_memory() -> None:
    jnt_client._REFERENCES.clear()


def test_create_sends_a_signed_form_and_remembers_the_reference() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if req.url.path.endswith("/order/addOrder"):
            return ok({"txlogisticId": "KA7Q2M9XW4TB", "billCode": "630002864925"})
        return ok({"txlogisticId": biz_of(req).get("txlogisticId"), "billCode": "630002864925",
                   "base64EncodeContent": golden("print.response.base64.json")["data"]["base64EncodeContent"]})

    jnt = adapter(handler)
    created = jnt.create_shipment(request())
    assert created.tracking_number == "630002864925" and created.service == "EZ"
    create = seen[0]
    assert create.url.path == "/webopenplatformapi/api/order/addOrder"
    assert create.headers["content-type"].startswith("application/x-www-form-urlencoded")
    text = parse_qs(create.content.decode("ascii"))["bizContent"][0]
    raw = hashlib.md5((text + "8e88c8477d4e4939859c560192fcafbc").encode(), usedforsecurity=False).digest()
    expected = base64.b64encode(raw).decode()
    assert create.headers["digest"] == expected
    assert (create.headers["apiaccount"], create.headers["timestamp"]) == ("640826271705595946", "1700000000000")
    assert biz_of(create)["password"] == "69C912AB77B5C9B37409D88118DCF560"
    label = jnt.get_label(created.tracking_number)
    assert label.content.startswith(b"%PDF") and biz_of(seen[1])["txlogisticId"] == "KA7Q2M9XW4TB"


def test_an_ambiguous_create_is_not_retried() -> None:
    calls: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req.url.path)
        return httpx.Response(502)

    with pytest.raises(CarrierUnavailable):
        adapter(handler).create_shipment(request())
    assert len(calls) == 1


def test_a_throttled_trace_is_retried_after_retry_after() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "2"}), ok([{"billCode": "1", "details": []}])]
    assert adapter(lambda r: answers.pop(0)).track("1") == [] and not answers


def test_duplicate_reference_on_create() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 999001040, "msg": "txlogisticId already exists", "data": None})

    with pytest.raises(DuplicateReference):
        adapter(handler).create_shipment(request())


def test_find_by_reference() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if biz_of(req)["txlogisticId"] == "YLTEST202404101519":
            return httpx.Response(200, json=golden("get_orders.response.json"))
        return httpx.Response(200, json=golden("error_not_found.json"))

    jnt = adapter(handler)
    found = jnt.find_by_reference("YLTEST202404101519")
    assert found is not None and found.tracking_number == "630002864925"
    assert jnt.find_by_reference("NOPE") is None


def test_label_url_is_downloaded_and_the_trace_supplies_the_reference() -> None:
    paths: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        paths.append(req.url.path)
        if req.url.path.endswith("/logistics/trace"):
            return ok([{"billCode": "670300032350", "txlogisticId": "KEXMY1000000239996", "details": []}])
        if req.url.path.endswith("/order/printOrder"):
            assert biz_of(req)["txlogisticId"] == "KEXMY1000000239996"
            return httpx.Response(200, json=golden("print.response.url.json"))
        assert req.url.host == "demoopenapi.jtexpress.my" and req.url.params["url"].endswith(".pdf")
        return httpx.Response(200, content=b"%PDF-1.4 label")

    label = adapter(handler).get_label("670300032350")
    assert label.content == b"%PDF-1.4 label" and label.format == "pdf"
    assert paths == ["/webopenplatformapi/api/logistics/trace", "/webopenplatformapi/api/order/printOrder",
                     "/webopenplatformapi/api/pic/file"]


def test_cancel_after_pickup_and_a_repeated_cancel() -> None:
    answers = [httpx.Response(200, json=golden("error_not_cancellable.json")),
               httpx.Response(200, json={"code": 0, "msg": "order has already been cancelled"})]

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/logistics/trace"):
            return ok([])
        return answers.pop(0)

    jnt = adapter(handler)
    with pytest.raises(NotCancellable):
        jnt.cancel("630002864925")
    jnt.cancel("630002864925")  # already cancelled: done


def test_digest_accounts_send_the_business_digest() -> None:
    sent: list[dict[str, Any]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(biz_of(req))
        return ok([])

    adapter(handler, {"business_auth": "digest"}).track("1")
    assert "digest" in sent[0] and "password" not in sent[0]


def test_missing_credentials_and_unsupported_operations() -> None:
    http = CarrierHttp("jnt", "https://x")
    with pytest.raises(CarrierAuthError):
        jnt_client.JntExpress(AccountConfig("a", "jnt", "MY"), {"api_account": "1"}, http)
    jnt = adapter(lambda r: ok(None))
    with pytest.raises(NotSupported) as err:
        jnt.quote(request())
    assert err.value.operation == "quote" and "quote" not in INFO.operations
    with pytest.raises(NotSupported) as err:
        jnt.book_pickup(PickupRequest(address=SENDER, pickup_date=date(2026, 11, 26)))
    assert err.value.operation == "book_pickup" and "book_pickup" not in INFO.operations


def test_webhook_through_the_adapter() -> None:
    jnt = adapter(lambda r: ok(None), key="demo-private-key-0001")
    assert jnt.verify_webhook(form(VECTOR_BIZ), VECTOR_HEADERS)
    assert not jnt.verify_webhook(form(VECTOR_BIZ), {**VECTOR_HEADERS, "apiAccount": "1"})
    body = form((GOLDEN / "webhook_batch.bizContent.json").read_text("utf-8"))
    events = jnt.parse_webhook(body, {})
    assert len(events) == 4 and events[0].time.utcoffset() == timedelta(hours=8)
    ack = jnt.webhook_ack(events)
    assert ack.status == 200 and ack.content_type == "application/json" and json.loads(ack.body)["code"] == "1"
