"""Rate cards and quoting: what a contract says a parcel costs, line by line, without calling a carrier.

A card is versioned per (carrier account, service) with effective dates, so a price can be explained
later from the card version that produced it. Patterns follow the reference (carriers.md §7):
first weight + additional weight (首重 / 续重) or flat "up to X kg" brackets, zones by postcode prefix or
region, and fuel / remote-area / COD / insurance surcharges.

Rounding rule (so a breakdown always adds up): each breakdown line is rounded half-up to the card
currency's minor unit on its own, and the price is the sum of the rounded lines. Percentage surcharges
are taken from the *rounded* line they refer to (fuel from the rounded freight line), as on an invoice.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from kiriman.domain.errors import DomainError, FieldProblem
from kiriman.domain.parcels import Address, Money, Parcel, normalise_postcode

VolumetricRule = Literal["full", "none", "half", "threshold_half"]
ChargeKind = Literal["freight", "per_piece", "fuel", "remote_area", "cod_fee", "insurance"]
NoRateReason = Literal[
    "no_card",
    "card_expired",
    "card_not_yet_valid",
    "outside_service_area",
    "overweight",
    "cod_not_offered",
    "currency_mismatch",
]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class NoRate(DomainError):
    """A card cannot price this parcel. ``reason_code`` is for machines, ``reason`` for people."""

    code = "no_rate"
    status = 422

    def __init__(self, reason_code: NoRateReason, reason: str, field: str = "") -> None:
        super().__init__(reason, [FieldProblem(field, reason)] if field else None)
        self.reason_code: NoRateReason = reason_code
        self.reason = reason
        self.field = field


class _PrefixSet:
    """Longest-prefix lookup in a few dict probes: one per distinct prefix length, longest first."""

    __slots__ = ("_lengths", "_map")

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self._map = dict(mapping)
        self._lengths = tuple(sorted({len(p) for p in self._map}, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._map)

    def longest(self, postcode: str) -> tuple[str, Any] | None:
        n = len(postcode)
        for length in self._lengths:
            if length <= n:
                hit = self._map.get(postcode[:length])
                if hit is not None:
                    return postcode[:length], hit
        return None


@dataclass(frozen=True)
class Bracket:
    up_to_g: int
    price: Decimal


@dataclass(frozen=True)
class Zone:
    """One destination zone and its prices.

    Brackets, when given, replace first + step pricing; above the last bracket the step pricing
    continues from the last bracket's price if ``step_g`` > 0, else the zone does not serve the weight.
    """

    id: str
    name: str
    country: str
    regions: frozenset[str] = frozenset()  # lower-case state / province names
    postcode_prefixes: frozenset[str] = frozenset()
    remote: bool = False
    transit_days_min: int = 1
    transit_days_max: int = 3
    first_weight_g: int = 0
    first_price: Decimal = _ZERO
    step_g: int = 0
    step_price: Decimal = _ZERO
    brackets: tuple[Bracket, ...] = ()
    per_piece_fee: Decimal = _ZERO  # per parcel: the line-haul "registration / handling fee" (§7.2)
    cod_allowed: bool = True
    _limits: tuple[int, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        brackets = tuple(sorted(self.brackets, key=lambda b: b.up_to_g))
        object.__setattr__(self, "brackets", brackets)
        object.__setattr__(self, "_limits", tuple(b.up_to_g for b in brackets))

    @property
    def country_wide(self) -> bool:
        return not self.postcode_prefixes and not self.regions

    def freight(self, weight_g: int) -> tuple[Decimal, str] | None:
        """Price and basis for a chargeable weight, or None when the zone has no price that high."""
        if self.brackets:
            i = bisect_left(self._limits, weight_g)
            if i < len(self.brackets):
                b = self.brackets[i]
                return b.price, f"up to {b.up_to_g} g {b.price}"
            last = self.brackets[-1]
            if self.step_g <= 0:
                return None
            n = -(-(weight_g - last.up_to_g) // self.step_g)
            price = last.price + n * self.step_price
            return price, f"up to {last.up_to_g} g {last.price} + {n} × {self.step_g} g at {self.step_price}"
        if weight_g <= self.first_weight_g:
            return self.first_price, f"first {self.first_weight_g} g {self.first_price}"
        if self.step_g <= 0:
            return None
        # Weight exactly on a break is that many steps, not one more: 1000 g = first 500 + 1 × 500.
        n = -(-(weight_g - self.first_weight_g) // self.step_g)
        price = self.first_price + n * self.step_price
        if self.first_weight_g == 0 and self.first_price == 0:
            return price, f"{n} × {self.step_g} g at {self.step_price}"
        first = f"first {self.first_weight_g} g {self.first_price}"
        return price, f"{first} + {n} × {self.step_g} g at {self.step_price}"


@dataclass(frozen=True)
class Surcharges:
    """Percentages are in percent (``Decimal("12.5")`` is 12.5 %); fees are in the card's currency.

    Fuel is a percentage of the freight line only, not of the per-parcel fee or other surcharges: the
    fuel surcharge is published as a share of the transport charge (§7.2 "fuel surcharge (% of
    freight, changes monthly)"), while the per-parcel fee is handling, not transport.
    """

    fuel_pct: Decimal = _ZERO
    remote_area_fee: Decimal = _ZERO  # flat; when the zone is remote or the postcode is listed below
    remote_postcode_prefixes: frozenset[str] = frozenset()  # ODA lists are published by postcode (§7.2)
    cod_fee_pct: Decimal = _ZERO  # of the COD amount, at least cod_fee_min
    cod_fee_min: Decimal = _ZERO
    insurance_pct: Decimal = _ZERO  # of the declared value, at least insurance_min
    insurance_min: Decimal = _ZERO
    insurance_threshold: Decimal = _ZERO  # insurance applies when the declared value is above this
    _remote: _PrefixSet = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        prefixes = {normalise_postcode(p): True for p in self.remote_postcode_prefixes if p.strip()}
        object.__setattr__(self, "_remote", _PrefixSet(prefixes))

    def remote_prefix(self, postcode: str) -> str | None:
        hit = self._remote.longest(postcode)
        return hit[0] if hit else None


class _CountryZones:
    __slots__ = ("by_prefix", "by_region", "whole")

    def __init__(self, zones: list[Zone]) -> None:
        prefixes: dict[str, Zone] = {}
        regions: dict[str, Zone] = {}
        whole: Zone | None = None
        for z in zones:  # on a duplicate the first zone wins; the API refuses duplicates anyway
            for p in z.postcode_prefixes:
                prefixes.setdefault(normalise_postcode(p), z)
            for r in z.regions:
                regions.setdefault(r.strip().lower(), z)
            if z.country_wide and whole is None:
                whole = z
        self.by_prefix = _PrefixSet(prefixes)
        self.by_region = regions
        self.whole = whole


@dataclass(frozen=True)
class RateCard:
    id: str
    merchant_id: str
    carrier: str
    account_id: str
    service: str
    version: int
    valid_from: datetime  # timezone-aware; valid_to is exclusive
    valid_to: datetime | None
    currency: str
    divisor: int  # volumetric: L × W × H (cm) / divisor = kg (5000 express, 6000 IATA / most SEA domestic)
    volumetric_rule: VolumetricRule
    rounding_step_g: int
    min_chargeable_g: int
    max_weight_g: int | None  # on the chargeable weight: above it the card has no price
    origin_country: str
    zones: tuple[Zone, ...]
    surcharges: Surcharges = field(default_factory=Surcharges)
    volumetric_threshold_pct: Decimal = _ZERO  # threshold_half: gap over actual weight, in percent
    _index: dict[str, _CountryZones] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.valid_from.tzinfo is None or (self.valid_to is not None and self.valid_to.tzinfo is None):
            raise ValueError("rate card dates must be timezone-aware")
        if self.rounding_step_g <= 0:
            raise ValueError("rounding_step_g must be > 0 (1 rounds to the gram)")
        by_country: dict[str, list[Zone]] = {}
        for z in self.zones:
            by_country.setdefault(z.country.upper(), []).append(z)
        # Built once per card: quoting is a few dict probes, however many zones the card has.
        object.__setattr__(self, "_index", {c: _CountryZones(zs) for c, zs in by_country.items()})

    def effective_at(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def zone_for(self, destination: Address, prefix: str = "recipient") -> Zone:
        """Longest matching postcode prefix, else a region (state, then city), else the country-wide zone."""
        country = destination.country.upper()
        zones = self._index.get(country)
        if zones is None:
            raise NoRate(
                "outside_service_area", f"outside service area: {prefix}.country {country}", f"{prefix}.country"
            )
        postcode = normalise_postcode(destination.postcode)
        if postcode:
            hit = zones.by_prefix.longest(postcode)
            if hit is not None:
                zone: Zone = hit[1]
                return zone
        if zones.by_region:
            for name in (destination.state, destination.city):
                if name:
                    z = zones.by_region.get(name.strip().lower())
                    if z is not None:
                        return z
        if zones.whole is not None:
            return zones.whole
        if zones.by_prefix or not zones.by_region:
            where = f"{prefix}.postcode"
            reason = f"outside service area: {where} {postcode or '(empty)'}"
        else:
            where = f"{prefix}.state"
            reason = f"outside service area: {where} {destination.state or '(empty)'}"
        raise NoRate("outside_service_area", reason, where)

    def chargeable_weight_g(self, actual_g: int, volumetric_g: int) -> int:
        """Per the volumetric rule, then the minimum, then rounded up to the card's step.

        "full" is the carriers' published rule, whichever is higher (J&T MY: L × W × H / 6000 domestic,
        / 5000 international, https://jtexpress.my/faqdetails.php?faq_id=20). Rounding *up* to the step
        is how fractions are billed (Pos Malaysia: "increase fractions of a weight to the next full
        kilogram", http://www.pos.com.my/pos/services/fast_mail/care/volum.aspx).

        "half": the average of actual and volumetric; "threshold_half": the average only when the
        volumetric weight exceeds the actual by more than ``volumetric_threshold_pct``, else the actual
        weight. These are consolidators' billing variants (https://news.vtnation.com.my/volumetric/;
        https://www.buymall.com.my/en/site/helpcenter/volumetric.html states its threshold as a 20 kg
        gap rather than a percentage; https://ics-couriers.com/en/info/volume-weight/ counts a parcel
        as bulky from a 30 % excess). The average never goes below the actual weight.
        """
        w = actual_g
        if volumetric_g > actual_g and self.volumetric_rule != "none":
            if self.volumetric_rule == "full":
                w = volumetric_g
            elif self.volumetric_rule == "half" or self._gap_over_threshold(actual_g, volumetric_g):
                w = (actual_g + volumetric_g + 1) // 2  # the average, rounded up to the gram
        w = max(w, self.min_chargeable_g)
        step = self.rounding_step_g
        return -(-w // step) * step

    def _gap_over_threshold(self, actual_g: int, volumetric_g: int) -> bool:
        if actual_g <= 0:
            return True
        return (volumetric_g - actual_g) * _HUNDRED > self.volumetric_threshold_pct * actual_g


def _convert(amount: Decimal, frm: str, to: str, fx: Mapping[str, Decimal] | None) -> Decimal | None:
    """``fx`` gives each currency's value in one common currency (which is listed as 1)."""
    if frm == to:
        return amount
    if not fx or frm not in fx or to not in fx or not fx[to]:
        return None
    return amount * fx[frm] / fx[to]


@dataclass(frozen=True)
class Charge:
    kind: ChargeKind
    amount: Money
    basis: str


@dataclass(frozen=True)
class Quote:
    carrier: str
    account_id: str
    service: str
    card_id: str
    card_version: int
    zone_id: str
    price: Money
    breakdown: tuple[Charge, ...]
    actual_weight_g: int
    volumetric_weight_g: int
    chargeable_weight_g: int
    transit_days_min: int
    transit_days_max: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as strings, so no float ever touches money)."""
        return {
            "carrier": self.carrier,
            "account_id": self.account_id,
            "service": self.service,
            "card_id": self.card_id,
            "card_version": self.card_version,
            "zone_id": self.zone_id,
            "price": str(self.price.amount),
            "currency": self.price.currency,
            "breakdown": [{"kind": c.kind, "amount": str(c.amount.amount), "basis": c.basis} for c in self.breakdown],
            "actual_weight_g": self.actual_weight_g,
            "volumetric_weight_g": self.volumetric_weight_g,
            "chargeable_weight_g": self.chargeable_weight_g,
            "transit_days": [self.transit_days_min, self.transit_days_max],
        }


def _check_effective(card: RateCard, at: datetime) -> None:
    if at < card.valid_from:
        raise NoRate(
            "card_not_yet_valid",
            f"rate card {card.id} v{card.version} is valid from {card.valid_from.isoformat()}",
        )
    if card.valid_to is not None and at >= card.valid_to:
        raise NoRate("card_expired", f"rate card {card.id} v{card.version} expired {card.valid_to.isoformat()}")


def select_card(cards: Iterable[RateCard], account_id: str, service: str, at: datetime) -> RateCard:
    """The highest version effective at ``at`` for the account and service."""
    best: RateCard | None = None
    expired: RateCard | None = None
    upcoming: RateCard | None = None
    for card in cards:
        if card.account_id != account_id or card.service != service:
            continue
        if card.effective_at(at):
            if best is None or (card.version, card.valid_from) > (best.version, best.valid_from):
                best = card
        elif at < card.valid_from:
            upcoming = card if upcoming is None or card.valid_from < upcoming.valid_from else upcoming
        else:
            expired = card if expired is None or card.version > expired.version else expired
    if best is not None:
        return best
    if expired is not None:  # the more useful news: the contract lapsed
        _check_effective(expired, at)
    if upcoming is not None:
        _check_effective(upcoming, at)
    raise NoRate("no_card", f"no rate card for account {account_id} service {service}")


def _line(kind: ChargeKind, amount: Decimal, currency: str, basis: str) -> Charge:
    return Charge(kind, Money(amount, currency).rounded(), basis)


def quote(
    card: RateCard,
    parcel: Parcel,
    destination: Address,
    at: datetime,
    *,
    fx: Mapping[str, Decimal] | None = None,
) -> Quote:
    """Price ``parcel`` to ``destination`` on ``card`` as of ``at``; raises :class:`NoRate`.

    ``fx`` is only needed when the COD amount or the declared value is in another currency than the
    card (COD and insurance fees are computed in the card's currency).
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    _check_effective(card, at)
    zone = card.zone_for(destination)
    actual = parcel.actual_weight_g
    volumetric = parcel.volumetric_weight_g(card.divisor)
    chargeable = card.chargeable_weight_g(actual, volumetric)
    if card.max_weight_g is not None and chargeable > card.max_weight_g:
        raise NoRate(
            "overweight",
            f"chargeable weight {chargeable} g is over the card's maximum {card.max_weight_g} g",
            "parcel.weight",
        )
    priced = zone.freight(chargeable)
    if priced is None:
        raise NoRate("overweight", f"zone {zone.id} has no price above its last weight break", "parcel.weight")
    cur = card.currency
    s = card.surcharges
    freight = _line("freight", priced[0], cur, priced[1])
    lines = [freight]
    if zone.per_piece_fee:
        lines.append(_line("per_piece", zone.per_piece_fee, cur, f"per-parcel fee {zone.per_piece_fee}"))
    if s.fuel_pct:
        base = freight.amount.amount
        lines.append(_line("fuel", base * s.fuel_pct / _HUNDRED, cur, f"{s.fuel_pct}% of freight {base}"))
    if s.remote_area_fee:
        postcode = normalise_postcode(destination.postcode)
        hit = s.remote_prefix(postcode) if postcode else None
        if zone.remote or hit is not None:
            why = f"remote zone {zone.id}" if zone.remote else f"remote postcode {postcode} (prefix {hit})"
            lines.append(_line("remote_area", s.remote_area_fee, cur, why))
    if parcel.is_cod:
        if not zone.cod_allowed:
            raise NoRate("cod_not_offered", f"COD is not offered in zone {zone.id}", "parcel.cod")
        if s.cod_fee_pct or s.cod_fee_min:
            cod = parcel.cod
            assert cod is not None  # is_cod says so
            amount = _convert(cod.amount, cod.currency, cur, fx)
            if amount is None:
                raise NoRate("currency_mismatch", f"no fx rate for COD in {cod.currency} to {cur}", "parcel.cod")
            fee = max(amount * s.cod_fee_pct / _HUNDRED, s.cod_fee_min)
            lines.append(
                _line("cod_fee", fee, cur, f"{s.cod_fee_pct}% of COD {cod.amount} {cod.currency} (min {s.cod_fee_min})")
            )
    if s.insurance_pct or s.insurance_min:
        dv = parcel.declared_value
        value = _convert(dv.amount, dv.currency, cur, fx) if dv.amount else _ZERO
        if value is None:
            raise NoRate(
                "currency_mismatch",
                f"no fx rate for the declared value in {dv.currency} to {cur}",
                "parcel.declared_value",
            )
        if value > s.insurance_threshold:
            fee = max(value * s.insurance_pct / _HUNDRED, s.insurance_min)
            lines.append(
                _line(
                    "insurance",
                    fee,
                    cur,
                    f"{s.insurance_pct}% of declared value {dv.amount} {dv.currency} "
                    f"(min {s.insurance_min}, above {s.insurance_threshold})",
                )
            )
    total = sum((c.amount.amount for c in lines), _ZERO)
    return Quote(
        carrier=card.carrier,
        account_id=card.account_id,
        service=card.service,
        card_id=card.id,
        card_version=card.version,
        zone_id=zone.id,
        price=Money(total, cur).rounded(),
        breakdown=tuple(lines),
        actual_weight_g=actual,
        volumetric_weight_g=volumetric,
        chargeable_weight_g=chargeable,
        transit_days_min=zone.transit_days_min,
        transit_days_max=zone.transit_days_max,
    )
