"""Authorization link, code exchange, token lifetimes and refresh rules."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from .helpers import PARTNER_ID, Api, Clock, Grant, same_shape, sample

AUTH_PATH = "/api/v2/shop/auth_partner"
TOKEN_GET = "/api/v2/auth/token/get"
REFRESH = "/api/v2/auth/access_token/get"
SHOP_INFO = "/api/v2/shop/get_shop_info"


def _auth_link(api: Api, redirect: str, **extra: str) -> dict[str, list[str]]:
    resp = api.raw_get(AUTH_PATH, {"redirect": redirect, **extra})
    assert resp.status_code == 302, resp.text
    location = resp.headers["location"]
    assert location.startswith(redirect.split("?")[0])
    return parse_qs(urlsplit(location).query)


def test_auth_link_redirects_with_code_and_shop_id(api: Api) -> None:
    shop_id = api.new_shop("TH", name="Auth test shop")
    api.control("POST", "auth-mode", {"mode": "shop", "shop_id": shop_id})
    query = _auth_link(api, "https://forwarder.example/shopee/callback?state=abc")
    assert query["state"] == ["abc"]  # the redirect's own query survives
    assert query["shop_id"] == [str(shop_id)]
    code = query["code"][0]
    assert len(code) == 32

    out = api.post(TOKEN_GET, {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id})
    assert out["error"] == "" and out["expire_in"] == 14400
    same_shape(sample("auth_token_get.response.json"), out)
    grant = Grant(shop_id, out["access_token"], out["refresh_token"])
    assert api.get(SHOP_INFO, grant=grant)["region"] == "TH"

    # the code is single-use
    again = api.post(TOKEN_GET, {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id})
    assert (again["error"], again["message"]) == ("error_auth", "Invalid code")
    same_shape(sample("auth_token_get.error.json"), again)
    api.control("POST", "auth-mode", {"mode": "shop", "shop_id": None})


def test_auth_link_needs_a_valid_sign_and_redirect(api: Api) -> None:
    params = api.common(AUTH_PATH)
    params["redirect"] = "https://x.example/cb"
    params["sign"] = "f" * 64
    resp = api.http.get(AUTH_PATH, params=params)
    assert resp.status_code == 200 and resp.json()["error"] == "error_sign"
    assert api.raw_get(AUTH_PATH).json()["error"] == "error_param"


def test_sandbox_query_flag_selects_the_shop(api: Api) -> None:
    shop_id = api.new_shop("VN")
    query = _auth_link(api, "https://x.example/cb", sandbox_shop_id=str(shop_id))
    assert query["shop_id"] == [str(shop_id)]


def test_main_account_authorization(api: Api) -> None:
    query = _auth_link(api, "https://x.example/cb", sandbox_auth_mode="main_account")
    assert query["main_account_id"] == ["1000001"] and "shop_id" not in query
    code = query["code"][0]
    wrong = api.post(TOKEN_GET, {"code": code, "partner_id": PARTNER_ID, "main_account_id": 42})
    assert wrong["error"] == "invalid_main_acount_id"  # Shopee's spelling
    out = api.post(TOKEN_GET, {"code": code, "partner_id": PARTNER_ID, "main_account_id": 1_000_001})
    assert out["error"] == ""
    assert out["shop_id_list"] == [220_000_107] and out["merchant_id_list"] == [3_000_001]
    same_shape(sample("auth_token_get.response.2026.repaired.json"), out, allow_extra=frozenset({"merchant_id_list"}))
    # the first pair is shared by every id ...
    shop = Grant(220_000_107, out["access_token"], out["refresh_token"])
    merchant = Grant(3_000_001, out["access_token"], out["refresh_token"], kind="merchant")
    assert api.get(SHOP_INFO, grant=shop)["is_cb"] is True
    assert api.get("/api/v2/merchant/get_shop_list_by_merchant", grant=merchant)["error"] == ""
    # ... but each id refreshes on its own, with the same refresh token once per id
    r_shop = api.post(REFRESH, {"refresh_token": shop.refresh_token, "partner_id": PARTNER_ID, "shop_id": shop.shop_id})
    r_merchant = api.post(
        REFRESH, {"refresh_token": merchant.refresh_token, "partner_id": PARTNER_ID, "merchant_id": merchant.shop_id}
    )
    assert r_shop["error"] == "" and r_merchant["error"] == ""
    assert r_merchant["merchant_id"] == 3_000_001 and "shop_id" not in r_merchant
    assert r_shop["access_token"] != r_merchant["access_token"]


def test_2026_request_without_ids_uses_the_code(api: Api) -> None:
    shop_id = api.new_shop("MY")
    code = api.control("POST", "authorize", {"shop_id": shop_id})["code"]
    body = dict(sample("auth_token_get.request.2026.json"), code=code, partner_id=PARTNER_ID)
    assert api.post(TOKEN_GET, body)["error"] == ""


def test_code_expires_after_ten_minutes(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("PH")
    code = api.control("POST", "authorize", {"shop_id": shop_id})["code"]
    clock.jump(601)
    out = api.post(TOKEN_GET, {"code": code, "partner_id": PARTNER_ID, "shop_id": shop_id})
    assert out["error"] == "error_auth"


def test_token_lifetimes_and_refresh(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("SG")
    grant = api.authorize(shop_id)
    assert api.get(SHOP_INFO, grant=grant)["error"] == ""
    clock.jump(4 * 3600 - 60)
    assert api.get(SHOP_INFO, grant=grant)["error"] == ""  # still inside its 4 hours
    clock.jump(120)
    expired = api.get(SHOP_INFO, grant=grant)
    assert expired["error"] == "invalid_acceess_token"  # Shopee's spelling (configurable)
    assert expired["message"] == "Invalid access_token, please have a check."

    body = {"refresh_token": grant.refresh_token, "partner_id": PARTNER_ID, "shop_id": shop_id}
    out = api.post(REFRESH, body)
    same_shape(sample("auth_access_token_get.response.json"), out)
    assert set(out) == set(sample("auth_access_token_get.response.json"))
    assert out["shop_id"] == shop_id and out["partner_id"] == PARTNER_ID and out["expire_in"] == 14400
    new = Grant(shop_id, out["access_token"], out["refresh_token"])
    assert api.get(SHOP_INFO, grant=new)["error"] == ""

    # the refresh token is single-use
    reused = api.post(REFRESH, body)
    assert (reused["error"], reused["message"]) == ("error_auth", "Invalid refresh_token.")
    same_shape(sample("auth_access_token_get.error.json"), reused)
    unknown = api.post(REFRESH, {**body, "refresh_token": "0" * 32})
    assert unknown["message"] == "Invalid refresh_token."

    # after a refresh the previous access token keeps working for 5 minutes
    second = api.post(REFRESH, {"refresh_token": new.refresh_token, "partner_id": PARTNER_ID, "shop_id": shop_id})
    newest = Grant(shop_id, second["access_token"], second["refresh_token"])
    assert api.get(SHOP_INFO, grant=new)["error"] == ""
    clock.jump(290)
    assert api.get(SHOP_INFO, grant=new)["error"] == ""
    clock.jump(20)
    assert api.get(SHOP_INFO, grant=new)["error"] == "invalid_acceess_token"
    assert api.get(SHOP_INFO, grant=newest)["error"] == ""

    ledger = api.control("GET", "ledger?include=refresh")
    counts = ledger["refresh_calls"][f"shop:{shop_id}"]
    assert counts == {"total": 4, "ok": 2, "failed": 2}


def test_refresh_token_lasts_thirty_days(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("TW")
    grant = api.authorize(shop_id)
    clock.jump(30 * 86400 + 1)
    out = api.post(REFRESH, {"refresh_token": grant.refresh_token, "partner_id": PARTNER_ID, "shop_id": shop_id})
    assert out["error"] == "error_auth"


def test_unknown_token_and_unlinked_shop(api: Api) -> None:
    shop_id = api.new_shop("SG")
    bogus = Grant(shop_id, "0" * 32, "")
    assert api.get(SHOP_INFO, grant=bogus)["error"] == "shop_no_linked"
    grant = api.authorize(shop_id)
    assert api.get(SHOP_INFO, grant=Grant(shop_id, "1" * 32, ""))["message"] == "Invalid access_token."
    assert api.get(SHOP_INFO, grant=Grant(999_999_999, grant.access_token, ""))["error"] == "error_auth"
    # de-authorizing revokes the tokens
    api.control("POST", "deauthorize", {"shop_id": shop_id})
    assert api.get(SHOP_INFO, grant=grant)["error"] == "shop_no_linked"


def test_get_shops_by_partner_lists_authorized_shops(api: Api) -> None:
    shop_id = api.new_shop("SG")
    api.authorize(shop_id)
    out = api.get("/api/v2/public/get_shops_by_partner", {"page_size": 100, "page_no": 1})
    rows = {r["shop_id"]: r for r in out["authed_shop_list"]}
    assert shop_id in rows
    assert rows[shop_id]["expire_time"] - rows[shop_id]["auth_time"] == 365 * 86400
    assert set(rows[shop_id]) == {"shop_id", "region", "auth_time", "expire_time", "sip_affi_shops"}


def test_cancel_auth_partner(api: Api) -> None:
    shop_id = api.new_shop("MY")
    grant = api.authorize(shop_id)
    resp = api.raw_get(
        "/api/v2/shop/cancel_auth_partner", {"redirect": "https://x.example/bye", "sandbox_shop_id": str(shop_id)}
    )
    assert resp.status_code == 302 and resp.headers["location"] == "https://x.example/bye"
    assert api.get(SHOP_INFO, grant=grant)["error"] == "shop_no_linked"
    pushes = [json.loads(m["body"]) for m in api.control("GET", "pushes")["messages"] if m["code"] == 2]
    mine = [p for p in pushes if p["data"]["shop_id"] == shop_id]
    assert len(mine) == 1 and mine[0]["partner_id"] == PARTNER_ID and "shop_id" not in mine[0]
    assert mine[0]["data"]["authorize_type"] == "user cancel shop authorization"


def test_sandbox_v2_login_page(api: Api) -> None:
    shop_id = api.new_shop("SG")
    api.control("POST", "auth-mode", {"mode": "shop", "shop_id": shop_id})
    try:
        resp = api.http.get(
            "/auth",
            params={
                "auth_type": "seller",
                "partner_id": PARTNER_ID,
                "redirect_uri": "https://x.example/cb",
                "response_type": "code",
            },
        )
    finally:
        api.control("POST", "auth-mode", {"mode": "shop", "shop_id": None})
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["shop_id"] == [str(shop_id)] and query["code"]


def test_shop_helpers(api: Api) -> None:
    grant = api.authorize(220_000_106)
    channels = api.get("/api/v2/logistics/get_channel_list", grant=grant)["response"]["logistics_channel_list"]
    assert {c["logistics_channel_id"] for c in channels} >= {30005, 30029}
    assert {
        "logistics_channel_id",
        "logistics_channel_name",
        "cod_enabled",
        "enabled",
        "fee_type",
        "weight_limit",
        "item_max_dimension",
        "mask_channel_id",
    } <= set(channels[0])
    addresses = api.get("/api/v2/logistics/get_address_list", grant=grant)["response"]["address_list"]
    assert addresses[0]["address_type"] == ["DEFAULT_ADDRESS", "PICK_UP_ADDRESS", "RETURN_ADDRESS"]
    api.control("POST", "authorize", {"main_account_id": 1_000_001})
    merchants = api.get("/api/v2/public/get_merchants_by_partner")["authed_merchant_list"]
    assert [m["merchant_id"] for m in merchants] == [3_000_001] and merchants[0]["region"] == "CN"
    info = api.get(SHOP_INFO, grant=api.authorize(220_000_107))
    assert info["is_cb"] is True and info["merchant_id"] == 3_000_001 and info["region"] == "MY"
