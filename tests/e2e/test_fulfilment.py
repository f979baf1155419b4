"""Fulfilment on the local stack: READY_TO_SHIP packages across 5 shops end bought and handed back to
Shopee, with the carrier sandbox failing 20% of calls, timing out and throttling, Shopee throttling, and
the runner redelivering 10% of purchase messages. The sandboxes' ledgers must show one purchase per package.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.client import StackClient, http, wait_for
from tests.e2e.conftest import running_stack
from tests.e2e.test_shopee import all_orders, connect, new_merchant, sandbox

pytestmark = pytest.mark.e2e

OWN_FLEET = {"SG": 18098, "PH": 48099}  # Shopee sandbox's non-integrated channels (the merchant ships)
PER_SHOP = 20  # 100 packages across 5 shops
WAREHOUSE = {
    "SG": ("Ubi DC", "+6560000001", "10 Ubi Crescent", "Singapore", "408564"),
    "MY": ("Shah Alam DC", "+60355000001", "Lot 5 Jalan Utas", "Shah Alam", "40200"),
    "TH": ("Bangna DC", "+6621234567", "88 Bangna-Trad Rd", "Bangkok", "10260"),
    "VN": ("Tan Binh DC", "+842838000001", "15 Cong Hoa", "Ho Chi Minh City", "700000"),
    "PH": ("Pasig DC", "+6325550001", "1 Ortigas Ave", "Pasig", "1605"),
}
CURRENCY = {"SG": "SGD", "PH": "PHP"}


def nv(stack: StackClient, method: str, path: str, body: Any = None) -> Any:
    resp = http(method, stack.state["ninjavan"]["control_url"].rstrip("/") + path, body)
    assert resp.status == 200, (path, resp.status, resp.body)
    return resp.json()


def shipments(stack: StackClient, key: str, status: str) -> list[dict[str, Any]] | None:
    """None when the stack is too busy to answer (a worker past its scaled timeout is killed)."""
    out: list[dict[str, Any]] = []
    cursor = ""
    while True:
        resp = stack.api("GET", f"/v1/shipments?status={status}&limit=100" + (f"&cursor={cursor}" if cursor else ""),
                         key)
        if resp.status in (500, 502, 503, 504):
            return None
        assert resp.status == 200, resp.body
        out += resp.json()["items"]
        cursor = resp.json().get("next_cursor") or ""
        if not cursor:
            return out


def setup_merchant(stack: StackClient, key: str) -> None:
    for market, (name, phone, line1, city, postcode) in WAREHOUSE.items():
        body = {"name": name, "markets": [market], "address": {"name": name, "phone": phone, "line1": line1,
                                                                "city": city, "postcode": postcode, "country": market}}
        assert stack.api("POST", "/v1/warehouses", key, body).status == 201
    accounts = nv(stack, "GET", "/accounts")["accounts"]
    for market in OWN_FLEET:
        acct = next(a for a in accounts if market.lower() in a["countries"])
        resp = stack.api("POST", "/v1/carrier-accounts", key, {
            "carrier": "ninjavan", "name": f"NV {market}", "country": market, "services": ["Standard"],
            "credentials": {"client_id": acct["client_id"], "client_secret": acct["client_secret"]},
            "settings": {"shipper_prefix": acct["shipper_prefix"]}})
        assert resp.status == 201, resp.body
        card = {"account_id": resp.json()["account_id"], "service": "Standard", "currency": CURRENCY[market],
                "valid_from": "2026-01-01T00:00:00+00:00", "origin_country": market, "rounding_step_g": 500,
                "zones": [{"id": market.lower(), "name": market, "country": market, "transit_days_min": 1,
                           "transit_days_max": 3, "first_weight_g": 500, "first_price": "3.50", "step_g": 500,
                           "step_price": "1.20"}]}
        assert stack.api("POST", "/v1/rate-cards", key, card).status == 201


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackClient]:
    """Its own stack, at the demo's pace (time scale 0.2, 3 s timeout floor): fulfilment runs every
    function at once, and the shared e2e stack's 0.1 scale kills cold workers on two busy cores."""
    with running_stack(tmp_path_factory.mktemp("fulfil-stack"), time_scale="0.2", min_timeout_s="3",
                       probes=False) as state:
        yield StackClient(state)


@pytest.mark.timeout(900)
def test_packages_bought_once_each_and_handed_back_under_faults(stack: StackClient) -> None:
    m = new_merchant(stack, "Fulfil Five Shops")
    key = m["api_key"]
    setup_merchant(stack, key)
    shop_ids: dict[str, int] = {}
    own_fleet: set[str] = set()
    for region in WAREHOUSE:
        sid = int(sandbox(stack, "POST", "/shops", {"region": region})["shop_id"])
        shop_ids[region] = sid
        if region in OWN_FLEET:
            own_fleet |= set(sandbox(stack, "POST", "/orders", {"shop_id": sid, "count": PER_SHOP // 2, "items": 2,
                                                                "channel_id": OWN_FLEET[region]})["order_sns"])
            sandbox(stack, "POST", "/orders", {"shop_id": sid, "count": PER_SHOP - PER_SHOP // 2, "items": 1})
        else:
            sandbox(stack, "POST", "/orders", {"shop_id": sid, "count": PER_SHOP, "items": 2})
    total = PER_SHOP * len(WAREHOUSE)
    # Carriers misbehave: 20% server errors, timeouts, throttling; the runner redelivers 10% of messages.
    nv(stack, "POST", "/faults", {"error_rate": 0.2, "error_status": 503, "seed": 11, "paths": ["/orders"],
                                  "timeout_next": 2, "hang_s": 3, "throttle": {"count": 3, "retry_after_s": 1}})
    sandbox(stack, "POST", "/faults", {"throttle_next": 3, "paths": ["/api/v2/logistics/"]})
    stack.control("POST", "/faults", {"redeliver_share": 0.1, "functions": ["label_purchase"], "seed": 5})
    for sid in shop_ids.values():
        connect(stack, key, sid)
    wait_for("every order synced", lambda: len(all_orders(stack, key)) >= total, timeout=180, every=2)
    # Shopee's first hour: nothing is bought or arranged while the buyer may still cancel freely.
    time.sleep(5)
    assert shipments(stack, key, "bought") == [] and shipments(stack, key, "in_progress") == []
    stack.control("POST", "/clock/advance", {"seconds": 3660})  # the due sweep releases the held packages

    progress: dict[str, Any] = {}

    def settled() -> list[dict[str, Any]] | None:
        bought = shipments(stack, key, "bought")
        progress.update(bought=len(bought or []), handed_back=sum(1 for b in bought or [] if b["handed_back"]),
                        labelled=sum(1 for b in bought or [] if b["label_key"]), at=time.monotonic())
        if bought is not None and len(bought) >= total and all(b["handed_back"] and b["label_key"] for b in bought):
            return bought
        # Shopee's tracking numbers and documents come a minute or so after ship_order; the clock runs about
        # 7x real time here, gently enough for leases and the reconciler to keep their meaning
        stack.control("POST", "/clock/advance", {"seconds": 20})
        return None

    started = time.monotonic()
    try:
        bought = wait_for("every label bought and handed back", settled, timeout=600, every=3)
    except AssertionError:
        progress["in_progress"] = len(shipments(stack, key, "in_progress") or [])
        progress["needs_attention"] = len(shipments(stack, key, "needs_attention") or [])
        raise AssertionError(f"not settled after 600 s: {progress}") from None
    print(f"{total} packages settled in {time.monotonic() - started:.0f} s")
    attention = wait_for("the attention list", lambda: (a := shipments(stack, key, "needs_attention")) is not None
                         and [a])
    assert attention == [[]]
    by_package = {(b["order_sn"], b["package_number"]): b for b in bought}
    assert len(by_package) == total
    assert {b["carrier"] for b in bought if b["order_sn"] in own_fleet} == {"ninjavan"}
    assert {b["carrier"] for b in bought if b["order_sn"] not in own_fleet} == {"shopee"}

    ledger = nv(stack, "GET", "/ledger")
    ours = {k: n for k, n in ledger["purchases_by_package"].items() if k.split("|")[0] in
            {str(shop_ids[r]) for r in OWN_FLEET}}
    assert len(ours) == len(own_fleet) == len(OWN_FLEET) * (PER_SHOP // 2) and set(ours.values()) == {1}
    shopee = sandbox(stack, "GET", "/ledger?include=ship,orders")
    packages = [p for p in shopee["packages"] if p["shop_id"] in shop_ids.values()]
    arranged = [p for p in packages if p.get("ship_method") in ("pickup", "dropoff")]
    assert len(arranged) == total - len(own_fleet)
    assert all(shopee["ship_order_calls"][p["package_number"]]["ok"] == 1 for p in packages)
    nv_numbers = {s["tracking_number"] for s in ledger["shipments"]}
    assert {p["tracking_number"] for p in packages if p["order_sn"] in own_fleet} <= nv_numbers
