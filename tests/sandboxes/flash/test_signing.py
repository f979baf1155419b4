"""Flash's request signature: fixed vectors, the blank rule, sign-before-encode, and how the sandbox answers a
good or bad signature (HTTP 200 envelopes), plus routing errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from local.sandboxes.flash.signing import is_blank, sign, string_to_sign

from .helpers import DEMO, MCH, Api, flash_sign, order_params

# carriers.md section 11 vector (computed from the published algorithm; the key is made up)
VECTOR_PARAMS = {
    "mchId": "AA0001",
    "nonceStr": "1536749552628",
    "outTradeNo": "ORD-1",
    "weight": "1000",
    "pno": "",
    "remark": " ",
}
VECTOR_KEY = "testkey123"
VECTOR_STRING = "mchId=AA0001&nonceStr=1536749552628&outTradeNo=ORD-1&weight=1000&key=testkey123"
VECTOR_SIGN = "4BDDEC860976791EA134575499578565187BB783FAE65F2F160FBDD6E7DC36D3"

# Flash's own documented example ("Signature Algorithm", open-docs.flashexpress.com; Chinese edition)
DOC_PARAMS = {"mch_id": "5a7bdfd22593414adb72df5f", "nonce_str": "yyv6YJP436wCkdpNdghC", "body": "test"}
DOC_KEY = "dd807a8e18b40153888e5a9864e70080"
DOC_SIGN = "BF46380E893F6B8F5486D2EDFE265BB8942C6A9BD5C897E34373734CE08B4B67"

# samples/flash/webhook_contract.json "computed" vector: a webhook signed over mchId and nonceStr only
WEBHOOK_PARAMS = {"mchId": "AA0001", "nonceStr": "1680747255", "data": '{"pno":"P0102P8XXXX"}'}
WEBHOOK_KEY = "dummy_secret_key"
WEBHOOK_SIGN = "C1B074A7A273960FE73BDEDDDA20DC63D00DCF0A8696912DAD5095ABD1FA004E"


def test_fixed_vectors() -> None:
    assert string_to_sign(VECTOR_PARAMS, VECTOR_KEY) == VECTOR_STRING
    assert sign(VECTOR_PARAMS, VECTOR_KEY) == VECTOR_SIGN
    assert flash_sign(VECTOR_PARAMS, VECTOR_KEY) == VECTOR_SIGN  # the tests' own signer agrees
    assert sign(DOC_PARAMS, DOC_KEY) == DOC_SIGN
    assert sign({**DOC_PARAMS, "sign": DOC_SIGN}, DOC_KEY) == DOC_SIGN  # sign itself is never signed
    assert sign(WEBHOOK_PARAMS, WEBHOOK_KEY, only=("mchId", "nonceStr")) == WEBHOOK_SIGN
    assert flash_sign(WEBHOOK_PARAMS, WEBHOOK_KEY, only=("mchId", "nonceStr")) == WEBHOOK_SIGN


def test_blank_values_are_not_signed() -> None:
    assert is_blank("") and is_blank(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
    assert not is_blank("\xa0") and not is_blank(" x ")
    base = {"mchId": "AA0001", "nonceStr": "1"}
    assert sign({**base, "remark": " \t\n"}, "k") == sign(base, "k")
    assert sign({**base, "remark": " x "}, "k") != sign(base, "k")  # inner value kept verbatim, spaces included


def _warehouses(api: Api, form: dict[str, str]) -> dict[str, object]:
    resp = api.http.post("/open/v1/warehouses", data=form)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_a_good_signature_is_accepted(api: Api) -> None:
    data = api.ok("/open/v1/warehouses")
    assert data == [
        {
            "warehouseNo": "FLDEMO01_001",
            "name": "FLDEMO01_001",
            "countryName": "Thailand",
            "provinceName": "กรุงเทพมหานคร",
            "cityName": "คลองเตย",
            "districtName": "คลองตัน",
            "postalCode": "10110",
            "detailAddress": "99/9 ถนนสุขุมวิท ซอย 24",
            "phone": "0812345601",
            "srcName": "Demo Shop One",
        }
    ]
    # unknown extra fields are signed like any other (Flash: verifiers must accept new fields)
    assert api.ok("/open/v1/warehouses", {"someNewField": "x"})
    # blank parameters may be sent but are not signed
    form = api.signed({})
    form["remark"] = " \t "
    assert _warehouses(api, form)["code"] == 1


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda f: f.update(sign="0" * 64), 1002, "sign"),
        (lambda f: f.update(sign=f["sign"].lower()), 1002, "sign"),  # upper-case hex is the rule
        (lambda f: f.pop("sign"), 1002, "sign is required"),
        (lambda f: f.update(weight="1000"), 1002, "sign"),  # a field added after signing
        (lambda f: f.update(mchId="NOBODY"), 1001, "NOBODY"),
        (lambda f: f.pop("mchId"), 1001, "mchId"),
        (lambda f: f.pop("nonceStr"), 1000, "nonceStr is required"),
        (lambda f: f.update(nonceStr="1" * 33), 1000, "nonceStr must be at most 32"),
    ],
)
def test_bad_signatures_and_credentials(
    api: Api, change: Callable[[dict[str, str]], object], code: int, words: str
) -> None:
    form = api.signed({})
    change(form)
    body = _warehouses(api, form)
    assert body["code"] == code and words in str(body["message"])
    assert body["data"] == ({"nonceStr": [str(body["message"]).split(": ", 1)[1]]} if code == 1000 else None)


def test_blank_values_signed_by_the_client_fail(api: Api) -> None:
    form = {"mchId": MCH, "nonceStr": api.nonce(), "remark": " "}
    text = "&".join(f"{k}={form[k]}" for k in sorted(form)) + f"&key={DEMO[MCH]}"  # wrongly includes remark=" "
    form["sign"] = hashlib.sha256(text.encode()).hexdigest().upper()
    assert _warehouses(api, form)["code"] == 1002


def test_another_merchants_key_fails(api: Api) -> None:
    resp = api.call("/open/v1/warehouses", {}, mch=MCH, key=DEMO["FLDEMO02"])
    assert resp.json()["code"] == 1002


def test_values_are_signed_before_url_encoding(api: Api) -> None:
    """Thai text, '&', '=' and '+' in a value: signed raw, sent encoded, verified after decoding."""
    remark = "ขึ้นบันได & ring=2 + call"
    data = api.create_ok(remark=remark)
    assert api.shipment(data["pno"])["remark"] == remark
    # signing the encoded value instead is a bad signature
    params = {"mchId": MCH, "nonceStr": api.nonce(), **order_params(remark=remark)}
    encoded = {k: urlencode({"x": v})[2:] for k, v in params.items()}
    params["sign"] = flash_sign(encoded, DEMO[MCH])
    assert api.http.post("/open/v3/orders", data=params).json()["code"] == 1002


def test_path_parameters_are_not_signed(api: Api) -> None:
    pno = api.create_ok()["pno"]
    form = api.signed({})  # signs mchId + nonceStr only, the pno travels in the path
    resp = api.http.post(f"/open/v1/orders/{pno}/routes", data=form)
    assert resp.json()["code"] == 1 and resp.json()["data"]["pno"] == pno


def test_the_body_must_be_a_form(api: Api) -> None:
    resp = api.http.post("/open/v1/warehouses", json=api.signed({}))
    assert resp.status_code == 200 and resp.json()["code"] == 1000
    # parameters in the query string are accepted (and signed) too
    form = api.signed({})
    assert api.http.post("/open/v1/warehouses", params=form).json()["code"] == 1


def test_routing_errors(api: Api) -> None:
    resp = api.http.post("/open/v9/nothing", data=api.signed({}))
    assert resp.status_code == 404 and resp.json()["code"] == 1000
    resp = api.http.get("/open/v1/warehouses")
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST" and resp.json()["code"] == 1000
    calls = api.ledger()["calls"]
    assert calls["UNMATCHED"] >= 2 and calls["POST /open/v1/warehouses"] >= 1
