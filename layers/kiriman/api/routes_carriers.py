"""Carrier accounts: a merchant's (or, for operators, the forwarder's) contracts with carriers.

Credentials are written to Secrets Manager and never returned or logged: responses say only which
credential fields are set. Accounts are retired rather than deleted, because shipments bought with
one still need it to track and void.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import Country, Name, Page, StrictBody
from kiriman.api.resolver import acting, requires, runtime
from kiriman.carriers.catalog import CARRIERS
from kiriman.domain import carrier_accounts
from kiriman.domain.access import Permission
from kiriman.domain.carrier_accounts import CarrierAccount

router = Router()
MerchantQuery = Annotated[
    str | None,
    Query(max_length=40, description="Operators: the merchant whose accounts to act on (omit for the forwarder's)."),
]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9]{2,20}$")]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Setting = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]


class AccountIn(StrictBody):
    carrier: Slug = Field(description=f"One of {sorted(CARRIERS)}.")
    name: Name
    country: Country = Field(description="The account's country (ISO 3166-1 alpha-2); one account per country.")
    environment: str = Field("production", pattern=r"^(production|sandbox)$")
    credentials: dict[str, Secret] = Field(description="Stored in Secrets Manager; never returned.")
    settings: dict[str, Setting] = Field(default_factory=dict)
    services: list[str] = Field(default_factory=list, max_length=20)


class AccountPatch(StrictBody):
    name: Name | None = None
    credentials: dict[str, Secret] | None = Field(None, description="Replaces the stored credentials (rotation).")
    settings: dict[str, Setting] | None = None
    services: list[str] | None = Field(None, max_length=20)
    active: bool | None = None


class AccountOut(BaseModel):
    account_id: str
    merchant_id: str | None = Field(description="null for the forwarder's own accounts")
    carrier: str
    name: str
    country: str
    environment: str
    settings: dict[str, str]
    services: list[str]
    credentials_set: list[str] = Field(description="Names of the stored credential fields (values never shown).")
    active: bool
    created_at: float
    updated_at: float
    version: int

    @classmethod
    def of(cls, a: CarrierAccount) -> "AccountOut":
        return cls(
            account_id=a.account_id, merchant_id=a.owner, carrier=a.carrier, name=a.name, country=a.country,
            environment=a.environment, settings=dict(a.settings), services=list(a.services),
            credentials_set=list(a.credential_fields), active=a.active, created_at=a.created_at,
            updated_at=a.updated_at, version=a.version,
        )


class AccountPage(Page):
    items: list[AccountOut]


def _owner(merchant_id: str | None) -> str | None:
    return acting(merchant_id, required=False)


@router.post("/v1/carrier-accounts", summary="Add a carrier account (credentials go to Secrets Manager)")
@requires(router, Permission.CARRIERS_WRITE)
@idempotent(router)
def create_account(body: Annotated[AccountIn, Body()], merchant_id: MerchantQuery = None) -> Response[dict[str, Any]]:
    rt = runtime()
    a = carrier_accounts.create(
        rt.store, rt.vault, rt.clock, _owner(merchant_id), carrier=body.carrier, name=body.name,
        country=body.country, environment=body.environment, credentials=body.credentials, settings=body.settings,
        services=tuple(body.services),
    )
    return Response(status_code=201, content_type=JSON, body=AccountOut.of(a).model_dump(mode="json"))


@router.get("/v1/carrier-accounts", summary="List carrier accounts")
@requires(router, Permission.CARRIERS_READ)
def list_accounts(
    merchant_id: MerchantQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AccountPage:
    items, nxt = runtime().store.list_carrier_accounts(_owner(merchant_id), limit, cursor)
    return AccountPage(items=[AccountOut.of(a) for a in items], next_cursor=nxt)


@router.get("/v1/carrier-accounts/<account_id>", summary="One carrier account")
@requires(router, Permission.CARRIERS_READ)
def get_account(account_id: str, merchant_id: MerchantQuery = None) -> AccountOut:
    return AccountOut.of(carrier_accounts.get(runtime().store, _owner(merchant_id), account_id))


@router.patch("/v1/carrier-accounts/<account_id>", summary="Change or rotate a carrier account (409 on a race)")
@requires(router, Permission.CARRIERS_WRITE)
def update_account(
    account_id: str, body: Annotated[AccountPatch, Body()], merchant_id: MerchantQuery = None
) -> AccountOut:
    rt = runtime()
    a = carrier_accounts.update(
        rt.store, rt.vault, rt.clock, _owner(merchant_id), account_id, name=body.name, credentials=body.credentials,
        settings=body.settings, services=tuple(body.services) if body.services is not None else None,
        active=body.active,
    )
    return AccountOut.of(a)


@router.delete("/v1/carrier-accounts/<account_id>", summary="Retire a carrier account (kept for its shipments)")
@requires(router, Permission.CARRIERS_WRITE)
def retire_account(account_id: str, merchant_id: MerchantQuery = None) -> AccountOut:
    rt = runtime()
    return AccountOut.of(carrier_accounts.retire(rt.store, rt.clock, _owner(merchant_id), account_id))


class CarrierOut(BaseModel):
    slug: str
    name: str
    countries: list[str]
    services: list[str]
    operations: list[str]
    credential_fields: list[str]
    setting_fields: list[str]
    volumetric_divisor: int
    docs: str


@router.get("/v1/carriers", summary="The carriers this system speaks to, and what each needs")
@requires(router, Permission.CARRIERS_READ)
def list_carriers() -> list[CarrierOut]:
    return [
        CarrierOut(slug=i.slug, name=i.name, countries=sorted(i.countries), services=list(i.services),
                   operations=sorted(i.operations), credential_fields=list(i.credential_fields),
                   setting_fields=list(i.setting_fields), volumetric_divisor=i.volumetric_divisor, docs=i.docs)
        for i in CARRIERS.values()
    ]
