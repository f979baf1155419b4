"""Health, the caller itself, and merchants (operator-only create and list)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool, field_validator

from kiriman import __version__
from kiriman.api.envelope import JSON
from kiriman.api.resolver import principal as _principal
from kiriman.api.resolver import requires
from kiriman.api.resolver import runtime as _runtime
from kiriman.domain import merchants
from kiriman.domain.access import Permission
from kiriman.domain.errors import Forbidden
from kiriman.domain.merchants import Merchant

router = Router()


class MerchantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=120, description="The merchant's trading name.")
    contact_email: EmailStr | None = Field(None, description="Where operators reach the merchant.")
    arrange_within_first_hour: StrictBool = Field(
        False, description="Fulfil packages within the first hour after an order is placed (default: hold).")

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str) -> str:
        if not v.isprintable():
            raise ValueError("must not contain control characters")
        return v


class MerchantOut(BaseModel):
    merchant_id: str
    name: str
    contact_email: str | None
    status: str
    created_at: float
    arrange_within_first_hour: bool = Field(
        False, description="Arrange shipment (buy labels, tell Shopee) within the first hour after an order "
        "is placed. Off by default: Shopee advises waiting that hour, while the buyer may still cancel freely.")

    @classmethod
    def of(cls, m: Merchant) -> "MerchantOut":
        return cls(**m.__dict__)


class MerchantSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrange_within_first_hour: StrictBool = Field(
        description="true: fulfil packages as soon as they are ready; false: hold each until an hour after "
        "the order was placed.")


class MerchantCreatedOut(BaseModel):
    merchant: MerchantOut
    admin_user_id: str
    api_key: str = Field(description="Shown once. Only its hash is stored.")
    key_prefix: str


class MerchantPage(BaseModel):
    items: list[MerchantOut]
    next_cursor: str | None


class Me(BaseModel):
    user_id: str
    role: str
    merchant_id: str | None
    warehouse_id: str | None
    key_prefix: str


@router.get("/v1/health", summary="Reports the stack's dependencies (public)")
def health() -> Response[dict[str, Any]]:
    rt = _runtime()
    checks: dict[str, str] = {}
    for name, probe in (("table", lambda: rt.store.ping()), ("event_bus", lambda: rt.events.ping())):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # a health check reports, it does not raise
            checks[name] = f"unavailable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "dependencies": checks,
        "time": rt.clock.now().isoformat(),
    }
    return Response(status_code=200 if ok else 503, content_type=JSON, body=body)


@router.get("/v1/me", summary="The authenticated caller")
@requires(router, Permission.SELF_READ)
def me() -> Me:
    p = _principal()
    return Me(
        user_id=p.user_id,
        role=p.role.value,
        merchant_id=p.merchant_id,
        warehouse_id=p.warehouse_id,
        key_prefix=p.key_prefix,
    )


@router.post("/v1/merchants", summary="Create a merchant with its first admin key (operators)")
@requires(router, Permission.MERCHANTS_CREATE)
def create_merchant(body: Annotated[MerchantIn, Body()]) -> Response[dict[str, Any]]:
    rt = _runtime()
    created = merchants.create_merchant(rt.store, rt.clock, body.name, body.contact_email,
                                        arrange_within_first_hour=body.arrange_within_first_hour)
    out = MerchantCreatedOut(
        merchant=MerchantOut.of(created.merchant),
        admin_user_id=created.admin.user_id,
        api_key=created.api_key,
        key_prefix=created.key_prefix,
    )
    return Response(status_code=201, content_type=JSON, body=out.model_dump())


@router.get("/v1/merchants", summary="List merchants, newest first (operators)")
@requires(router, Permission.MERCHANTS_READ)
def list_merchants(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> MerchantPage:
    items, nxt = _runtime().store.list_merchants(limit, cursor)
    return MerchantPage(items=[MerchantOut.of(m) for m in items], next_cursor=nxt)


@router.get("/v1/merchants/<merchant_id>", summary="One merchant (operators, or the merchant itself)")
@requires(router, Permission.SELF_READ)
def get_merchant(merchant_id: str) -> MerchantOut:
    p = _principal()
    if p.role.is_operator and not p.can(Permission.MERCHANTS_READ):
        raise Forbidden(f"role {p.role.value} lacks {Permission.MERCHANTS_READ.value}")
    return MerchantOut.of(merchants.get_merchant(_runtime().store, p, merchant_id))


@router.patch("/v1/merchants/<merchant_id>", summary="Change a merchant's settings (its admin, or an operator admin)")
@requires(router, Permission.SETTINGS_WRITE)
def update_merchant(merchant_id: str, body: Annotated[MerchantSettingsIn, Body()]) -> MerchantOut:
    rt = _runtime()
    return MerchantOut.of(merchants.update_settings(rt.store, _principal(), merchant_id,
                                                    body.arrange_within_first_hour))
