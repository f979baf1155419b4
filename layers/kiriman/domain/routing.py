"""Routing: which carrier account and service ships a package, and why.

A merchant's rules are walked in a fixed order (the shop's own rules, then merchant-wide ones, each by
ascending priority); the first enabled rule whose conditions all hold picks the candidates (allow /
exclude) and the strategy. The decision keeps everything needed to explain it later: the rule, every
candidate left out and why, and the quotes compared. Running out of candidates is a decision with no
choice, not an exception: the caller parks the package for a person.

A buyer who picked a Shopee-integrated channel at checkout is honoured as is: Shopee arranges that
carrier (carriers.md §10), so rules do not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from kiriman.carriers import areas
from kiriman.carriers.base import CarrierInfo
from kiriman.domain.errors import InvalidInput
from kiriman.domain.parcels import Address, Money, Parcel
from kiriman.domain.rating import NoRate, Quote, RateCard, quote, select_card

Strategy = Literal["cheapest", "fastest", "best_on_time", "fixed"]
STRATEGIES: tuple[Strategy, ...] = ("cheapest", "fastest", "best_on_time", "fixed")
SHOPEE_CHANNEL = "shopee_channel"  # Decision.strategy when the buyer's integrated channel is honoured
MISSES_SHIP_BY = "misses ship-by"
NOT_FIXED = "not the rule's fixed account / service"
EXPLAIN_MAX_RULES = 20  # rules listed as "not matched" in an explanation; the count is always complete


class _View:
    """The order facts rules read, computed once per decision instead of once per rule."""

    __slots__ = (
        "categories",
        "channel_id",
        "cod",
        "declared",
        "hours_left",
        "longest_cm",
        "market",
        "skus",
        "weight_g",
    )

    def __init__(self, facts: OrderFacts, now: datetime) -> None:
        parcel = facts.parcel
        self.market = facts.market.upper()
        self.channel_id = facts.channel_id
        self.weight_g = parcel.actual_weight_g
        self.longest_cm = parcel.dimensions.sides[0] if parcel.dimensions is not None else None
        self.declared = parcel.declared_value.amount
        self.cod = parcel.is_cod
        self.categories = frozenset(c.lower() for c in parcel.categories)
        self.skus = parcel.skus
        self.hours_left = (facts.ship_by - now).total_seconds() / 3600 if facts.ship_by is not None else None


Check = Callable[[_View], bool]


def _compile(c: Conditions) -> tuple[tuple[str, Check], ...]:
    """Only the conditions a rule sets become checks, cheapest and most selective first."""
    checks: list[tuple[str, Check]] = []
    if c.markets:
        markets = frozenset(m.upper() for m in c.markets)
        checks.append(("markets", lambda v: v.market in markets))
    if c.channel_ids:
        channels = c.channel_ids
        checks.append(("channel_ids", lambda v: v.channel_id in channels))
    if c.cod is not None:
        cod = c.cod
        checks.append(("cod", lambda v: v.cod is cod))
    if c.min_weight_g is not None:
        lo = c.min_weight_g
        checks.append(("min_weight_g", lambda v: v.weight_g >= lo))
    if c.max_weight_g is not None:
        hi = c.max_weight_g
        checks.append(("max_weight_g", lambda v: v.weight_g <= hi))
    if c.min_declared_value is not None:
        dlo = c.min_declared_value
        checks.append(("min_declared_value", lambda v: v.declared >= dlo))
    if c.max_declared_value is not None:
        dhi = c.max_declared_value
        checks.append(("max_declared_value", lambda v: v.declared <= dhi))
    if c.max_longest_side_cm is not None:
        side = c.max_longest_side_cm
        # Unknown dimensions do not match: a "small parcels" rule must not catch a box nobody measured.
        checks.append(("max_longest_side_cm", lambda v: v.longest_cm is not None and v.longest_cm <= side))
    if c.ship_by_within_hours is not None:
        hours = c.ship_by_within_hours
        checks.append(("ship_by_within_hours", lambda v: v.hours_left is not None and v.hours_left < hours))
    if c.categories_any:
        categories = frozenset(x.lower() for x in c.categories_any)
        checks.append(("categories_any", lambda v: not categories.isdisjoint(v.categories)))
    if c.skus_any:
        skus = c.skus_any
        checks.append(("skus_any", lambda v: not skus.isdisjoint(v.skus)))
    return tuple(checks)


@dataclass(frozen=True)
class Conditions:
    """All optional; an empty set or None does not restrict. Bounds are inclusive.

    Weights are the parcel's actual weight (rules run before a card is chosen, so there is no single
    chargeable weight yet); declared values are in the parcel's own currency. Categories compare
    case-insensitively; SKUs exactly.
    """

    markets: frozenset[str] = frozenset()
    channel_ids: frozenset[int] = frozenset()
    min_weight_g: int | None = None
    max_weight_g: int | None = None
    max_longest_side_cm: Decimal | None = None
    min_declared_value: Decimal | None = None
    max_declared_value: Decimal | None = None
    cod: bool | None = None
    categories_any: frozenset[str] = frozenset()
    skus_any: frozenset[str] = frozenset()
    ship_by_within_hours: float | None = None
    _checks: tuple[tuple[str, Check], ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_checks", _compile(self))

    def first_failing(self, view: _View) -> str | None:
        for name, check in self._checks:
            if not check(view):
                return name
        return None


@dataclass(frozen=True)
class Action:
    """``allow`` / ``exclude`` hold carrier slugs or account ids; an empty ``allow`` allows all.

    With ``fixed`` and no ``fixed_service``, the cheapest of that account's services is used.
    """

    allow: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    strategy: Strategy = "cheapest"
    fixed_account_id: str | None = None
    fixed_service: str | None = None

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}")
        if self.strategy == "fixed" and not self.fixed_account_id:
            raise ValueError("strategy 'fixed' needs fixed_account_id")


DEFAULT_ACTION = Action()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    priority: int  # lower runs first
    shop_id: int | None  # None: merchant-wide
    enabled: bool
    conditions: Conditions
    action: Action


@dataclass(frozen=True)
class OrderFacts:
    shop_id: int
    market: str
    channel_id: int | None  # Shopee logistics_channel_id the buyer chose
    channel_integrated: bool
    parcel: Parcel
    destination: Address
    ship_by: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    account_id: str
    carrier: str
    service: str
    info: CarrierInfo | None = None
    on_time_score: float | None = None  # share of recent parcels delivered on time, 0..1
    handover_hours: float = 0.0  # from now until the carrier has the parcel (next pickup or drop-off)


@dataclass(frozen=True)
class Exclusion:
    account_id: str
    carrier: str
    service: str
    reason: str


@dataclass(frozen=True)
class Compared:
    """A rated candidate and its price in the currency the comparison used."""

    candidate: Candidate
    quote: Quote
    price: Money


@dataclass(frozen=True)
class Decision:
    chosen: Candidate | None
    quote: Quote | None
    rule_id: str | None
    rule_name: str | None
    strategy: str
    excluded: tuple[Exclusion, ...]
    quotes: tuple[Quote, ...]  # the quotes compared, best first
    reason: str
    compared: tuple[Compared, ...] = ()  # same order as ``quotes``, with the converted prices
    rules_checked: int = 0
    not_matched: tuple[tuple[str, str], ...] = ()  # (rule id, first condition that failed), in walk order
    channel_id: int | None = None

    def explanation(self) -> dict[str, Any]:
        """JSON-ready (Decimals as strings), stored on the shipment."""
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "reason": self.reason,
            "rule": {"id": self.rule_id, "name": self.rule_name} if self.rule_id is not None else None,
            "rules_checked": self.rules_checked,
            "rules_not_matched": [
                {"rule_id": rid, "failed": cond} for rid, cond in self.not_matched[:EXPLAIN_MAX_RULES]
            ],
            "chosen": None,
            "compared": [
                {
                    "account_id": c.candidate.account_id,
                    "carrier": c.candidate.carrier,
                    "service": c.candidate.service,
                    "price": str(c.quote.price.amount),
                    "currency": c.quote.price.currency,
                    "compared_price": str(c.price.amount),
                    "compared_currency": c.price.currency,
                    "transit_days": [c.quote.transit_days_min, c.quote.transit_days_max],
                    "on_time_score": c.candidate.on_time_score,
                }
                for c in self.compared
            ],
            "excluded": [
                {"account_id": e.account_id, "carrier": e.carrier, "service": e.service, "reason": e.reason}
                for e in self.excluded
            ],
        }
        if self.channel_id is not None:
            out["channel_id"] = self.channel_id
        if self.chosen is not None:
            out["chosen"] = {
                "account_id": self.chosen.account_id,
                "carrier": self.chosen.carrier,
                "service": self.chosen.service,
                "quote": self.quote.as_dict() if self.quote is not None else None,
            }
        return out


def _rule_order(r: Rule) -> tuple[int, int, str]:
    return (0 if r.shop_id is not None else 1, r.priority, r.id)


class RuleBook:
    """A merchant's rules, put in walking order once per shop instead of once per decision.

    Build one when the rules are loaded and pass it to :func:`decide` for every package; a plain list
    works too but is sorted on each call. Treat it as immutable: a changed rule means a new book.
    """

    __slots__ = ("_walks", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        self._walks: dict[int, tuple[Rule, ...]] = {}

    def walk(self, shop_id: int) -> tuple[Rule, ...]:
        """Enabled rules for the shop: its own first, then merchant-wide, each by priority (ties by id)."""
        ordered = self._walks.get(shop_id)
        if ordered is None:
            mine = (r for r in self.rules if r.enabled and (r.shop_id is None or r.shop_id == shop_id))
            ordered = tuple(sorted(mine, key=_rule_order))
            self._walks[shop_id] = ordered
        return ordered


def match_rule(
    rules: Iterable[Rule] | RuleBook, facts: OrderFacts, now: datetime
) -> tuple[Rule | None, list[tuple[str, str]]]:
    """The first rule that holds, and (id, failed condition) for each one walked past."""
    book = rules if isinstance(rules, RuleBook) else RuleBook(rules)
    view = _View(facts, now)
    passed: list[tuple[str, str]] = []
    for r in book.walk(facts.shop_id):
        for name, check in r.conditions._checks:  # inlined first_failing: this loop is the hot path
            if not check(view):
                passed.append((r.id, name))
                break
        else:
            return r, passed
    return None, passed


def _shopee_channel(facts: OrderFacts, candidates: Sequence[Candidate]) -> Decision:
    service = str(facts.channel_id) if facts.channel_id is not None else ""
    chosen = next(
        (c for c in candidates if c.carrier == "shopee" and c.service == service),
        Candidate(account_id="shopee", carrier="shopee", service=service),
    )
    return Decision(
        chosen=chosen,
        quote=None,
        rule_id=None,
        rule_name=None,
        strategy=SHOPEE_CHANNEL,
        excluded=(),
        quotes=(),
        reason=f"buyer chose Shopee-integrated channel {service or '(unknown)'}: "
        "Shopee arranges the carrier, so rules were not applied",
        channel_id=facts.channel_id,
    )


def _majority_currency(quotes: Iterable[Quote]) -> str:
    counts: dict[str, int] = {}
    for q in quotes:
        counts[q.price.currency] = counts.get(q.price.currency, 0) + 1
    return min(counts, key=lambda c: (-counts[c], c))


def _sort_key(strategy: str) -> Callable[[Compared], tuple[Any, ...]]:
    if strategy == "fastest":
        return lambda c: (c.quote.transit_days_max, c.price.amount, c.candidate.account_id, c.candidate.service)
    if strategy == "best_on_time":

        def on_time(c: Compared) -> tuple[Any, ...]:
            score = c.candidate.on_time_score
            return (score is None, -(score or 0.0), c.price.amount, c.candidate.account_id, c.candidate.service)

        return on_time
    return lambda c: (c.price.amount, c.quote.transit_days_max, c.candidate.account_id, c.candidate.service)


def _outside_area(carrier: str, destination: Address) -> str | None:
    try:
        areas.check(carrier, destination)
    except InvalidInput as exc:
        return f"outside the service area: {exc.message}"
    return None


def decide(
    rules: Iterable[Rule] | RuleBook,
    facts: OrderFacts,
    candidates: Sequence[Candidate],
    cards: Iterable[RateCard],
    now: datetime,
    fx: Mapping[str, Decimal] | None = None,
    currency: str | None = None,
) -> Decision:
    """Pick a carrier account and service for one package.

    ``rules`` may be a :class:`RuleBook` built once for many decisions (the list is then not re-sorted).
    ``fx`` maps each currency to its value in ``currency`` (e.g. ``{"SGD": Decimal("26.5")}`` with
    ``currency="THB"``); prices are compared in ``currency``. Without ``currency``, prices are compared
    in the currency most quotes share, and quotes in another currency are left out with the reason.
    """
    if facts.channel_integrated:
        return _shopee_channel(facts, candidates)

    rule, passed = match_rule(rules, facts, now)
    action = rule.action if rule is not None else DEFAULT_ACTION
    strategy = action.strategy
    country = facts.destination.country.upper()
    excluded: list[Exclusion] = []

    def leave_out(c: Candidate, reason: str) -> None:
        excluded.append(Exclusion(c.account_id, c.carrier, c.service, reason))

    pool: list[Candidate] = []
    for c in candidates:
        if strategy == "fixed" and (
            c.account_id != action.fixed_account_id
            or (action.fixed_service is not None and c.service != action.fixed_service)
        ):
            leave_out(c, NOT_FIXED)
        elif action.allow and c.carrier not in action.allow and c.account_id not in action.allow:
            leave_out(c, "not in the rule's allow list")
        elif c.carrier in action.exclude or c.account_id in action.exclude:
            leave_out(c, "excluded by the rule")
        elif c.info is not None and country not in c.info.countries:
            leave_out(c, f"{c.carrier} does not deliver to {country}")
        elif (outside := _outside_area(c.carrier, facts.destination)) is not None:
            leave_out(c, outside)
        elif (
            strategy == "fastest"
            and facts.ship_by is not None
            and now + timedelta(hours=c.handover_hours) > facts.ship_by
        ):
            handover = now + timedelta(hours=c.handover_hours)
            leave_out(c, f"{MISSES_SHIP_BY}: handover {handover.isoformat()} is after {facts.ship_by.isoformat()}")
        else:
            pool.append(c)

    rates: dict[str, Decimal] | None = None
    if currency is not None:
        rates = dict(fx or {})
        rates.setdefault(currency, Decimal(1))
    elif fx:
        rates = dict(fx)

    by_key: dict[tuple[str, str], list[RateCard]] = {}
    for card in cards:
        by_key.setdefault((card.account_id, card.service), []).append(card)

    rated: list[tuple[Candidate, Quote]] = []
    for c in pool:
        try:
            card = select_card(by_key.get((c.account_id, c.service), ()), c.account_id, c.service, now)
            rated.append((c, quote(card, facts.parcel, facts.destination, now, fx=rates)))
        except NoRate as e:
            leave_out(c, e.reason)

    compared: list[Compared] = []
    target = currency or (_majority_currency(q for _, q in rated) if rated else None)
    for c, q in rated:
        if target is None or q.price.currency == target:
            compared.append(Compared(c, q, q.price))
            continue
        if currency is None or rates is None or q.price.currency not in rates:
            leave_out(c, f"price in {q.price.currency} cannot be compared with {target}: no fx rate")
            continue
        compared.append(Compared(c, q, Money(q.price.amount * rates[q.price.currency], target)))
    compared.sort(key=_sort_key(strategy))

    rule_part = (
        f"rule {rule.name!r} ({rule.id}) matched"
        if rule is not None
        else f"no rule matched ({len(passed)} checked); default strategy cheapest"
    )
    if compared:
        best = compared[0]
        what = strategy.replace("_", " ")
        reason = (
            f"{rule_part}; {what} of {len(compared)} rated: {best.candidate.account_id} / "
            f"{best.candidate.service} at {best.quote.price.amount} {best.quote.price.currency}, "
            f"{best.quote.transit_days_min}-{best.quote.transit_days_max} days"
        )
        chosen, chosen_quote = best.candidate, best.quote
    else:
        chosen, chosen_quote = None, None
        if strategy == "fixed":
            mine = [e.reason for e in excluded if e.account_id == action.fixed_account_id and e.reason != NOT_FIXED]
            target_name = f"{action.fixed_account_id} / {action.fixed_service or 'any service'}"
            why = "; ".join(mine) if mine else "not among the candidates"
            reason = f"{rule_part}; fixed {target_name} unavailable: {why}"
        else:
            reason = f"{rule_part}; no candidate left ({len(excluded)} excluded)"
    return Decision(
        chosen=chosen,
        quote=chosen_quote,
        rule_id=rule.id if rule is not None else None,
        rule_name=rule.name if rule is not None else None,
        strategy=strategy,
        excluded=tuple(excluded),
        quotes=tuple(c.quote for c in compared),
        reason=reason,
        compared=tuple(compared),
        rules_checked=len(passed) + (1 if rule is not None else 0),
        not_matched=tuple(passed),
        channel_id=facts.channel_id,
    )
