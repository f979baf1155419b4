"""Rate cards and routing rules as JSON: the API bodies and the stored documents.

Bodies carry what a merchant writes; the server assigns ids, the version and (from the account) the
carrier. Cross-field rules fail on the field that is wrong (``zones.0.step_g``, ``valid_to``), so the
error envelope can point at it. Amounts are decimals (send strings such as ``"3.50"`` to keep exact
cents; JSON numbers are accepted). Each model builds the domain dataclasses with ``to_domain``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from kiriman.api.models import Label, Name, StrictBody
from kiriman.carriers.base import CARRIER_SLUGS
from kiriman.domain.parcels import MINOR_UNITS, normalise_postcode
from kiriman.domain.rate_cards import RateCardRecord
from kiriman.domain.rating import Bracket, RateCard, Surcharges, VolumetricRule, Zone
from kiriman.domain.routing import Action, Conditions, Rule, Strategy
from kiriman.domain.rule_book import RuleRecord
from kiriman.domain.warehouses import MARKETS

Ident = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
Country = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]
Grams = Annotated[int, Field(ge=0, le=1_000_000)]
Prefix = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$")]
Region = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)]


def _fail(title: str, problems: list[tuple[tuple[str | int, ...], str, Any]]) -> None:
    """Raise one validation error per problem at its own field path (nested paths get the parent's prefix)."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(type=PydanticCustomError("invalid", msg), loc=loc, input=value)
                for loc, msg, value in problems
            ],
        )


def _prefixes(v: list[str]) -> list[str]:
    out = sorted({normalise_postcode(p) for p in v})
    if "" in out:
        raise ValueError("a postcode prefix must not be empty")
    return out


class BracketBody(StrictBody):
    up_to_g: int = Field(gt=0, le=1_000_000, description="Flat price for a chargeable weight up to this.")
    price: Amount


class ZoneBody(StrictBody):
    id: Ident
    name: Name
    country: Country = Field(description="ISO 3166-1 alpha-2 destination country.")
    regions: list[Region] = Field(default_factory=list, max_length=500, description="State / province names.")
    postcode_prefixes: list[Prefix] = Field(default_factory=list, max_length=20_000)
    remote: bool = False
    cod_allowed: bool = True
    transit_days_min: int = Field(default=1, ge=0, le=120)
    transit_days_max: int = Field(default=3, ge=0, le=120)
    first_weight_g: Grams = 0
    first_price: Amount = Decimal(0)
    step_g: Grams = Field(default=0, description="> 0 unless brackets are given; then the step continues past them.")
    step_price: Amount = Decimal(0)
    brackets: list[BracketBody] = Field(default_factory=list, max_length=200)
    per_piece_fee: Amount = Field(default=Decimal(0), description="Per parcel (registration / handling fee).")

    _norm_prefixes = field_validator("postcode_prefixes")(_prefixes)

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        return sorted(set(v))

    @model_validator(mode="after")
    def _consistent(self) -> ZoneBody:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.transit_days_max < self.transit_days_min:
            problems.append((("transit_days_max",), "must be >= transit_days_min", self.transit_days_max))
        if not self.brackets and self.step_g <= 0:
            problems.append((("step_g",), "must be > 0 when there are no brackets", self.step_g))
        for i in range(1, len(self.brackets)):
            if self.brackets[i].up_to_g <= self.brackets[i - 1].up_to_g:
                problems.append(
                    (("brackets", i, "up_to_g"), "brackets must be in increasing weight", self.brackets[i].up_to_g)
                )
        _fail("ZoneBody", problems)
        return self

    def to_domain(self) -> Zone:
        return Zone(
            id=self.id,
            name=self.name,
            country=self.country,
            regions=frozenset(self.regions),
            postcode_prefixes=frozenset(self.postcode_prefixes),
            remote=self.remote,
            transit_days_min=self.transit_days_min,
            transit_days_max=self.transit_days_max,
            first_weight_g=self.first_weight_g,
            first_price=self.first_price,
            step_g=self.step_g,
            step_price=self.step_price,
            brackets=tuple(Bracket(b.up_to_g, b.price) for b in self.brackets),
            per_piece_fee=self.per_piece_fee,
            cod_allowed=self.cod_allowed,
        )

    @classmethod
    def from_domain(cls, z: Zone) -> ZoneBody:
        return cls(
            id=z.id,
            name=z.name,
            country=z.country,
            regions=sorted(z.regions),
            postcode_prefixes=sorted(z.postcode_prefixes),
            remote=z.remote,
            cod_allowed=z.cod_allowed,
            transit_days_min=z.transit_days_min,
            transit_days_max=z.transit_days_max,
            first_weight_g=z.first_weight_g,
            first_price=z.first_price,
            step_g=z.step_g,
            step_price=z.step_price,
            brackets=[BracketBody(up_to_g=b.up_to_g, price=b.price) for b in z.brackets],
            per_piece_fee=z.per_piece_fee,
        )


class SurchargesBody(StrictBody):
    fuel_pct: Percent = Field(default=Decimal(0), description="Percent of the freight line.")
    remote_area_fee: Amount = Field(default=Decimal(0), description="Flat, in a remote zone or a listed postcode.")
    remote_postcode_prefixes: list[Prefix] = Field(default_factory=list, max_length=50_000)
    cod_fee_pct: Percent = Field(default=Decimal(0), description="Percent of the COD amount.")
    cod_fee_min: Amount = Decimal(0)
    insurance_pct: Percent = Field(default=Decimal(0), description="Percent of the declared value.")
    insurance_min: Amount = Decimal(0)
    insurance_threshold: Amount = Field(default=Decimal(0), description="Insurance applies above this declared value.")

    _norm_prefixes = field_validator("remote_postcode_prefixes")(_prefixes)

    def to_domain(self) -> Surcharges:
        return Surcharges(
            fuel_pct=self.fuel_pct,
            remote_area_fee=self.remote_area_fee,
            remote_postcode_prefixes=frozenset(self.remote_postcode_prefixes),
            cod_fee_pct=self.cod_fee_pct,
            cod_fee_min=self.cod_fee_min,
            insurance_pct=self.insurance_pct,
            insurance_min=self.insurance_min,
            insurance_threshold=self.insurance_threshold,
        )

    @classmethod
    def from_domain(cls, s: Surcharges) -> SurchargesBody:
        return cls(
            fuel_pct=s.fuel_pct,
            remote_area_fee=s.remote_area_fee,
            remote_postcode_prefixes=sorted(s.remote_postcode_prefixes),
            cod_fee_pct=s.cod_fee_pct,
            cod_fee_min=s.cod_fee_min,
            insurance_pct=s.insurance_pct,
            insurance_min=s.insurance_min,
            insurance_threshold=s.insurance_threshold,
        )


class RateCardBody(StrictBody):
    account_id: Ident
    service: Ident
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None = Field(
        default=None, description="Exclusive; null: until a newer version replaces it."
    )
    currency: Currency
    divisor: int = Field(default=5000, ge=1000, le=10_000, description="L × W × H (cm) / divisor = volumetric kg.")
    volumetric_rule: VolumetricRule = "full"
    volumetric_threshold_pct: Percent = Field(default=Decimal(0), description="threshold_half: gap over actual, in %.")
    rounding_step_g: int = Field(default=1, ge=1, le=100_000)
    min_chargeable_g: Grams = 0
    max_weight_g: int | None = Field(default=None, gt=0, le=1_000_000)
    origin_country: Country
    zones: list[ZoneBody] = Field(min_length=1, max_length=5000)
    surcharges: SurchargesBody = Field(default_factory=lambda: SurchargesBody())

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, v: str) -> str:
        # Only currencies whose minor unit we know: a price is rounded to it.
        if v not in MINOR_UNITS:
            raise ValueError(f"unsupported currency; expected one of {sorted(MINOR_UNITS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> RateCardBody:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            problems.append((("valid_to",), "must be after valid_from", self.valid_to.isoformat()))
        ids: set[str] = set()
        prefixes: dict[tuple[str, str], str] = {}
        regions: dict[tuple[str, str], str] = {}
        whole: dict[str, str] = {}
        for i, z in enumerate(self.zones):
            if z.id in ids:
                problems.append((("zones", i, "id"), "duplicate zone id", z.id))
            ids.add(z.id)
            for p in z.postcode_prefixes:
                other = prefixes.setdefault((z.country, p), z.id)
                if other != z.id:
                    problems.append((("zones", i, "postcode_prefixes"), f"prefix {p} is also in zone {other}", p))
            for r in z.regions:
                other = regions.setdefault((z.country, r), z.id)
                if other != z.id:
                    problems.append((("zones", i, "regions"), f"region {r!r} is also in zone {other}", r))
            if not z.postcode_prefixes and not z.regions:
                other = whole.setdefault(z.country, z.id)
                if other != z.id:
                    problems.append(
                        (("zones", i), f"a second country-wide zone for {z.country} (first: {other})", z.id)
                    )
        _fail("RateCardBody", problems)
        return self

    def to_domain(self, id: str, merchant_id: str, carrier: str, version: int) -> RateCard:
        return RateCard(
            id=id,
            merchant_id=merchant_id,
            carrier=carrier,
            account_id=self.account_id,
            service=self.service,
            version=version,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            currency=self.currency,
            divisor=self.divisor,
            volumetric_rule=self.volumetric_rule,
            rounding_step_g=self.rounding_step_g,
            min_chargeable_g=self.min_chargeable_g,
            max_weight_g=self.max_weight_g,
            origin_country=self.origin_country,
            zones=tuple(z.to_domain() for z in self.zones),
            surcharges=self.surcharges.to_domain(),
            volumetric_threshold_pct=self.volumetric_threshold_pct,
        )


class RateCardDoc(RateCardBody):
    """The stored form (and the API response): the body plus what the server assigned."""

    id: Ident
    merchant_id: Ident
    carrier: str
    version: int = Field(ge=1)

    @field_validator("carrier")
    @classmethod
    def _known_carrier(cls, v: str) -> str:
        if v not in CARRIER_SLUGS:
            raise ValueError(f"unknown carrier; expected one of {list(CARRIER_SLUGS)}")
        return v

    def to_domain(self) -> RateCard:  # type: ignore[override]
        return RateCardBody.to_domain(self, self.id, self.merchant_id, self.carrier, self.version)

    @classmethod
    def from_domain(cls, card: RateCard) -> RateCardDoc:
        return cls(
            id=card.id,
            merchant_id=card.merchant_id,
            carrier=card.carrier,
            version=card.version,
            account_id=card.account_id,
            service=card.service,
            valid_from=card.valid_from,
            valid_to=card.valid_to,
            currency=card.currency,
            divisor=card.divisor,
            volumetric_rule=card.volumetric_rule,
            volumetric_threshold_pct=card.volumetric_threshold_pct,
            rounding_step_g=card.rounding_step_g,
            min_chargeable_g=card.min_chargeable_g,
            max_weight_g=card.max_weight_g,
            origin_country=card.origin_country,
            zones=[ZoneBody.from_domain(z) for z in card.zones],
            surcharges=SurchargesBody.from_domain(card.surcharges),
        )


# --- routing rules --------------------------------------------------------------------------------
class ConditionsBody(StrictBody):
    markets: list[Country] = Field(default_factory=list, max_length=len(MARKETS))
    channel_ids: list[int] = Field(default_factory=list, max_length=200, description="Shopee logistics_channel_id.")
    min_weight_g: Grams | None = Field(default=None, description="Actual weight, inclusive.")
    max_weight_g: Grams | None = Field(default=None, description="Actual weight, inclusive.")
    max_longest_side_cm: Decimal | None = Field(default=None, gt=0, le=1000, max_digits=8, decimal_places=2)
    min_declared_value: Amount | None = Field(default=None, description="In the parcel's own currency, inclusive.")
    max_declared_value: Amount | None = Field(default=None, description="In the parcel's own currency, inclusive.")
    cod: bool | None = None
    categories_any: list[Label] = Field(default_factory=list, max_length=200)
    skus_any: list[Label] = Field(default_factory=list, max_length=1000)
    ship_by_within_hours: float | None = Field(
        default=None, gt=0, le=24 * 60, description="Ship-by is closer than this."
    )

    @field_validator("markets")
    @classmethod
    def _markets(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in MARKETS]
        if bad:
            raise ValueError(f"unknown market(s) {bad}; expected some of {list(MARKETS)}")
        return sorted(set(v))

    @field_validator("channel_ids")
    @classmethod
    def _channels(cls, v: list[int]) -> list[int]:
        if any(c <= 0 for c in v):
            raise ValueError("channel ids are positive integers")
        return sorted(set(v))

    @model_validator(mode="after")
    def _consistent(self) -> ConditionsBody:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.min_weight_g is not None and self.max_weight_g is not None and self.max_weight_g < self.min_weight_g:
            problems.append((("max_weight_g",), "must be >= min_weight_g", self.max_weight_g))
        lo, hi = self.min_declared_value, self.max_declared_value
        if lo is not None and hi is not None and hi < lo:
            problems.append((("max_declared_value",), "must be >= min_declared_value", str(hi)))
        _fail("ConditionsBody", problems)
        return self

    def to_domain(self) -> Conditions:
        return Conditions(
            markets=frozenset(self.markets),
            channel_ids=frozenset(self.channel_ids),
            min_weight_g=self.min_weight_g,
            max_weight_g=self.max_weight_g,
            max_longest_side_cm=self.max_longest_side_cm,
            min_declared_value=self.min_declared_value,
            max_declared_value=self.max_declared_value,
            cod=self.cod,
            categories_any=frozenset(self.categories_any),
            skus_any=frozenset(self.skus_any),
            ship_by_within_hours=self.ship_by_within_hours,
        )

    @classmethod
    def from_domain(cls, c: Conditions) -> ConditionsBody:
        return cls(
            markets=sorted(c.markets),
            channel_ids=sorted(c.channel_ids),
            min_weight_g=c.min_weight_g,
            max_weight_g=c.max_weight_g,
            max_longest_side_cm=c.max_longest_side_cm,
            min_declared_value=c.min_declared_value,
            max_declared_value=c.max_declared_value,
            cod=c.cod,
            categories_any=sorted(c.categories_any),
            skus_any=sorted(c.skus_any),
            ship_by_within_hours=c.ship_by_within_hours,
        )


class ActionBody(StrictBody):
    allow: list[Ident] = Field(default_factory=list, max_length=100, description="Carrier slugs or account ids.")
    exclude: list[Ident] = Field(default_factory=list, max_length=100, description="Carrier slugs or account ids.")
    strategy: Strategy = "cheapest"
    fixed_account_id: Ident | None = None
    fixed_service: Ident | None = Field(
        default=None, description="With fixed: null takes the account's cheapest service."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ActionBody:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.strategy == "fixed" and not self.fixed_account_id:
            problems.append((("fixed_account_id",), "required when strategy is fixed", None))
        if self.strategy != "fixed":
            if self.fixed_account_id is not None:
                problems.append((("fixed_account_id",), "only with strategy fixed", self.fixed_account_id))
            if self.fixed_service is not None:
                problems.append((("fixed_service",), "only with strategy fixed", self.fixed_service))
        both = sorted(set(self.allow) & set(self.exclude))
        if both:
            problems.append((("exclude",), f"also in allow: {both}", both))
        _fail("ActionBody", problems)
        return self

    def to_domain(self) -> Action:
        return Action(
            allow=frozenset(self.allow),
            exclude=frozenset(self.exclude),
            strategy=self.strategy,
            fixed_account_id=self.fixed_account_id,
            fixed_service=self.fixed_service,
        )

    @classmethod
    def from_domain(cls, a: Action) -> ActionBody:
        return cls(
            allow=sorted(a.allow),
            exclude=sorted(a.exclude),
            strategy=a.strategy,
            fixed_account_id=a.fixed_account_id,
            fixed_service=a.fixed_service,
        )


class RuleBody(StrictBody):
    name: Name
    priority: int = Field(
        default=100, ge=0, le=1_000_000, description="Lower runs first; a shop's rules before the merchant's."
    )
    shop_id: int | None = Field(
        default=None, gt=0, description="Only this shop's orders; null: every shop of the merchant."
    )
    enabled: bool = True
    conditions: ConditionsBody = Field(default_factory=lambda: ConditionsBody())
    action: ActionBody

    def to_domain(self, id: str) -> Rule:
        return Rule(
            id=id,
            name=self.name,
            priority=self.priority,
            shop_id=self.shop_id,
            enabled=self.enabled,
            conditions=self.conditions.to_domain(),
            action=self.action.to_domain(),
        )


class RuleDoc(RuleBody):
    """The stored form (and the API response)."""

    id: Ident

    def to_domain(self) -> Rule:  # type: ignore[override]
        return RuleBody.to_domain(self, self.id)

    @classmethod
    def from_domain(cls, r: Rule) -> RuleDoc:
        return cls(
            id=r.id,
            name=r.name,
            priority=r.priority,
            shop_id=r.shop_id,
            enabled=r.enabled,
            conditions=ConditionsBody.from_domain(r.conditions),
            action=ActionBody.from_domain(r.action),
        )


def decode_card(record: RateCardRecord, carrier: str) -> RateCard:
    """A stored rate-card version back to the domain card (validated again: the schema may have moved on)."""
    return RateCardBody.model_validate(record.body).to_domain(record.card_id, record.owner or "", carrier,
                                                              record.version)


def decode_rule(record: RuleRecord) -> Rule:
    return RuleBody.model_validate(record.body).to_domain(record.rule_id)


__all__ = [
    "ActionBody",
    "BracketBody",
    "ConditionsBody",
    "RateCardBody",
    "RateCardDoc",
    "RuleBody",
    "RuleDoc",
    "SurchargesBody",
    "ZoneBody",
    "decode_card",
    "decode_rule",
]
