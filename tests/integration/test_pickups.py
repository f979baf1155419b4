"""Carrier pickups end to end in-process: the ``pickup_booking`` handler against moto and the Flash sandbox,
Ninja Van labels bought through fulfilment recorded as reserved by their orders, and ``GET /v1/pickups``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

import pytest

from kiriman.carriers.base import PackageRef
from kiriman.clock import FixedClock
from kiriman.domain import carrier_accounts, pickups, warehouses
from kiriman.domain.merchants import create_merchant
from kiriman.domain.pickups import PickupBooking, PickupState
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Address as WhAddress
from tests.conftest import load_handler_module
from tests.contract.harness import Harness, control, running
from tests.gateway import Gateway
from tests.integration import test_fulfilment as tf
from tests.integration.conftest import Tenant

fulfilment_world = tf.world  # test_fulfilment's ``world`` fixture (moto, Shopee and Ninja Van sandboxes)
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
BKK_10AM = T0 + 3 * 3600


@pytest.fixture(scope="module")
def flash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with running("flash", tmp_path_factory.mktemp("pickup-flash")) as harness:
        yield harness


def _bought(store: Any, merchant: str, n: int, at: float, warehouse_id: str, account_id: str,
            carrier: str = "flash") -> None:
    """A claim as ``fulfilment.buy`` leaves it: bought, labelled, handed back, with its warehouse."""
    pkg = PackageRef(2200001, f"2601{n:06d}", f"OFG{n:06d}")
    raw = {"label_key": "labels/x.pdf", "handed_back": True, "warehouse_id": warehouse_id, "warehouse_owner": None}
    assert store.create_claim(Claim(pkg, 1, merchant, ClaimState.BOUGHT, carrier, account_id, f"K{n}", at, at,
                                    tracking_number=f"TH{n:08d}", raw=raw, version=4))


def test_the_handler_books_each_flash_pickup_once(
    flash: Harness, function_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiriman.runtime import Runtime
    from kiriman.settings import PickupBookingSettings, load

    function_env("pickup_booking")
    monkeypatch.setenv("CARRIER_ENDPOINTS", json.dumps({"flash": flash.base_url}))
    clock = FixedClock(BKK_10AM)
    rt = Runtime(load(PickupBookingSettings), clock)
    app = load_handler_module("functions/pickup_booking")
    store = rt.store
    account = carrier_accounts.create(
        store, rt.vault, clock, None, carrier="flash", name="Forwarder Flash TH", country="TH",
        environment="production", credentials=flash.credentials(), settings={}, services=("Standard",))
    sender = flash.request("", PackageRef(1, "X", "Y")).sender
    address = WhAddress(sender.name, sender.phone, sender.line1, None, sender.city, sender.state, sender.postcode,
                        "TH")
    silom = warehouses.create(store, clock, None, "Silom DC", address, ("TH",))
    second = warehouses.create(store, clock, None, "Second DC", address, ("TH",))
    a = create_merchant(store, clock, "Kedai A", None).merchant.merchant_id
    b = create_merchant(store, clock, "Kedai B", None).merchant.merchant_id
    for n in range(3):
        _bought(store, a, n, T0 + n, silom.warehouse_id, account.account_id)
    _bought(store, b, 3, T0 + 5, silom.warehouse_id, account.account_id)
    before = len(control(flash.sandbox.control_url, "GET", "/pickups")["pickups"])

    counts = app.handler({}, None, runtime=rt)
    assert counts["booked"] == 1 and counts["groups"] == 1, counts
    booking = store.get_pickup_booking(None, silom.warehouse_id, "flash", account.account_id, "2026-01-01")
    assert booking.state == PickupState.BOOKED and booking.parcels == 4 and booking.confirmation
    assert booking.merchants == {a: 3, b: 1}
    tickets = control(flash.sandbox.control_url, "GET", "/pickups")["pickups"][before:]
    assert [(str(t["ticket_id"]), t["estimate_parcel_number"]) for t in tickets] == [(booking.confirmation, 4)]

    clock.advance(1800)  # the next run: nothing new to ask
    assert app.handler({}, None, runtime=rt).get("unchanged") == 1
    assert len(control(flash.sandbox.control_url, "GET", "/pickups")["pickups"]) == before + 1

    # Another warehouse on the same Flash merchant while the courier request is open: Flash says 1010.
    _bought(store, a, 9, BKK_10AM + 1000, second.warehouse_id, account.account_id)
    counts = app.handler({}, None, runtime=rt)
    assert counts["booked"] == 1 and counts["unchanged"] == 1, counts
    other = store.get_pickup_booking(None, second.warehouse_id, "flash", account.account_id, "2026-01-01")
    assert other.state == PickupState.BOOKED and other.detail["already_open"] is True
    assert len(control(flash.sandbox.control_url, "GET", "/pickups")["pickups"]) == before + 1


def test_a_refused_flash_pickup_keeps_flashs_code_and_is_asked_again(
    flash: Harness, function_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiriman.runtime import Runtime
    from kiriman.settings import PickupBookingSettings, load

    function_env("pickup_booking")
    monkeypatch.setenv("CARRIER_ENDPOINTS", json.dumps({"flash": flash.base_url}))
    clock = FixedClock(BKK_10AM)
    rt = Runtime(load(PickupBookingSettings), clock)
    app = load_handler_module("functions/pickup_booking")
    account = carrier_accounts.create(
        rt.store, rt.vault, clock, None, carrier="flash", name="Wrong key", country="TH", environment="production",
        credentials={**flash.credentials(), "key": "not-the-key"}, settings={}, services=("Standard",))
    address = WhAddress("Kiriman TH", "0891234567", "123 Silom Road", None, "เขตบางรัก", "กรุงเทพมหานคร",
                        "10500", "TH")
    w = warehouses.create(rt.store, clock, None, "Silom DC", address, ("TH",))
    m = create_merchant(rt.store, clock, "Kedai", None).merchant.merchant_id
    _bought(rt.store, m, 1, T0, w.warehouse_id, account.account_id)
    assert app.handler({}, None, runtime=rt)["failed"] == 1
    booking = rt.store.get_pickup_booking(None, w.warehouse_id, "flash", account.account_id, "2026-01-01")
    assert booking.state == PickupState.FAILED and booking.error["code"] == "1002"  # Flash: bad signature
    assert booking.error["field"] == "credentials.key" and booking.error["message"]
    clock.advance(1800)
    assert app.handler({}, None, runtime=rt)["failed"] == 1
    assert rt.store.get_pickup_booking(None, w.warehouse_id, "flash", account.account_id,
                                       "2026-01-01").attempts == 2


def test_ninja_van_labels_bought_through_fulfilment_are_recorded_with_their_orders(
    fulfilment_world: dict[str, Any],
) -> None:
    """fulfilment.buy records each label's warehouse; the day's Ninja Van parcels are reserved by the orders."""
    w = fulfilment_world
    # the fulfilment flow as its own test drives it: 3 Ninja Van labels and 2 Shopee-arranged packages
    tf.test_ready_packages_end_bought_labelled_and_handed_back(w)
    store = w["store"]
    bought, _ = store.claims_by_state_between(w["merchant"], "BOUGHT", 0, w["clock"].time() + 1, 100, None)
    nv = [c for c in bought if c.carrier == "ninjavan"]
    assert len(nv) == 3 and all(c.raw.get("warehouse_id") for c in nv)
    # the world's merchant exists only in its orders; the schedule finds claims through the merchant list
    from kiriman.domain.access import Role
    from kiriman.domain.merchants import ApiKey, Merchant, User

    mid = w["merchant"]
    user = User(f"usr_{mid}", mid, Role.MERCHANT_ADMIN, "admin", None, 1.0)
    store.create_merchant(Merchant(mid, "Fulfil", None, "active", 1.0), user,
                          ApiKey(f"hash_{mid}", "pfx", user.user_id, mid, user.role, None, 1.0))
    # book on the pickup day those purchases belong to, inside its window (Singapore, UTC+8)
    day = pickups.pickup_day(max(c.updated_at for c in nv), "SG")
    ten = datetime.combine(day, time(10, 0), pickups.offset_of("SG")).timestamp()
    if ten < max(c.updated_at for c in nv):
        ten = max(c.updated_at for c in nv) + 1
    counts = pickups.book_due(store, lambda *_: pytest.fail("Ninja Van is never called"), FixedClock(ten))
    assert counts.get("with_order") == 1, counts
    [booking] = store.list_pickup_bookings(mid, day.isoformat())  # the merchant's own warehouse
    assert booking.carrier == "ninjavan" and booking.parcels == 3 and booking.state == PickupState.WITH_ORDER
    assert booking.detail["approx_volume"] == "Less than 10 Parcels"
    assert booking.warehouse_id == nv[0].raw["warehouse_id"]


# --- API --------------------------------------------------------------------------------------------
def _seed(store: Any, owner: str | None, wid: str, merchants: dict[str, int], state: PickupState,
          carrier: str = "flash", day: str = "2026-01-01", error: dict[str, Any] | None = None) -> None:
    n = sum(merchants.values())
    assert store.put_pickup_booking(PickupBooking(
        owner, wid, carrier, "ca_1", day, state, n, n, merchants, 1.0, 2.0, confirmation="T9" if state == "booked"
        else "", error=error or {}, detail={"approx_volume": "Less than 10 Parcels"} if carrier == "ninjavan" else {},
        attempts=1, version=1))


def test_get_pickups_per_warehouse_by_tenant(gw: Gateway, tenants: tuple[Tenant, Tenant], operator_key: str) -> None:
    a, b = tenants
    store = gw.api.RUNTIME.store
    _seed(store, a.merchant_id, "wh_a", {a.merchant_id: 4}, PickupState.BOOKED)
    _seed(store, a.merchant_id, "wh_a", {a.merchant_id: 2}, PickupState.WITH_ORDER, carrier="ninjavan")
    _seed(store, b.merchant_id, "wh_b", {b.merchant_id: 1}, PickupState.FAILED,
          error={"carrier": "flash", "code": "1022", "message": "outside the service area", "field": "sender",
                 "request_id": "tid-1"})
    _seed(store, None, "wh_f", {a.merchant_id: 2, b.merchant_id: 5}, PickupState.BOOKED)
    _seed(store, a.merchant_id, "wh_a", {a.merchant_id: 9}, PickupState.BOOKED, day="2026-01-02")

    status, page, _ = gw.call("GET", "/v1/pickups", key=a.key, query={"date": "2026-01-01"})
    assert status == 200, page
    got = {(i["warehouse_id"], i["carrier"]): i for i in page["items"]}
    assert set(got) == {("wh_a", "flash"), ("wh_a", "ninjavan"), ("wh_f", "flash")}  # never B's warehouse
    assert got[("wh_a", "flash")]["state"] == "booked" and got[("wh_a", "flash")]["parcels"] == 4
    assert got[("wh_a", "ninjavan")]["state"] == "with_order"
    assert got[("wh_a", "ninjavan")]["approx_volume"] == "Less than 10 Parcels"
    shared = got[("wh_f", "flash")]
    assert shared["shared"] is True and shared["parcels"] == 2  # its own parcels, not B's
    assert set(shared) >= {"warehouse_id", "carrier", "account_id", "date", "parcels", "state", "confirmation",
                           "error"}

    status, page, _ = gw.call("GET", "/v1/pickups", key=b.key,
                              query={"date": "2026-01-01", "warehouse_id": "wh_b"})
    assert status == 200 and [i["state"] for i in page["items"]] == ["failed"]
    assert page["items"][0]["error"]["code"] == "1022"
    status, page, _ = gw.call("GET", "/v1/pickups", key=b.key, query={"date": "2026-01-01", "warehouse_id": "wh_a"})
    assert status == 200 and page["items"] == []

    status, page, _ = gw.call("GET", "/v1/pickups", key=operator_key, query={"date": "2026-01-01"})
    assert status == 200 and len(page["items"]) == 4
    assert {i["warehouse_id"] for i in page["items"]} == {"wh_a", "wh_b", "wh_f"}
    assert next(i for i in page["items"] if i["warehouse_id"] == "wh_f")["parcels"] == 7
    status, page, _ = gw.call("GET", "/v1/pickups", key=operator_key,
                              query={"date": "2026-01-01", "warehouse_id": "wh_b"})
    assert status == 200 and [i["warehouse_id"] for i in page["items"]] == ["wh_b"]


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "20260101", "2026-02-30"])
def test_get_pickups_bad_date_is_a_400(gw: Gateway, tenants: tuple[Tenant, Tenant], bad: str) -> None:
    status, body, _ = gw.call("GET", "/v1/pickups", key=tenants[0].key, query={"date": bad})
    assert status == 400, body
    assert body["error"]["details"][0]["field"] == "query.date"
