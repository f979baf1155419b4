"""The FOP gateway: public parameters, the MD5 signature (fixed vector, both hex cases, tampering), app keys,
the envelope, languages, unknown methods and routes."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from local.sandboxes.fourpx.signing import sign

from .helpers import DEMO, GATEWAY, Api, md5_sign, order_body

# carriers.md section 11 vector (computed from the published algorithm; key and secret are made up)
VECTOR = {
    "app_key": "app-key-1",
    "secret": "app-secret-1",
    "method": "ds.xms.order.create",
    "timestamp": "1700000000000",
    "v": "1.1.0",
    "body": b'{"ref_no":"TEST001"}',
}
VECTOR_SIGN = "a18ec6e1213590e1bcbfabc82b759975"
VECTOR_STRING = (
    b'app_keyapp-key-1formatjsonmethodds.xms.order.createtimestamp1700000000000v1.1.0{"ref_no":"TEST001"}app-secret-1'
)


def test_signature_matches_the_fixed_vector() -> None:
    assert hashlib.md5(VECTOR_STRING, usedforsecurity=False).hexdigest() == VECTOR_SIGN
    args = (VECTOR["app_key"], "json", VECTOR["method"], VECTOR["timestamp"], VECTOR["v"])
    assert md5_sign(*args, VECTOR["body"], VECTOR["secret"]) == VECTOR_SIGN  # type: ignore[arg-type]
    assert sign(*args, VECTOR["body"], VECTOR["secret"]) == VECTOR_SIGN  # type: ignore[arg-type]  # the sandbox's


def test_the_vector_is_accepted_by_a_live_account(api: Api) -> None:
    api.control("POST", "accounts", {"app_key": "app-key-1", "app_secret": "app-secret-1", "countries": ["sg"]})
    params = {"app_key": "app-key-1", "format": "json", "method": VECTOR["method"], "timestamp": VECTOR["timestamp"],
              "v": VECTOR["v"], "sign": VECTOR_SIGN, "language": "en"}  # fmt: skip
    resp = api.raw_call(params, VECTOR["body"])  # type: ignore[arg-type]
    body = resp.json()
    # the signature passed: what fails now is the (deliberately incomplete) order itself
    assert resp.status_code == 200 and body["result"] == "0"
    assert {e["error_code"] for e in body["errors"]} == {"DS000000"}
    assert "ref_no" not in {e["error_data"] for e in body["errors"]}


def test_a_signed_call_succeeds_in_either_hex_case(api: Api) -> None:
    raw = json.dumps(order_body()).encode()
    params = api.params("ds.xms.order.create", raw, *DEMO["sg"])
    params["sign"] = params["sign"].upper()
    resp = api.raw_call(params, raw)
    assert resp.status_code == 200 and resp.json()["result"] == "1", resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"result", "msg", "errors", "data"} and body["errors"] == []


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "timestamp", "method", "version"],
)
def test_a_wrong_signature_is_refused(api: Api, tamper: str) -> None:
    body = order_body()
    raw = json.dumps(body).encode()
    app_key, secret = DEMO["sg"]
    params = api.params("ds.xms.order.create", raw, app_key, "wrong-secret" if tamper == "secret" else secret)
    sent = raw
    if tamper == "body":
        sent = raw.replace(b"Tan", b"Tam")
    elif tamper == "timestamp":
        params["timestamp"] = str(int(params["timestamp"]) + 1)
    elif tamper == "method":
        params["method"] = "ds.xms.order.get"
    elif tamper == "version":
        params["v"] = "1.0.0"
    resp = api.raw_call(params, sent)
    assert resp.status_code == 200  # 4PX: business failures ride on HTTP 200
    data = resp.json()
    assert data["result"] == "0" and data["data"] is None
    assert data["errors"] == [{"error_code": "SYS000003", "error_msg": "sign: sign verification failed",
                               "error_data": "sign"}]  # fmt: skip
    assert not api.shipments_with_ref(body["ref_no"])


def test_public_parameters_are_checked(api: Api) -> None:
    raw = b'{"request_no": "NOPE"}'
    base = api.params("ds.xms.order.get", raw, *DEMO["sg"])
    for missing in ("app_key", "timestamp", "v", "sign", "format"):
        params = {k: v for k, v in base.items() if k != missing}
        data = api.raw_call(params, raw).json()
        assert data["result"] == "0" and data["errors"][0]["error_code"] == "SYS000001"
        assert data["errors"][0]["error_data"] == missing
    no_method = {k: v for k, v in base.items() if k != "method"}
    assert api.raw_call(no_method, raw).json()["errors"][0]["error_data"] == "method"
    xml = api.raw_call({**base, "format": "xml"}, raw).json()
    assert xml["errors"][0]["error_code"] == "SYS000005"
    stamp = api.raw_call({**base, "timestamp": "2026-11-25 10:00:00"}, raw).json()
    assert stamp["errors"][0]["error_code"] == "SYS000001" and stamp["errors"][0]["error_data"] == "timestamp"
    nobody = api.call("ds.xms.order.get", {}, app_key="fpx-nobody", secret="x")
    assert nobody.codes == ["SYS000002"]
    # access_token is ignored (direct "B-type" customers need none) and not signed
    assert api.raw_call({**base, "access_token": "whatever"}, raw).json()["result"] == "1"


def test_timestamp_window_is_optional(api: Api) -> None:
    old = str(int((time.time() - 3600) * 1000))
    query = {"request_no": "NOPE"}
    assert api.call("ds.xms.order.get", query, timestamp=old).ok  # not checked by default
    api.control("POST", "config", {"timestamp_window_s": 300})
    try:
        assert api.call("ds.xms.order.get", query, timestamp=old).codes == ["SYS000004"]
        assert api.call("ds.xms.order.get", query).ok
    finally:
        api.control("POST", "config", {"timestamp_window_s": 0})


def test_language_switches_the_texts(api: Api) -> None:
    body = order_body()
    del body["recipient_info"]["city"]
    cn = api.create(body, language="cn")
    assert cn.body["msg"] == "recipient_info.city: 不能为空"
    en = api.create(body, language="en")
    assert en.body["errors"][0]["error_msg"] == "recipient_info.city: is required"
    assert api.create(body, language=None).body["msg"] == cn.body["msg"]  # default_language: cn
    assert api.call("ds.xms.order.get", {"request_no": "NOPE"}, language="cn").body["msg"] == "成功"


def test_data_can_arrive_as_a_json_string(api: Api) -> None:
    api.control("POST", "config", {"data_as_json_string": True})
    try:
        fop = api.create(order_body())
        assert isinstance(fop.body["data"], str)
        assert json.loads(fop.body["data"])["4px_tracking_no"].startswith("4PX")
    finally:
        api.control("POST", "config", {"data_as_json_string": False})


def test_unknown_methods_and_routes(api: Api) -> None:
    resp = api.call("ds.xms.order.teleport", {})
    assert resp.status == 500 and resp.response.headers["content-type"].startswith("text/plain")
    assert "ds.xms.order.teleport" in resp.response.text
    assert api.http.get(GATEWAY).status_code == 405
    assert api.http.post("/router/api/other", content=b"{}").status_code == 404
    not_json = api.call("ds.xms.order.get", b"not json")
    assert not_json.codes == ["SYS000006"]
    calls = api.ledger()["calls"]
    assert calls["POST UNKNOWN_METHOD"] >= 1 and calls["UNMATCHED"] >= 2
    assert calls["POST ds.xms.order.create"] >= 1
