"""Shipments through the API: refusals with the carrier's own error, and a retry that happens once."""

from __future__ import annotations

from kiriman.carriers.base import PackageRef
from tests.gateway import Gateway
from tests.integration.conftest import Tenant
from tests.integration.test_tenancy import _failed_claim


def test_needs_attention_shows_the_carriers_error_and_retry_opens_one_attempt(
    gw: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    pkg = _failed_claim(gw, a)
    status, page, _ = gw.call("GET", "/v1/shipments", key=a.key, query={"status": "needs_attention"})
    assert status == 200, page
    [item] = page["items"]
    assert item["status"] == "FAILED" and item["actions"] == ["retry"]
    assert item["error"] == {"code": "2000", "message": "refused", "field": "to.address.address1"}
    status, body, _ = gw.call("POST", "/v1/shipments/retry", pkg, key=a.key)
    assert status == 200, body
    status, body, _ = gw.call("POST", "/v1/shipments/retry", pkg, key=a.key)
    assert status == 404, body  # the next attempt has no refusal to retry: no third attempt
    ref = PackageRef(pkg["shop_id"], pkg["order_sn"], pkg["package_number"])
    assert gw.api.RUNTIME.store.current_attempt(ref) == 2


def test_unknown_status_is_a_400(gw: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    status, body, _ = gw.call("GET", "/v1/shipments", key=tenants[0].key, query={"status": "lost"})
    assert status == 400 and body["error"]["details"][0]["field"] == "query.status"


def test_buy_a_package_now_is_queued_once_and_refused_when_bought(
    gw: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    from kiriman.domain.purchases import Claim, ClaimState
    from tests.integration.test_tenancy import _seed_shop_and_order

    a, _ = tenants
    _, sn = _seed_shop_and_order(gw, a)
    store = gw.api.RUNTIME.store
    order = store.get_order(a.merchant_id, sn)
    body = {"shop_id": order.shop_id, "order_sn": sn}
    status, out, _ = gw.call("POST", "/v1/shipments", body, key=a.key, headers_extra={"Idempotency-Key": "buy-1"})
    assert status == 202 and out["package_number"] == order.packages[0].package_number, out
    again = gw.call("POST", "/v1/shipments", body, key=a.key, headers_extra={"Idempotency-Key": "buy-1"})
    assert again[0] == 202 and again[1] == out  # the same answer, not a second request
    bad = gw.call("POST", "/v1/shipments", {**body, "package_number": "NOPE"}, key=a.key)
    assert bad[0] == 400 and bad[1]["error"]["details"][0]["field"] == "package_number"
    pkg = PackageRef(order.shop_id, sn, order.packages[0].package_number)
    now = gw.api.RUNTIME.clock.time()
    store.create_claim(Claim(pkg, 1, a.merchant_id, ClaimState.BOUGHT, "ninjavan", "ca_1", "KREF", now, now,
                             tracking_number="NV1"))
    done = gw.call("POST", "/v1/shipments", body, key=a.key)
    assert done[0] == 409 and "BOUGHT" in done[1]["error"]["message"]
