"""Request authentication, shop authorization and tokens.

Sources: open.shopee.com developer guide "Authorization and Authentication", "API calls" and
"SIP best practices"; API reference pages v2.public.get_access_token (POST /api/v2/auth/token/get),
v2.public.refresh_access_token (POST /api/v2/auth/access_token/get), v2.public.get_shops_by_partner,
v2.public.get_merchants_by_partner, v2.shop.get_shop_info, v2.merchant.get_shop_list_by_merchant; push pages
shop_authorization_push (code 1), shop_authorization_canceled_push (code 2), open_api_authorization_expiry (12).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import signing
from .api import UINT32_MAX, ApiResult, Ctx, Endpoint, ok, ok_top
from .config import (
    ACCESS_TOKEN_TTL,
    AUTH_CODE_TTL,
    AUTH_LINK_TTL,
    EXPIRY_WARNING_AHEAD,
    OLD_ACCESS_TOKEN_GRACE,
    REFRESH_TOKEN_TTL,
)
from .errors import ApiError, param_error
from .model import AccessToken, AuthCode, Counter, MainAccount, Merchant, RefreshToken, Shop
from .state import SandboxState


def _uint(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value <= UINT32_MAX else None


def token_key(kind: str, entity_id: int, token: str) -> str:
    return f"{kind}:{entity_id}:{token}"


# -- request authentication ----------------------------------------------------------------------------
def authenticate(ctx: Ctx, api_type: str) -> None:
    """Common parameters, timestamp window, signature and (for Shop/Merchant APIs) the access token.

    The messages are the ``common_error_list`` texts of every API reference page.
    """
    st = ctx.state
    q = ctx.query
    if not q.get("partner_id"):
        raise ApiError("error_param", "There is no partner_id in query.")
    if not q.get("timestamp"):
        raise ApiError("error_param", "no timestamp")
    if not q.get("sign"):
        raise ApiError("error_param", "There is no sign in query.")
    partner_id = _uint(q["partner_id"])
    if partner_id is None:
        raise ApiError("error_param", "Partner_id is invalid, should be an integer between 0 and 4294967295.")
    timestamp = _uint(q["timestamp"])
    if timestamp is None:
        raise ApiError("error_param", "Timestamp is invalid, should be an integer between 0 and 4294967295.")
    if partner_id != st.partner_id:
        raise ApiError("invalid_partner_id", "Invalid partner_id, please have a check.")
    if abs(ctx.now - timestamp) > st.config.timestamp_window_s:
        raise ApiError("error_param", "Timestamp is expired.")
    token = ""
    entity_id: int | None = None
    if api_type in ("shop", "merchant"):
        id_name = "shop_id" if api_type == "shop" else "merchant_id"
        token = q.get("access_token", "")
        if not token:
            raise ApiError("error_param", "There is no access_token in query.")
        if not q.get(id_name):
            raise ApiError("error_param", f"There is no {id_name} in query.")
        entity_id = _uint(q[id_name])
        if entity_id is None:
            raise ApiError("error_param", f"{id_name} is invalid, should be an integer between 0 and 4294967295.")
    expected = signing.sign(st.partner_key, partner_id, ctx.path, timestamp, token, entity_id)
    if not signing.same(expected, q["sign"]):
        raise ApiError("error_sign", "Wrong sign.")
    if api_type == "shop":
        assert entity_id is not None
        shop = st.shop(entity_id)
        if shop is None:
            raise ApiError("error_auth", "Invalid partner_id or shopid.")
        if shop.status == "BANNED":
            raise ApiError(
                "shop_banned",
                "The shop account has been banned. Permissions for shop authorization and API calls have been "
                "suspended until the shop account is restored.",
            )
        if not shop.authorized:
            raise ApiError("shop_no_linked", "Partner and shop has no linked.")
        check_access_token(st, "shop", entity_id, token, ctx.now)
        ctx.shop = shop
    elif api_type == "merchant":
        assert entity_id is not None
        merchant = st.world.merchants.get(str(entity_id))
        if merchant is None or not merchant.authorized:
            raise ApiError("error_auth", "Invalid partner_id or merchant_id.")
        check_access_token(st, "merchant", entity_id, token, ctx.now)
        ctx.merchant = merchant


def check_access_token(state: SandboxState, kind: str, entity_id: int, token: str, now: float) -> None:
    rec = state.world.access_tokens.get(token_key(kind, entity_id, token))
    if rec is None:
        raise ApiError("error_auth", "Invalid access_token.")
    expiry = rec.expires_at
    lifetime = state.faults.faults.access_token_lifetime_s
    if lifetime is not None:
        expiry = min(expiry, rec.issued_at + lifetime)  # fault: dies before expire_in said it would
    if now >= expiry:
        code = state.config.expired_token_error
        message = "Invalid access_token." if code == "error_auth" else "Invalid access_token, please have a check."
        raise ApiError(code, message)


# -- authorization -----------------------------------------------------------------------------------
def issue_tokens(state: SandboxState, entities: list[tuple[str, int]], now: float) -> tuple[str, str]:
    """One token pair; after a main-account authorization it is shared by every shop and merchant id, but each
    id refreshes on its own afterwards ("Authorization and Authentication", main account section)."""
    access, refresh = state.new_token(), state.new_token()
    w = state.world
    for kind, entity_id in entities:
        w.access_tokens[token_key(kind, entity_id, access)] = AccessToken(
            access, kind, entity_id, now, now + ACCESS_TOKEN_TTL
        )
        w.refresh_tokens[token_key(kind, entity_id, refresh)] = RefreshToken(
            refresh, kind, entity_id, now, now + REFRESH_TOKEN_TTL
        )
    state.changed()
    return access, refresh


def revoke_tokens(state: SandboxState, kind: str, entity_id: int) -> None:
    prefix = f"{kind}:{entity_id}:"
    w = state.world
    for store in (w.access_tokens, w.refresh_tokens):
        for key in [k for k in store if k.startswith(prefix)]:
            del store[key]


def expire_access_tokens(state: SandboxState, now: float, shop_ids: list[int] | None) -> int:
    """Fault action: the current access tokens (of the given shops, or all) stop working now."""
    n = 0
    for rec in state.world.access_tokens.values():
        wanted = shop_ids is None or (rec.kind == "shop" and rec.entity_id in shop_ids)
        if wanted and rec.expires_at > now:
            rec.expires_at = now
            n += 1
    state.changed()
    return n


def authorize_shop(state: SandboxState, shop: Shop, now: float, period_days: int) -> None:
    shop.authorized = True
    shop.auth_time = int(now)
    shop.expire_time = int(now) + period_days * 86400
    shop.expiry_warned = False
    state.changed()


def push_shop_authorized(state: SandboxState, shop: Shop, now: float) -> None:
    ts = int(now)
    envelope = {
        "data": {
            "authorize_type": "shop authorization by user",
            "extra": f"shop id {shop.shop_id} ({shop.region}) has been authorized successfully",
            "shop_id": shop.shop_id,
            "success": 1,
        },
        "partner_id": state.partner_id,
        "code": 1,
        "timestamp": ts,
    }
    state.emit_push(1, envelope, None, now)


def main_account_members(state: SandboxState, account: MainAccount) -> tuple[list[Shop], list[Merchant]]:
    shops = sorted(
        (s for s in state.world.shops.values() if s.main_account_id == account.main_account_id), key=lambda s: s.shop_id
    )
    merchants = sorted(
        (m for m in state.world.merchants.values() if m.main_account_id == account.main_account_id),
        key=lambda m: m.merchant_id,
    )
    return shops, merchants


def authorize_main_account(state: SandboxState, account: MainAccount, now: float, period_days: int) -> None:
    shops, merchants = main_account_members(state, account)
    for shop in shops:
        authorize_shop(state, shop, now, period_days)
    for merchant in merchants:
        merchant.authorized = True
        merchant.auth_time = int(now)
        merchant.expire_time = int(now) + period_days * 86400
    # shop_authorization_push for a main account (the field set beyond the shop form is UNCONFIRMED)
    ts = int(now)
    envelope = {
        "data": {
            "authorize_type": "main account authorization by user",
            "extra": f"main account id {account.main_account_id} has been authorized successfully",
            "main_account_id": account.main_account_id,
            "shop_id_list": [s.shop_id for s in shops],
            "merchant_id_list": [m.merchant_id for m in merchants],
            "success": 1,
        },
        "partner_id": state.partner_id,
        "code": 1,
        "timestamp": ts,
    }
    state.emit_push(1, envelope, None, now)
    state.changed()


def deauthorize_shop(state: SandboxState, shop: Shop, now: float, reason: str) -> None:
    shop.authorized = False
    revoke_tokens(state, "shop", shop.shop_id)
    ts = int(now)
    envelope = {
        "data": {
            "authorize_type": reason,
            "extra": f"shop id {shop.shop_id} ({shop.region}) authorization has been cancelled",
            "shop_id": shop.shop_id,
            "success": 1,
        },
        "partner_id": state.partner_id,
        "code": 2,
        "timestamp": ts,
    }
    state.emit_push(2, envelope, None, now)
    state.changed()


def advance_authorizations(state: SandboxState, now: float) -> int:
    """Push 12 seven days before an authorization expires; at expiry the shop is no longer linked (push 2)."""
    ran = 0
    for shop in sorted(state.world.shops.values(), key=lambda s: s.shop_id):
        if not shop.authorized or not shop.expire_time:
            continue
        if not shop.expiry_warned and now >= shop.expire_time - EXPIRY_WARNING_AHEAD:
            shop.expiry_warned = True
            at = float(shop.expire_time - EXPIRY_WARNING_AHEAD)
            envelope = {
                "code": 12,
                "timestamp": int(at),
                "data": {
                    "merchant_expire_soon": [],
                    "shop_expire_soon": [shop.shop_id],
                    "user_expire_soon": [],
                    "expire_before": shop.expire_time,
                    "page_no": 1,
                    "total_page": 1,
                },
            }
            state.emit_push(12, envelope, None, at)
            ran += 1
        if now >= shop.expire_time:
            deauthorize_shop(state, shop, float(shop.expire_time), "expiry")
            ran += 1
    return ran


def new_code(
    state: SandboxState, now: float, *, shop_id: int | None = None, main_account_id: int | None = None
) -> AuthCode:
    code = AuthCode(code=state.new_token(), created_at=now, shop_id=shop_id, main_account_id=main_account_id)
    state.world.codes[code.code] = code
    return code


def with_params(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def seller_approves(
    state: SandboxState,
    now: float,
    *,
    mode: str | None = None,
    shop_id: int | None = None,
    main_account_id: int | None = None,
) -> dict[str, int | str]:
    """The seller logs in and confirms. Which seller: the explicit ids, else ``/_sandbox/auth-mode``, else
    the first shop that is not authorized yet (so onboarding several shops in a row just works)."""
    w = state.world
    mode = mode or w.auth_mode.mode
    period = w.auth_mode.period_days
    if mode == "main_account":
        ma_id = main_account_id or w.auth_mode.main_account_id
        if ma_id is None and w.main_accounts:
            ma_id = min(int(k) for k in w.main_accounts)
        account = w.main_accounts.get(str(ma_id))
        if account is None:
            raise param_error(f"main account {ma_id} does not exist in the sandbox")
        authorize_main_account(state, account, now, period)
        code = new_code(state, now, main_account_id=account.main_account_id)
        return {"code": code.code, "main_account_id": account.main_account_id}
    sid = shop_id or w.auth_mode.shop_id
    shops = sorted(w.shops.values(), key=lambda s: s.shop_id)
    if sid is None:
        pending = [s for s in shops if not s.authorized]
        chosen = pending[0] if pending else (shops[0] if shops else None)
    else:
        chosen = state.shop(sid)
    if chosen is None:
        raise param_error("no such shop in the sandbox")
    authorize_shop(state, chosen, now, period)
    push_shop_authorized(state, chosen, now)
    code = new_code(state, now, shop_id=chosen.shop_id)
    return {"code": code.code, "shop_id": chosen.shop_id}


def _check_link(ctx: Ctx) -> str:
    """auth_partner / cancel_auth_partner: Public signature; the link dies 5 minutes after its timestamp."""
    authenticate(ctx, "public")
    timestamp = int(ctx.query["timestamp"])
    if ctx.now - timestamp > AUTH_LINK_TTL:
        raise ApiError("error_param", "Timestamp is expired.")
    redirect = ctx.q("redirect")
    if redirect is None:
        raise param_error("redirect is a required field")
    return redirect


def auth_partner(ctx: Ctx) -> ApiResult:
    """GET /api/v2/shop/auth_partner: the seller-facing page. The sandbox approves at once and redirects with
    ``code`` and ``shop_id`` (or ``main_account_id``). Sandbox-only query switches, not part of Shopee's API:
    ``sandbox_auth_mode=shop|main_account``, ``sandbox_shop_id``, ``sandbox_main_account_id``."""
    redirect = _check_link(ctx)
    params = seller_approves(
        ctx.state,
        ctx.now,
        mode=ctx.q("sandbox_auth_mode"),
        shop_id=ctx.q_int("sandbox_shop_id"),
        main_account_id=ctx.q_int("sandbox_main_account_id"),
    )
    return ApiResult(redirect=with_params(redirect, {k: str(v) for k, v in params.items()}))


def cancel_auth_partner(ctx: Ctx) -> ApiResult:
    redirect = _check_link(ctx)
    sid = ctx.q_int("sandbox_shop_id") or ctx.state.world.auth_mode.shop_id
    shops = sorted((s for s in ctx.state.world.shops.values() if s.authorized), key=lambda s: s.shop_id)
    shop = ctx.state.shop(sid) if sid is not None else (shops[0] if shops else None)
    if shop is None or not shop.authorized:
        raise ApiError("shop_no_linked", "Partner and shop has no linked.")
    deauthorize_shop(ctx.state, shop, ctx.now, "user cancel shop authorization")
    return ApiResult(redirect=redirect)


def _body_partner(ctx: Ctx) -> None:
    partner_id = ctx.b_int("partner_id", required=True)
    if partner_id != ctx.state.partner_id:
        raise param_error("partner_id in the body does not match the query")


def token_get(ctx: Ctx) -> ApiResult:
    """POST /api/v2/auth/token/get -> top-level access_token, refresh_token, expire_in (+ id lists for a main
    account). The v2.public.get_access_token page says exactly one of shop_id / main_account_id; its 2026
    request sample sends neither, so (tolerant) the id the code was issued for is used when both are absent."""
    code_value = ctx.b_str("code", required=True)
    _body_partner(ctx)
    shop_id = ctx.b_int("shop_id")
    main_account_id = ctx.b_int("main_account_id")
    if shop_id is not None and main_account_id is not None:
        raise param_error("only one of shop_id and main_account_id may be given")
    st = ctx.state
    code = st.world.codes.get(code_value or "")
    if code is None or code.used or ctx.now - code.created_at > AUTH_CODE_TTL:
        raise ApiError("error_auth", "Invalid code")
    if shop_id is not None and code.shop_id != shop_id:
        raise ApiError("invalid_shop_id", "Invalid shop_id.")
    if main_account_id is not None and code.main_account_id != main_account_id:
        raise ApiError("invalid_main_acount_id", "Invalid main_account_id.")
    code.used = True
    st.changed()
    if code.shop_id is not None:
        access, refresh = issue_tokens(st, [("shop", code.shop_id)], ctx.now)
        return ok_top(access_token=access, refresh_token=refresh, expire_in=ACCESS_TOKEN_TTL)
    account = st.world.main_accounts[str(code.main_account_id)]
    shops, merchants = main_account_members(st, account)
    entities = [("shop", s.shop_id) for s in shops] + [("merchant", m.merchant_id) for m in merchants]
    access, refresh = issue_tokens(st, entities, ctx.now)
    return ok_top(
        access_token=access,
        refresh_token=refresh,
        expire_in=ACCESS_TOKEN_TTL,
        shop_id_list=[s.shop_id for s in shops],
        merchant_id_list=[m.merchant_id for m in merchants],
    )


def refresh_access_token(ctx: Ctx) -> ApiResult:
    """POST /api/v2/auth/access_token/get: single-use refresh token, new pair, old access token +5 minutes."""
    st = ctx.state
    shop_id = ctx.b_int("shop_id")
    merchant_id = ctx.b_int("merchant_id")
    if (shop_id is None) == (merchant_id is None):
        raise param_error("exactly one of shop_id and merchant_id is required")
    kind, entity_id = ("shop", shop_id) if shop_id is not None else ("merchant", merchant_id)
    assert entity_id is not None
    counter = st.world.refresh_calls.setdefault(f"{kind}:{entity_id}", Counter())
    counter.total += 1
    try:
        token = ctx.b_str("refresh_token", required=True) or ""
        _body_partner(ctx)
        rec = st.world.refresh_tokens.get(token_key(kind, entity_id, token))
        entity: Shop | Merchant | None = (
            st.shop(entity_id) if kind == "shop" else st.world.merchants.get(str(entity_id))
        )
        if (
            rec is None
            or rec.used_at is not None
            or ctx.now >= rec.expires_at
            or entity is None
            or not entity.authorized
            or ctx.now >= entity.expire_time
        ):
            raise ApiError("error_auth", "Invalid refresh_token.")
    except ApiError:
        counter.failed += 1
        raise
    counter.ok += 1
    rec.used_at = ctx.now
    prefix = f"{kind}:{entity_id}:"
    for key, old in st.world.access_tokens.items():
        if key.startswith(prefix):
            old.expires_at = min(old.expires_at, ctx.now + OLD_ACCESS_TOKEN_GRACE)
    access, refresh = issue_tokens(st, [(kind, entity_id)], ctx.now)
    fields: dict[str, object] = {"partner_id": st.partner_id, f"{kind}_id": entity_id}
    return ok_top(**fields, access_token=access, refresh_token=refresh, expire_in=ACCESS_TOKEN_TTL)


def _page(ctx: Ctx, max_size: int, default: int) -> tuple[int, int]:
    size = ctx.q_int("page_size") or default
    page_no = ctx.q_int("page_no") or 1
    if not 1 <= size <= max_size:
        raise param_error(f"page_size should be in [1,{max_size}]")
    if page_no < 1:
        raise param_error("page_no should be 1 or more")
    return size, page_no


def get_shops_by_partner(ctx: Ctx) -> ApiResult:
    size, page_no = _page(ctx, 100, 100)
    shops = sorted((s for s in ctx.state.world.shops.values() if s.authorized), key=lambda s: s.shop_id)
    chunk = shops[(page_no - 1) * size : page_no * size]
    rows = [
        {
            "shop_id": s.shop_id,
            "region": s.region,
            "auth_time": s.auth_time,
            "expire_time": s.expire_time,
            "sip_affi_shops": [],
        }
        for s in chunk
    ]
    return ok_top(authed_shop_list=rows, more=len(shops) > page_no * size)


def get_merchants_by_partner(ctx: Ctx) -> ApiResult:
    size, page_no = _page(ctx, 100, 100)
    merchants = sorted((m for m in ctx.state.world.merchants.values() if m.authorized), key=lambda m: m.merchant_id)
    chunk = merchants[(page_no - 1) * size : page_no * size]
    rows = [
        {"merchant_id": m.merchant_id, "region": m.region, "auth_time": m.auth_time, "expire_time": m.expire_time}
        for m in chunk
    ]
    return ok_top(authed_merchant_list=rows, more=len(merchants) > page_no * size)


def get_shop_info(ctx: Ctx) -> ApiResult:
    shop = ctx.require_shop()
    return ok_top(
        shop_name=shop.name,
        region=shop.region,
        status=shop.status,
        is_cb=shop.cross_border,
        is_sip=False,
        sip_affi_shops=[],
        merchant_id=shop.merchant_id,
        is_upgraded_cbsc=shop.cross_border and shop.merchant_id is not None,
        shop_fulfillment_flag="Others",
        auth_time=shop.auth_time,
        expire_time=shop.expire_time,
        is_one_awb=False,
    )


def get_shop_list_by_merchant(ctx: Ctx) -> ApiResult:
    merchant = ctx.merchant
    assert merchant is not None
    size, page_no = _page(ctx, 500, 100)
    shops = sorted(
        (s for s in ctx.state.world.shops.values() if s.merchant_id == merchant.merchant_id), key=lambda s: s.shop_id
    )
    chunk = shops[(page_no - 1) * size : page_no * size]
    return ok_top(
        shop_list=[{"shop_id": s.shop_id, "sip_affi_shops": []} for s in chunk], more=len(shops) > page_no * size
    )


def get_shopee_ip_ranges(ctx: Ctx) -> ApiResult:
    return ok({"ip_list": ["127.0.0.1/32"]})


ENDPOINTS = [
    Endpoint("/api/v2/shop/auth_partner", "GET", "link", auth_partner),
    Endpoint("/api/v2/shop/cancel_auth_partner", "GET", "link", cancel_auth_partner),
    Endpoint("/api/v2/auth/token/get", "POST", "public", token_get),
    Endpoint("/api/v2/auth/access_token/get", "POST", "public", refresh_access_token),
    Endpoint("/api/v2/public/get_shops_by_partner", "GET", "public", get_shops_by_partner),
    Endpoint("/api/v2/public/get_merchants_by_partner", "GET", "public", get_merchants_by_partner),
    Endpoint("/api/v2/public/get_shopee_ip_ranges", "GET", "public", get_shopee_ip_ranges),
    Endpoint("/api/v2/shop/get_shop_info", "GET", "shop", get_shop_info),
    Endpoint("/api/v2/merchant/get_shop_list_by_merchant", "GET", "merchant", get_shop_list_by_merchant),
]
