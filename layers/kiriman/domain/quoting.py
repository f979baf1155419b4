"""Quote one parcel (or one package of a Shopee order): the accounts a merchant may use, their rate
cards, the merchant's rules, and the decision with its explanation.

A merchant ships with its own carrier accounts (priced by its own rate cards) and with the forwarder's
(priced by the forwarder's cards: what the forwarder charges). Stored documents are decoded by the
caller's decoders, so this module stays free of the edge schemas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from kiriman.carriers.catalog import CARRIERS
from kiriman.domain.carrier_accounts import CarrierAccount
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.domain.orders import Order
from kiriman.domain.parcels import Address, Item, Money, Parcel
from kiriman.domain.rate_cards import RateCardRecord
from kiriman.domain.rating import RateCard
from kiriman.domain.routing import Candidate, Decision, OrderFacts, Rule, decide
from kiriman.domain.rule_book import RuleRecord

PAGE = 100


class QuoteStore(Protocol):
    def list_carrier_accounts(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[CarrierAccount], str | None]: ...
    def list_rate_cards(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[RateCardRecord], str | None]: ...
    def list_rules(self, owner: str | None) -> list[RuleRecord]: ...


CardDecoder = Callable[[RateCardRecord, str], RateCard]  # (record, carrier) -> card
RuleDecoder = Callable[[RuleRecord], Rule]


@dataclass(frozen=True)
class Pricing:
    """Everything a decision needs for one merchant, loaded once (a worker can reuse it for a batch)."""

    accounts: tuple[CarrierAccount, ...]
    cards: tuple[RateCard, ...]
    rules: tuple[Rule, ...]

    def candidates(self) -> list[Candidate]:
        out = []
        for a in self.accounts:
            if not a.active:
                continue
            for service in a.services:
                out.append(Candidate(a.account_id, a.carrier, service, CARRIERS.get(a.carrier)))
        return out


def _all(fetch: Callable[[int, str | None], tuple[list[Any], str | None]]) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    while True:
        page, cursor = fetch(PAGE, cursor)
        items.extend(page)
        if not cursor:
            return items


def load_pricing(store: QuoteStore, merchant_id: str, decode_card: CardDecoder, decode_rule: RuleDecoder) -> Pricing:
    accounts: list[CarrierAccount] = []
    cards: list[RateCard] = []
    for owner in (merchant_id, None):
        mine: list[CarrierAccount] = _all(lambda n, c, o=owner: store.list_carrier_accounts(o, n, c))  # type: ignore[misc]
        accounts.extend(mine)
        carrier_of = {a.account_id: a.carrier for a in mine}
        versions: dict[str, list[RateCardRecord]] = {}
        for record in _all(lambda n, c, o=owner: store.list_rate_cards(o, n, c)):  # type: ignore[misc]
            versions.setdefault(record.card_id, []).append(record)
        for records in versions.values():
            latest = max(records, key=lambda r: r.version)
            carrier = carrier_of.get(latest.account_id)
            if carrier is None or latest.retired:
                continue  # a retired card, or one for an account this owner does not hold, prices nothing
            cards.extend(decode_card(r, carrier) for r in records if not r.retired)
    rules = tuple(decode_rule(r) for r in store.list_rules(merchant_id))
    return Pricing(tuple(accounts), tuple(cards), rules)


def order_facts(order: Order, package_number: str | None, channel_integrated: bool) -> OrderFacts:
    """A Shopee package as a parcel: items with Shopee's per-item weight (kg) and the recipient address."""
    package = None
    if package_number is not None:
        package = next((p for p in order.packages if p.package_number == package_number), None)
        if package is None:
            raise NotFound(f"order {order.order_sn} has no package {package_number}")
    elif order.packages:
        package = order.packages[0]
    wanted: dict[tuple[Any, Any], int] = {}
    if package is not None and package.items:
        for it in package.items:
            key = (it.get("item_id"), it.get("model_id"))
            wanted[key] = wanted.get(key, 0) + int(it.get("model_quantity") or it.get("quantity") or 0)
    items: list[Item] = []
    for it in order.items:
        key = (it.get("item_id"), it.get("model_id"))
        qty = wanted.get(key, 0) if wanted else int(it.get("model_quantity_purchased") or 0)
        if qty <= 0:
            continue
        weight_g = round(float(it.get("weight") or 0) * 1000)
        price = Decimal(str(it.get("model_discounted_price") or it.get("model_original_price") or 0))
        items.append(Item(description=str(it.get("item_name") or "item")[:255], quantity=qty, unit_weight_g=weight_g,
                          unit_value=price, sku=str(it.get("model_sku") or it.get("item_sku") or "")))
    if not items:
        raise InvalidInput("package_number", "the package has no items to ship")
    value = sum((i.unit_value * i.quantity for i in items), Decimal(0))
    r = order.recipient or {}
    destination = Address(
        name=str(r.get("name") or ""), country=str(r.get("region") or order.region).upper(),
        line1=str(r.get("full_address") or ""), city=str(r.get("city") or r.get("town") or ""),
        state=str(r.get("state") or ""), district=str(r.get("district") or ""), postcode=str(r.get("zipcode") or ""),
        phone=str(r.get("phone") or ""),
    )
    cod = Money(Decimal(str(order.total_amount or 0)), order.currency) if order.cod else None
    parcel = Parcel(items=tuple(items), declared_value=Money(value, order.currency), cod=cod)
    channel = package.logistics_channel_id if package is not None else None
    ship_by = datetime.fromtimestamp(order.ship_by_date).astimezone() if order.ship_by_date else None
    return OrderFacts(shop_id=order.shop_id, market=order.region.upper(), channel_id=channel,
                      channel_integrated=channel_integrated, parcel=parcel, destination=destination, ship_by=ship_by)


def rate(pricing: Pricing, facts: OrderFacts, now: datetime, fx: Mapping[str, Decimal] | None = None,
         currency: str | None = None) -> Decision:
    return decide(pricing.rules, facts, pricing.candidates(), pricing.cards, now, fx=fx, currency=currency)
