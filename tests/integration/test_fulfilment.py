"""From synced Shopee orders to bought labels that Shopee knows about, in-process (moto + the sandboxes).

Own-fleet (non-integrated) packages are rated and routed to Ninja Van, bought once, their labels stored
in S3 and their tracking numbers handed back with ``ship_order(non_integrated)``; integrated packages
go through Shopee's own logistics. Every step is repeated (redelivered jobs) to show nothing is bought
or arranged twice.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiriman.adapters.aws import S3Labels, SecretsVault
from kiriman.carriers import registry
from kiriman.carriers.base import AccountConfig, Carrier
from kiriman.carriers.shopee.client import ShopeeLogistics
from kiriman.clock import FixedClock
from kiriman.domain import carrier_accounts, fulfilment, orders, quoting, rate_cards, warehouses
from kiriman.domain.fulfilment import Bought, PurchaseJob, Retry
from kiriman.domain.purchases import ClaimState
from kiriman.schemas.shipping import decode_card, decode_rule
from kiriman.storage.keys import DUE_SHARDS
from local.sandboxes.ninjavan.server import NinjaVanSandbox
from local.sandboxes.shopee.server import ShopeeSandbox
from tests.conftest import REGION
from tests.integration.test_shopee_client_sandbox import KEY, PID, SandboxTokens, control

OWN_FLEET, SPX = 18098, 18099
CARD = {
    "service": "Standard", "valid_from": "2026-01-01T00:00:00+08:00", "currency": "SGD", "divisor": 6000,
    "rounding_step_g": 500, "origin_country": "SG",
    "zones": [{"id": "sg", "name": "Singapore", "country": "SG", "transit_days_min": 1, "transit_days_max": 2,
               "first_weight_g": 500, "first_price": "3.20", "step_g": 500, "step_price": "1.10"}],
}


class Bus:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.events.append((detail_type, detail))


class Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], int]] = []

    def send(self, queue: str, messages: list[dict[str, Any]], delay_s: int = 0) -> None:
        self.sent += [(queue, m, delay_s) for m in messages]


def nv_control(nv: NinjaVanSandbox, method: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(nv.control_url + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def world(tmp_path: Path, aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from kiriman.clock import SystemClock
    from kiriman.retry import RetryPolicy
    from kiriman.shopee.client import ShopeeClient
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    shopee_clock = tmp_path / "shopee-clock"
    sb = ShopeeSandbox(partner_id=PID, partner_key=KEY, clock_file=shopee_clock, seed="none").start()
    sb.clock_file = shopee_clock
    nv = NinjaVanSandbox(clock_file=tmp_path / "nv-clock", seed="demo")
    nv.start()
    try:
        bind(aws["table"], REGION, None)
        clock = FixedClock(__import__("time").time())
        store = Store(clock)
        shop_id = int(control(sb, "POST", "/shops", {"region": "SG"})["shop_id"])
        own = control(sb, "POST", "/orders", {"shop_id": shop_id, "count": 3, "items": 2, "channel_id": OWN_FLEET})
        spx = control(sb, "POST", "/orders", {"shop_id": shop_id, "count": 2, "items": 1, "channel_id": SPX})
        tokens = control(sb, "POST", "/authorize", {"shop_id": shop_id, "issue_tokens": True})
        client = ShopeeClient(sb.base_url, PID, KEY, SystemClock(shopee_clock),
                              policy=RetryPolicy(attempts=3, base_delay_s=0.01, deadline_s=10))
        client.use_tokens(SandboxTokens(client, tokens["access_token"], tokens["refresh_token"]))
        vault = SecretsVault(boto3.client("secretsmanager", region_name=REGION), "/kiriman/test/")
        merchant = "mer_fulfil"
        from kiriman.domain.warehouses import Address as WhAddress

        warehouses.create(store, clock, merchant, "Ubi DC", WhAddress("Ubi DC", "+6560000001", "10 Ubi Crescent",
                                                                     "#05-01", "Singapore", None, "408564", "SG"),
                          ("SG",))
        nv_account = next(a for a in nv_control(nv, "GET", "/accounts")["accounts"] if "sg" in a["countries"])
        account = carrier_accounts.create(
            store, vault, clock, None, carrier="ninjavan", name="Forwarder NV SG", country="SG",
            environment="production", credentials={"client_id": nv_account["client_id"],
                                                   "client_secret": nv_account["client_secret"]},
            settings={"shipper_prefix": nv_account["shipper_prefix"]}, services=("Standard",),
        )
        card = {**CARD, "account_id": account.account_id}
        rate_cards.create(store, clock, None, account.account_id, "Standard", card)
        yield {"sb": sb, "nv": nv, "store": store, "clock": clock, "client": client, "vault": vault,
               "shop_id": shop_id, "merchant": merchant, "own": own["order_sns"], "spx": spx["order_sns"],
               "labels": S3Labels(boto3.client("s3", region_name=REGION), aws["bucket"]), "bucket": aws["bucket"]}
    finally:
        nv.stop()
        sb.stop()


def advance_shopee(sb: Any, seconds: float) -> None:
    path: Path = sb.clock_file
    now = float(path.read_text()) if path.exists() else 0.0
    path.write_text(repr(now + seconds))


def carrier_for(w: dict[str, Any]) -> Any:
    def build(job: PurchaseJob) -> Carrier:
        if job.carrier == "shopee":
            return ShopeeLogistics(AccountConfig(job.account_id, "shopee", "SG"), w["client"],
                                   sleep=lambda s: advance_shopee(w["sb"], s))
        account = carrier_accounts.get(w["store"], None, job.account_id)
        return carrier_accounts.adapter(
            account, w["vault"], lambda cfg, creds: registry.build(cfg, creds, {"ninjavan": w["nv"].base_url}))

    return build


def test_ready_packages_end_bought_labelled_and_handed_back(world: dict[str, Any]) -> None:
    w = world
    store, clock = w["store"], w["clock"]
    bus = Bus()
    orders.refresh_orders(store, w["client"], bus, clock, w["merchant"], w["shop_id"], w["own"] + w["spx"])
    ready = [d for t, d in bus.events if t == "PackageReadyToShip"]
    assert len(ready) == 5
    queues = Queues()

    def pricing(merchant_id: str) -> quoting.Pricing:
        return quoting.load_pricing(store, merchant_id, decode_card, decode_rule)

    # Fresh orders wait out their first hour on the due index (the merchant did not opt in).
    held = [fulfilment.on_ready_to_ship(store, w["client"], queues, clock, pricing, d) for d in ready]
    assert all(r.get("held_until", 0) > clock.time() for r in held) and not queues.sent
    tasks = [t for s in range(DUE_SHARDS) for t in store.due_tasks(s, clock.time() + 2 * 3600, 100)
             if t.kind == fulfilment.HELD_KIND]
    assert len(tasks) == 5 and all(t.payload["order_sn"] in w["own"] + w["spx"] for t in tasks)
    assert not [t for s in range(DUE_SHARDS) for t in store.due_tasks(s, clock.time(), 100)]  # not yet due
    clock.advance(fulfilment.FIRST_HOUR_S + 1)
    # a second delivery of a held package's due task finds the task completed: it sends nothing
    late = fulfilment.on_ready_to_ship(store, w["client"], queues, clock, pricing, ready[0], lambda: False)
    assert late == {"skipped": "released by another delivery"} and not queues.sent
    for detail in ready + ready:  # every event delivered twice
        fulfilment.on_ready_to_ship(store, w["client"], queues, clock, pricing, detail)
    by_queue: dict[str, int] = {}
    for queue, _, _ in queues.sent:
        by_queue[queue] = by_queue.get(queue, 0) + 1
    assert by_queue == {"purchase-ninjavan": 6, "purchase-shopee": 4}  # duplicates are harmless: see below

    results: list[Bought | Retry] = []
    for _ in range(2):  # and every job delivered twice more
        for _, message, _ in queues.sent:
            results.append(fulfilment.run_job(store, carrier_for(w), PurchaseJob.from_json(message), w["labels"],
                                              w["client"], clock, call_budget_s=60))
        advance_shopee(w["sb"], 120)  # Shopee's tracking numbers for integrated channels arrive
    bought = [r for r in results if isinstance(r, Bought)]
    pending = [r for r in results if isinstance(r, Retry)]
    # Shopee's numbers come after ship_order: those jobs come back in 5 minutes, never re-arranging
    assert {r.why for r in pending} <= {"tracking number pending", "label pending"}
    assert sum(r.outcome.created for r in bought) == 3  # the Ninja Van labels bought once each

    ledger = nv_control(w["nv"], "GET", "/ledger")
    assert sorted(ledger["purchases_by_package"].values()) == [1, 1, 1]
    ship = control(w["sb"], "GET", "/ledger?include=ship,orders")
    assert sum(v["ok"] for v in ship["ship_order_calls"].values()) == 5  # one arrangement per package
    nv_numbers = {s["tracking_number"] for s in ledger["shipments"]}
    handed = {p["tracking_number"] for p in ship["packages"] if p["order_sn"] in w["own"]}
    assert handed == nv_numbers  # Shopee carries the Ninja Van numbers for the own-fleet packages
    created = sum(r.outcome.created for r in bought)
    shopee_created = len({(r.outcome.claim.package, r.outcome.claim.attempt) for r in bought
                          if r.outcome.claim.carrier == "shopee"})
    assert created + (2 - min(2, shopee_created)) >= 3
    from kiriman.carriers.base import PackageRef

    finals = []
    for sn in w["own"] + w["spx"]:
        order = store.get_order(w["merchant"], sn)
        pkg = PackageRef(w["shop_id"], sn, order.packages[0].package_number)
        finals.append(store.get_claim(pkg, store.current_attempt(pkg)))
    assert all(c.state == ClaimState.BOUGHT and c.tracking_number and c.raw["handed_back"] for c in finals)
    keys = {c.raw["label_key"] for c in finals}
    assert len(keys) == 5
    s3 = boto3.client("s3", region_name=REGION)
    for key in keys:
        assert s3.get_object(Bucket=w["bucket"], Key=key)["Body"].read().startswith(b"%PDF")


def test_no_warehouse_for_the_market_needs_attention(world: dict[str, Any]) -> None:
    world["clock"].advance(fulfilment.FIRST_HOUR_S + 1)  # past the orders' first-hour hold
    w = world
    store, clock = w["store"], w["clock"]
    for wh in store.list_warehouses(w["merchant"], 10, None)[0]:
        warehouses.delete(store, w["merchant"], wh.warehouse_id)
    bus = Bus()
    orders.refresh_orders(store, w["client"], bus, clock, w["merchant"], w["shop_id"], w["own"][:1])
    [detail] = [d for t, d in bus.events if t == "PackageReadyToShip"]
    queues = Queues()
    out = fulfilment.on_ready_to_ship(store, w["client"], queues, clock, lambda m: quoting.Pricing((), (), ()), detail)
    assert out == {"attention": "no_warehouse"} and queues.sent == []
    items, _ = store.claims_by_state(w["merchant"], "FAILED", 10, None)
    assert items[0].error["code"] == "no_warehouse"


def test_a_cancelled_order_voids_its_labels_and_never_cancels_at_shopee(world: dict[str, Any]) -> None:
    world["clock"].advance(fulfilment.FIRST_HOUR_S + 1)  # past the orders' first-hour hold
    from kiriman.carriers.base import PackageRef

    w = world
    store, clock = w["store"], w["clock"]
    bus = Bus()
    sns = [w["own"][0], w["spx"][0]]
    orders.refresh_orders(store, w["client"], bus, clock, w["merchant"], w["shop_id"], sns)
    queues = Queues()
    for _, detail in [e for e in bus.events if e[0] == "PackageReadyToShip"]:
        fulfilment.on_ready_to_ship(store, w["client"], queues, clock,
                                    lambda m: quoting.load_pricing(store, m, decode_card, decode_rule), detail)
    for _ in range(2):
        for _, message, _ in queues.sent:
            fulfilment.run_job(store, carrier_for(w), PurchaseJob.from_json(message), w["labels"], w["client"],
                               clock, call_budget_s=60)
        advance_shopee(w["sb"], 120)
    build = carrier_for(w)

    def by_claim(c: Any) -> Any:
        return build(PurchaseJob(c.merchant_id, c.package.shop_id, c.package.order_sn, c.package.package_number,
                                 c.package.leg, c.carrier, c.account_id, "", None, None))

    results = {}
    for sn in sns:
        out = fulfilment.on_order_change(store, by_claim, clock, "OrderCancelled",
                                         {"merchant_id": w["merchant"], "shop_id": w["shop_id"], "order_sn": sn,
                                          "order_status": "CANCELLED"})
        results[sn] = out
    assert results[w["own"][0]]["voided"] == [{"package_number": store.get_order(w["merchant"], sns[0])
                                               .packages[0].package_number, "at_carrier": True}]
    assert results[w["spx"][0]]["voided"][0]["at_carrier"] is False
    for sn in sns:
        pn = store.get_order(w["merchant"], sn).packages[0].package_number
        pkg = PackageRef(w["shop_id"], sn, pn)
        assert store.get_claim(pkg, 1).state == ClaimState.VOIDED and store.current_attempt(pkg) == 2
    ledger = nv_control(w["nv"], "GET", "/ledger")
    assert len(ledger["cancellations"]) == 1
    calls = control(w["sb"], "GET", "/ledger?include=calls")["calls"]
    assert not [c for c in calls if "cancel_order" in c["path"]]


def test_the_reconciler_republishes_what_did_not_happen(world: dict[str, Any]) -> None:
    from kiriman.domain.access import Role
    from kiriman.domain.merchants import ApiKey, Merchant, User

    w = world
    store, clock = w["store"], w["clock"]
    m = w["merchant"]
    store.create_merchant(Merchant(m, "Fulfil", None, "active", 1.0), User("usr_f", m, Role.MERCHANT_ADMIN, "a",
                                                                         None, 1.0),
                          ApiKey("hash_f", "pfx_f", "usr_f", m, Role.MERCHANT_ADMIN, None, 1.0))
    lost = Bus()  # the sync's events were lost between the write and the publish
    orders.refresh_orders(store, w["client"], lost, clock, m, w["shop_id"], w["own"] + w["spx"])
    bus = Bus()
    assert fulfilment.reconcile(store, bus, clock, stale_s=3600)["republished"] == 0  # too fresh to judge
    clock.advance(3601)
    counts = fulfilment.reconcile(store, bus, clock, stale_s=3600)
    assert counts == {"checked": 5, "republished": 5, "recently_republished": 0, "resumed": 0, "finished": 1}
    # the next run, with the jobs still waiting in their queue, adds nothing to the backlog...
    again = fulfilment.reconcile(store, Bus(), clock, stale_s=3600)
    assert again == {"checked": 5, "republished": 0, "recently_republished": 5, "resumed": 0, "finished": 1}
    clock.advance(3601)  # ...until an hour has gone by with nothing moving
    assert fulfilment.reconcile(store, Bus(), clock, stale_s=3600)["republished"] == 5
    queues = Queues()
    for _, detail in bus.events:
        fulfilment.on_ready_to_ship(store, w["client"], queues, clock,
                                    lambda x: quoting.load_pricing(store, x, decode_card, decode_rule), detail)
    for _ in range(3):
        for _, message, _ in queues.sent:
            fulfilment.run_job(store, carrier_for(w), PurchaseJob.from_json(message), w["labels"], w["client"],
                               clock, call_budget_s=60)
        advance_shopee(w["sb"], 120)
    after = Bus()
    # bought and handed back; Shopee has moved them on from READY_TO_SHIP in any case
    assert fulfilment.reconcile(store, after, clock, stale_s=3600)["republished"] == 0
