"""Rate cards, routing rules and quotes through the API (moto in-process)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.gateway import Gateway
from tests.integration.conftest import Tenant

ACCOUNT = {
    "carrier": "ninjavan",
    "name": "Ninja Van SG",
    "country": "SG",
    "credentials": {"client_id": "nv-id", "client_secret": "nv-secret"},
    "settings": {"shipper_prefix": "NVSGKRM"},
    "services": ["Standard", "Express"],
}


def card_body(
    account_id: str, service: str = "Standard", first: str = "3.50", valid_from: str = "2026-01-01T00:00:00+08:00"
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "service": service,
        "valid_from": valid_from,
        "currency": "SGD",
        "divisor": 5000,
        "rounding_step_g": 500,
        "origin_country": "SG",
        "zones": [
            {"id": "sg-central", "name": "Central", "country": "SG", "postcode_prefixes": ["01", "56"],
             "transit_days_min": 1, "transit_days_max": 2, "first_weight_g": 500, "first_price": first,
             "step_g": 500, "step_price": "1.20"},
            {"id": "sg-island", "name": "Islands", "country": "SG", "postcode_prefixes": ["09"], "remote": True,
             "transit_days_min": 2, "transit_days_max": 4, "first_weight_g": 500, "first_price": "6.00",
             "step_g": 500, "step_price": "2.00"},
        ],
        "surcharges": {"fuel_pct": "10", "remote_area_fee": "5.00", "cod_fee_pct": "1.5", "cod_fee_min": "1.00"},
    }


PARCEL = {
    "parcel": {
        "items": [{"description": "Cable", "quantity": 2, "unit_weight_g": 300, "unit_value": "6.00", "sku": "CBL"}],
        "declared_value": {"amount": "12.00", "currency": "SGD"},
        "packaging_weight_g": 100,
    },
    "destination": {"country": "SG", "postcode": "560123", "city": "Singapore"},
}


def _account(gw: Gateway, key: str) -> str:
    status, body, _ = gw.call("POST", "/v1/carrier-accounts", ACCOUNT, key=key)
    assert status == 201, body
    return str(body["account_id"])


def test_rate_card_versions_and_a_quote_with_its_breakdown(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    aid = _account(gw, a.key)
    status, card, _ = gw.call("POST", "/v1/rate-cards", card_body(aid), key=a.key)
    assert status == 201, card
    assert card["version"] == 1 and card["card"]["zones"][0]["first_price"] == "3.50"
    status, quote, _ = gw.call("POST", "/v1/rates", PARCEL, key=a.key)
    assert status == 200, quote
    chosen = quote["decision"]["chosen"]
    assert chosen["account_id"] == aid and chosen["service"] == "Standard"
    q = chosen["quote"]
    # 700 g -> 1000 g chargeable (500 g steps): 3.50 + 1.20 = 4.70 freight, fuel 10% = 0.47
    assert q["chargeable_weight_g"] == 1000
    assert (q["price"], q["currency"]) == ("5.17", "SGD")
    assert [c["kind"] for c in q["breakdown"]] == ["freight", "fuel"]
    assert "no rule matched" in quote["decision"]["reason"]
    excluded = {e["service"]: e["reason"] for e in quote["decision"]["excluded"]}
    assert "Express" in excluded  # no card for that service

    # a new version replaces the price from its valid_from; the old one stays readable
    status, v2, _ = gw.call("PUT", f"/v1/rate-cards/{card['card_id']}", card_body(aid, first="4.00",
                            valid_from="2026-06-01T00:00:00+08:00"), key=a.key)
    assert status == 200 and v2["version"] == 2 and v2["versions"] == [1, 2], v2
    old = gw.call("GET", f"/v1/rate-cards/{card['card_id']}", key=a.key, query={"version": "1"})[1]
    assert old["card"]["zones"][0]["first_price"] == "3.50"
    quote = gw.call("POST", "/v1/rates", PARCEL, key=a.key)[1]
    assert quote["decision"]["chosen"]["quote"]["price"] == "5.72"  # (4.00 + 1.20) * 1.1

    # retiring the card leaves nothing to price with
    assert gw.call("DELETE", f"/v1/rate-cards/{card['card_id']}", key=a.key)[1]["retired"] is True
    quote = gw.call("POST", "/v1/rates", PARCEL, key=a.key)[1]
    assert quote["decision"]["chosen"] is None and quote["quotes"] == []


def test_remote_postcodes_pay_the_surcharge(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    aid = _account(gw, a.key)
    gw.call("POST", "/v1/rate-cards", card_body(aid), key=a.key)
    body = copy.deepcopy(PARCEL)
    body["destination"]["postcode"] = "098765"
    q = gw.call("POST", "/v1/rates", body, key=a.key)[1]["decision"]["chosen"]["quote"]
    assert "remote_area" in [c["kind"] for c in q["breakdown"]] and q["zone_id"] == "sg-island"
    body["destination"]["postcode"] = "770000"
    decision = gw.call("POST", "/v1/rates", body, key=a.key)[1]["decision"]
    assert decision["chosen"] is None
    reason = decision["excluded"][0]["reason"]
    assert "recipient.postcode" in reason or "service area" in reason, reason


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zones": []}, "zones"),
        ({"currency": "XXX"}, "currency"),
        ({"valid_to": "2025-01-01T00:00:00+08:00"}, "valid_to"),
        ({"service": "Teleport"}, "service"),
        ({"account_id": "ca_missing"}, "account_id"),
    ],
)
def test_bad_rate_cards_name_the_field(gw: Gateway, tenants: tuple[Tenant, Tenant], change: dict[str, Any],
                                       field: str) -> None:
    a, _ = tenants
    aid = _account(gw, a.key)
    status, body, _ = gw.call("POST", "/v1/rate-cards", {**card_body(aid), **change}, key=a.key)
    assert status == 400, body
    assert body["error"]["details"][0]["field"] == field, body
    assert gw.call("GET", "/v1/rate-cards", key=a.key)[1]["items"] == []


def test_rules_steer_the_choice_and_explain_it(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    aid = _account(gw, a.key)
    gw.call("POST", "/v1/rate-cards", card_body(aid, "Standard", first="3.50"), key=a.key)
    express = card_body(aid, "Express", first="9.00")
    for z in express["zones"]:
        z["transit_days_min"], z["transit_days_max"] = 1, 1
    gw.call("POST", "/v1/rate-cards", express, key=a.key)
    heavy = {"name": "Heavy goes fast", "priority": 10, "conditions": {"min_weight_g": 600},
             "action": {"strategy": "fastest"}}
    status, rule, _ = gw.call("POST", "/v1/rules", heavy, key=a.key)
    assert status == 201, rule
    never = {"name": "COD only", "priority": 5, "conditions": {"cod": True}, "action": {"strategy": "cheapest"}}
    gw.call("POST", "/v1/rules", never, key=a.key)
    listed = gw.call("GET", "/v1/rules", key=a.key)[1]["items"]
    assert [r["rule"]["name"] for r in listed] == ["COD only", "Heavy goes fast"]
    decision = gw.call("POST", "/v1/rates", PARCEL, key=a.key)[1]["decision"]
    assert decision["rule"]["id"] == rule["rule_id"] and decision["strategy"] == "fastest"
    assert decision["chosen"]["service"] == "Express"
    assert decision["rules_not_matched"][0]["failed"] == "cod"
    assert len(decision["compared"]) == 2
    # replacing the rule with optimistic concurrency
    stale = rule["version"]
    ok = gw.call("PUT", f"/v1/rules/{rule['rule_id']}", {**heavy, "priority": 1}, key=a.key,
             query={"version": str(stale)})
    assert ok[0] == 200, ok
    assert gw.call("PUT", f"/v1/rules/{rule['rule_id']}", heavy, key=a.key, query={"version": str(stale)})[0] == 409
    assert gw.call("DELETE", f"/v1/rules/{rule['rule_id']}", key=a.key)[0] == 200
    assert gw.call("GET", f"/v1/rules/{rule['rule_id']}", key=a.key)[0] == 404


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"name": "Fixed", "action": {"strategy": "fixed"}}, "action.fixed_account_id"),
        ({"name": "Fixed", "action": {"strategy": "fixed", "fixed_account_id": "ca_nope"}}, "action.fixed_account_id"),
        ({"name": "Shop", "shop_id": 999, "action": {"strategy": "cheapest"}}, "shop_id"),
        ({"name": "Bad", "action": {"strategy": "teleport"}}, "action.strategy"),
        ({"name": "Bad", "conditions": {"markets": ["XX"]}, "action": {"strategy": "cheapest"}}, "conditions.markets"),
    ],
)
def test_bad_rules_name_the_field(gw: Gateway, tenants: tuple[Tenant, Tenant], rule: dict[str, Any],
                                  field: str) -> None:
    a, _ = tenants
    status, body, _ = gw.call("POST", "/v1/rules", rule, key=a.key)
    assert status == 400, body
    assert body["error"]["details"][0]["field"].startswith(field), body


def test_rates_need_a_subject(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    status, body, _ = gw.call("POST", "/v1/rates", {"destination": PARCEL["destination"]}, key=a.key)
    assert status == 400 and "parcel" in body["error"]["message"] + str(body["error"]["details"])
    status, body, _ = gw.call("POST", "/v1/rates", {"order_sn": "NOSUCHORDER1"}, key=a.key)
    assert status == 404, body


def test_merchants_use_the_forwarders_accounts_and_cards(
    gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str
) -> None:
    aid = _account(gw, operator_key)
    assert gw.call("POST", "/v1/rate-cards", card_body(aid), key=operator_key)[0] == 201
    a, _ = tenants
    decision = gw.call("POST", "/v1/rates", PARCEL, key=a.key)[1]["decision"]
    assert decision["chosen"]["account_id"] == aid
