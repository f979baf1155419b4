"""Shops: the seller's authorization link, the public callback, and the shops' state (never tokens)."""

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, HttpUrl

from kiriman.api.envelope import JSON
from kiriman.api.models import StrictBody
from kiriman.api.resolver import acting, requires, runtime
from kiriman.domain import shop_work, shops
from kiriman.domain.access import Permission
from kiriman.domain.errors import NotFound
from kiriman.domain.shops import Shop

router = Router()
CALLBACK_PATH = "/v1/shops/callback"


class AuthorizeIn(StrictBody):
    redirect_after: HttpUrl | None = Field(None, description="Where to send the seller once the shop is connected.")


class AuthorizeOut(BaseModel):
    authorization_url: str
    expires_at: float


class ShopOut(BaseModel):
    shop_id: int
    merchant_id: str
    region: str
    name: str
    status: str
    cross_border: bool
    main_account_id: int | None
    authorization_expires_at: float | None
    access_token_expires_at: float | None
    connected_at: float
    last_synced_until: float | None
    flags: dict[str, Any]

    @classmethod
    def of(cls, s: Shop, now: float) -> "ShopOut":
        return cls(
            shop_id=s.shop_id,
            merchant_id=s.merchant_id,
            region=s.region,
            name=s.name,
            status=s.status,
            cross_border=s.cross_border,
            main_account_id=s.main_account_id,
            authorization_expires_at=s.auth_expires_at,
            access_token_expires_at=s.access_expires_at,
            connected_at=s.connected_at,
            last_synced_until=s.watermark,
            flags=shops.authorization_flags(s, now),
        )


class ShopList(BaseModel):
    items: list[ShopOut]


class Connected(BaseModel):
    merchant_id: str
    shop_ids: list[int]


def _state_key(rt: Any) -> bytes:
    return str(rt.secrets.get("shopee")["state_key"]).encode()


@router.post("/v1/shops/authorize", summary="The link a seller opens to connect a Shopee shop")
@requires(router, Permission.SHOPS_WRITE)
def authorize(body: Annotated[AuthorizeIn, Body()], merchant_id: Annotated[str | None, Query()] = None) -> AuthorizeOut:
    rt = runtime()
    merchant = acting(merchant_id)
    assert merchant is not None
    now = rt.clock.time()
    state = shops.make_state(_state_key(rt), merchant, now, str(body.redirect_after) if body.redirect_after else None)
    callback = rt.settings.public_api_url.rstrip("/") + CALLBACK_PATH + "?" + urlencode({"state": state})
    return AuthorizeOut(authorization_url=rt.shopee.auth_link(callback), expires_at=now + shops.STATE_TTL_S)


@router.get(CALLBACK_PATH, summary="Shopee redirects the seller here (public; proven by the signed state)")
def callback(
    state: Annotated[str, Query(min_length=10, max_length=2048)],
    code: Annotated[str, Query(min_length=1, max_length=512)],
    shop_id: Annotated[int | None, Query(ge=1)] = None,
    main_account_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response[Any]:
    rt = runtime()

    def describe(sid: int, token: str) -> tuple[str, str, bool]:
        info = rt.shopee.get_shop_info(sid, access_token=token)
        return str(info.get("region", "")), str(info.get("shop_name") or f"Shop {sid}"), bool(info.get("is_cb"))

    done = shops.complete_authorization(
        rt.store, rt.cipher, rt.shopee, rt.clock, _state_key(rt), state, code, shop_id, main_account_id, describe
    )
    for sid in done.shop_ids:
        shop_work.schedule_token_refresh(rt.store, sid, done.access_expires_at)
    rt.dispatcher.send(shop_work.QUEUE, [{"type": "sync_shop", "shop_id": sid} for sid in done.shop_ids])
    if done.redirect_after:
        return Response(status_code=302, headers={"Location": done.redirect_after}, body="")
    out = Connected(merchant_id=done.merchant_id, shop_ids=done.shop_ids)
    return Response(status_code=200, content_type=JSON, body=out.model_dump())


@router.get("/v1/shops", summary="The merchant's shops and their authorization state")
@requires(router, Permission.SHOPS_READ)
def list_shops(merchant_id: Annotated[str | None, Query()] = None) -> ShopList:
    rt = runtime()
    merchant = acting(merchant_id)
    now = rt.clock.time()
    return ShopList(items=[ShopOut.of(s, now) for s in rt.store.list_shops(merchant)])


@router.get("/v1/shops/<shop_id>", summary="One shop")
@requires(router, Permission.SHOPS_READ)
def get_shop(shop_id: int, merchant_id: Annotated[str | None, Query()] = None) -> ShopOut:
    rt = runtime()
    merchant = acting(merchant_id)
    shop = rt.store.get_shop(merchant, shop_id) if merchant else None
    if shop is None:
        raise NotFound("shop not found")
    return ShopOut.of(shop, rt.clock.time())
