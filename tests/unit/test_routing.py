"""Routing rules: order of evaluation, each condition, allow / exclude, strategies and the explanation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from kiriman.carriers.base import CarrierInfo
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.domain.rating import RateCard, Zone
from kiriman.domain.routing import (
    MISSES_SHIP_BY,
    Action,
    Candidate,
    Conditions,
    OrderFacts,
    Rule,
    RuleBook,
    decide,
    match_rule,
)

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
DEST = Address("Ali", "MY", "1 Jalan Ampang", city="Kuala Lumpur", state="Wilayah Persekutuan", postcode="50450")


def info(slug: str, countries: str = "MY SG") -> CarrierInfo:
    return CarrierInfo(
        slug=slug,
        name=slug,
        countries=frozenset(countries.split()),
        services=("std",),
        volumetric_divisor=5000,
        reference_max_len=30,
        searchable_by_reference=True,
        operations=frozenset({"quote"}),
        credential_fields=(),
    )


def card(
    account: str,
    carrier: str,
    service: str,
    price: str,
    days: tuple[int, int] = (2, 3),
    currency: str = "MYR",
    prefixes: tuple[str, ...] = ("5", "4"),
) -> RateCard:
    z = Zone(
        "z",
        "zone",
        "MY",
        postcode_prefixes=frozenset(prefixes),
        transit_days_min=days[0],
        transit_days_max=days[1],
        first_weight_g=1000,
        first_price=D(price),
        step_g=1000,
        step_price=D(1),
    )
    return RateCard(
        f"rc-{account}-{service}",
        "m1",
        carrier,
        account,
        service,
        1,
        NOW - timedelta(days=30),
        None,
        currency,
        5000,
        "full",
        1,
        0,
        None,
        "MY",
        (z,),
    )


NV = Candidate("nv-1", "ninjavan", "std", info("ninjavan"), on_time_score=0.97, handover_hours=2)
JNT = Candidate("jnt-1", "jnt", "EZ", info("jnt"), on_time_score=0.91, handover_hours=6)
FLASH = Candidate("flash-1", "flash", "std", info("flash", "TH"), on_time_score=0.99, handover_hours=1)
CANDIDATES = (NV, JNT, FLASH)
CARDS = (
    card("nv-1", "ninjavan", "std", "6.00", (1, 2)),
    card("jnt-1", "jnt", "EZ", "5.00", (2, 4)),
    card("flash-1", "flash", "std", "4.00", (1, 1)),
)


def facts(**kw: Any) -> OrderFacts:
    p: dict[str, Any] = dict(
        items=(Item("Mug", 2, 300, unit_value=D("12.50"), sku="MUG-1", category="Kitchen"),),
        declared_value=Money.of("25.00", "MYR"),
        packaging_weight_g=100,
    )
    p.update(kw.pop("parcel", {}))
    base: dict[str, Any] = dict(
        shop_id=101,
        market="MY",
        channel_id=20011,
        channel_integrated=False,
        parcel=Parcel(**p),
        destination=DEST,
        ship_by=NOW + timedelta(hours=48),
    )
    base.update(kw)
    return OrderFacts(**base)


def rule(
    id: str,
    priority: int = 10,
    shop_id: int | None = None,
    enabled: bool = True,
    conditions: Conditions | None = None,
    **action: Any,
) -> Rule:
    return Rule(id, f"rule {id}", priority, shop_id, enabled, conditions or Conditions(), Action(**action))


# --- which rule ----------------------------------------------------------------------------------------
def test_no_rule_means_cheapest_over_all_candidates() -> None:
    d = decide([], facts(), CANDIDATES, CARDS, NOW)
    assert d.chosen == JNT and d.rule_id is None and d.strategy == "cheapest"
    assert d.reason.startswith("no rule matched")
    assert d.explanation()["rule"] is None


def test_shop_rule_beats_merchant_rule_whatever_the_priority() -> None:
    rules = [rule("merchant", 1, strategy="fastest"), rule("shop", 99, shop_id=101, strategy="best_on_time")]
    d = decide(rules, facts(), CANDIDATES, CARDS, NOW)
    assert d.rule_id == "shop" and d.strategy == "best_on_time"


def test_rules_of_another_shop_are_ignored() -> None:
    rules = [rule("other-shop", 1, shop_id=202, strategy="fastest"), rule("merchant", 50, strategy="best_on_time")]
    assert decide(rules, facts(), CANDIDATES, CARDS, NOW).rule_id == "merchant"


def test_priority_order_and_first_match_wins() -> None:
    rules = [rule("b", 20, strategy="fastest"), rule("a", 10, strategy="best_on_time"), rule("c", 30)]
    assert decide(rules, facts(), CANDIDATES, CARDS, NOW).rule_id == "a"


def test_disabled_rules_are_skipped() -> None:
    rules = [rule("a", 10, enabled=False, strategy="best_on_time"), rule("b", 20, strategy="fastest")]
    d = decide(rules, facts(), CANDIDATES, CARDS, NOW)
    assert d.rule_id == "b" and d.rules_checked == 1


def test_rules_walked_past_are_explained() -> None:
    rules = [
        rule("cod-only", 1, conditions=Conditions(cod=True)),
        rule("sg-only", 2, conditions=Conditions(markets=frozenset({"SG"}))),
        rule("any", 3, strategy="fastest"),
    ]
    d = decide(rules, facts(), CANDIDATES, CARDS, NOW)
    assert d.rule_id == "any" and d.rules_checked == 3
    assert d.explanation()["rules_not_matched"] == [
        {"rule_id": "cod-only", "failed": "cod"},
        {"rule_id": "sg-only", "failed": "markets"},
    ]


# --- conditions ----------------------------------------------------------------------------------------
DIMS = Dimensions(D(30), D(20), D(10))


@pytest.mark.parametrize(
    ("conditions", "overrides", "matches"),
    [
        (Conditions(markets=frozenset({"MY", "SG"})), {}, True),
        (Conditions(markets=frozenset({"SG"})), {}, False),
        (Conditions(markets=frozenset({"my"})), {}, True),
        (Conditions(channel_ids=frozenset({20011})), {}, True),
        (Conditions(channel_ids=frozenset({20011})), {"channel_id": None}, False),
        (Conditions(channel_ids=frozenset({30000})), {}, False),
        (Conditions(min_weight_g=700), {}, True),  # 2 x 300 + 100 = 700, inclusive
        (Conditions(min_weight_g=701), {}, False),
        (Conditions(max_weight_g=700), {}, True),
        (Conditions(max_weight_g=699), {}, False),
        (Conditions(max_weight_g=699), {"parcel": {"measured_weight_g": 650}}, True),
        (Conditions(max_longest_side_cm=D(30)), {"parcel": {"dimensions": DIMS}}, True),
        (Conditions(max_longest_side_cm=D("29.9")), {"parcel": {"dimensions": DIMS}}, False),
        (Conditions(max_longest_side_cm=D(100)), {}, False),  # no dimensions: not known to be small
        (Conditions(min_declared_value=D(25)), {}, True),
        (Conditions(min_declared_value=D("25.01")), {}, False),
        (Conditions(max_declared_value=D(25)), {}, True),
        (Conditions(max_declared_value=D("24.99")), {}, False),
        (Conditions(cod=True), {}, False),
        (Conditions(cod=True), {"parcel": {"cod": Money.of(25, "MYR")}}, True),
        (Conditions(cod=False), {}, True),
        (Conditions(categories_any=frozenset({"kitchen", "toys"})), {}, True),
        (Conditions(categories_any=frozenset({"Toys"})), {}, False),
        (Conditions(skus_any=frozenset({"MUG-1"})), {}, True),
        (Conditions(skus_any=frozenset({"mug-1"})), {}, False),
        (Conditions(ship_by_within_hours=72), {}, True),
        (Conditions(ship_by_within_hours=48), {}, False),  # exactly 48 h left is not closer than 48
        (Conditions(ship_by_within_hours=72), {"ship_by": None}, False),
        (Conditions(ship_by_within_hours=1), {"ship_by": NOW - timedelta(hours=1)}, True),  # already late
        (Conditions(markets=frozenset({"MY"}), cod=False, max_weight_g=5000), {}, True),
        (Conditions(markets=frozenset({"MY"}), cod=True, max_weight_g=5000), {}, False),
        (Conditions(), {}, True),
    ],
)
def test_each_condition(conditions: Conditions, overrides: dict[str, Any], matches: bool) -> None:
    r = rule("r", conditions=conditions)
    got, passed = match_rule([r], facts(**overrides), NOW)
    assert (got is r) is matches
    assert len(passed) == (0 if matches else 1)


# --- candidates ----------------------------------------------------------------------------------------
def reasons(d: Any) -> dict[str, str]:
    return {e.account_id: e.reason for e in d.excluded}


def test_allow_by_carrier_slug_and_by_account_id() -> None:
    d = decide([rule("r", allow=frozenset({"ninjavan"}))], facts(), CANDIDATES, CARDS, NOW)
    assert d.chosen == NV
    assert reasons(d) == {"jnt-1": "not in the rule's allow list", "flash-1": "not in the rule's allow list"}
    d = decide([rule("r", allow=frozenset({"jnt-1", "nv-1"}))], facts(), CANDIDATES, CARDS, NOW)
    assert d.chosen == JNT


def test_exclude() -> None:
    d = decide([rule("r", exclude=frozenset({"jnt"}))], facts(), CANDIDATES, CARDS, NOW)
    assert d.chosen == NV and reasons(d)["jnt-1"] == "excluded by the rule"


def test_carrier_that_does_not_serve_the_country_is_excluded() -> None:
    d = decide([], facts(), CANDIDATES, CARDS, NOW)
    assert reasons(d)["flash-1"] == "flash does not deliver to MY"


def test_candidate_that_cannot_be_rated_is_excluded_with_the_reason() -> None:
    d = decide([], facts(destination=replace(DEST, postcode="98000")), CANDIDATES, CARDS, NOW)
    assert d.chosen is None
    assert reasons(d)["jnt-1"] == "outside service area: recipient.postcode 98000"
    assert "no candidate left" in d.reason


def test_candidate_without_a_card_is_excluded() -> None:
    d = decide([], facts(), (*CANDIDATES, Candidate("jnt-2", "jnt", "EZ")), CARDS, NOW)
    assert reasons(d)["jnt-2"] == "no rate card for account jnt-2 service EZ"


# --- strategies ----------------------------------------------------------------------------------------
def test_cheapest_ties_go_to_the_faster_then_the_account_id() -> None:
    cards = (
        card("a-slow", "jnt", "EZ", "5.00", (2, 5)),
        card("b-fast", "jnt", "EZ", "5.00", (1, 2)),
        card("c-fast", "jnt", "EZ", "5.00", (1, 2)),
    )
    cands = [Candidate(a, "jnt", "EZ") for a in ("c-fast", "a-slow", "b-fast")]
    d = decide([], facts(), cands, cards, NOW)
    assert [q.account_id for q in d.quotes] == ["b-fast", "c-fast", "a-slow"]
    assert d.chosen is not None and d.chosen.account_id == "b-fast"


def test_fastest_meets_the_ship_by_date() -> None:
    rules = [rule("r", strategy="fastest")]
    d = decide(rules, facts(), CANDIDATES[:2], CARDS, NOW)
    assert d.chosen == NV  # 2 days max against 4
    late = facts(ship_by=NOW + timedelta(hours=3))  # NV hands over in 2 h, J&T in 6 h
    d = decide(rules, late, (JNT, NV), CARDS, NOW)
    assert d.chosen == NV and reasons(d)["jnt-1"].startswith(MISSES_SHIP_BY)
    d = decide(rules, facts(ship_by=NOW + timedelta(hours=1)), (JNT, NV), CARDS, NOW)
    assert d.chosen is None and set(reasons(d)) == {"jnt-1", "nv-1"}


def test_fastest_ties_go_to_the_cheaper() -> None:
    cards = (card("a", "jnt", "EZ", "7.00", (1, 2)), card("b", "jnt", "EZ", "6.00", (2, 2)))
    d = decide(
        [rule("r", strategy="fastest")], facts(), [Candidate("a", "jnt", "EZ"), Candidate("b", "jnt", "EZ")], cards, NOW
    )
    assert d.chosen is not None and d.chosen.account_id == "b"


def test_best_on_time() -> None:
    rules = [rule("r", strategy="best_on_time")]
    assert decide(rules, facts(), CANDIDATES, CARDS, NOW).chosen == NV
    unknown = replace(NV, on_time_score=None)
    assert decide(rules, facts(), (unknown, JNT), CARDS, NOW).chosen == JNT  # None counts as lowest
    tied = replace(NV, on_time_score=0.91)
    assert decide(rules, facts(), (tied, JNT), CARDS, NOW).chosen == JNT  # tie: the cheaper


def test_fixed_account_and_service() -> None:
    d = decide(
        [rule("r", strategy="fixed", fixed_account_id="nv-1", fixed_service="std")], facts(), CANDIDATES, CARDS, NOW
    )
    assert d.chosen == NV and d.strategy == "fixed"
    assert reasons(d)["jnt-1"] == "not the rule's fixed account / service"


def test_fixed_account_without_a_service_takes_its_cheapest_service() -> None:
    nv_express = Candidate("nv-1", "ninjavan", "express", info("ninjavan"))
    cards = (*CARDS, card("nv-1", "ninjavan", "express", "5.50", (1, 1)))
    d = decide([rule("r", strategy="fixed", fixed_account_id="nv-1")], facts(), (*CANDIDATES, nv_express), cards, NOW)
    assert d.chosen == nv_express


def test_fixed_unavailable_is_no_choice_with_the_reason() -> None:
    r = rule("r", strategy="fixed", fixed_account_id="nv-1", fixed_service="std")
    d = decide([r], facts(destination=replace(DEST, postcode="98000")), CANDIDATES, CARDS, NOW)
    assert d.chosen is None and d.quote is None
    assert "fixed nv-1 / std unavailable: outside service area: recipient.postcode 98000" in d.reason
    d = decide([replace(r, action=Action(strategy="fixed", fixed_account_id="gone"))], facts(), CANDIDATES, CARDS, NOW)
    assert d.chosen is None and d.reason.endswith("unavailable: not among the candidates")


def test_fixed_needs_an_account() -> None:
    with pytest.raises(ValueError, match="fixed_account_id"):
        Action(strategy="fixed")


# --- Shopee-integrated channels ------------------------------------------------------------------------
def test_integrated_channel_chosen_by_the_buyer_is_honoured() -> None:
    rules = [rule("r", 1, shop_id=101, strategy="fixed", fixed_account_id="nv-1")]
    d = decide(rules, facts(channel_integrated=True, channel_id=20011), CANDIDATES, CARDS, NOW)
    assert d.chosen is not None and (d.chosen.carrier, d.chosen.service) == ("shopee", "20011")
    assert d.rule_id is None and d.strategy == "shopee_channel" and d.quote is None
    assert "rules were not applied" in d.reason
    assert d.explanation()["channel_id"] == 20011


def test_integrated_channel_uses_the_matching_shopee_candidate() -> None:
    shopee = Candidate("shopee-101", "shopee", "20011", info("shopee"))
    d = decide([], facts(channel_integrated=True), (*CANDIDATES, shopee), CARDS, NOW)
    assert d.chosen == shopee


# --- currencies ----------------------------------------------------------------------------------------
SGD_CARD = card("sg-1", "ninjavan", "xb", "2.00", (1, 1), currency="SGD")
SG_CAND = Candidate("sg-1", "ninjavan", "xb")


@pytest.mark.parametrize(("rate", "winner"), [("3.5", "jnt-1"), ("2.4", "sg-1")])
def test_prices_are_compared_after_fx_conversion(rate: str, winner: str) -> None:
    d = decide([], facts(), (JNT, SG_CAND), (*CARDS, SGD_CARD), NOW, fx={"SGD": D(rate)}, currency="MYR")
    assert d.chosen is not None and d.chosen.account_id == winner
    compared = {c["account_id"]: c for c in d.explanation()["compared"]}
    assert compared["sg-1"]["price"] == "2.00" and compared["sg-1"]["currency"] == "SGD"
    assert D(compared["sg-1"]["compared_price"]) == D("2.00") * D(rate)
    assert compared["sg-1"]["compared_currency"] == "MYR"


def test_missing_fx_rate_leaves_the_quote_out() -> None:
    d = decide([], facts(), (JNT, NV, SG_CAND), (*CARDS, SGD_CARD), NOW, fx={}, currency="MYR")
    assert d.chosen == JNT and "no fx rate" in reasons(d)["sg-1"]
    d = decide([], facts(), (JNT, NV, SG_CAND), (*CARDS, SGD_CARD), NOW)  # no currency: MYR is the majority
    assert d.chosen == JNT and reasons(d)["sg-1"] == "price in SGD cannot be compared with MYR: no fx rate"


# --- explanation ---------------------------------------------------------------------------------------
def test_explanation_is_json_ready_and_complete() -> None:
    rules = [
        rule("heavy", 1, conditions=Conditions(min_weight_g=10_000), strategy="fastest"),
        rule("no-nv", 2, exclude=frozenset({"ninjavan"})),
    ]
    d = decide(rules, facts(parcel={"cod": Money.of("25.00", "MYR")}), CANDIDATES, CARDS, NOW)
    e = json.loads(json.dumps(d.explanation()))
    assert e["rule"] == {"id": "no-nv", "name": "rule no-nv"}
    assert e["strategy"] == "cheapest" and "rule 'rule no-nv' (no-nv) matched" in e["reason"]
    assert e["rules_checked"] == 2 and e["rules_not_matched"] == [{"rule_id": "heavy", "failed": "min_weight_g"}]
    assert {x["account_id"]: x["reason"] for x in e["excluded"]} == {
        "nv-1": "excluded by the rule",
        "flash-1": "flash does not deliver to MY",
    }
    assert [c["account_id"] for c in e["compared"]] == ["jnt-1"]
    chosen = e["chosen"]
    assert chosen["account_id"] == "jnt-1" and chosen["quote"]["price"] == "5.00"
    assert chosen["quote"]["breakdown"] == [{"kind": "freight", "amount": "5.00", "basis": "first 1000 g 5.00"}]
    assert d.quote is not None and d.quotes == (d.quote,)


def test_explanation_lists_every_quote_compared_best_first() -> None:
    d = decide([], facts(), CANDIDATES[:2], CARDS, NOW)
    e = d.explanation()
    assert [(c["account_id"], c["price"]) for c in e["compared"]] == [("jnt-1", "5.00"), ("nv-1", "6.00")]
    assert [q.account_id for q in d.quotes] == ["jnt-1", "nv-1"]
    assert "cheapest of 2 rated: jnt-1 / EZ at 5.00 MYR" in d.reason


def test_rule_book_decides_like_the_list_it_was_built_from() -> None:
    rules = [
        rule("merchant", 1, strategy="fastest"),
        rule("shop-101", 99, shop_id=101, strategy="best_on_time"),
        rule("shop-202", 5, shop_id=202, exclude=frozenset({"jnt"})),
        rule("off", 0, enabled=False),
    ]
    book = RuleBook(rules)
    for f in (facts(), facts(shop_id=202), facts(shop_id=303)):
        assert decide(book, f, CANDIDATES, CARDS, NOW) == decide(rules, f, CANDIDATES, CARDS, NOW)
    assert [r.id for r in book.walk(202)] == ["shop-202", "merchant"]
    assert book.walk(202) is book.walk(202)


def test_a_carrier_that_does_not_serve_the_postcode_is_left_out_naming_the_field() -> None:
    nv = Candidate("acc-nv", "ninjavan", "std", info("ninjavan"))
    other = Candidate("acc-x", "xcarrier", "std", info("xcarrier"))
    pairs = (("acc-nv", "ninjavan", "3"), ("acc-x", "xcarrier", "9"))
    cards = [card(a, c, "std", p, prefixes=("8",)) for a, c, p in pairs]
    island = replace(DEST, postcode="89050")
    d = decide([], facts(destination=island), [nv, other], cards, NOW)
    assert d.chosen == other
    [why] = [e.reason for e in d.excluded if e.account_id == "acc-nv"]
    assert "outside the service area" in why and "recipient.postcode" in why
