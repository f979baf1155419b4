"""Header digest and business credentials: the reference's fixed vectors, every platform code of the header
checks, the password forms, the CN/EG business digest, envelope code types and routing errors."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from local.sandboxes.jnt import signing

from .helpers import (
    BASE,
    CN,
    GOLDEN,
    MY,
    Api,
    business_digest,
    business_password,
    envelope,
    md5_hex_upper,
    order_body,
    ref,
    sign,
)

# carriers.md section 11 (computed from the documented algorithms; the keys are made up)
VECTOR_BIZ = '{"customerCode":"TESTCUST","txlogisticId":"ORDER-0001"}'
VECTOR_KEY = "demo-private-key-0001"
VECTOR_DIGEST = "B6iasPhFensVET92CD8ibA=="
VECTOR_PASSWORD = "69C912AB77B5C9B37409D88118DCF560"  # MY/VN business password for plain 12345678
VECTOR_CN_PROCESSED = "16C8E977E2EF771F4F743A3AA98182C6"  # CN/EG processed password for 12345678
VECTOR_CN_DIGEST = "6r12IDz0CddAN1eEvyIUxg=="  # business digest, customerCode TESTCUST, same key
# samples/jnt/digest_signature.json (computed with a dummy key)
SAMPLE_BIZ = '{"customerCode":"ITTEST0001","txlogisticId":"TEST123"}'
SAMPLE_DIGEST = "HTJ/ZKxqllIyPbnkKhc0iA=="


def test_fixed_vectors() -> None:
    assert sign(VECTOR_BIZ, VECTOR_KEY) == VECTOR_DIGEST
    assert signing.header_digest(VECTOR_BIZ, VECTOR_KEY) == VECTOR_DIGEST  # the sandbox's verifier
    assert business_password("12345678") == VECTOR_PASSWORD == signing.business_password("12345678")
    assert md5_hex_upper("12345678jadada236t2") == VECTOR_CN_PROCESSED == signing.processed_cn_password("12345678")
    assert business_digest("TESTCUST", "12345678", VECTOR_KEY) == VECTOR_CN_DIGEST
    assert signing.business_digest("TESTCUST", "12345678", VECTOR_KEY) == VECTOR_CN_DIGEST
    golden = json.loads((GOLDEN / "digest_signature.json").read_text(encoding="utf-8"))["computed"]
    assert golden["bizContent"] == SAMPLE_BIZ and golden["expected_digest"] == SAMPLE_DIGEST
    assert (
        sign(SAMPLE_BIZ, golden["privateKey_dummy"])
        == SAMPLE_DIGEST
        == signing.header_digest(SAMPLE_BIZ, "dummy_private_key")
    )


def test_the_vector_request_passes_the_header_check(api: Api) -> None:
    """The literal section-11 request (bizContent + digest) gets past the header check of an account holding that
    private key: what fails next is the business password, not the signature."""
    account = {"api_account": "640000000000009901", "private_key": VECTOR_KEY, "customer_code": "TESTCUST",
               "password": "12345678", "business_auth": "password"}  # fmt: skip
    api.control("POST", "accounts", {**{k: account[k] for k in list(account)[:4]}, "countries": ["my"]})
    resp = api.post("order/getOrders", VECTOR_BIZ, account, digest=VECTOR_DIGEST)
    assert envelope(resp)[:2] == ("999001010", "password is required")
    tampered = VECTOR_BIZ.replace("0001", "0002")
    assert envelope(api.post("order/getOrders", tampered, account, digest=VECTOR_DIGEST))[0] == "145003030"
    with_password = json.dumps({"customerCode": "TESTCUST", "password": VECTOR_PASSWORD, "txlogisticId": "NOPE"})
    assert envelope(api.post("order/getOrders", with_password, account))[0] == "999001030"  # authenticated


@pytest.mark.parametrize(
    ("headers", "code", "msg"),
    [
        ({"apiAccount": None}, "145003051", "apiAccount is empty!"),
        ({"apiAccount": ""}, "145003051", "apiAccount is empty!"),
        ({"digest": None}, "145003052", "digest is empty!"),
        ({"timestamp": None}, "145003053", "timestamp is empty!"),
        ({"timestamp": "yesterday"}, "145003050", None),
        ({"apiAccount": "999999999999999999"}, "145003010", "API account does not exist"),
        ({"digest": "AAAAAAAAAAAAAAAAAAAAAA=="}, "145003030", "headers signature verification failed"),
    ],
)
def test_header_checks(api: Api, headers: dict[str, Any], code: str, msg: str | None) -> None:
    body = order_body()
    resp = api.post("order/addOrder", body, headers=headers)
    got_code, got_msg, data = envelope(resp)  # HTTP 200 even for auth failures
    assert got_code == code and data is None
    if msg:
        assert got_msg == msg
    assert all(s["reference"] != body["txlogisticId"] for s in api.ledger()["shipments"])


def test_digest_with_the_wrong_key_or_over_other_bytes(api: Api) -> None:
    body = json.dumps({**order_body(), "customerCode": MY["customer_code"]})
    assert envelope(api.post("order/addOrder", body, digest=sign(body, "not-the-key")))[0] == "145003030"
    assert envelope(api.post("order/addOrder", body, digest=sign(body + " ", MY["private_key"])))[0] == "145003030"
    # the digest of the still URL-encoded value is tolerated (J&T's "URL-encode if it still fails" tip)
    biz = json.dumps({"customerCode": MY["customer_code"], "password": business_password(MY["password"]),
                      "txlogisticId": "NOPE"})  # fmt: skip
    resp = api.post("order/getOrders", biz, digest=sign(quote(biz, safe=""), MY["private_key"]))
    assert envelope(resp)[0] == "999001030"


def test_bad_biz_content(api: Api) -> None:
    resp = api.http.post(
        BASE + "order/addOrder",
        data={"other": "x"},
        headers={"apiAccount": MY["api_account"], "digest": sign("", MY["private_key"]), "timestamp": "1"},
    )
    assert envelope(resp)[0] == "145003050"
    assert envelope(api.post("order/addOrder", "not json"))[0] == "145003050"
    assert envelope(api.post("order/addOrder", "[1, 2]"))[0] == "145003050"


def test_business_password(api: Api) -> None:
    reference = ref()
    base = {"txlogisticId": reference}
    salted = business_password(MY["password"])
    for password in (salted, salted.lower()):
        biz = {"customerCode": MY["customer_code"], "password": password, **base}
        assert envelope(api.post("order/getOrders", biz, creds=False))[0] == "999001030"  # authenticated, no order
    for bad in ({"password": "WRONG"}, {"customerCode": "SOMEONEELSE"}):
        biz = {"customerCode": MY["customer_code"], "password": salted, **base, **bad}
        assert envelope(api.post("order/getOrders", biz, creds=False))[:2] == (
            "145003031",
            "business parameter signature verification failed",
        )
    assert envelope(api.post("order/getOrders", {"password": salted, **base}, creds=False))[:2] == (
        "999001010",
        "customerCode is required",
    )
    missing = {"customerCode": MY["customer_code"], **base}
    assert envelope(api.post("order/getOrders", missing, creds=False))[:2] == ("999001010", "password is required")


def test_password_forms(api: Api) -> None:
    """UNCONFIRMED which form MY accounts expect: salted MD5, plain and unsalted MD5 pass by default; the call log
    says which one the client used; the config can narrow it to the salted form."""
    forms = {
        "salted_md5": business_password(MY["password"]),
        "plain": MY["password"],
        "md5": md5_hex_upper(MY["password"]),
    }
    for form, password in forms.items():
        biz = {"customerCode": MY["customer_code"], "password": password, "txlogisticId": f"PF-{form}"}
        assert envelope(api.post("order/getOrders", biz, creds=False))[0] == "999001030", form
    log = api.control("GET", "ledger?include=call_log")["call_log"]
    assert [c["auth_form"] for c in log[-3:]] == ["salted_md5", "plain", "md5"]
    api.control("POST", "config", {"password_forms": ["salted_md5"]})
    try:
        biz = {"customerCode": MY["customer_code"], "password": MY["password"], "txlogisticId": "PF"}
        assert envelope(api.post("order/getOrders", biz, creds=False))[0] == "145003031"
        assert envelope(api.post("order/getOrders", {"txlogisticId": "PF"}))[0] == "999001030"
    finally:
        api.control("POST", "config", {"password_forms": ["salted_md5", "plain", "md5"]})
    api.control("POST", "config", {"password_forms": ["sha1"]}, expect=400)


def test_a_ready_32_hex_password_is_compared_as_is(api: Api) -> None:
    ready = business_password("issued-by-the-pic")
    account = {"api_account": "640000000000009902", "private_key": "ready-key", "customer_code": "READY01",
               "password": ready, "business_auth": "password"}  # fmt: skip
    api.control("POST", "accounts", {**{k: account[k] for k in list(account)[:4]}, "countries": ["my"]})
    biz = {"customerCode": "READY01", "password": ready.lower(), "txlogisticId": "R1"}
    assert envelope(api.post("order/getOrders", biz, account, creds=False))[0] == "999001030"
    biz["password"] = business_password(ready)  # hashing the ready value again is wrong
    assert envelope(api.post("order/getOrders", biz, account, creds=False))[0] == "145003031"


def test_cn_business_digest_account(api: Api) -> None:
    data = api.create_ok(CN)
    assert data["billCode"].startswith("JT")
    good = business_digest(CN["customer_code"], CN["password"], CN["private_key"])
    query = {"customerCode": CN["customer_code"], "digest": good, "txlogisticId": data["txlogisticId"]}
    code, _, order = envelope(api.post("order/getOrders", query, CN, creds=False))
    assert code == "1" and order["billCode"] == data["billCode"]
    wrong = {**query, "digest": business_digest(CN["customer_code"], "wrong", CN["private_key"])}
    assert envelope(api.post("order/getOrders", wrong, CN, creds=False))[0] == "145003031"
    with_password = {"customerCode": CN["customer_code"], "password": business_password(CN["password"]),
                     "txlogisticId": data["txlogisticId"]}  # fmt: skip
    assert envelope(api.post("order/getOrders", with_password, CN, creds=False))[:2] == (
        "999001010",
        "digest is required",
    )
    log = api.control("GET", "ledger?include=call_log&account=" + CN["api_account"])["call_log"]
    assert log[0]["auth_form"] == "business_digest"


def test_envelope_code_types(api: Api) -> None:
    """The MY examples show the number 1 on order/* and the string "1" on logistics/trace ("mixed")."""
    data = api.create_ok()
    raw = api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}).json()
    assert raw["code"] == 1 and raw["msg"] == "success"
    raw = api.post("logistics/trace", {"billCode": data["billCode"]}).json()
    assert raw["code"] == "1"
    assert api.post("order/getOrders", {"txlogisticId": "NOPE"}).json()["code"] == 999001030
    api.control("POST", "config", {"code_type": "string"})
    try:
        assert api.post("order/getOrders", {"txlogisticId": data["txlogisticId"]}).json()["code"] == "1"
        api.control("POST", "config", {"code_type": "number"})
        assert api.post("logistics/trace", {"billCode": data["billCode"]}).json()["code"] == 1
    finally:
        api.control("POST", "config", {"code_type": "mixed"})
    api.control("POST", "config", {"code_type": "bool"}, expect=400)


def test_timestamp_skew_is_off_by_default(api: Api) -> None:
    old = {"timestamp": str(int((time.time() - 86400 * 30) * 1000))}
    assert envelope(api.post("order/getOrders", {"txlogisticId": "NOPE"}, headers=old))[0] == "999001030"
    api.control("POST", "config", {"timestamp_max_skew_s": 600})
    try:
        assert envelope(api.post("order/getOrders", {"txlogisticId": "NOPE"}, headers=old))[0] == "145003050"
    finally:
        api.control("POST", "config", {"timestamp_max_skew_s": 0})


def test_routing_errors(api: Api) -> None:
    resp = api.http.post(BASE + "order/teleport", data={"bizContent": "{}"})
    assert resp.status_code == 404 and resp.json()["code"] == "404"
    resp = api.http.get(BASE + "order/addOrder")
    assert resp.status_code == 405 and resp.json()["code"] == "405"
    assert api.http.post("/api/order/addOrder").status_code == 404
    calls = api.ledger()["calls"]
    assert calls["UNMATCHED"] >= 3
