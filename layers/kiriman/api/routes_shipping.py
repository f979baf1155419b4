"""Rate cards, routing rules and quotes.

Rate cards are versioned documents: ``PUT`` adds a version (older ones stay for past dates), ``DELETE``
retires the card. Rules are ordered by priority, a shop's before the merchant's. ``POST /v1/rates``
quotes a parcel, or a package of a synced Shopee order, against every usable account and explains the
choice the rules would make.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints, model_validator

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import Country, Deleted, Page, StrictBody, Text
from kiriman.api.resolver import acting, requires, runtime
from kiriman.domain import orders, quoting, rate_cards, rule_book
from kiriman.domain.access import Permission
from kiriman.domain.errors import InvalidInput
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.domain.rate_cards import RateCardRecord
from kiriman.domain.routing import OrderFacts
from kiriman.domain.rule_book import RuleRecord
from kiriman.schemas.shipping import RateCardBody, RuleBody, decode_card, decode_rule

router = Router()
MerchantQuery = Annotated[
    str | None, Query(max_length=40, description="Operators: the merchant to act on (omit for the forwarder's).")
]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


def _owner(merchant_id: str | None) -> str | None:
    return acting(merchant_id, required=False)


# --- rate cards -----------------------------------------------------------------------------------
class RateCardOut(BaseModel):
    card_id: str
    merchant_id: str | None
    account_id: str
    service: str
    version: int
    retired: bool
    created_at: float
    versions: list[int] = Field(default_factory=list, description="Every version of this card, oldest first.")
    card: dict[str, Any]

    @classmethod
    def of(cls, r: RateCardRecord, versions: list[int] | None = None) -> "RateCardOut":
        return cls(card_id=r.card_id, merchant_id=r.owner, account_id=r.account_id, service=r.service,
                   version=r.version, retired=r.retired, created_at=r.created_at, versions=versions or [],
                   card=dict(r.body))


class RateCardPage(Page):
    items: list[RateCardOut]


def _card_account(owner: str | None, body: RateCardBody) -> str:
    """The card's account must be the owner's, and offer the service; returns the carrier."""
    rt = runtime()
    account = rt.store.get_carrier_account(owner, body.account_id)
    if account is None:
        raise InvalidInput("account_id", "no such carrier account for this owner")
    if body.service not in account.services:
        raise InvalidInput("service", f"the account offers {list(account.services)}")
    return str(account.carrier)


@router.post("/v1/rate-cards", summary="Add a rate card (version 1)")
@requires(router, Permission.CARRIERS_WRITE)
@idempotent(router)
def create_rate_card(body: Annotated[RateCardBody, Body()], merchant_id: MerchantQuery = None) -> Response[Any]:
    rt = runtime()
    owner = _owner(merchant_id)
    _card_account(owner, body)
    card = rate_cards.create(rt.store, rt.clock, owner, body.account_id, body.service, body.model_dump(mode="json"))
    return Response(status_code=201, content_type=JSON, body=RateCardOut.of(card, [1]).model_dump(mode="json"))


@router.get("/v1/rate-cards", summary="List rate cards (every version)")
@requires(router, Permission.CARRIERS_READ)
def list_rate_cards(
    merchant_id: MerchantQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RateCardPage:
    items, nxt = runtime().store.list_rate_cards(_owner(merchant_id), limit, cursor)
    return RateCardPage(items=[RateCardOut.of(c) for c in items], next_cursor=nxt)


@router.get("/v1/rate-cards/<card_id>", summary="One rate card (the latest version, or ?version=)")
@requires(router, Permission.CARRIERS_READ)
def get_rate_card(
    card_id: str, merchant_id: MerchantQuery = None, version: Annotated[int | None, Query(ge=1)] = None
) -> RateCardOut:
    owner = _owner(merchant_id)
    found = rate_cards.versions(runtime().store, owner, card_id)
    card = rate_cards.get(runtime().store, owner, card_id, version)
    return RateCardOut.of(card, [c.version for c in found])


@router.put("/v1/rate-cards/<card_id>", summary="Add a version of a rate card (409 if another writer won)")
@requires(router, Permission.CARRIERS_WRITE)
def add_rate_card_version(
    card_id: str, body: Annotated[RateCardBody, Body()], merchant_id: MerchantQuery = None
) -> RateCardOut:
    rt = runtime()
    owner = _owner(merchant_id)
    _card_account(owner, body)
    card = rate_cards.add_version(rt.store, rt.clock, owner, card_id, body.account_id, body.service,
                                  body.model_dump(mode="json"))
    return RateCardOut.of(card, [c.version for c in rate_cards.versions(rt.store, owner, card_id)])


@router.delete("/v1/rate-cards/<card_id>", summary="Retire a rate card (its history stays readable)")
@requires(router, Permission.CARRIERS_WRITE)
def retire_rate_card(card_id: str, merchant_id: MerchantQuery = None) -> RateCardOut:
    rt = runtime()
    return RateCardOut.of(rate_cards.retire(rt.store, rt.clock, _owner(merchant_id), card_id))


# --- routing rules --------------------------------------------------------------------------------
class RuleOut(BaseModel):
    rule_id: str
    merchant_id: str | None
    priority: int
    shop_id: int | None
    version: int
    created_at: float
    updated_at: float
    rule: dict[str, Any]

    @classmethod
    def of(cls, r: RuleRecord) -> "RuleOut":
        return cls(rule_id=r.rule_id, merchant_id=r.owner, priority=r.priority, shop_id=r.shop_id, version=r.version,
                   created_at=r.created_at, updated_at=r.updated_at, rule=dict(r.body))


class RuleList(BaseModel):
    items: list[RuleOut] = Field(description="In evaluation order: priority, then age.")


def _check_rule(owner: str | None, body: RuleBody) -> None:
    rt = runtime()
    if body.shop_id is not None and (owner is None or rt.store.get_shop(owner, body.shop_id) is None):
        raise InvalidInput("shop_id", "not a shop of this merchant")
    fixed = body.action.fixed_account_id
    if fixed is not None and not any(
        rt.store.get_carrier_account(o, fixed) is not None for o in {owner, None}
    ):
        raise InvalidInput("action.fixed_account_id", "no such carrier account")


@router.post("/v1/rules", summary="Add a routing rule")
@requires(router, Permission.CARRIERS_WRITE)
@idempotent(router)
def create_rule(body: Annotated[RuleBody, Body()], merchant_id: MerchantQuery = None) -> Response[Any]:
    rt = runtime()
    owner = _owner(merchant_id)
    _check_rule(owner, body)
    rule = rule_book.create(rt.store, rt.clock, owner, body.model_dump(mode="json"))
    return Response(status_code=201, content_type=JSON, body=RuleOut.of(rule).model_dump(mode="json"))


@router.get("/v1/rules", summary="Routing rules in evaluation order")
@requires(router, Permission.CARRIERS_READ)
def list_rules(merchant_id: MerchantQuery = None) -> RuleList:
    return RuleList(items=[RuleOut.of(r) for r in rule_book.ordered(runtime().store, _owner(merchant_id))])


@router.get("/v1/rules/<rule_id>", summary="One routing rule")
@requires(router, Permission.CARRIERS_READ)
def get_rule(rule_id: str, merchant_id: MerchantQuery = None) -> RuleOut:
    return RuleOut.of(rule_book.get(runtime().store, _owner(merchant_id), rule_id))


@router.put("/v1/rules/<rule_id>", summary="Replace a routing rule (409 if it changed since `version`)")
@requires(router, Permission.CARRIERS_WRITE)
def replace_rule(
    rule_id: str,
    body: Annotated[RuleBody, Body()],
    merchant_id: MerchantQuery = None,
    version: Annotated[int | None, Query(ge=0, description="The version you read; omit to overwrite.")] = None,
) -> RuleOut:
    rt = runtime()
    owner = _owner(merchant_id)
    _check_rule(owner, body)
    return RuleOut.of(rule_book.replace_body(rt.store, rt.clock, owner, rule_id, body.model_dump(mode="json"),
                                             version))


@router.delete("/v1/rules/<rule_id>", summary="Delete a routing rule")
@requires(router, Permission.CARRIERS_WRITE)
def delete_rule(rule_id: str, merchant_id: MerchantQuery = None) -> Deleted:
    rule_book.delete(runtime().store, _owner(merchant_id), rule_id)
    return Deleted()


# --- quotes ---------------------------------------------------------------------------------------
class MoneyIn(StrictBody):
    amount: Decimal = Field(ge=0, le=Decimal("1e9"))
    currency: CurrencyCode


class ItemIn(StrictBody):
    description: Text
    quantity: int = Field(ge=1, le=10_000)
    unit_weight_g: int = Field(ge=0, le=1_000_000)
    unit_value: Decimal = Field(Decimal(0), ge=0)
    sku: Short = ""
    category: Short = ""
    dangerous: bool = False


class DimensionsIn(StrictBody):
    length_cm: Decimal = Field(gt=0, le=1000)
    width_cm: Decimal = Field(gt=0, le=1000)
    height_cm: Decimal = Field(gt=0, le=1000)


class ParcelIn(StrictBody):
    items: list[ItemIn] = Field(min_length=1, max_length=200)
    declared_value: MoneyIn
    packaging_weight_g: int = Field(0, ge=0, le=100_000)
    dimensions: DimensionsIn | None = None
    cod: MoneyIn | None = None
    measured_weight_g: int | None = Field(None, gt=0, le=1_000_000)

    def domain(self) -> Parcel:
        d = self.dimensions
        return Parcel(
            items=tuple(Item(description=i.description, quantity=i.quantity, unit_weight_g=i.unit_weight_g,
                             unit_value=i.unit_value, sku=i.sku, category=i.category, dangerous=i.dangerous)
                        for i in self.items),
            declared_value=Money(self.declared_value.amount, self.declared_value.currency),
            packaging_weight_g=self.packaging_weight_g,
            dimensions=Dimensions(d.length_cm, d.width_cm, d.height_cm) if d else None,
            cod=Money(self.cod.amount, self.cod.currency) if self.cod else None,
            measured_weight_g=self.measured_weight_g,
        )


class DestinationIn(StrictBody):
    country: Country
    postcode: Short = ""
    city: Short = ""
    state: Short = ""
    district: Short = ""
    line1: Short = ""
    name: Short = ""

    def domain(self) -> Address:
        return Address(name=self.name, country=self.country, line1=self.line1, city=self.city, state=self.state,
                       district=self.district, postcode=self.postcode)


class RatesIn(StrictBody):
    parcel: ParcelIn | None = Field(None, description="Quote a parcel (with `destination`) ...")
    destination: DestinationIn | None = None
    order_sn: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{6,32}$")] | None = Field(
        None, description="... or a package of a synced Shopee order.")
    package_number: Short | None = None
    shop_id: int | None = Field(None, gt=0)
    market: Country | None = None
    channel_id: int | None = None
    channel_integrated: bool = Field(False, description="True: the buyer's Shopee channel ships it; no carrier choice.")
    ship_by: datetime | None = None
    currency: CurrencyCode | None = Field(None, description="Compare prices in this currency (needs `fx`).")
    fx: dict[CurrencyCode, Decimal] = Field(default_factory=dict, description="Value of one unit in `currency`.")

    @model_validator(mode="after")
    def _one_subject(self) -> "RatesIn":
        if (self.parcel is None) == (self.order_sn is None):
            raise ValueError("give either parcel and destination, or order_sn")
        if self.parcel is not None and self.destination is None:
            raise ValueError("destination is required with parcel")
        return self


@router.post("/v1/rates", summary="Quote a parcel or an order's package, with the rules' choice explained")
@requires(router, Permission.RATES_QUOTE)
def quote_rates(body: Annotated[RatesIn, Body()], merchant_id: MerchantQuery = None) -> dict[str, Any]:
    rt = runtime()
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    if body.order_sn is not None:
        order = orders.get_order(rt.store, merchant, body.order_sn)
        facts = quoting.order_facts(order, body.package_number, body.channel_integrated)
    else:
        assert body.parcel is not None and body.destination is not None
        destination = body.destination.domain()
        facts = OrderFacts(shop_id=body.shop_id or 0, market=(body.market or destination.country),
                           channel_id=body.channel_id, channel_integrated=body.channel_integrated,
                           parcel=body.parcel.domain(), destination=destination, ship_by=body.ship_by)
    pricing = quoting.load_pricing(rt.store, merchant, decode_card, decode_rule)
    now = datetime.fromtimestamp(rt.clock.time(), tz=UTC)
    decision = quoting.rate(pricing, facts, now, fx=body.fx or None, currency=body.currency)
    return {"decision": decision.explanation(), "quotes": [q.as_dict() for q in decision.quotes]}
