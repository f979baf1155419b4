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
