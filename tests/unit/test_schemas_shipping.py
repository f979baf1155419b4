"""Rate card and rule documents: validation errors name the field; documents round-trip to the domain."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from pydantic import ValidationError

from kiriman.api.envelope import problems_from_pydantic
from kiriman.domain.parcels import Address, Item, Money, Parcel
from kiriman.domain.rating import quote
from kiriman.domain.routing import Action, Conditions, Rule
from kiriman.schemas.shipping import RateCardBody, RateCardDoc, RuleBody, RuleDoc

CARD: dict[str, Any] = {
    "account_id": "jnt-my-1",
    "service": "EZ",
    "valid_from": "2026-01-01T00:00:00+08:00",
    "valid_to": "2027-01-01T00:00:00+08:00",
    "currency": "myr",
    "divisor": 6000,
    "volumetric_rule": "threshold_half",
    "volumetric_threshold_pct": "30",
    "rounding_step_g": 100,
    "min_chargeable_g": 100,
    "max_weight_g": 30000,
    "origin_country": "my",
    "zones": [
        {
            "id": "west",
            "name": "West Malaysia",
            "country": "MY",
            "postcode_prefixes": ["5", "4", "01 0"],
            "transit_days_min": 1,
            "transit_days_max": 3,
            "first_weight_g": 500,
            "first_price": "3.50",
            "step_g": 500,
            "step_price": 1.2,
        },
        {
            "id": "east",
            "name": "East Malaysia",
            "country": "MY",
            "regions": ["Sabah", " Sarawak "],
            "remote": True,
            "cod_allowed": False,
            "brackets": [{"up_to_g": 1000, "price": "8"}, {"up_to_g": 3000, "price": "12.5"}],
            "step_g": 1000,
            "step_price": "3",
            "per_piece_fee": "0.50",
        },
    ],
    "surcharges": {
        "fuel_pct": "12.5",
        "remote_area_fee": "5",
        "remote_postcode_prefixes": ["509"],
        "cod_fee_pct": "2",
        "cod_fee_min": "1",
        "insurance_pct": "1",
        "insurance_min": "0.5",
        "insurance_threshold": "100",
    },
}

RULE: dict[str, Any] = {
    "name": "Heavy COD to J&T",
    "priority": 5,
    "shop_id": 101,
    "conditions": {
        "markets": ["MY"],
        "channel_ids": [20011, 20011],
        "min_weight_g": 1000,
        "max_weight_g": 30000,
        "max_longest_side_cm": "60",
        "min_declared_value": "0",
        "max_declared_value": "500",
        "cod": True,
        "categories_any": ["Kitchen"],
        "skus_any": ["MUG-1"],
        "ship_by_within_hours": 24,
    },
    "action": {"allow": ["jnt", "ninjavan"], "exclude": ["nv-old"], "strategy": "cheapest"},
}


def body(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with the dotted ``path`` set to ``value`` (``...`` deletes it)."""
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = out
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return out


def fields(err: ValidationError) -> list[str]:
    return [p.field for p in problems_from_pydantic(err.errors())]


# --- rate cards ------------------------------------------------------------------------------------------
def test_rate_card_body_builds_a_card_that_quotes() -> None:
    card = RateCardBody.model_validate(CARD).to_domain("rc1", "m1", "jnt", 3)
    assert (card.id, card.merchant_id, card.carrier, card.version, card.currency) == ("rc1", "m1", "jnt", 3, "MYR")
    assert card.origin_country == "MY" and card.volumetric_threshold_pct == D(30)
    west, east = card.zones
    assert west.postcode_prefixes == frozenset({"5", "4", "010"}) and west.step_price == D("1.2")
    assert east.regions == frozenset({"sabah", "sarawak"}) and east.brackets[1].price == D("12.5")
    assert card.surcharges.remote_postcode_prefixes == frozenset({"509"})
    p = Parcel((Item("mug", 1, 700),), Money.of(10, "MYR"))
    at = datetime(2026, 6, 1, tzinfo=UTC)
    q = quote(card, p, Address("A", "MY", "x", postcode="40000"), at)
    assert q.chargeable_weight_g == 700 and q.price.amount == D("4.70") + D("0.59")  # fuel 12.5 % of 4.70
    q = quote(card, p, Address("A", "MY", "x", state="Sabah"), at)
    assert {c.kind for c in q.breakdown} == {"freight", "per_piece", "fuel", "remote_area"}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("zones.0.first_price", "-1", "zones.0.first_price"),
        ("zones.0.first_price", "abc", "zones.0.first_price"),
        ("zones.1.brackets.0.price", "-0.01", "zones.1.brackets.0.price"),
        ("zones.0.step_g", 0, "zones.0.step_g"),  # no brackets: a step is needed
        ("zones.0.transit_days_max", 0, "zones.0.transit_days_max"),
        ("zones.0.country", "MYS", "zones.0.country"),
        ("zones.0.postcode_prefixes", ["5", "*"], "zones.0.postcode_prefixes.1"),
        (
            "zones.1.brackets",
            [{"up_to_g": 3000, "price": 1}, {"up_to_g": 1000, "price": 2}],
            "zones.1.brackets.1.up_to_g",
        ),
        ("zones.1.id", "west", "zones.1.id"),
        ("zones.1.postcode_prefixes", ["5"], "zones.1.postcode_prefixes"),
        ("zones.1.regions", [], "zones.1"),  # with west's prefixes removed too: two country-wide zones
        ("zones", [], "zones"),
        ("valid_to", "2025-12-31T00:00:00+08:00", "valid_to"),
        ("valid_to", "2026-01-01T00:00:00+08:00", "valid_to"),
        ("valid_from", "2026-01-01T00:00:00", "valid_from"),  # naive
        ("currency", "EURO", "currency"),
        ("currency", "XXX", "currency"),
        ("divisor", 500, "divisor"),
        ("rounding_step_g", 0, "rounding_step_g"),
        ("volumetric_rule", "double", "volumetric_rule"),
        ("surcharges.fuel_pct", "101", "surcharges.fuel_pct"),
        ("surcharges.cod_fee_min", "-1", "surcharges.cod_fee_min"),
        ("surcharges.colour", "red", "surcharges.colour"),
        ("account_id", ..., "account_id"),
        ("id", "rc1", "id"),  # assigned by the server, not accepted in a body
    ],
)
def test_rate_card_errors_name_the_field(path: str, value: Any, field: str) -> None:
    doc = body(CARD, path, value)
    if path == "zones.1.regions":
        doc["zones"][0]["postcode_prefixes"] = []  # now both zones cover the whole country
    with pytest.raises(ValidationError) as err:
        RateCardBody.model_validate(doc)
    assert field in fields(err.value)


def test_zone_with_brackets_needs_no_step() -> None:
    doc = body(CARD, "zones.1.step_g", 0)
    card = RateCardBody.model_validate(doc).to_domain("rc1", "m1", "jnt", 1)
    assert card.zones[1].step_g == 0


def test_several_problems_are_reported_together() -> None:
    doc = body(body(CARD, "zones.0.step_g", 0), "zones.0.transit_days_max", 0)
    with pytest.raises(ValidationError) as err:
        RateCardBody.model_validate(doc)
    assert {"zones.0.step_g", "zones.0.transit_days_max"} <= set(fields(err.value))


def test_rate_card_document_round_trips() -> None:
    card = RateCardBody.model_validate(CARD).to_domain("rc1", "m1", "jnt", 3)
    stored = RateCardDoc.from_domain(card).model_dump(mode="json")
    assert stored["zones"][0]["first_price"] == "3.50" and stored["currency"] == "MYR"
    again = RateCardDoc.model_validate(stored).to_domain()
    assert again == card
    assert RateCardDoc.model_validate(stored).model_dump(mode="json") == stored


def test_stored_card_carrier_must_be_known() -> None:
    stored = RateCardDoc.from_domain(RateCardBody.model_validate(CARD).to_domain("rc1", "m1", "jnt", 1))
    with pytest.raises(ValidationError) as err:
        RateCardDoc.model_validate({**stored.model_dump(mode="json"), "carrier": "dhl"})
    assert fields(err.value) == ["carrier"]


# --- rules -----------------------------------------------------------------------------------------------
def test_rule_body_builds_a_rule() -> None:
    r = RuleBody.model_validate(RULE).to_domain("r1")
    assert r == Rule(
        id="r1",
        name="Heavy COD to J&T",
        priority=5,
        shop_id=101,
        enabled=True,
        conditions=Conditions(
            markets=frozenset({"MY"}),
            channel_ids=frozenset({20011}),
            min_weight_g=1000,
            max_weight_g=30000,
            max_longest_side_cm=D(60),
            min_declared_value=D(0),
            max_declared_value=D(500),
            cod=True,
            categories_any=frozenset({"Kitchen"}),
            skus_any=frozenset({"MUG-1"}),
            ship_by_within_hours=24,
        ),
        action=Action(allow=frozenset({"jnt", "ninjavan"}), exclude=frozenset({"nv-old"})),
    )


def test_minimal_rule_defaults() -> None:
    r = RuleBody.model_validate({"name": "Everything", "action": {}}).to_domain("r2")
    assert r.conditions == Conditions() and r.action == Action() and r.enabled and r.shop_id is None


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("action.strategy", "fixed", "action.fixed_account_id"),
        ("action.strategy", "random", "action.strategy"),
        ("action.fixed_service", "EZ", "action.fixed_service"),
        ("action.exclude", ["jnt"], "action.exclude"),
        ("conditions.max_weight_g", 999, "conditions.max_weight_g"),
        ("conditions.max_declared_value", "-1", "conditions.max_declared_value"),
        ("conditions.markets", ["MY", "XX"], "conditions.markets"),
        ("conditions.channel_ids", [0], "conditions.channel_ids"),
        ("conditions.ship_by_within_hours", 0, "conditions.ship_by_within_hours"),
        ("conditions.max_longest_side_cm", "0", "conditions.max_longest_side_cm"),
        ("conditions.weight", 1, "conditions.weight"),
        ("shop_id", 0, "shop_id"),
        ("priority", -1, "priority"),
        ("name", " ", "name"),
        ("action", ..., "action"),
    ],
)
def test_rule_errors_name_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        RuleBody.model_validate(body(RULE, path, value))
    assert field in fields(err.value)


def test_fixed_strategy_with_an_account() -> None:
    doc = body(RULE, "action", {"strategy": "fixed", "fixed_account_id": "jnt-my-1", "fixed_service": "EZ"})
    a = RuleBody.model_validate(doc).to_domain("r1").action
    assert (a.strategy, a.fixed_account_id, a.fixed_service) == ("fixed", "jnt-my-1", "EZ")


def test_rule_document_round_trips() -> None:
    rule = RuleBody.model_validate(RULE).to_domain("r1")
    stored = RuleDoc.from_domain(rule).model_dump(mode="json")
    assert stored["id"] == "r1" and stored["conditions"]["max_declared_value"] == "500"
    assert RuleDoc.model_validate(stored).to_domain() == rule
