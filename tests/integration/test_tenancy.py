"""Cross-tenant harness: every non-public route, as merchant A (2xx) and merchant B (404, never 403).

Each route has a fixture below that creates the resource as A and says how to call the route. A new
route without a fixture fails ``test_every_route_has_a_fixture``; the next issues' routes join here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from kiriman.manifest import MANIFEST
from tests.gateway import Gateway
from tests.integration.conftest import Tenant

WAREHOUSE = {
    "name": "Bangna DC",
    "address": {
        "name": "Bangna DC",
        "phone": "+66 2 123 4567",
        "line1": "88 Bangna-Trad Rd",
        "city": "Bangkok",
        "postcode": "10260",
        "country": "TH",
    },
    "markets": ["TH"],
}


@dataclass
class Call:
    method: str
    path: str
    body: Any = None
    query: dict[str, str] | None = None


@dataclass
class Case:
    call: Call
    owner_status: int = 200
    other_status: int = 404
    # After A's call: something B can list, and what must not appear in it.
    other_list: Call | None = None
    hidden: list[str] = field(default_factory=list)


Fixture = Callable[[Gateway, Tenant, str], Case]
FIXTURES: dict[tuple[str, str], Fixture] = {}


def route(method: str, path: str) -> Callable[[Fixture], Fixture]:
    def reg(fn: Fixture) -> Fixture:
        FIXTURES[(method, path)] = fn
        return fn

    return reg


def ok(gw: Gateway, key: str, method: str, path: str, body: Any = None) -> Any:
    status, resp, _ = gw.call(method, path, body, key=key)
    assert 200 <= status < 300, (method, path, status, resp)
    return resp


def _me(gw: Gateway, a: Tenant) -> dict[str, Any]:
    return ok(gw, a.key, "GET", "/v1/me")


@route("GET", "/v1/me")
def _f_me(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/me"), other_status=200)  # B sees itself; checked in test_me_is_self


@route("POST", "/v1/merchants")
def _f_merchants_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", "/v1/merchants", {"name": "Nope"}), owner_status=403, other_status=403)


@route("GET", "/v1/merchants")
def _f_merchants_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/merchants"), owner_status=403, other_status=403)


@route("GET", "/v1/merchants/{merchant_id}")
def _f_merchant(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/merchants/{a.merchant_id}"))


@route("PATCH", "/v1/merchants/{merchant_id}")
def _f_merchant_settings(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("PATCH", f"/v1/merchants/{a.merchant_id}", {"arrange_within_first_hour": True}))


@route("POST", "/v1/users")
def _f_users_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(
        Call("POST", "/v1/users", {"display_name": "Packer", "role": "merchant_staff"}),
        owner_status=201,
        other_status=201,  # B creates its own user; the leak check is that B cannot see A's
        other_list=Call("GET", "/v1/users"),
        hidden=[_me(gw, a)["user_id"]],
    )


@route("GET", "/v1/users")
def _f_users_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(
        Call("GET", "/v1/users"), other_status=200, other_list=Call("GET", "/v1/users"), hidden=[_me(gw, a)["user_id"]]
    )


@route("GET", "/v1/users/{user_id}")
def _f_user(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/users/{_me(gw, a)['user_id']}"))


@route("POST", "/v1/users/{user_id}/keys")
def _f_user_keys_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", f"/v1/users/{_me(gw, a)['user_id']}/keys", {"label": "ci"}), owner_status=201)


@route("GET", "/v1/users/{user_id}/keys")
def _f_user_keys(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/users/{_me(gw, a)['user_id']}/keys"))


@route("GET", "/v1/api-keys")
def _f_keys(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(
        Call("GET", "/v1/api-keys"),
        other_status=200,
        other_list=Call("GET", "/v1/api-keys"),
        hidden=[_me(gw, a)["key_prefix"]],
    )


def _extra_key(gw: Gateway, a: Tenant) -> str:
    created = ok(gw, a.key, "POST", f"/v1/users/{_me(gw, a)['user_id']}/keys", {"label": "spare"})
    return str(created["key"]["prefix"])


@route("POST", "/v1/api-keys/{prefix}/rotate")
def _f_rotate(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", f"/v1/api-keys/{_extra_key(gw, a)}/rotate", {"grace_seconds": 0}), owner_status=201)


@route("POST", "/v1/api-keys/{prefix}/revoke")
def _f_revoke(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", f"/v1/api-keys/{_extra_key(gw, a)}/revoke"))


def _warehouse(gw: Gateway, a: Tenant) -> str:
    return str(ok(gw, a.key, "POST", "/v1/warehouses", WAREHOUSE)["warehouse_id"])


@route("POST", "/v1/warehouses")
def _f_wh_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(
        Call("POST", "/v1/warehouses", WAREHOUSE),
        owner_status=201,
        other_status=201,
        other_list=Call("GET", "/v1/warehouses"),
        hidden=[_warehouse(gw, a)],
    )


@route("GET", "/v1/warehouses")
def _f_wh_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(
        Call("GET", "/v1/warehouses"),
        other_status=200,
        other_list=Call("GET", "/v1/warehouses"),
        hidden=[_warehouse(gw, a)],
    )


@route("GET", "/v1/warehouses/{warehouse_id}")
def _f_wh_get(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/warehouses/{_warehouse(gw, a)}"))


@route("PATCH", "/v1/warehouses/{warehouse_id}")
def _f_wh_patch(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("PATCH", f"/v1/warehouses/{_warehouse(gw, a)}", {"name": "Renamed DC"}))


@route("DELETE", "/v1/warehouses/{warehouse_id}")
def _f_wh_delete(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("DELETE", f"/v1/warehouses/{_warehouse(gw, a)}"))


@route("GET", "/v1/audit")
def _f_audit(gw: Gateway, a: Tenant, op: str) -> Case:
    _warehouse(gw, a)  # leaves an audit record in A's log
    status, log, _ = gw.call("GET", "/v1/audit", key=a.key)
    assert status == 200 and log["items"], log
    return Case(
        Call("GET", "/v1/audit"),
        other_status=200,
        other_list=Call("GET", "/v1/audit"),
        hidden=[e["audit_id"] for e in log["items"]],
    )


def _seed_shop_and_order(gw: Gateway, a: Tenant) -> tuple[int, str]:
    from tests.integration.test_store import _order, _shop

    store = gw.api.RUNTIME.store
    shop_id = abs(hash(a.merchant_id)) % 10**8 + 1
    store.link_shop(_shop(a.merchant_id, shop_id))
    sn = f"SN{shop_id}"
    store.upsert_order(_order(a.merchant_id, sn, 100))
    return shop_id, sn


@route("POST", "/v1/shops/authorize")
def _f_shop_authorize(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", "/v1/shops/authorize", {}), other_status=200)  # each gets its own link


@route("GET", "/v1/shops")
def _f_shops(gw: Gateway, a: Tenant, op: str) -> Case:
    shop_id, _ = _seed_shop_and_order(gw, a)
    return Case(Call("GET", "/v1/shops"), other_status=200, other_list=Call("GET", "/v1/shops"), hidden=[str(shop_id)])


@route("GET", "/v1/shops/{shop_id}")
def _f_shop(gw: Gateway, a: Tenant, op: str) -> Case:
    shop_id, _ = _seed_shop_and_order(gw, a)
    return Case(Call("GET", f"/v1/shops/{shop_id}"))


@route("GET", "/v1/orders")
def _f_orders(gw: Gateway, a: Tenant, op: str) -> Case:
    _, sn = _seed_shop_and_order(gw, a)
    return Case(Call("GET", "/v1/orders"), other_status=200, other_list=Call("GET", "/v1/orders"), hidden=[sn])


@route("GET", "/v1/orders/{order_sn}")
def _f_order(gw: Gateway, a: Tenant, op: str) -> Case:
    _, sn = _seed_shop_and_order(gw, a)
    return Case(Call("GET", f"/v1/orders/{sn}"))


PRIVATE = sorted({(r.method, r.path) for _, r in MANIFEST.routes() if not r.public})


ACCOUNT = {
    "carrier": "ninjavan",
    "name": "Ninja Van SG",
    "country": "SG",
    "credentials": {"client_id": "nv-id", "client_secret": "nv-secret"},
    "settings": {"shipper_prefix": "NVSGKRM"},
}


def _account(gw: Gateway, a: Tenant) -> str:
    return str(ok(gw, a.key, "POST", "/v1/carrier-accounts", ACCOUNT)["account_id"])


@route("GET", "/v1/carriers")
def _f_carriers(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/carriers"), other_status=200)  # the same catalogue for everyone


@route("POST", "/v1/carrier-accounts")
def _f_ca_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", "/v1/carrier-accounts", ACCOUNT), owner_status=201, other_status=201,
                other_list=Call("GET", "/v1/carrier-accounts"), hidden=[_account(gw, a)])


@route("GET", "/v1/carrier-accounts")
def _f_ca_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/carrier-accounts"), other_status=200,
                other_list=Call("GET", "/v1/carrier-accounts"), hidden=[_account(gw, a)])


@route("GET", "/v1/carrier-accounts/{account_id}")
def _f_ca_get(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/carrier-accounts/{_account(gw, a)}"))


@route("PATCH", "/v1/carrier-accounts/{account_id}")
def _f_ca_patch(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("PATCH", f"/v1/carrier-accounts/{_account(gw, a)}", {"name": "Renamed"}))


@route("DELETE", "/v1/carrier-accounts/{account_id}")
def _f_ca_delete(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("DELETE", f"/v1/carrier-accounts/{_account(gw, a)}"))


def _card(gw: Gateway, a: Tenant) -> str:
    from tests.integration.test_api_shipping import card_body

    return str(ok(gw, a.key, "POST", "/v1/rate-cards", card_body(_account(gw, a)))["card_id"])


@route("POST", "/v1/rate-cards")
def _f_rc_create(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_api_shipping import card_body

    # B cannot price with A's account: the account is not B's, so the field is refused
    return Case(Call("POST", "/v1/rate-cards", card_body(_account(gw, a))), owner_status=201, other_status=400,
                other_list=Call("GET", "/v1/rate-cards"), hidden=[_card(gw, a)])


@route("GET", "/v1/rate-cards")
def _f_rc_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/rate-cards"), other_status=200, other_list=Call("GET", "/v1/rate-cards"),
                hidden=[_card(gw, a)])


@route("GET", "/v1/rate-cards/{card_id}")
def _f_rc_get(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/rate-cards/{_card(gw, a)}"))


@route("PUT", "/v1/rate-cards/{card_id}")
def _f_rc_put(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_api_shipping import card_body

    card = _card(gw, a)
    account = ok(gw, a.key, "GET", f"/v1/rate-cards/{card}")["account_id"]
    return Case(Call("PUT", f"/v1/rate-cards/{card}", card_body(account)), other_status=400)


@route("DELETE", "/v1/rate-cards/{card_id}")
def _f_rc_delete(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("DELETE", f"/v1/rate-cards/{_card(gw, a)}"))


RULE = {"name": "Cheapest", "priority": 10, "action": {"strategy": "cheapest"}}


def _rule(gw: Gateway, a: Tenant) -> str:
    return str(ok(gw, a.key, "POST", "/v1/rules", RULE)["rule_id"])


@route("POST", "/v1/rules")
def _f_rule_create(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", "/v1/rules", RULE), owner_status=201, other_status=201,
                other_list=Call("GET", "/v1/rules"), hidden=[_rule(gw, a)])


@route("GET", "/v1/rules")
def _f_rule_list(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", "/v1/rules"), other_status=200, other_list=Call("GET", "/v1/rules"),
                hidden=[_rule(gw, a)])


@route("GET", "/v1/rules/{rule_id}")
def _f_rule_get(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("GET", f"/v1/rules/{_rule(gw, a)}"))


@route("PUT", "/v1/rules/{rule_id}")
def _f_rule_put(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("PUT", f"/v1/rules/{_rule(gw, a)}", {**RULE, "priority": 1}))


@route("DELETE", "/v1/rules/{rule_id}")
def _f_rule_delete(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("DELETE", f"/v1/rules/{_rule(gw, a)}"))


@route("POST", "/v1/rates")
def _f_rates(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_api_shipping import PARCEL

    card = _card(gw, a)
    account = ok(gw, a.key, "GET", f"/v1/rate-cards/{card}")["account_id"]
    # B gets its own (empty) quote: A's accounts and cards never appear in it
    return Case(Call("POST", "/v1/rates", PARCEL), other_status=200, other_list=Call("POST", "/v1/rates", PARCEL),
                hidden=[account, card])


def _failed_claim(gw: Gateway, a: Tenant) -> dict[str, Any]:
    from kiriman.carriers.base import PackageRef
    from kiriman.domain.purchases import Claim, ClaimState

    rt = gw.api.RUNTIME
    pkg = PackageRef(220000999, "2511TENANCY01", "OFGTENANCY1")
    now = rt.clock.time()
    rt.store.create_claim(Claim(pkg, 1, a.merchant_id, ClaimState.FAILED, "ninjavan", "ca_x", "KREF", now, now,
                                error={"code": "2000", "message": "refused", "field": "to.address.address1"}))
    return {"shop_id": pkg.shop_id, "order_sn": pkg.order_sn, "package_number": pkg.package_number}


@route("GET", "/v1/shipments")
def _f_shipments(gw: Gateway, a: Tenant, op: str) -> Case:
    _failed_claim(gw, a)
    return Case(Call("GET", "/v1/shipments"), other_status=200, other_list=Call("GET", "/v1/shipments"),
                hidden=["2511TENANCY01"])


@route("POST", "/v1/shipments")
def _f_shipments_create(gw: Gateway, a: Tenant, op: str) -> Case:
    _, sn = _seed_shop_and_order(gw, a)
    order = gw.api.RUNTIME.store.get_order(a.merchant_id, sn)
    body = {"shop_id": order.shop_id, "order_sn": sn, "package_number": order.packages[0].package_number}
    return Case(Call("POST", "/v1/shipments", body), owner_status=202)


@route("POST", "/v1/shipments/retry")
def _f_shipments_retry(gw: Gateway, a: Tenant, op: str) -> Case:
    return Case(Call("POST", "/v1/shipments/retry", _failed_claim(gw, a)))


@route("GET", "/v1/pickups")
def _f_pickups(gw: Gateway, a: Tenant, op: str) -> Case:
    from kiriman.domain.pickups import PickupBooking, PickupState

    gw.api.RUNTIME.store.put_pickup_booking(PickupBooking(
        a.merchant_id, "wh_tenancy_pickup", "flash", "ca_1", "2026-01-01", PickupState.BOOKED, 3, 3,
        {a.merchant_id: 3}, 1.0, 1.0, confirmation="T1", version=1))
    listing = Call("GET", "/v1/pickups", query={"date": "2026-01-01"})
    return Case(listing, other_status=200, other_list=listing, hidden=["wh_tenancy_pickup"])


@route("GET", "/v1/shipments/{shipment_id}/label")
def _f_shipment_label(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_printing import labelled_shipment

    return Case(Call("GET", f"/v1/shipments/{labelled_shipment(gw, a)}/label"))


@route("POST", "/v1/labels/batch")
def _f_labels_batch(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_printing import labelled_shipment

    return Case(Call("POST", "/v1/labels/batch", {"shipments": [labelled_shipment(gw, a)]}))


@route("POST", "/v1/documents")
def _f_documents_create(gw: Gateway, a: Tenant, op: str) -> Case:
    from kiriman.domain import printing
    from tests.integration.test_printing import seed

    pkg = seed(gw, a, f"SNDT{abs(hash(a.merchant_id)) % 10**8:08d}", "Tenancy", "SKU-T")
    return Case(Call("POST", "/v1/documents", {"kind": "pick_list", "shipments": [printing.shipment_id(pkg)]}),
                owner_status=202)


@route("GET", "/v1/documents/{document_id}")
def _f_document_get(gw: Gateway, a: Tenant, op: str) -> Case:
    from tests.integration.test_documents_api import requested_document

    return Case(Call("GET", f"/v1/documents/{requested_document(gw, a)}"))


def test_every_route_has_a_fixture() -> None:
    missing = [r for r in PRIVATE if r not in FIXTURES]
    assert not missing, f"routes without a tenancy fixture: {missing}"
    assert not set(FIXTURES) - set(PRIVATE), "fixtures for routes that no longer exist"


@pytest.mark.parametrize(("method", "path"), PRIVATE, ids=[f"{m} {p}" for m, p in PRIVATE])
def test_cross_tenant(gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str, method: str, path: str) -> None:
    a, b = tenants
    case = FIXTURES[(method, path)](gw, a, operator_key)
    c = case.call
    # B first, so a mutating call by B cannot change what A then does.
    status, body, _ = gw.call(c.method, c.path, c.body, key=b.key, query=c.query)
    assert status == case.other_status, (status, body)
    if status == 404:
        assert body["error"]["code"] == "not_found"
    status, body, _ = gw.call(c.method, c.path, c.body, key=a.key, query=c.query)
    assert status == case.owner_status, (status, body)
    if case.other_list:
        status, listing, _ = gw.call(case.other_list.method, case.other_list.path, case.other_list.body, key=b.key)
        assert status == 200
        text = str(listing)
        for secret in case.hidden:
            assert secret not in text, f"B's {case.other_list.path} shows A's {secret}"


def test_me_is_self(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    assert ok(gw, a.key, "GET", "/v1/me")["merchant_id"] == a.merchant_id
    assert ok(gw, b.key, "GET", "/v1/me")["merchant_id"] == b.merchant_id


def test_merchant_cannot_name_another_merchant(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    status, _, _ = gw.call("GET", "/v1/warehouses", key=b.key, query={"merchant_id": a.merchant_id})
    assert status == 404
    status, _body, _ = gw.call("POST", "/v1/warehouses", WAREHOUSE, key=b.key, query={"merchant_id": a.merchant_id})
    assert status == 404
    assert ok(gw, a.key, "GET", "/v1/warehouses")["items"] == []
