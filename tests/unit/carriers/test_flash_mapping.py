"""Flash Express mapping against golden files, signatures against fixed vectors, errors and status tables."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from kiriman.carriers.base import (
    AccountConfig,
    Carrier,
    CarrierAuthError,
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    DuplicateReference,
    NotCancellable,
    NotSupported,
    PackageRef,
    PickupAlreadyOpen,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.flash import mapping, statuses
from kiriman.carriers.flash.client import FlashExpress
from kiriman.carriers.flash.info import INFO
from kiriman.carriers.tracking import SUB_STATUSES, TrackingStatus
from kiriman.carriers.transport import CarrierHttp
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.retry import RetryPolicy

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "flash"
# The two fixed vectors (Flash signing rule, https://open-docs.flashexpress.com/#signature-algorithm).
VECTOR_KEY, VECTOR_SIGN = "testkey123", "4BDDEC860976791EA134575499578565187BB783FAE65F2F160FBDD6E7DC36D3"
WEBHOOK_KEY, WEBHOOK_SIGN = "dummy_secret_key", "C1B074A7A273960FE73BDEDDDA20DC63D00DCF0A8696912DAD5095ABD1FA004E"


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


def raw(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


SENDER = Address(name="Siam Gadgets", country="TH", line1="99/1 Moo 3 Bang Na-Trat Road", line2="Unit 5",
                 city="บางพลี", state="สมุทรปราการ", district="บางพลีใหญ่", postcode="10540",
                 phone="+66 81-234-5678")
RECIPIENT = Address(name="Somchai Jaidee", country="TH", line1="12 Soi Sukhumvit 21", city="เขตวัฒนา",
                    state="กรุงเทพมหานคร", district="แขวงคลองเตยเหนือ", postcode="10110", phone="0891234567")


def request(**changes: Any) -> ShipmentRequest:
    parcel = Parcel(
        items=(Item("USB-C cable 1m", 2, 60, Decimal("190")), Item("Power bank 10000mAh", 1, 400, Decimal("910"))),
        declared_value=Money.of("1290.00", "THB"), packaging_weight_g=100,
        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal("7.5")), cod=Money.of("1290.50", "THB"),
    )
    fields: dict[str, Any] = {
        "reference": "KA7Q2M9XW4TB", "package": PackageRef(220000101, "2511250ABCDEF", "OFG1234567"),
        "service": "Standard", "sender": SENDER, "recipient": RECIPIENT, "parcel": parcel,
        "ship_date": date(2026, 11, 26), "instructions": "Leave with the guard", "options": {"insure": True},
    }
    fields.update(changes)
    return ShipmentRequest(**fields)


# --- requests ---------------------------------------------------------------------------------------
def test_order_fields_match_the_published_shape() -> None:
    assert mapping.order_params(request(), {}) == golden("order_request.form.json")


def test_identity_in_remark_and_reference_in_out_trade_no() -> None:
    params = mapping.order_params(request(), {})
    assert params["remark"] == "KRM1|220000101|2511250ABCDEF|OFG1234567|outbound"
    assert params["outTradeNo"] == "KA7Q2M9XW4TB"


def test_units_at_the_edge() -> None:
    params = mapping.order_params(request(), {})
    assert params["weight"] == "620"  # grams: 2 x 60 + 400 + 100 packaging
    assert (params["length"], params["width"], params["height"]) == ("20", "15", "8")  # cm, 7.5 rounded up
    assert params["codAmount"] == "129050" and params["insureDeclareValue"] == "129000"  # satang


def test_no_cod_no_insurance_still_says_so() -> None:
    parcel = replace(request().parcel, cod=None)
    params = mapping.order_params(request(parcel=parcel, options={}), {})
    assert params["codEnabled"] == "0" and params["insured"] == "0"
    assert "codAmount" not in params and "insureDeclareValue" not in params


def test_settings_choose_warehouse_and_categories() -> None:
    params = mapping.order_params(request(), {"warehouse_no": "AA0001_001", "express_category": "2",
                                              "article_category": "99"})
    assert params["warehouseNo"] == "AA0001_001" and not any(k.startswith("src") for k in params)
    assert params["expressCategory"] == "2" and params["articleCategory"] == "99"


def test_money_in_another_currency_is_refused_naming_the_field() -> None:
    parcel = replace(request().parcel, cod=Money.of("40", "SGD"))
    with pytest.raises(CarrierRejected) as err:
        mapping.order_params(request(parcel=parcel), {})
    assert err.value.field == "parcel.cod"


def test_unknown_service_is_refused() -> None:
    with pytest.raises(CarrierRejected) as err:
        mapping.order_params(request(service="Teleport"), {})
    assert err.value.field == "service"


def test_order_answer_gives_the_pno() -> None:
    body = golden("order_response.json")
    created = mapping.created_from_data(mapping.envelope_data(body, {}), "ca_fl", "KA7Q2M9XW4TB", "Standard")
    assert created.tracking_number == "TH47148Z139C" and created.raw["sortCode"] == "11N-07030-02"


def test_estimate_adds_the_upcountry_premium_from_satang_strings() -> None:
    [quote] = [mapping.quote_from_data(mapping.envelope_data(golden("estimate_rate.response.json"), {}),
                                       "Standard")]
    assert quote.price == Money(Decimal("48.00"), "THB")
    assert mapping.thb("2800") == Money(Decimal("28.00"), "THB") and mapping.thb(2850) == Money(Decimal("28.50"),
                                                                                                  "THB")


def test_estimate_fields() -> None:
    params = mapping.estimate_params(request(), {})
    assert params["dstPostalCode"] == "10110" and params["weight"] == "620" and params["expressCategory"] == "1"
    assert "outTradeNo" not in params and "remark" not in params


def test_pickup_notify() -> None:
    req = PickupRequest(address=SENDER, pickup_date=date(2026, 11, 26), parcels=3, instructions="Gate B")
    params = mapping.pickup_params(req)
    assert params["estimateParcelNumber"] == "3" and params["srcPostalCode"] == "10540" and params["remark"] == "Gate B"
    pickup = mapping.pickup_from_data(mapping.envelope_data(golden("notify.response.json"), {}), req.pickup_date)
    assert pickup.confirmation == "4021187"


def test_label_size_setting_picks_the_path() -> None:
    assert mapping.label_path({}, "TH1") == ("/open/v1/orders/TH1/pre_print", "100x180")
    assert mapping.label_path({"label_size": "small"}, "TH1") == ("/open/v1/orders/TH1/small/pre_print", "100x75")


def test_batches_stay_under_500_characters() -> None:
    pnos = [f"TH{n:010d}" for n in range(100)]
    chunks = mapping.batches(pnos)
    assert all(len(c) <= 500 for c in chunks) and ",".join(chunks).split(",") == pnos


# --- signatures: fixed vectors, never values from our own signer --------------------------------------
def test_signature_vector() -> None:
    params = {"mchId": "AA0001", "nonceStr": "1536749552628", "outTradeNo": "ORD-1", "weight": "1000", "pno": "",
              "remark": " "}
    assert mapping.string_to_sign(params, VECTOR_KEY) == (
        "mchId=AA0001&nonceStr=1536749552628&outTradeNo=ORD-1&weight=1000&key=testkey123")
    assert mapping.sign(params, VECTOR_KEY) == VECTOR_SIGN
    assert mapping.sign({**params, "sign": "whatever"}, VECTOR_KEY) == VECTOR_SIGN  # sign is never signed


@pytest.mark.parametrize("blank", ["", " ", "\t", "\r\n", "\x0b\x0c", "\x1c\x1d\x1e\x1f"])
def test_whitespace_only_values_are_not_signed(blank: str) -> None:
    params = {"mchId": "AA0001", "nonceStr": "1536749552628", "outTradeNo": "ORD-1", "weight": "1000",
              "remark": blank}
    assert mapping.sign(params, VECTOR_KEY) == VECTOR_SIGN


def test_names_sort_ascii_case_sensitive() -> None:
    params = {"weight": "1000", "outTradeNo": "ORD-1", "nonceStr": "1536749552628", "mchId": "AA0001"}
    assert mapping.sign(params, VECTOR_KEY) == VECTOR_SIGN
    assert mapping.string_to_sign({"b": "1", "B": "2", "a": "3"}, "k") == "B=2&a=3&b=1&key=k"


def test_webhook_narrow_vector_from_the_published_contract() -> None:
    contract = golden("webhook_contract.json")["computed"]
    narrow = {"mchId": contract["mchId"], "nonceStr": contract["nonceStr"]}
    assert mapping.string_to_sign(narrow, contract["secret_dummy"]) == contract["stringSignTemp"]
    assert mapping.sign(narrow, WEBHOOK_KEY) == WEBHOOK_SIGN == contract["expected_sign"]


def test_signed_form_is_signed_before_url_encoding() -> None:
    form = mapping.signed_form({"outTradeNo": "ORD-1", "weight": "1000", "pno": "", "remark": " "}, "AA0001",
                               VECTOR_KEY, "1536749552628")
    assert form["sign"] == VECTOR_SIGN
    body = mapping.encode_form(form)
    assert b"remark=+" in body and dict(parse_qsl(body.decode(), keep_blank_values=True)) == form


def test_full_signature_over_every_field_received() -> None:
    form = mapping.parse_form(raw("signature_vector.form.txt"))
    assert form is not None and mapping.webhook_signature(form, VECTOR_KEY, "AA0001") == "full"


def test_narrow_signature_is_accepted_but_marked() -> None:
    form = mapping.parse_form(raw("webhook_status.narrow.form.txt"))
    assert form is not None and mapping.webhook_signature(form, WEBHOOK_KEY, "AA0001") == "narrow"


@pytest.mark.parametrize("change", [
    lambda b: b + b" ",
    lambda b: b.replace(b"weight=1000", b"weight=1001"),
    lambda b: b.replace(b"sign=4BDDEC", b"sign=4BDDED"),
    lambda b: b.replace(b"mchId=AA0001", b"mchId=AA0002"),
    lambda b: b + b"&sign=" + VECTOR_SIGN.encode(),  # a field twice: which one was signed?
    lambda b: b.replace(b"&sign=" + VECTOR_SIGN.encode(), b""),
])
def test_a_changed_body_fails(change: Any) -> None:
    form = mapping.parse_form(change(raw("signature_vector.form.txt")))
    assert form is None or mapping.webhook_signature(form, VECTOR_KEY, "AA0001") == ""


def test_wrong_key_or_merchant_fails() -> None:
    form = mapping.parse_form(raw("signature_vector.form.txt"))
    assert form is not None
    assert mapping.webhook_signature(form, "testkey124", "AA0001") == ""
    assert mapping.webhook_signature(form, VECTOR_KEY, "AA0009") == ""


# --- webhooks -------------------------------------------------------------------------------------------
def test_status_webhook_from_the_published_sample() -> None:
    [event] = mapping.events_from_webhook(raw("webhook_status.narrow.form.txt"), WEBHOOK_KEY, "AA0001")
    assert event.tracking_number == "P0102P8XXXX" and event.raw_code == "RECEIVED"
    assert event.sub_status == "InTransit_002" and event.time == datetime.fromtimestamp(1680747251, UTC)
    assert statuses.UNVERIFIED in event.flags  # only mchId and nonceStr were signed
    assert event.raw_text.startswith("Your parcel has been picked up")


def test_weight_and_price_webhooks_ask_for_a_refetch() -> None:
    [weight] = mapping.events_from_webhook(raw("webhook_weight.narrow.form.txt"), WEBHOOK_KEY, "AA0001")
    [price] = mapping.events_from_webhook(raw("webhook_price.narrow.form.txt"), WEBHOOK_KEY, "AA0001")
    assert {"refetch_required", "remeasured", "no_status_change"} <= weight.flags
    assert {"refetch_required", "repriced", "no_status_change"} <= price.flags
    assert weight.raw_code == "WEBHOOK_WEIGHT" and price.raw_code == "WEBHOOK_PRICE"
    assert weight.event_id != price.event_id and weight.details["weight"] == "1450"


def test_return_to_sender_webhook_asks_for_a_refetch() -> None:
    [event] = mapping.events_from_webhook(raw("webhook_routes_rts.narrow.form.txt"), WEBHOOK_KEY, "AA0001")
    assert event.sub_status == "Exception_010" and {"return_leg", "refetch_required"} <= event.flags


def test_fully_signed_webhook_is_not_marked() -> None:
    """Branching only (the signer itself is pinned by the vectors above)."""
    form = dict(parse_qsl(raw("webhook_status.narrow.form.txt").decode()))
    form.pop("sign")
    body = mapping.encode_form(mapping.signed_form({k: v for k, v in form.items() if k not in ("mchId", "nonceStr")},
                                                   "AA0001", WEBHOOK_KEY, form["nonceStr"]))
    [event] = mapping.events_from_webhook(body, WEBHOOK_KEY, "AA0001")
    assert statuses.UNVERIFIED not in event.flags


def test_webhook_type_is_inferred_without_webhook_api_code() -> None:
    form = dict(parse_qsl(raw("webhook_weight.narrow.form.txt").decode()))
    form.pop("webhookApiCode")
    [event] = mapping.events_from_webhook(urlencode(form).encode(), WEBHOOK_KEY, "AA0001")
    assert "remeasured" in event.flags


def test_webhook_and_pull_give_the_same_event_id() -> None:
    data = {"pno": "TH47148Z139C", "routedAction": "DELIVERY_CONFIRM", "routedAt": "1764216120", "state": "5"}
    body = urlencode({"mchId": "AA0001", "nonceStr": "1680747255", "sign": WEBHOOK_SIGN, "webhookApiCode": "0",
                      "data": json.dumps(data)}).encode()
    [hooked] = mapping.events_from_webhook(body, WEBHOOK_KEY, "AA0001")
    pulled = mapping.events_from_routes(golden("routes.response.json")["data"], "TH47148Z139C")[-1]
    assert hooked.event_id == pulled.event_id


@pytest.mark.parametrize("body", [b"", b"not a form", b"mchId=AA0001&data=not-json", b"mchId=AA0001&data=[]",
                                  b"mchId=AA0001&data=%7B%7D", b"\xff\xfe"])
def test_malformed_webhooks_raise(body: bytes) -> None:
    with pytest.raises(ValueError):
        mapping.events_from_webhook(body, WEBHOOK_KEY, "AA0001")


# --- tracking -------------------------------------------------------------------------------------------
def test_routes_are_ordered_and_mapped_by_route_action() -> None:
    events = mapping.events_from_routes(golden("routes.response.json")["data"], "TH47148Z139C")
    assert [e.sub_status for e in events] == ["InTransit_002", "InTransit_003", "InTransit_007", "InTransit_003",
                                              "OutForDelivery_001", "Delivered_001"]
    assert events[0].time == datetime.fromtimestamp(1764122400, UTC)
    assert events[-1].terminal and events[-1].raw_code == "DELIVERY_CONFIRM"
    assert len({e.event_id for e in events}) == 6


def test_delivered_after_return_to_sender_is_returned() -> None:
    events = mapping.events_from_routes(golden("routes.rts.response.json")["data"], "TH47148Z140D")
    assert [e.sub_status for e in events] == ["InTransit_002", "OutForDelivery_001", "AttemptFail_001",
                                              "Exception_010", "Exception_010", "Exception_011"]
    assert events[-1].terminal and "return_leg" in events[-1].flags


def test_no_scan_yet_is_info_received_with_a_stable_id() -> None:
    data = golden("routes.no_scan.response.json")["data"]
    [event] = mapping.events_from_routes(data, "TH47148Z139C")
    assert event.status is TrackingStatus.INFO_RECEIVED and event.raw_code == "STATE_0"
    assert event.event_id == mapping.events_from_routes(data, "TH47148Z139C")[0].event_id


def test_routes_batch() -> None:
    out = mapping.events_from_batch(golden("routes_batch.response.json")["data"])
    assert out["TH47148Z139C"][0].raw_code == "RECEIVED" and out["TH47148Z140D"][0].raw_code == "STATE_0"


def test_every_published_route_action_is_in_the_table() -> None:
    published = ["RECEIVED", "RECEIVE_WAREHOUSE_SCAN", "SHIPMENT_WAREHOUSE_SCAN", "ARRIVAL_WAREHOUSE_SCAN",
                 "DELIVERY_TICKET_CREATION_SCAN", "DETAIN_WAREHOUSE", "DELIVERY_CONFIRM", "DIFFICULTY_HANDOVER",
                 "CONTINUE_TRANSPORT", "DIFFICULTY_RE_TRANSIT", "CANCEL_PARCEL", "HURRY_PARCEL",
                 "CHANGE_PARCEL_INFO", "CHANGE_PARCEL_CLOSE", "CHANGE_PARCEL_SIGNED", "CHANGE_PARCEL_CANCEL",
                 "CHANGE_PARCEL_IN_TRANSIT", "REVISION_TIME", "CUSTOMER_CHANGE_PARCEL_INFO",
                 "DIFFICULTY_FINISH_INDEMNITY", "SYSTEM_AUTO_RETURN"]
    assert set(statuses.ROUTE_ACTIONS) == set(published)
    for mapped in [*statuses.ROUTE_ACTIONS.values(), *statuses.STATES.values(), *statuses.WEBHOOK_ONLY.values()]:
        assert mapped.sub_status in SUB_STATUSES


@pytest.mark.parametrize(("action", "sub_status", "flag"), [
    ("CANCEL_PARCEL", "Exception_001", "cancelled"), ("CHANGE_PARCEL_CANCEL", "Exception_001", "cancelled"),
    ("SYSTEM_AUTO_RETURN", "Exception_010", "refetch_required"), ("DETAIN_WAREHOUSE", "Exception_005", ""),
    ("DIFFICULTY_HANDOVER", "AttemptFail_001", ""), ("CHANGE_PARCEL_SIGNED", "Delivered_001", ""),
    ("HURRY_PARCEL", "InTransit_001", "no_status_change"), ("TELEPORTED", "InTransit_001", "unmapped"),
])
def test_route_action_table(action: str, sub_status: str, flag: str) -> None:
    mapped = statuses.lookup(action, "5")  # the state never overrides a route action
    assert mapped.sub_status == sub_status and (not flag or flag in mapped.flags)


def test_state_is_a_fallback_and_disputed_states_never_end_a_parcel() -> None:
    assert statuses.lookup("", "5").sub_status == "Delivered_001"
    for state in ("4", "6"):
        mapped = statuses.lookup("", state)
        assert {"refetch_required", "unconfirmed_state"} <= mapped.flags and "cancelled" not in mapped.flags
    returned = statuses.lookup("", "7")
    assert returned.sub_status == "Exception_011" and "refetch_required" in returned.flags
    assert all("cancelled" in statuses.lookup("", s).flags for s in ("8", "9"))


def test_cancelled_before_any_scan() -> None:
    data = {"pno": "TH1", "state": 9, "stateText": "Cancelled", "stateChangeAt": 1764118900, "routes": []}
    [event] = mapping.events_from_routes(data, "TH1")
    assert "cancelled" in event.flags and event.terminal and event.raw_code == "STATE_9"


def test_epoch_times() -> None:
    expected = datetime.fromtimestamp(1764122400, UTC)
    assert mapping.epoch(1764122400) == mapping.epoch("1764122400") == mapping.epoch(1764122400000) == expected
    assert mapping.epoch(None) is None and mapping.epoch("") is None and mapping.epoch("soon") is None


# --- errors ---------------------------------------------------------------------------------------------
def err_of(name: str, sent: dict[str, str] | None = None) -> CarrierError:
    with pytest.raises(CarrierError) as err:
        mapping.envelope_data(golden(name), sent or {})
    return err.value


def test_validation_error_names_the_field_in_our_terms() -> None:
    err = err_of("error_1000_validation.json")
    assert type(err) is CarrierRejected and not err.retryable and err.code == "1000"
    assert err.field == "recipient.postcode" and "5 digit" in err.message
    assert err.request_id == "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.mark.parametrize(("message", "field"), [
    ("Failed to submit: dstPhone is required", "recipient.phone"),
    ("Failed to submit: weight must be at least 1", "parcel.weight"),
    ("Failed to submit: fooBar is odd", ""),
    ("ตรวจสอบข้อมูลผิดพลาด", ""),
])
def test_a_field_named_only_in_the_message(message: str, field: str) -> None:
    with pytest.raises(CarrierRejected) as err:
        mapping.envelope_data({"code": 1000, "message": message, "data": None}, {"dstPhone": "", "weight": "0"})
    assert err.value.field == field and err.value.message == message


def test_duplicate_out_trade_no() -> None:
    err = err_of("error_1003_duplicate.json")
    assert isinstance(err, DuplicateReference) and err.field == "reference" and not err.retryable


def test_postcode_error_names_the_postcode_we_sent_wrong() -> None:
    sent = mapping.order_params(request(recipient=replace(RECIPIENT, postcode="1011")), {})
    assert err_of("error_1021_postcode.json", sent).field == "recipient.postcode"
    sent = mapping.order_params(request(sender=replace(SENDER, postcode="105400")), {})
    assert err_of("error_1021_postcode.json", sent).field == "sender.postcode"


def test_picked_up_is_not_cancellable_and_bad_sign_is_auth() -> None:
    assert isinstance(err_of("error_1015_picked_up.json"), NotCancellable)
    assert isinstance(err_of("error_1002_sign.json"), CarrierAuthError)


def test_open_pickup_is_a_rejection_naming_it() -> None:
    err = err_of("error_1010_pickup_open.json")
    # a refusal to book again, which callers count as booked (domain/pickups.py)
    assert isinstance(err, PickupAlreadyOpen) and isinstance(err, CarrierRejected)
    assert err.field == "pickup" and "open pickup" in err.message and err.ticket == ""
    named = mapping.error_from_envelope({"code": 1010, "message": "open", "data": {"ticketPickupId": 77}}, {})
    assert isinstance(named, PickupAlreadyOpen) and named.ticket == "77" and "(ticket 77)" in named.message


@pytest.mark.parametrize(("code", "kind", "field"), [
    (0, CarrierUnavailable, ""), (1001, CarrierAuthError, "credentials.mch_id"),
    (1004, CarrierRejected, "sender"), (1005, CarrierRejected, "recipient"),
    (1006, ShipmentNotFound, "tracking_number"), (1007, CarrierRejected, "settings.warehouse_no"),
    (1008, CarrierRejected, "parcel.cod"), (1011, NotCancellable, "pickup"), (1018, CarrierRejected, "sender"),
    (1020, CarrierRejected, "parcel.declared_value"), (1022, CarrierRejected, "sender"),
    (40004, CarrierRejected, ""),
])
def test_code_table(code: int, kind: type[CarrierError], field: str) -> None:
    with pytest.raises(CarrierError) as err:
        mapping.envelope_data({"code": code, "message": "m", "data": None}, {})
    assert type(err.value) is kind and err.value.field == field and err.value.code == str(code)


def test_string_code_one_is_success_and_garbage_is_unavailable() -> None:
    assert mapping.envelope_data({"code": "1", "message": "success", "data": {"a": 1}}, {}) == {"a": 1}
    with pytest.raises(CarrierUnavailable):
        mapping.envelope_data("<html>", {})


# --- the client over a fake transport ------------------------------------------------------------------
ACCOUNT = AccountConfig("ca_fl_th", "flash", "TH", "sandbox", {})


def adapter(handler: Any, settings: dict[str, str] | None = None) -> tuple[FlashExpress, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req)  # type: ignore[no-any-return]

    http = CarrierHttp("flash", "https://flash.test", client=httpx.Client(transport=httpx.MockTransport(record)),
                       policy=RetryPolicy(attempts=3, base_delay_s=0, deadline_s=5, timeout_s=5), sleep=lambda s: None)
    account = replace(ACCOUNT, settings=settings or {})
    return FlashExpress(account, {"mch_id": "AA0001", "key": VECTOR_KEY}, http, nonce=lambda: "1536749552628"), seen


def form_of(req: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(req.content.decode(), keep_blank_values=True))


def test_create_posts_a_signed_form() -> None:
    fl, seen = adapter(lambda r: httpx.Response(200, json=golden("order_response.json")))
    created = fl.create_shipment(request())
    assert created.tracking_number == "TH47148Z139C" and created.account_id == "ca_fl_th"
    [sent] = seen
    assert sent.url.path == "/open/v3/orders" and sent.headers["content-type"] == mapping.FORM
    form = form_of(sent)
    assert form["mchId"] == "AA0001" and form["nonceStr"] == "1536749552628" and len(form["sign"]) == 64
    assert {k: v for k, v in form.items() if k not in ("mchId", "nonceStr", "sign")} == golden(
        "order_request.form.json")


def test_an_ambiguous_create_is_not_retried() -> None:
    fl, seen = adapter(lambda r: httpx.Response(502))
    with pytest.raises(CarrierUnavailable):
        fl.create_shipment(request())
    assert len(seen) == 1


def test_a_throttled_read_is_retried() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}),
                    httpx.Response(200, json=golden("routes.response.json"))])
    fl, seen = adapter(lambda r: next(answers))
    assert fl.track("TH47148Z139C")[-1].sub_status == "Delivered_001" and len(seen) == 2


def test_business_error_under_http_200() -> None:
    fl, _ = adapter(lambda r: httpx.Response(200, json=golden("error_1003_duplicate.json")))
    with pytest.raises(DuplicateReference):
        fl.create_shipment(request())


def test_label_pdf_and_json_error() -> None:
    fl, seen = adapter(lambda r: httpx.Response(200, content=b"%PDF-1.4 label",
                                                headers={"Content-Type": "application/pdf"}), {"label_size": "small"})
    label = fl.get_label("TH47148Z139C")
    assert label.content.startswith(b"%PDF") and label.size == "100x75"
    assert seen[0].url.path == "/open/v1/orders/TH47148Z139C/small/pre_print"
    fl, _ = adapter(lambda r: httpx.Response(200, json={"code": 1006, "message": "order not found", "data": None}))
    with pytest.raises(ShipmentNotFound):
        fl.get_label("TH0")


def test_quote_pickup_cancel_and_find() -> None:
    answers = {"/open/v1/orders/estimate_rate": golden("estimate_rate.response.json"),
               "/open/v1/notify": golden("notify.response.json"),
               "/open/v1/orders/TH1/cancel": golden("cancel.response.json")}
    fl, _ = adapter(lambda r: httpx.Response(200, json=answers[r.url.path]))
    assert fl.quote(request())[0].price == Money(Decimal("48.00"), "THB")
    assert fl.book_pickup(PickupRequest(address=SENDER, pickup_date=date(2026, 11, 26))).confirmation == "4021187"
    fl.cancel("TH1")
    with pytest.raises(NotSupported) as err:
        fl.find_by_reference("KA7Q2M9XW4TB")
    assert err.value.operation == "find_by_reference"


def test_webhook_ack_is_the_exact_body() -> None:
    fl, _ = adapter(lambda r: httpx.Response(500))
    ack = fl.webhook_ack([])
    assert ack.status == 200 and ack.body == '{"errorCode": "1", "state": "success"}'
    assert json.loads(ack.body) == golden("webhook_contract.json")["ack_required"]["body"]


def test_the_adapter_is_a_carrier() -> None:
    fl: Carrier = adapter(lambda r: httpx.Response(500))[0]  # mypy checks the signatures against the protocol
    assert fl.info is INFO


def test_info_entry() -> None:
    assert INFO.slug == "flash" and not INFO.searchable_by_reference
    assert "find_by_reference" not in INFO.operations and {"quote", "book_pickup"} <= INFO.operations
    assert INFO.credential_fields == ("mch_id", "key")
