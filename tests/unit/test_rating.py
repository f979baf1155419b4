"""Rate cards: weight breaks, volumetric rules, zones, surcharges, rounding and which card applies."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from kiriman.domain.errors import DomainError
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.domain.rating import Bracket, NoRate, RateCard, Surcharges, Zone, quote, select_card

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
KL = Address("Ali", "MY", "1 Jalan Ampang", city="Kuala Lumpur", state="Wilayah Persekutuan", postcode="50450")


def zone(**kw: Any) -> Zone:
    base: dict[str, Any] = dict(
        id="west",
        name="West Malaysia",
        country="MY",
        postcode_prefixes=frozenset({"5"}),
        first_weight_g=500,
        first_price=D("3.50"),
        step_g=500,
        step_price=D("1.20"),
    )
    base.update(kw)
    return Zone(**base)


def card(*zones: Zone, **kw: Any) -> RateCard:
    base: dict[str, Any] = dict(
        id="rc1",
        merchant_id="m1",
        carrier="jnt",
        account_id="jnt-1",
        service="EZ",
        version=1,
        valid_from=T0,
        valid_to=None,
        currency="MYR",
        divisor=5000,
        volumetric_rule="full",
        rounding_step_g=1,
        min_chargeable_g=0,
        max_weight_g=None,
        origin_country="MY",
        zones=zones or (zone(),),
    )
    base.update(kw)
    return RateCard(**base)


def parcel(
    grams: int,
    dims: tuple[int, int, int] | None = None,
    value: str = "10",
    currency: str = "MYR",
    cod: Money | None = None,
) -> Parcel:
    return Parcel(
        items=(Item("thing", 1, grams),),
        declared_value=Money.of(value, currency),
        dimensions=Dimensions(*(D(d) for d in dims)) if dims else None,
        cod=cod,
    )


def lines(q: Any) -> dict[str, D]:
    return {c.kind: c.amount.amount for c in q.breakdown}


# --- weight breaks ------------------------------------------------------------------------------------
def test_weight_exactly_on_a_break_is_one_step_not_two() -> None:
    q = quote(card(), parcel(1000), KL, AT)
    assert q.chargeable_weight_g == 1000
    assert q.price == Money(D("4.70"), "MYR")
    assert q.breakdown[0].basis == "first 500 g 3.50 + 1 × 500 g at 1.20"


def test_one_gram_over_a_break_is_the_next_step() -> None:
    q = quote(card(), parcel(1001), KL, AT)
    assert q.price.amount == D("5.90")
    assert "2 × 500 g" in q.breakdown[0].basis


def test_at_or_under_first_weight_is_the_first_price() -> None:
    assert quote(card(), parcel(500), KL, AT).price.amount == D("3.50")
    assert quote(card(), parcel(1), KL, AT).breakdown[0].basis == "first 500 g 3.50"


def test_rounding_step_rounds_up_before_pricing() -> None:
    q = quote(card(rounding_step_g=1000), parcel(1001), KL, AT)
    assert q.chargeable_weight_g == 2000
    assert q.price.amount == D("3.50") + 3 * D("1.20")


def test_per_step_pricing_without_a_first_weight() -> None:
    z = zone(first_weight_g=0, first_price=D(0), step_g=100, step_price=D("0.85"))
    q = quote(card(z, min_chargeable_g=50), parcel(30), KL, AT)
    assert q.chargeable_weight_g == 50 and q.price.amount == D("0.85")
    assert q.breakdown[0].basis == "1 × 100 g at 0.85"


def test_min_chargeable_weight() -> None:
    q = quote(card(min_chargeable_g=100, rounding_step_g=10), parcel(31), KL, AT)
    assert (q.actual_weight_g, q.chargeable_weight_g) == (31, 100)


# --- volumetric rules ------------------------------------------------------------------------------------
# 30 x 20 x 10 cm = 6000 cm3; / 5000 = 1.2 kg volumetric. Actual 500 g.
@pytest.mark.parametrize(
    ("rule", "threshold", "expected"),
    [
        ("full", "0", 1200),
        ("none", "0", 500),
        ("half", "0", 850),
        ("threshold_half", "100", 850),  # gap 140 % > 100 %
        ("threshold_half", "140", 500),  # gap exactly 140 %: not over the threshold
        ("threshold_half", "200", 500),
    ],
)
def test_volumetric_rules(rule: str, threshold: str, expected: int) -> None:
    c = card(volumetric_rule=rule, volumetric_threshold_pct=D(threshold))
    q = quote(c, parcel(500, (30, 20, 10)), KL, AT)
    assert q.volumetric_weight_g == 1200 and q.actual_weight_g == 500
    assert q.chargeable_weight_g == expected


def test_volumetric_beats_actual_and_changes_the_price() -> None:
    light = quote(card(), parcel(500), KL, AT)
    bulky = quote(card(), parcel(500, (30, 20, 10)), KL, AT)
    assert light.price.amount == D("3.50") and bulky.price.amount == D("5.90")


@pytest.mark.parametrize("rule", ["full", "half", "threshold_half"])
def test_heavier_actual_weight_is_never_averaged_down(rule: str) -> None:
    q = quote(card(volumetric_rule=rule), parcel(2000, (30, 20, 10)), KL, AT)
    assert q.chargeable_weight_g == 2000


def test_divisor_comes_from_the_card() -> None:
    q = quote(card(divisor=6000), parcel(500, (30, 20, 10)), KL, AT)
    assert q.volumetric_weight_g == 1000


def test_half_of_an_odd_gap_rounds_up_to_the_gram() -> None:
    assert card(volumetric_rule="half").chargeable_weight_g(500, 1201) == 851


def test_threshold_half_with_no_actual_weight_uses_the_average() -> None:
    assert card(volumetric_rule="threshold_half", volumetric_threshold_pct=D(50)).chargeable_weight_g(0, 800) == 400


# --- brackets ---------------------------------------------------------------------------------------------
BRACKETS = (Bracket(3000, D("8.00")), Bracket(1000, D("5.00")))  # given out of order on purpose


@pytest.mark.parametrize(("grams", "price"), [(1, "5.00"), (1000, "5.00"), (1001, "8.00"), (3000, "8.00")])
def test_brackets(grams: int, price: str) -> None:
    q = quote(card(zone(brackets=BRACKETS, step_g=0)), parcel(grams), KL, AT)
    assert q.price.amount == D(price)


def test_above_the_last_bracket_the_step_continues() -> None:
    q = quote(card(zone(brackets=BRACKETS, step_g=1000, step_price=D("2.00"))), parcel(3500), KL, AT)
    assert q.price.amount == D("10.00")
    assert q.breakdown[0].basis == "up to 3000 g 8.00 + 1 × 1000 g at 2.00"


def test_above_the_last_bracket_without_a_step_is_not_served() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(zone(brackets=BRACKETS, step_g=0)), parcel(3001), KL, AT)
    assert err.value.reason_code == "overweight"


# --- zones -----------------------------------------------------------------------------------------------
EAST = zone(id="east", name="East Malaysia", postcode_prefixes=frozenset(), regions=frozenset({"sabah", "sarawak"}))
KL_ZONE = zone(id="kl", name="Klang Valley", postcode_prefixes=frozenset({"50", "51"}), first_price=D("3.00"))
REST = zone(id="rest", name="Rest of MY", postcode_prefixes=frozenset(), first_price=D("9.00"))


@pytest.mark.parametrize(
    ("postcode", "state", "zone_id"),
    [
        ("50450", "", "kl"),  # longest prefix wins over "5"
        ("53000", "", "west"),
        ("88000", "Sabah", "east"),  # no prefix matches: the region does
        ("88000", " SARAWAK ", "east"),
        ("88000", "Perlis", "rest"),  # neither: the country-wide zone
        ("", "", "rest"),
    ],
)
def test_zone_matching(postcode: str, state: str, zone_id: str) -> None:
    c = card(zone(), KL_ZONE, EAST, REST)
    dest = replace(KL, postcode=postcode, state=state)
    assert quote(c, parcel(100), dest, AT).zone_id == zone_id


def test_postcode_formatting_is_ignored() -> None:
    z = zone(id="sp", country="BR", postcode_prefixes=frozenset({"01310"}))
    c = card(z, currency="BRL")
    assert quote(c, parcel(100, currency="BRL"), Address("A", "br", "Av", postcode="01310-100"), AT).zone_id == "sp"


def test_destination_country_not_on_the_card_names_the_country() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(), parcel(100), replace(KL, country="SG", postcode="018989"), AT)
    assert err.value.reason_code == "outside_service_area"
    assert err.value.field == "recipient.country"
    assert err.value.details[0].field == "recipient.country"
    assert isinstance(err.value, DomainError) and err.value.code == "no_rate"


def test_postcode_in_no_zone_names_the_postcode() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(), parcel(100), replace(KL, postcode="98000"), AT)
    assert err.value.field == "recipient.postcode"
    assert err.value.reason == "outside service area: recipient.postcode 98000"


def test_region_only_card_names_the_state() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(EAST), parcel(100), replace(KL, state="Johor"), AT)
    assert err.value.field == "recipient.state"


# --- limits ----------------------------------------------------------------------------------------------
def test_over_the_card_maximum() -> None:
    c = card(max_weight_g=30_000)
    assert quote(c, parcel(30_000), KL, AT).chargeable_weight_g == 30_000
    with pytest.raises(NoRate) as err:
        quote(c, parcel(30_001), KL, AT)
    assert err.value.reason_code == "overweight" and "30001 g" in err.value.reason


def test_zone_without_a_step_serves_only_its_first_weight() -> None:
    with pytest.raises(NoRate, match="no price above"):
        quote(card(zone(step_g=0)), parcel(501), KL, AT)


# --- surcharges ------------------------------------------------------------------------------------------
def test_per_piece_fee_and_fuel_on_freight_only() -> None:
    c = card(zone(per_piece_fee=D("2.00")), surcharges=Surcharges(fuel_pct=D(10)))
    q = quote(c, parcel(1000), KL, AT)
    assert lines(q) == {"freight": D("4.70"), "per_piece": D("2.00"), "fuel": D("0.47")}
    assert q.price.amount == D("7.17")
    assert [c.kind for c in q.breakdown] == ["freight", "per_piece", "fuel"]


def test_remote_area_by_postcode_prefix_list() -> None:
    c = card(surcharges=Surcharges(remote_area_fee=D("5.00"), remote_postcode_prefixes=frozenset({"509", "5 20"})))
    q = quote(c, parcel(100), replace(KL, postcode="50900"), AT)
    assert lines(q)["remote_area"] == D("5.00")
    assert "prefix 509" in q.breakdown[-1].basis
    assert "remote_area" in lines(quote(c, parcel(100), replace(KL, postcode="52000"), AT))
    assert "remote_area" not in lines(quote(c, parcel(100), KL, AT))


def test_remote_area_by_remote_zone() -> None:
    c = card(replace(EAST, remote=True), REST, surcharges=Surcharges(remote_area_fee=D("5.00")))
    q = quote(c, parcel(100), replace(KL, postcode="88000", state="Sabah"), AT)
    assert lines(q)["remote_area"] == D("5.00") and q.breakdown[-1].basis == "remote zone east"
    assert "remote_area" not in lines(quote(c, parcel(100), KL, AT))


@pytest.mark.parametrize(("cod", "fee"), [("20.00", "1.00"), ("50", "1.00"), ("100", "2.00"), ("123.45", "2.47")])
def test_cod_fee_with_its_minimum(cod: str, fee: str) -> None:
    c = card(surcharges=Surcharges(cod_fee_pct=D(2), cod_fee_min=D("1.00")))
    q = quote(c, parcel(100, cod=Money.of(cod, "MYR")), KL, AT)
    assert lines(q)["cod_fee"] == D(fee)


def test_no_cod_fee_without_cod() -> None:
    c = card(surcharges=Surcharges(cod_fee_pct=D(2), cod_fee_min=D("1.00")))
    assert "cod_fee" not in lines(quote(c, parcel(100), KL, AT))
    assert "cod_fee" not in lines(quote(c, parcel(100, cod=Money.of(0, "MYR")), KL, AT))


def test_cod_not_offered_in_zone() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(zone(cod_allowed=False)), parcel(100, cod=Money.of(10, "MYR")), KL, AT)
    assert err.value.reason_code == "cod_not_offered" and err.value.field == "parcel.cod"


def test_cod_in_another_currency_needs_fx() -> None:
    c = card(surcharges=Surcharges(cod_fee_pct=D(2)))
    p = parcel(100, cod=Money.of(100, "SGD"))
    with pytest.raises(NoRate) as err:
        quote(c, p, KL, AT)
    assert err.value.reason_code == "currency_mismatch"
    q = quote(c, p, KL, AT, fx={"MYR": D(1), "SGD": D("3.5")})
    assert lines(q)["cod_fee"] == D("7.00")


@pytest.mark.parametrize(("value", "fee"), [("100", None), ("100.01", "1.00"), ("250", "2.50"), ("30", None)])
def test_insurance_threshold_and_minimum(value: str, fee: str | None) -> None:
    c = card(surcharges=Surcharges(insurance_pct=D(1), insurance_min=D("0.50"), insurance_threshold=D(100)))
    got = lines(quote(c, parcel(100, value=value), KL, AT)).get("insurance")
    assert got == (D(fee) if fee else None)


def test_insurance_minimum_applies_above_a_zero_threshold() -> None:
    c = card(surcharges=Surcharges(insurance_pct=D(1), insurance_min=D("0.50")))
    assert lines(quote(c, parcel(100, value="30"), KL, AT))["insurance"] == D("0.50")
    assert "insurance" not in lines(quote(c, parcel(100, value="0"), KL, AT))


# --- rounding --------------------------------------------------------------------------------------------
def test_thb_rounds_each_line_half_up_to_two_places_and_lines_add_up() -> None:
    th = Address("S", "TH", "1 Sukhumvit", postcode="10110")
    z = zone(id="bkk", country="TH", postcode_prefixes=frozenset({"10"}), first_price=D("12.25"))
    c = card(z, currency="THB", surcharges=Surcharges(fuel_pct=D(10)))
    q = quote(c, parcel(100, currency="THB"), th, AT)
    assert lines(q)["fuel"] == D("1.23")  # 1.225 half-up (banker's rounding would give 1.22)
    assert q.price.amount == D("13.48") == sum(c.amount.amount for c in q.breakdown)
    assert q.price.currency == "THB"


@pytest.mark.parametrize(("currency", "country", "postcode"), [("VND", "VN", "700000"), ("IDR", "ID", "10110")])
def test_zero_decimal_currencies_round_to_units(currency: str, country: str, postcode: str) -> None:
    z = zone(id="z", country=country, postcode_prefixes=frozenset({postcode[:2]}), first_price=D(15450))
    c = card(z, currency=currency, surcharges=Surcharges(fuel_pct=D(1)))
    q = quote(c, parcel(100, currency=currency), Address("N", country, "x", postcode=postcode), AT)
    assert lines(q)["fuel"] == D(155)  # 154.5 half-up
    assert q.price.amount == D(15605) and q.price.amount.as_tuple().exponent == 0


def test_fractional_step_prices_are_rounded_per_line() -> None:
    z = zone(first_weight_g=0, first_price=D(0), step_g=1, step_price=D("0.0125"))
    q = quote(card(z), parcel(101), KL, AT)  # 1.2625
    assert q.price.amount == D("1.26")


# --- which card applies ----------------------------------------------------------------------------------
def test_expired_card() -> None:
    c = card(valid_to=AT)
    with pytest.raises(NoRate) as err:
        quote(c, parcel(100), KL, AT)  # valid_to is exclusive
    assert err.value.reason_code == "card_expired"
    assert quote(c, parcel(100), KL, AT - timedelta(seconds=1)).price.amount == D("3.50")


def test_card_not_yet_valid() -> None:
    with pytest.raises(NoRate) as err:
        quote(card(valid_from=AT + timedelta(days=1)), parcel(100), KL, AT)
    assert err.value.reason_code == "card_not_yet_valid"


def test_select_card_picks_the_highest_version_effective_at_the_time() -> None:
    v1 = card(id="a", version=1, valid_from=T0 - timedelta(days=365))
    v2 = card(id="b", version=2, valid_from=T0, valid_to=T0 + timedelta(days=365))
    v3 = card(id="c", version=3, valid_from=AT + timedelta(days=30))
    other = card(id="d", version=9, service="EXPRESS")
    cards = [v3, v1, other, v2]
    assert select_card(cards, "jnt-1", "EZ", AT).id == "b"
    assert select_card(cards, "jnt-1", "EZ", T0 - timedelta(days=1)).id == "a"
    assert select_card(cards, "jnt-1", "EZ", AT + timedelta(days=31)).id == "c"


def test_select_card_explains_why_nothing_applies() -> None:
    with pytest.raises(NoRate) as err:
        select_card([card(service="EXPRESS")], "jnt-1", "EZ", AT)
    assert err.value.reason_code == "no_card" and "jnt-1" in err.value.reason
    with pytest.raises(NoRate) as err:
        select_card([card(valid_to=T0 + timedelta(days=1))], "jnt-1", "EZ", AT)
    assert err.value.reason_code == "card_expired"
    with pytest.raises(NoRate) as err:
        select_card([card(valid_from=AT + timedelta(days=1))], "jnt-1", "EZ", AT)
    assert err.value.reason_code == "card_not_yet_valid"
    with pytest.raises(NoRate):
        select_card([], "jnt-1", "EZ", AT)


def test_cards_need_timezone_aware_dates() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        card(valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        quote(card(), parcel(100), KL, datetime(2026, 6, 1))


def test_quote_records_what_it_was_priced_from() -> None:
    q = quote(card(version=4, id="rc9"), parcel(100), KL, AT)
    assert (q.carrier, q.account_id, q.service, q.card_id, q.card_version, q.zone_id) == (
        "jnt",
        "jnt-1",
        "EZ",
        "rc9",
        4,
        "west",
    )
    assert (q.transit_days_min, q.transit_days_max) == (1, 3)
    d = q.as_dict()
    assert d["price"] == "3.50" and d["breakdown"][0] == {
        "kind": "freight",
        "amount": "3.50",
        "basis": "first 500 g 3.50",
    }


def test_a_card_with_many_zones_quotes_from_its_index() -> None:
    zones = tuple(zone(id=f"z{i}", postcode_prefixes=frozenset({f"{i:03d}"}), first_price=D(i)) for i in range(1, 1000))
    c = card(*zones)
    assert quote(c, parcel(100), replace(KL, postcode="42710"), AT).zone_id == "z427"


def test_rating_and_routing_import_no_sdk_or_validation_library() -> None:
    code = (
        "import sys, kiriman.domain.rating, kiriman.domain.routing; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'boto3', 'botocore', 'httpx'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
