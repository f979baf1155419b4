"""Carrier accounts through the API: credentials to Secrets Manager and never back out; errors name fields."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.conftest import REGION
from tests.gateway import Gateway
from tests.integration.conftest import Tenant

ACCOUNT = {
    "carrier": "ninjavan",
    "name": "Ninja Van SG",
    "country": "sg",
    "credentials": {"client_id": "nv-id", "client_secret": "nv-very-secret"},
    "settings": {"shipper_prefix": "NVSGKRM"},
}


def _secret(name_part: str) -> dict[str, Any]:
    sm = boto3.client("secretsmanager", region_name=REGION)
    names = [s["Name"] for s in sm.list_secrets()["SecretList"] if name_part in s["Name"]]
    assert len(names) == 1, names
    return dict(json.loads(sm.get_secret_value(SecretId=names[0])["SecretString"]))


def test_create_stores_credentials_in_the_vault_and_never_returns_them(
    gw: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    status, body, _ = gw.call("POST", "/v1/carrier-accounts", ACCOUNT, key=a.key)
    assert status == 201, body
    assert body["country"] == "SG" and body["credentials_set"] == ["client_id", "client_secret"]
    assert "nv-very-secret" not in json.dumps(body)
    assert _secret(body["account_id"]) == {"client_id": "nv-id", "client_secret": "nv-very-secret"}
    status, listed, _ = gw.call("GET", "/v1/carrier-accounts", key=a.key)
    assert "nv-very-secret" not in json.dumps(listed) and listed["items"][0]["account_id"] == body["account_id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"carrier": "dhl"}, "carrier"),
        ({"country": "BR"}, "country"),
        ({"credentials": {"client_id": "x"}}, "credentials.client_secret"),
        ({"credentials": {"client_id": "x", "client_secret": "y", "password": "z"}}, "credentials.password"),
        ({"settings": {"colour": "red"}}, "settings.colour"),
        ({"settings": {"rate_limit_per_s": "fast"}}, "settings.rate_limit_per_s"),
        ({"settings": {"rate_limit_per_s": "2", "rate_limit_burst": "0.5"}}, "settings.rate_limit_burst"),
        ({"services": ["Teleport"]}, "services"),
        ({"environment": "staging"}, "environment"),
    ],
)
def test_bad_accounts_name_the_field_and_store_nothing(
    gw: Gateway, tenants: tuple[Tenant, Tenant], change: dict[str, Any], field: str
) -> None:
    a, _ = tenants
    status, body, _ = gw.call("POST", "/v1/carrier-accounts", {**ACCOUNT, **change}, key=a.key)
    assert status == 400, body
    assert body["error"]["details"][0]["field"] == field, body
    assert gw.call("GET", "/v1/carrier-accounts", key=a.key)[1]["items"] == []
    sm = boto3.client("secretsmanager", region_name=REGION)
    assert not [s for s in sm.list_secrets()["SecretList"] if "carrier-accounts" in s["Name"]]


def test_rotate_and_retire(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    created = gw.call("POST", "/v1/carrier-accounts", ACCOUNT, key=a.key)[1]
    aid = created["account_id"]
    status, body, _ = gw.call(
        "PATCH", f"/v1/carrier-accounts/{aid}", {"credentials": {"client_id": "nv-id", "client_secret": "rotated"}},
        key=a.key,
    )
    assert status == 200 and body["version"] == 1, body
    assert _secret(aid)["client_secret"] == "rotated"
    status, body, _ = gw.call("DELETE", f"/v1/carrier-accounts/{aid}", key=a.key)
    assert status == 200 and body["active"] is False
    assert gw.call("GET", f"/v1/carrier-accounts/{aid}", key=a.key)[1]["active"] is False


def test_operators_keep_their_own_accounts(
    gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str
) -> None:
    status, body, _ = gw.call("POST", "/v1/carrier-accounts", ACCOUNT, key=operator_key)
    assert status == 201 and body["merchant_id"] is None, body
    a, _ = tenants
    assert gw.call("GET", "/v1/carrier-accounts", key=a.key)[1]["items"] == []


def test_carrier_catalogue(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    status, body, _ = gw.call("GET", "/v1/carriers", key=tenants[0].key)
    assert status == 200
    nv = next(c for c in body if c["slug"] == "ninjavan")
    assert nv["credential_fields"] == ["client_id", "client_secret"] and "track" in nv["operations"]


def test_an_account_may_carry_its_contract_rate_limit(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    from kiriman.carriers.ratelimit import limit_for

    a, _ = tenants
    body = {**ACCOUNT, "settings": {**ACCOUNT["settings"], "rate_limit_per_s": "2", "rate_limit_burst": "4"}}
    status, created, _ = gw.call("POST", "/v1/carrier-accounts", body, key=a.key)
    assert status == 201, created
    assert created["settings"]["rate_limit_per_s"] == "2"
    limit = limit_for("ninjavan", created["settings"])
    assert (limit.rate_per_s, limit.burst) == (2.0, 4.0)
