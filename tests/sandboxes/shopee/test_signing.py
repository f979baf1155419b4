"""Request signing, the timestamp window and the common-parameter errors."""

from __future__ import annotations

from typing import Any

from local.sandboxes.shopee import signing

from .helpers import PARTNER_ID, PARTNER_KEY, Api, Clock, Grant, hmac_hex, same_shape, sample

DUMMY_KEY = "test_partner_key"  # the key the samples' computed signs were made with


def test_published_base_strings_and_computed_signs() -> None:
    # Literal vectors from samples/api_signing_examples.json (Shopee's "API calls" guide examples).
    assert (
        signing.base_string(
            2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711
        )
        == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    )
    assert (
        signing.base_string(
            2001887, "/api/v2/global_product/get_category", 1655714431, "09777174636962737266615546704c6d", 1000000
        )
        == "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"
    )
    assert (
        signing.base_string(2001887, "/api/v2/public/get_shops_by_partner", 1655714431)
        == "2001887/api/v2/public/get_shops_by_partner1655714431"
    )

    assert (
        signing.sign(
            DUMMY_KEY, 2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711
        )
        == "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"
    )
    assert (
        signing.sign(
            DUMMY_KEY,
            2001887,
            "/api/v2/global_product/get_category",
            1655714431,
            "09777174636962737266615546704c6d",
            1000000,
        )
        == "acd5a420a62ce9d730d869464ecd8e0cc66698e31175baf1b755007c90d0bd35"
    )
    assert (
        signing.sign(DUMMY_KEY, 2001887, "/api/v2/public/get_shops_by_partner", 1655714431)
        == "bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09"
    )


def test_vectors_match_the_samples_file() -> None:
    data = sample("api_signing_examples.json")
    key = data["dummy_partner_key"]
    for ex in data["published_examples"]:
        token = ex.get("access_token", "")
        entity = ex.get("shop_id") or ex.get("merchant_id")
        assert (
            signing.base_string(ex["partner_id"], ex["path"], ex["timestamp"], token, entity)
            == ex["base_string_published"]
        )
        assert (
            signing.sign(key, ex["partner_id"], ex["path"], ex["timestamp"], token, entity)
            == ex["computed_sign_with_dummy_key"]
        )
    # third-party SDK vector: a plain HMAC over the concatenated parts (checks the HMAC/hex layer)
    vector = data["third_party_sdk_test_vector"]
    assert vector["expected"] == "37c864bd9821ff5f2c2f46b2faca14eb1811a718d1fdc6dcf383cba7c74bf9e9"
    assert signing.hmac_hex(vector["partner_key"], "".join(vector["parts"]).encode()) == vector["expected"]


def test_push_authorization_vector() -> None:
    data = sample("push/push_authorization_signature.json")["computed"]
    assert data["expected_authorization_hex"] == "32ad95ee30ee105f80e2ea52fc97c80853d6dcbe0c9a619a09e7914d70724070"
    assert (
        signing.push_authorization(data["partner_key_dummy"], data["url"], data["body_ascii_reconstruction"].encode())
        == data["expected_authorization_hex"]
    )
    assert data["base_string"] == data["url"] + "|" + data["body_ascii_reconstruction"]


def test_public_call_signed_correctly_is_accepted(api: Api) -> None:
    out = api.get("/api/v2/public/get_shops_by_partner")
    assert out["error"] == ""
    assert "authed_shop_list" in out and "request_id" in out


def test_wrong_sign_is_error_sign(api: Api) -> None:
    path = "/api/v2/public/get_shops_by_partner"
    params = api.common(path)
    params["sign"] = "0" * 64
    resp = api.http.get(path, params=params)
    assert resp.status_code == 200
    body = resp.json()
    assert body["error"] == "error_sign" and body["message"] == "Wrong sign."
    assert set(body) == {"request_id", "error", "message"}
    # upper-case hex is a different string: Shopee asks for the all-lowercase hex digest
    params = api.common(path)
    params["sign"] = params["sign"].upper()
    assert api.http.get(path, params=params).json()["error"] == "error_sign"
    # signed with another key
    assert api.get(path, key="another-key")["error"] == "error_sign"


def test_shop_call_signs_token_and_shop_id(api: Api) -> None:
    grant = api.authorize(220_000_101)
    path = "/api/v2/shop/get_shop_info"
    assert api.get(path, grant=grant)["shop_name"] == "Merlion Gadgets SG"
    ts = int(api.clock.now())
    # a public-style sign (without access_token + shop_id) is rejected for a Shop API
    params: dict[str, Any] = {
        "partner_id": PARTNER_ID,
        "timestamp": ts,
        "access_token": grant.access_token,
        "shop_id": grant.shop_id,
        "sign": hmac_hex(PARTNER_KEY, f"{PARTNER_ID}{path}{ts}"),
    }
    assert api.http.get(path, params=params).json()["error"] == "error_sign"
    # the sign covers the path: signing another path fails
    params["sign"] = hmac_hex(
        PARTNER_KEY, f"{PARTNER_ID}/api/v2/shop/get_shop_inf{ts}{grant.access_token}{grant.shop_id}"
    )
    assert api.http.get(path, params=params).json()["error"] == "error_sign"


def test_merchant_call(api: Api) -> None:
    out = api.control("POST", "authorize", {"main_account_id": 1_000_001, "issue_tokens": True})
    merchant = Grant(out["merchant_id_list"][0], out["access_token"], out["refresh_token"], kind="merchant")
    resp = api.get("/api/v2/merchant/get_shop_list_by_merchant", {"page_no": 1, "page_size": 10}, grant=merchant)
    assert resp["error"] == ""
    assert [s["shop_id"] for s in resp["shop_list"]] == [220_000_107]


def test_timestamp_window(api: Api, clock: Clock) -> None:
    path = "/api/v2/public/get_shops_by_partner"
    now = int(clock.now())
    assert api.get(path, ts=now - 290)["error"] == ""
    assert api.get(path, ts=now + 290)["error"] == ""  # slightly in the future: tolerated (UNCONFIRMED)
    stale = api.get(path, ts=now - 310)
    assert (stale["error"], stale["message"]) == ("error_param", "Timestamp is expired.")
    assert api.get(path, ts=now + 310)["error"] == "error_param"


def test_timestamp_follows_the_shared_clock(api: Api, clock: Clock) -> None:
    path = "/api/v2/public/get_shops_by_partner"
    wall = int(clock.now())
    clock.jump(3600)
    try:
        assert api.get(path, ts=wall)["message"] == "Timestamp is expired."
        assert api.get(path)["error"] == ""  # signed with the jumped clock
    finally:
        clock.jump(-3600)


def test_common_parameter_errors(api: Api) -> None:
    path = "/api/v2/public/get_shops_by_partner"
    good = api.common(path)
    cases = [
        ({k: v for k, v in good.items() if k != "partner_id"}, "There is no partner_id in query."),
        ({k: v for k, v in good.items() if k != "timestamp"}, "no timestamp"),
        ({k: v for k, v in good.items() if k != "sign"}, "There is no sign in query."),
        ({**good, "partner_id": "abc"}, "Partner_id is invalid, should be an integer between 0 and 4294967295."),
        ({**good, "timestamp": "99999999999"}, "Timestamp is invalid, should be an integer between 0 and 4294967295."),
    ]
    for params, message in cases:
        body = api.http.get(path, params=params).json()
        assert (body["error"], body["message"]) == ("error_param", message)
    unknown = api.get(path, partner_id=999)
    assert unknown["error"] == "invalid_partner_id"
    shop_path = "/api/v2/order/get_order_list"
    params = api.common(shop_path)
    assert api.http.get(shop_path, params=params).json()["message"] == "There is no access_token in query."
    params["access_token"] = "x"
    assert api.http.get(shop_path, params=params).json()["message"] == "There is no shop_id in query."


def test_unknown_path_and_wrong_method(api: Api) -> None:
    body = api.get("/api/v2/order/no_such_api")
    assert body["error"] == "error_param"
    assert "request path is incorrect" in body["message"]
    assert api.raw_get("/api/v2/auth/token/get").json()["error"] == "error_param"


def test_error_envelope_matches_the_published_common_errors(api: Api) -> None:
    names = {e["name"] for e in sample("common_errors.json")}
    assert {"error_sign", "error_param", "error_auth", "error_rate_limit", "error_limit"} <= names
    body = api.get("/api/v2/public/get_shops_by_partner", key="wrong")
    same_shape(sample("get_order_list.error.json"), body)
