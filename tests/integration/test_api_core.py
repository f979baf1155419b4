"""Credentials, roles, audit, idempotency and OpenAPI, through the in-process gateway."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.gateway import Gateway
from tests.integration.conftest import Tenant
from tests.integration.test_tenancy import WAREHOUSE, ok


def test_key_lifecycle_rotate_with_grace_and_revoke(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    me = ok(gw, a.key, "GET", "/v1/me")
    issued = ok(gw, a.key, "POST", f"/v1/users/{me['user_id']}/keys", {"label": "warehouse pc"})
    new_key, prefix = issued["api_key"], issued["key"]["prefix"]
    assert new_key.startswith("kf_live_") and prefix in new_key
    listed = ok(gw, a.key, "GET", f"/v1/users/{me['user_id']}/keys")["items"]
    assert {k["prefix"] for k in listed} >= {prefix, me["key_prefix"]}
    assert new_key not in json.dumps(listed)  # shown once only
    # Using a key records its last use.
    ok(gw, new_key, "GET", "/v1/me")
    used = next(k for k in ok(gw, a.key, "GET", "/v1/api-keys")["items"] if k["prefix"] == prefix)
    assert used["last_used_at"] is not None

    rotated = ok(gw, a.key, "POST", f"/v1/api-keys/{prefix}/rotate", {"grace_seconds": 3600})
    assert ok(gw, rotated["api_key"], "GET", "/v1/me")["user_id"] == me["user_id"]
    assert gw.call("GET", "/v1/me", key=new_key)[0] == 200  # still inside its grace period
    status, _body, _ = gw.call("POST", f"/v1/api-keys/{prefix}/rotate", {}, key=a.key)
    assert status == 409  # a key is rotated once

    ok(gw, a.key, "POST", f"/v1/api-keys/{prefix}/revoke")  # ends the grace period now
    assert gw.call("GET", "/v1/me", key=new_key)[0] == 401
    ok(gw, a.key, "POST", f"/v1/api-keys/{rotated['key']['prefix']}/revoke")
    assert gw.call("GET", "/v1/me", key=rotated["api_key"])[0] == 401
    assert gw.call("POST", f"/v1/api-keys/{prefix}/revoke", key=a.key)[0] == 409


def test_rotation_grace_ends_on_the_clock(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    from kiriman.clock import FixedClock

    a, _ = tenants
    clock = FixedClock(time.time())
    gw.api.RUNTIME.clock = clock
    gw.authorizer.RUNTIME.clock = clock
    prefix = ok(gw, a.key, "GET", "/v1/me")["key_prefix"]
    rotated = ok(gw, a.key, "POST", f"/v1/api-keys/{prefix}/rotate", {"grace_seconds": 60})
    assert gw.call("GET", "/v1/me", key=a.key)[0] == 200
    clock.advance(61)
    assert gw.call("GET", "/v1/me", key=a.key)[0] == 401
    assert gw.call("GET", "/v1/me", key=rotated["api_key"])[0] == 200


def test_roles(gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str) -> None:
    a, _ = tenants
    staff = ok(gw, a.key, "POST", "/v1/users", {"display_name": "Packer", "role": "merchant_staff"})["api_key"]
    viewer = ok(gw, a.key, "POST", "/v1/users", {"display_name": "Auditor", "role": "viewer"})["api_key"]
    wh = ok(gw, a.key, "POST", "/v1/warehouses", WAREHOUSE)
    assert gw.call("GET", "/v1/warehouses", key=staff)[0] == 200
    assert gw.call("POST", "/v1/warehouses", WAREHOUSE, key=staff)[0] == 403
    assert gw.call("DELETE", f"/v1/warehouses/{wh['warehouse_id']}", key=viewer)[0] == 403
    assert gw.call("POST", "/v1/users", {"display_name": "x y", "role": "viewer"}, key=staff)[0] == 403
    assert gw.call("GET", "/v1/audit", key=viewer)[0] == 403
    # A merchant admin cannot mint operator roles.
    status, body, _ = gw.call("POST", "/v1/users", {"display_name": "Boss", "role": "admin"}, key=a.key)
    assert status == 400 and body["error"]["details"][0]["field"] == "role"


def test_warehouse_operator_is_limited_to_one_site(gw: Gateway, operator_key: str) -> None:
    one = ok(gw, operator_key, "POST", "/v1/warehouses", WAREHOUSE)["warehouse_id"]
    two = ok(gw, operator_key, "POST", "/v1/warehouses", {**WAREHOUSE, "name": "Second DC"})["warehouse_id"]
    user = ok(
        gw, operator_key, "POST", "/v1/users", {"display_name": "Scanner", "role": "warehouse", "warehouse_id": one}
    )
    key = user["api_key"]
    assert [w["warehouse_id"] for w in ok(gw, key, "GET", "/v1/warehouses")["items"]] == [one]
    assert gw.call("GET", f"/v1/warehouses/{two}", key=key)[0] == 404
    assert gw.call("POST", "/v1/warehouses", WAREHOUSE, key=key)[0] == 403


def test_warehouse_crud_and_validation(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    wh = ok(gw, a.key, "POST", "/v1/warehouses", WAREHOUSE)
    assert wh["markets"] == ["TH"] and wh["merchant_id"] == a.merchant_id and wh["address"]["country"] == "TH"
    patched = ok(gw, a.key, "PATCH", f"/v1/warehouses/{wh['warehouse_id']}", {"markets": ["th", "my"], "active": False})
    assert patched["markets"] == ["MY", "TH"] and patched["active"] is False and patched["version"] == 1
    bad = {**WAREHOUSE, "markets": ["XX"], "address": {**WAREHOUSE["address"], "postcode": "!!"}}
    status, body, _ = gw.call("POST", "/v1/warehouses", bad, key=a.key)
    assert status == 400
    fields = {d["field"] for d in body["error"]["details"]}
    assert {"markets", "address.postcode"} <= fields
    ok(gw, a.key, "DELETE", f"/v1/warehouses/{wh['warehouse_id']}")
    assert gw.call("GET", f"/v1/warehouses/{wh['warehouse_id']}", key=a.key)[0] == 404


def test_operator_reads_are_audited_and_merchants_see_only_their_log(
    gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str
) -> None:
    a, b = tenants
    ok(gw, a.key, "POST", "/v1/warehouses", WAREHOUSE)
    status, _, _ = gw.call("GET", "/v1/warehouses", key=operator_key, query={"merchant_id": a.merchant_id})
    assert status == 200
    log = ok(gw, a.key, "GET", "/v1/audit")["items"]
    actions = [(e["action"], e["role"]) for e in log]
    assert ("GET /v1/warehouses", "admin") in actions  # the operator's read
    assert ("POST /v1/warehouses", "merchant_admin") in actions
    entry = next(e for e in log if e["role"] == "admin")
    assert entry["merchant_id"] == a.merchant_id and entry["key_prefix"] and entry["request_id"]
    # B asking for A's log gets A's nothing.
    status, _, _ = gw.call("GET", "/v1/audit", key=b.key, query={"merchant_id": a.merchant_id})
    assert status == 404
    assert all(e["merchant_id"] == b.merchant_id for e in ok(gw, b.key, "GET", "/v1/audit")["items"])
    # Operators filter by merchant and action.
    status, body, _ = gw.call(
        "GET", "/v1/audit", key=operator_key, query={"merchant_id": a.merchant_id, "action": "POST /v1/warehouses"}
    )
    assert status == 200 and [e["action"] for e in body["items"]] == ["POST /v1/warehouses"]


def test_idempotency_replay_and_conflicting_body(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    h = {"Idempotency-Key": "order-42"}
    s1, first, _ = gw.call("POST", "/v1/warehouses", WAREHOUSE, key=a.key, headers_extra=h)
    s2, again, _ = gw.call("POST", "/v1/warehouses", WAREHOUSE, key=a.key, headers_extra=h)
    assert s1 == s2 == 201 and first == again
    assert len(ok(gw, a.key, "GET", "/v1/warehouses")["items"]) == 1
    status, body, _ = gw.call("POST", "/v1/warehouses", {**WAREHOUSE, "name": "Other DC"}, key=a.key, headers_extra=h)
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused"
    # Another merchant may use the same key for its own request.
    s3, theirs, _ = gw.call("POST", "/v1/warehouses", WAREHOUSE, key=b.key, headers_extra=h)
    assert s3 == 201 and theirs["warehouse_id"] != first["warehouse_id"]
    # A failed request is not remembered: fixing the body and retrying with the key works.
    h2 = {"Idempotency-Key": "order-43"}
    assert gw.call("POST", "/v1/warehouses", {"name": "x"}, key=a.key, headers_extra=h2)[0] == 400
    assert gw.call("POST", "/v1/warehouses", WAREHOUSE, key=a.key, headers_extra=h2)[0] == 201


def test_idempotency_concurrent_duplicates(gw: Gateway, tenants: tuple[Tenant, Tenant], monkeypatch: Any) -> None:
    from kiriman.domain import warehouses

    a, _ = tenants
    real = warehouses.create

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.8)
        return real(*args, **kwargs)

    monkeypatch.setattr(warehouses, "create", slow)
    results: list[tuple[int, Any]] = []

    def go() -> None:
        s, body, _ = gw.call("POST", "/v1/warehouses", WAREHOUSE, key=a.key, headers_extra={"Idempotency-Key": "dup"})
        results.append((s, body))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(s for s, _ in results)
    assert statuses in ([201, 409], [201, 201]), results
    monkeypatch.setattr(warehouses, "create", real)
    assert len(ok(gw, a.key, "GET", "/v1/warehouses")["items"]) == 1


def test_bad_idempotency_key_is_400(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    status, body, _ = gw.call(
        "POST", "/v1/warehouses", WAREHOUSE, key=a.key, headers_extra={"Idempotency-Key": "x" * 300}
    )
    assert status == 400 and body["error"]["details"][0]["field"] == "header.Idempotency-Key"


def test_openapi_is_served_and_matches_the_committed_file(gw: Gateway) -> None:
    from kiriman.api.openapi import render

    status, served, _ = gw.call("GET", "/v1/openapi.json")
    assert status == 200 and served["info"]["title"] == "Shopee Forwarder API"
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == render(), "docs/openapi.json drifted from the code: run `make openapi`"
    assert "/v1/warehouses" in served["paths"]
    assert served["paths"]["/v1/health"]["get"]["security"] == []
    status, page, _ = gw.call("GET", "/v1/docs")
    assert status == 200 and "swagger-ui" in page and "openapi.json" in page


@pytest.mark.parametrize("path", ["/v1/health", "/v1/openapi.json", "/v1/docs"])
def test_public_routes_need_no_key(gw: Gateway, path: str) -> None:
    assert gw.call("GET", path)[0] == 200


def test_merchant_settings_first_hour_hold(gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str) -> None:
    a, b = tenants
    status, body, _ = gw.call("GET", f"/v1/merchants/{a.merchant_id}", key=a.key)
    assert status == 200 and body["arrange_within_first_hour"] is False  # Shopee's advice is the default
    path = f"/v1/merchants/{a.merchant_id}"
    status, body, _ = gw.call("PATCH", path, {"arrange_within_first_hour": True}, key=a.key)
    assert status == 200 and body["arrange_within_first_hour"] is True
    assert gw.call("GET", path, key=a.key)[1]["arrange_within_first_hour"] is True
    # a string is not a boolean; unknown fields are refused; nothing changes on a refusal
    status, body, _ = gw.call("PATCH", path, {"arrange_within_first_hour": "no"}, key=a.key)
    assert status == 400 and body["error"]["details"][0]["field"] == "arrange_within_first_hour"
    status, body, _ = gw.call("PATCH", path, {"arrange_within_first_hour": False, "colour": "red"}, key=a.key)
    assert status == 400 and gw.call("GET", path, key=a.key)[1]["arrange_within_first_hour"] is True
    # another merchant's admin sees no such merchant; the operator admin may change it
    assert gw.call("PATCH", path, {"arrange_within_first_hour": False}, key=b.key)[0] == 404
    status, body, _ = gw.call("PATCH", path, {"arrange_within_first_hour": False}, key=operator_key)
    assert status == 200 and body["arrange_within_first_hour"] is False
    assert gw.call("PATCH", "/v1/merchants/mer_nope", {"arrange_within_first_hour": True},
                   key=operator_key)[0] == 404


def test_warehouse_bin_locations_merge_and_validate(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    body = {"name": "Shelves", "markets": ["SG"], "address": {"name": "Shelves", "phone": "+6560000009",
                                                              "line1": "1 Jalan Besar", "city": "Singapore",
                                                              "postcode": "208786", "country": "SG"}}
    status, w, _ = gw.call("POST", "/v1/warehouses", body, key=a.key)
    assert status == 201 and w["bin_locations"] == {}
    path = f"/v1/warehouses/{w['warehouse_id']}"
    status, w, _ = gw.call("PATCH", path, {"bin_locations": {"MUG-1": "A-2", "CAP-9": "B-10"}}, key=a.key)
    assert status == 200 and w["bin_locations"] == {"MUG-1": "A-2", "CAP-9": "B-10"}
    status, w, _ = gw.call("PATCH", path, {"bin_locations": {"CAP-9": None, "TEE-3": "C-1"}}, key=a.key)
    assert status == 200 and w["bin_locations"] == {"MUG-1": "A-2", "TEE-3": "C-1"}  # merged; null removes
    for bad in ({"MUG-1": "<b>"}, {"": "A-1"}, {"MUG-1": "x" * 33}):
        status, err, _ = gw.call("PATCH", path, {"bin_locations": bad}, key=a.key)
        assert status == 400 and err["error"]["details"][0]["field"].startswith("bin_locations"), err
    assert gw.call("GET", path, key=a.key)[1]["bin_locations"] == {"MUG-1": "A-2", "TEE-3": "C-1"}
