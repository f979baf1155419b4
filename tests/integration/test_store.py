"""One test per repository method (docs/architecture.md's access-pattern table points here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiriman.clock import FixedClock
from kiriman.domain.access import Role
from kiriman.domain.due import DueTask
from kiriman.domain.errors import Conflict, InvalidInput
from kiriman.domain.merchants import ApiKey, Merchant, User, create_merchant, create_operator
from kiriman.storage import keys


@pytest.fixture
def store(aws: dict[str, Any], clock: FixedClock) -> Iterator[Any]:
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    bind(aws["table"], "ap-southeast-1", None)
    yield Store(clock)


def _merchant(mid: str, t: float = 1.0) -> tuple[Merchant, User, ApiKey]:
    m = Merchant(mid, f"name {mid}", None, "active", t)
    u = User(f"usr_{mid}", mid, Role.MERCHANT_ADMIN, "admin", None, t)
    k = ApiKey(f"hash_{mid}", "pfx", u.user_id, mid, u.role, None, t)
    return m, u, k


def test_create_merchant(store: Any) -> None:
    store.create_merchant(*_merchant("m1"))
    with pytest.raises(Conflict):
        store.create_merchant(*_merchant("m1"))
    # The transaction wrote nothing for the second attempt's new parts either.
    m, u, _k = _merchant("m2")
    with pytest.raises(Conflict):
        store.create_merchant(m, u, ApiKey("hash_m1", "p", u.user_id, "m2", u.role, None, 1.0))
    assert store.get_merchant("m2") is None


def test_get_merchant(store: Any, clock: FixedClock) -> None:
    created = create_merchant(store, clock, "Kedai", "a@b.example")
    got = store.get_merchant(created.merchant.merchant_id)
    assert got == created.merchant
    assert store.get_merchant("mer_missing") is None


def test_update_merchant_settings(store: Any) -> None:
    store.create_merchant(*_merchant("m1"))
    assert store.get_merchant("m1").arrange_within_first_hour is False
    updated = store.update_merchant_settings("m1", True)
    assert updated is not None and updated.arrange_within_first_hour and updated.name == "name m1"
    assert store.get_merchant("m1") == updated
    assert store.list_merchants(10, None)[0][0].arrange_within_first_hour is True
    assert store.update_merchant_settings("m_missing", True) is None
    assert store.get_merchant("m_missing") is None  # nothing created by the refused update


def test_list_merchants(store: Any) -> None:
    for n in range(5):
        store.create_merchant(*_merchant(f"m{n}", t=float(n)))
    page1, cur = store.list_merchants(3, None)
    page2, cur2 = store.list_merchants(3, cur)
    assert [m.merchant_id for m in page1 + page2] == ["m4", "m3", "m2", "m1", "m0"]
    assert cur2 is None or store.list_merchants(3, cur2)[0] == []
    with pytest.raises(InvalidInput):
        store.list_merchants(3, "%%%")


def test_get_api_key(store: Any, clock: FixedClock) -> None:
    from kiriman.domain.credentials import hash_key

    created = create_merchant(store, clock, "Kedai", None)
    rec = store.get_api_key(hash_key(created.api_key))
    assert rec is not None and rec.merchant_id == created.merchant.merchant_id and rec.role is Role.MERCHANT_ADMIN
    assert store.get_api_key(hash_key("kf_live_other")) is None


def test_create_user_with_key(store: Any, clock: FixedClock) -> None:
    from kiriman.domain.credentials import hash_key

    plaintext = create_operator(store, clock, "ops", Role.OPS)
    rec = store.get_api_key(hash_key(plaintext))
    assert rec is not None and rec.merchant_id is None and rec.role is Role.OPS
    with pytest.raises(Conflict):
        create_operator(store, clock, "ops again", Role.OPS, plaintext=plaintext)


def test_schedule_due(store: Any) -> None:
    t = store.schedule_due("probe", "ref-1", 1000, {"x": 1})
    assert t.lease_token == keys.due_sk(1000, "probe", "ref-1")
    # Rescheduling replaces: one task per (kind, ref).
    store.schedule_due("probe", "ref-1", 2000)
    shard = keys.due_shard("probe", "ref-1")
    assert [x.due_at for x in store.due_tasks(shard, 5000, 10)] == [2000]


def test_due_tasks(store: Any) -> None:
    for n in range(40):
        store.schedule_due("probe", f"r{n}", 1000 + n)
    found = [t for s in range(keys.DUE_SHARDS) for t in store.due_tasks(s, 1019, 100)]
    assert sorted(t.ref for t in found) == sorted(f"r{n}" for n in range(20))
    assert len({keys.due_shard("probe", f"r{n}") for n in range(40)}) > 4  # spread over shards


def test_lease_due(store: Any) -> None:
    task = store.schedule_due("probe", "race", 1000)
    first = store.lease_due(task, 1300)
    second = store.lease_due(task, 1300)  # same stale token: loses
    assert first is not None and first.attempts == 1
    assert second is None
    shard = keys.due_shard("probe", "race")
    assert store.due_tasks(shard, 1299, 10) == []
    assert [t.ref for t in store.due_tasks(shard, 1300, 10)] == ["race"]


def test_complete_due(store: Any) -> None:
    task = store.schedule_due("probe", "done", 1000)
    leased = store.lease_due(task, 1300)
    assert leased is not None
    # A newer schedule arrived meanwhile: completing the old lease must not delete it.
    store.schedule_due("probe", "done", 5000)
    assert store.complete_due("probe", "done", leased.lease_token) is False
    newer = store.due_tasks(keys.due_shard("probe", "done"), 6000, 10)
    assert [t.due_at for t in newer] == [5000]
    assert store.complete_due("probe", "done", newer[0].lease_token) is True
    assert store.due_tasks(keys.due_shard("probe", "done"), 6000, 10) == []


def test_ping(store: Any) -> None:
    store.ping()


def test_expired_items_are_absent(store: Any, clock: FixedClock) -> None:
    from kiriman.storage.models import MerchantItem

    store.create_merchant(*_merchant("old"))
    item = MerchantItem.get(keys.merchant_pk("old"), keys.MERCHANT_SK)
    item.update(actions=[MerchantItem.expires_at.set(clock.time() + 10)])
    assert store.get_merchant("old") is not None
    clock.advance(11)
    assert store.get_merchant("old") is None


def test_due_task_roundtrip_type(store: Any) -> None:
    t = store.schedule_due("probe", "typed", 10, {"a": [1, 2]})
    got = store.due_tasks(keys.due_shard("probe", "typed"), 10, 10)
    assert got == [DueTask("probe", "typed", 10, 0, {"a": [1, 2]}, t.lease_token)]


def _operator_user(store: Any, clock: FixedClock) -> tuple[User, ApiKey]:
    u = User("usr_op", None, Role.ADMIN, "op", None, clock.time())
    k = ApiKey("hash_op", "OPPREFIX", u.user_id, None, u.role, None, clock.time())
    store.create_user_with_key(u, k)
    return u, k


def test_get_user(store: Any, clock: FixedClock) -> None:
    u, _ = _operator_user(store, clock)
    assert store.get_user(None, u.user_id) == u
    assert store.get_user("some-merchant", u.user_id) is None  # tenancy is in the key


def test_list_users(store: Any) -> None:
    store.create_merchant(*_merchant("mA"))
    store.create_merchant(*_merchant("mB"))
    users, cursor = store.list_users("mA", 10, None)
    assert [u.user_id for u in users] == ["usr_mA"] and cursor is None


def test_put_api_key(store: Any, clock: FixedClock) -> None:
    _u, k = _operator_user(store, clock)
    extra = ApiKey("hash_2", "SECOND01", k.user_id, None, k.role, None, clock.time())
    store.put_api_key(extra)
    with pytest.raises(Conflict):
        store.put_api_key(extra)


def test_list_api_keys(store: Any, clock: FixedClock) -> None:
    store.create_merchant(*_merchant("mA"))
    store.create_merchant(*_merchant("mB"))
    assert [k.key_hash for k in store.list_api_keys("mA", None)] == ["hash_mA"]
    assert [k.key_hash for k in store.list_api_keys("mA", "usr_mA")] == ["hash_mA"]
    assert store.list_api_keys("mA", "usr_mB") == []


def test_get_api_key_by_prefix(store: Any, clock: FixedClock) -> None:
    _u, k = _operator_user(store, clock)
    assert store.get_api_key_by_prefix(None, "OPPREFIX") == k
    assert store.get_api_key_by_prefix("mA", "OPPREFIX") is None


def test_revoke_api_key(store: Any, clock: FixedClock) -> None:
    _u, k = _operator_user(store, clock)
    revoked = store.revoke_api_key(k, clock.time())
    assert revoked.revoked_at == clock.time()
    assert store.get_api_key("hash_op").revoked_at == clock.time()
    with pytest.raises(Conflict):
        store.revoke_api_key(k, clock.time() + 1)


def test_rotate_api_key(store: Any, clock: FixedClock) -> None:
    _u, k = _operator_user(store, clock)
    new = ApiKey("hash_new", "NEWPREFX", k.user_id, None, k.role, None, clock.time())
    store.rotate_api_key(k, new, clock.time() + 60)
    assert store.get_api_key("hash_op").revoked_at == clock.time() + 60
    assert store.get_api_key("hash_new") is not None
    with pytest.raises(Conflict):  # a key is rotated once
        store.rotate_api_key(k, ApiKey("hash_3", "THIRD001", k.user_id, None, k.role, None, 1.0), clock.time())
    assert store.get_api_key("hash_3") is None
    # Revoking during the grace period brings the revocation forward.
    assert store.revoke_api_key(k, clock.time()).revoked_at == clock.time()


def test_touch_api_key(store: Any, clock: FixedClock) -> None:
    _u, _k = _operator_user(store, clock)
    store.touch_api_key("hash_op", 1000.0, 300)
    store.touch_api_key("hash_op", 1100.0, 300)  # within resolution: not written
    assert store.get_api_key("hash_op").last_used_at == 1000.0
    store.touch_api_key("hash_op", 1400.0, 300)
    assert store.get_api_key("hash_op").last_used_at == 1400.0
    store.touch_api_key("hash_missing", 1.0, 300)  # a deleted key is not resurrected
    assert store.get_api_key("hash_missing") is None


def _warehouse(owner: str | None, wid: str = "wh_1") -> Any:
    from kiriman.domain.warehouses import Address, Warehouse

    addr = Address("Gudang", "+60312345678", "Jalan 1", None, "Shah Alam", "Selangor", "40000", "MY")
    return Warehouse(wid, owner, "Shah Alam DC", addr, ("MY", "SG"), True, 1.0, 1.0)


def test_create_warehouse(store: Any) -> None:
    store.create_warehouse(_warehouse("mA"))
    with pytest.raises(Conflict):
        store.create_warehouse(_warehouse("mA"))
    store.create_warehouse(_warehouse("mB"))  # same id under another owner is another item


def test_get_warehouse(store: Any) -> None:
    w = _warehouse("mA")
    store.create_warehouse(w)
    assert store.get_warehouse("mA", "wh_1") == w
    assert store.get_warehouse("mB", "wh_1") is None


def test_list_warehouses(store: Any) -> None:
    for n in range(3):
        store.create_warehouse(_warehouse("mA", f"wh_{n}"))
    store.create_warehouse(_warehouse(None, "wh_fwd"))
    items, _ = store.list_warehouses("mA", 10, None)
    assert sorted(w.warehouse_id for w in items) == ["wh_0", "wh_1", "wh_2"]
    assert [w.warehouse_id for w in store.list_warehouses(None, 10, None)[0]] == ["wh_fwd"]


def test_update_warehouse(store: Any) -> None:
    from dataclasses import replace

    w = _warehouse("mA")
    store.create_warehouse(w)
    v1 = store.update_warehouse(replace(w, name="Renamed", version=1), expected_version=0)
    assert store.get_warehouse("mA", "wh_1").name == "Renamed"
    with pytest.raises(Conflict):  # a writer who read version 0 lost the race
        store.update_warehouse(replace(w, name="Stale", version=1), expected_version=0)
    assert v1.version == 1


def test_delete_warehouse(store: Any) -> None:
    store.create_warehouse(_warehouse("mA"))
    assert store.delete_warehouse("mB", "wh_1") is False
    assert store.delete_warehouse("mA", "wh_1") is True
    assert store.delete_warehouse("mA", "wh_1") is False


def _audit(merchant: str | None, at: float, user: str = "usr_1", action: str = "POST /v1/x") -> Any:
    from kiriman.domain.audit import AuditEntry

    return AuditEntry(f"aud_{at}", at, user, "admin", "PFX", merchant, action, "/v1/x", 201, "req")


def test_append_audit(store: Any) -> None:
    e = _audit("mA", 100.0)
    store.append_audit(e)
    with pytest.raises(Exception, match="Conditional"):
        store.append_audit(e)  # append-only: the same record is never overwritten


def test_list_audit(store: Any) -> None:
    from kiriman.domain.audit import AuditQuery

    for n in range(5):
        store.append_audit(_audit("mA", 100.0 + n, user=f"usr_{n % 2}"))
    store.append_audit(_audit("mB", 100.0))
    items, _ = store.list_audit(AuditQuery("mA"), 10, None)
    assert [e.at for e in items] == [104.0, 103.0, 102.0, 101.0, 100.0]
    items, _ = store.list_audit(AuditQuery("mA", since=101, until=103), 10, None)
    assert [e.at for e in items] == [103.0, 102.0, 101.0]
    items, _ = store.list_audit(AuditQuery("mA", user_id="usr_1"), 10, None)
    assert [e.at for e in items] == [103.0, 101.0]
    assert store.list_audit(AuditQuery("mA", action="DELETE /v1/x"), 10, None)[0] == []
    assert len(store.list_audit(AuditQuery("mB"), 10, None)[0]) == 1


def test_use_once(store: Any, clock: FixedClock) -> None:
    assert store.use_once("push", "k1") is True
    assert store.use_once("push", "k1") is False
    assert store.use_once("push", "k2", ttl_s=10) is True
    clock.advance(11)
    assert store.use_once("push", "k2", ttl_s=10) is True  # an expired marker can be spent again


def test_forget_once(store: Any) -> None:
    store.use_once("push", "k")
    store.forget_once("push", "k")
    assert store.use_once("push", "k") is True


def _shop(merchant: str, shop_id: int = 600001, status: str = "active") -> Any:
    from kiriman.domain.shops import Shop

    return Shop(shop_id, merchant, "TH", "Gadget TH", status, False, None, "ct-a", "ct-r", 14400.0, 1e10, 1, 1.0, 1.0)


def test_link_shop(store: Any) -> None:
    store.link_shop(_shop("mA"))
    store.link_shop(_shop("mA"))  # the same merchant authorizing again is fine
    with pytest.raises(Conflict):
        store.link_shop(_shop("mB"))
    assert store.get_shop("mB", 600001) is None


def test_get_shop(store: Any) -> None:
    store.link_shop(_shop("mA"))
    got = store.get_shop("mA", 600001)
    assert got is not None and got.access_token_ct == "ct-a" and got.region == "TH"


def test_shop_owner(store: Any) -> None:
    store.link_shop(_shop("mA"))
    assert store.shop_owner(600001) == "mA" and store.shop_owner(1) is None


def test_list_shops(store: Any) -> None:
    store.link_shop(_shop("mA", 1))
    store.link_shop(_shop("mA", 2))
    store.link_shop(_shop("mB", 3))
    assert sorted(s.shop_id for s in store.list_shops("mA")) == [1, 2]


def test_active_shops(store: Any) -> None:
    store.link_shop(_shop("mA", 1))
    store.link_shop(_shop("mB", 2))
    store.set_shop_status("mB", 2, "revoked", {})
    assert store.active_shops() == [("mA", 1)]


def test_take_shop_lease(store: Any) -> None:
    store.link_shop(_shop("mA"))
    assert store.take_shop_lease("mA", 600001, "w1", 160.0, 100.0) is True
    assert store.take_shop_lease("mA", 600001, "w2", 170.0, 110.0) is False
    assert store.take_shop_lease("mA", 600001, "w2", 230.0, 161.0) is True  # the first lease ran out


def test_save_tokens(store: Any) -> None:
    store.link_shop(_shop("mA"))
    shop = store.get_shop("mA", 600001)
    assert store.save_tokens(shop, 1, "new-a", "new-r", 5000.0) is True
    assert store.save_tokens(shop, 1, "other-a", "other-r", 5000.0) is False  # a stale writer loses
    got = store.get_shop("mA", 600001)
    assert (got.access_token_ct, got.refresh_token_ct, got.token_version) == ("new-a", "new-r", 2)


def test_set_shop_status(store: Any) -> None:
    store.link_shop(_shop("mA"))
    store.set_shop_status("mA", 600001, "revoked", {"reason": "push 2"})
    got = store.get_shop("mA", 600001)
    assert got.status == "revoked" and got.flags == {"reason": "push 2"}
    store.set_shop_status("mA", 600001, "active", {})
    assert store.active_shops() == [("mA", 600001)]


def test_set_watermark(store: Any) -> None:
    store.link_shop(_shop("mA"))
    store.set_watermark("mA", 600001, 200.0)
    store.set_watermark("mA", 600001, 100.0)  # never backwards
    assert store.get_shop("mA", 600001).watermark == 200.0


def test_block_shop_quota(store: Any) -> None:
    store.link_shop(_shop("mA"))
    store.block_shop_quota("mA", 600001, 999.0)
    assert store.get_shop("mA", 600001).quota_blocked_until == 999.0


def _order(merchant: str, sn: str, update: int, status: str = "READY_TO_SHIP", ship_by: int = 500) -> Any:
    from kiriman.domain.orders import Order, Package

    pkg = Package(f"OFG{sn}", "LOGISTICS_READY", 18080, "SPX", [{"item_id": 1, "model_quantity": 1}])
    return Order(
        merchant,
        600001,
        sn,
        status,
        "TH",
        "THB",
        False,
        100.0,
        10,
        update,
        11,
        ship_by,
        2,
        "SPX",
        "fulfilled_by_local_seller",
        None,
        False,
        [],
        False,
        [{"item_id": 1}],
        [pkg],
        {"name": "x"},
        1.0,
    )


def test_upsert_order(store: Any) -> None:
    assert store.upsert_order(_order("mA", "S1", 100)) == (True, None)
    written, prev = store.upsert_order(_order("mA", "S1", 100))
    assert written is False and prev is not None  # same update_time: nothing to do
    written, prev = store.upsert_order(_order("mA", "S1", 90, status="CANCELLED"))
    assert written is False  # an older copy never overwrites a newer one
    written, prev = store.upsert_order(_order("mA", "S1", 120, status="PROCESSED"))
    assert written is True and prev.update_time == 100
    assert store.get_order("mA", "S1").order_status == "PROCESSED"


def test_get_order(store: Any) -> None:
    store.upsert_order(_order("mA", "S1", 100))
    got = store.get_order("mA", "S1")
    assert got.packages[0].package_number == "OFGS1" and got.packages[0].handling == "fulfil"
    assert store.get_order("mB", "S1") is None


def test_list_orders(store: Any) -> None:
    store.upsert_order(_order("mA", "S1", 100, ship_by=300))
    store.upsert_order(_order("mA", "S2", 100, ship_by=100))
    store.upsert_order(_order("mA", "S3", 100, status="SHIPPED"))
    store.upsert_order(_order("mB", "S4", 100))
    ready, _ = store.list_orders("mA", 10, None, status="READY_TO_SHIP")
    assert [o.order_sn for o in ready] == ["S2", "S1"]  # ship-by order: the work queue
    due, _ = store.list_orders("mA", 10, None, status="READY_TO_SHIP", ship_by_before=200)
    assert [o.order_sn for o in due] == ["S2"]
    every, _ = store.list_orders("mA", 10, None)
    assert sorted(o.order_sn for o in every) == ["S1", "S2", "S3"]
    assert store.list_orders("mA", 10, None, shop_id=1)[0] == []


def test_upsert_order_same_second_change(store: Any) -> None:
    store.upsert_order(_order("mA", "S9", 100))
    written, _ = store.upsert_order(_order("mA", "S9", 100, status="CANCELLED"))
    assert written is True and store.get_order("mA", "S9").order_status == "CANCELLED"


def test_take_sync_lease(store: Any) -> None:
    store.link_shop(_shop("mA"))
    assert store.take_sync_lease("mA", 600001, "job1", 1000.0, 100.0) is True
    assert store.take_sync_lease("mA", 600001, "job2", 1000.0, 200.0) is False  # a sync is running
    assert store.take_sync_lease("mA", 600001, "job1", 1500.0, 300.0) is True  # its continuation renews
    assert store.take_sync_lease("mA", 600001, "job2", 2000.0, 1600.0) is True  # expired: taken over


def test_release_sync_lease(store: Any) -> None:
    store.link_shop(_shop("mA"))
    store.take_sync_lease("mA", 600001, "job1", 1000.0, 100.0)
    store.release_sync_lease("mA", 600001, "other")  # not ours: nothing happens
    assert store.take_sync_lease("mA", 600001, "job2", 1000.0, 200.0) is False
    store.release_sync_lease("mA", 600001, "job1")
    assert store.take_sync_lease("mA", 600001, "job2", 1000.0, 200.0) is True


# --- carrier accounts, rate cards, routing rules ---------------------------------------------------
def _account(owner: str | None, account_id: str = "ca_1") -> Any:
    from kiriman.domain.carrier_accounts import CarrierAccount

    return CarrierAccount(
        account_id=account_id, owner=owner, carrier="ninjavan", name="NV SG", country="SG", environment="production",
        settings={"shipper_prefix": "NVSGKRM"}, services=("Standard",), secret_name=f"carrier-accounts/{account_id}",
        active=True, created_at=1.0, updated_at=1.0, credential_fields=("client_id", "client_secret"),
    )


def test_create_carrier_account(store: Any) -> None:
    store.create_carrier_account(_account("mA"))
    with pytest.raises(Conflict):
        store.create_carrier_account(_account("mA"))


def test_get_carrier_account(store: Any) -> None:
    a = _account("mA")
    store.create_carrier_account(a)
    assert store.get_carrier_account("mA", "ca_1") == a
    assert store.get_carrier_account("mB", "ca_1") is None  # another tenant sees nothing


def test_list_carrier_accounts(store: Any) -> None:
    store.create_carrier_account(_account("mA", "ca_1"))
    store.create_carrier_account(_account("mA", "ca_2"))
    store.create_carrier_account(_account(None, "ca_fwd"))
    items, _ = store.list_carrier_accounts("mA", 10, None)
    assert [a.account_id for a in items] == ["ca_1", "ca_2"]
    assert [a.account_id for a in store.list_carrier_accounts(None, 10, None)[0]] == ["ca_fwd"]


def test_update_carrier_account(store: Any) -> None:
    from dataclasses import replace

    a = _account("mA")
    store.create_carrier_account(a)
    store.update_carrier_account(replace(a, active=False, version=1), expected_version=0)
    assert store.get_carrier_account("mA", "ca_1").active is False
    with pytest.raises(Conflict):
        store.update_carrier_account(replace(a, name="Stale", version=1), expected_version=0)


def _card(version: int, card_id: str = "rc_1", retired: bool = False) -> Any:
    from kiriman.domain.rate_cards import RateCardRecord

    return RateCardRecord(card_id, "mA", "ca_1", "Standard", version, {"currency": "SGD", "v": version},
                          float(version), retired)


def test_put_rate_card(store: Any) -> None:
    store.put_rate_card(_card(1))
    with pytest.raises(Conflict):  # a version is written once
        store.put_rate_card(_card(1))


def test_rate_card_versions(store: Any) -> None:
    for v in (1, 2, 10):
        store.put_rate_card(_card(v))
    store.put_rate_card(_card(1, "rc_10"))  # a card whose id extends another's is not mixed in
    assert [c.version for c in store.rate_card_versions("mA", "rc_1")] == [1, 2, 10]
    assert store.rate_card_versions("mB", "rc_1") == []


def test_list_rate_cards(store: Any) -> None:
    store.put_rate_card(_card(1))
    store.put_rate_card(_card(2))
    store.put_rate_card(_card(1, "rc_2"))
    items, _ = store.list_rate_cards("mA", 10, None)
    assert [(c.card_id, c.version) for c in items] == [("rc_1", 1), ("rc_1", 2), ("rc_2", 1)]
    assert items[1].body == {"currency": "SGD", "v": 2}


def _rule(rule_id: str = "rl_1", priority: int = 10, shop_id: int | None = None) -> Any:
    from kiriman.domain.rule_book import RuleRecord

    return RuleRecord(rule_id, "mA", priority, shop_id, {"name": rule_id, "priority": priority}, 1.0, 1.0)


def test_create_rule(store: Any) -> None:
    store.create_rule(_rule())
    with pytest.raises(Conflict):
        store.create_rule(_rule())


def test_get_rule(store: Any) -> None:
    store.create_rule(_rule(shop_id=220000101))
    assert store.get_rule("mA", "rl_1").shop_id == 220000101
    assert store.get_rule("mB", "rl_1") is None


def test_list_rules(store: Any) -> None:
    store.create_rule(_rule("rl_1", 20))
    store.create_rule(_rule("rl_2", 10))
    assert sorted(r.rule_id for r in store.list_rules("mA")) == ["rl_1", "rl_2"]
    assert store.list_rules("mB") == []


def test_update_rule(store: Any) -> None:
    from dataclasses import replace

    r = _rule()
    store.create_rule(r)
    store.update_rule(replace(r, priority=5, version=1), expected_version=0)
    assert store.get_rule("mA", "rl_1").priority == 5
    with pytest.raises(Conflict):
        store.update_rule(replace(r, priority=7, version=1), expected_version=0)


def test_delete_rule(store: Any) -> None:
    store.create_rule(_rule())
    assert store.delete_rule("mB", "rl_1") is False
    assert store.delete_rule("mA", "rl_1") is True
    assert store.delete_rule("mA", "rl_1") is False


# --- purchase claims -------------------------------------------------------------------------------
def _claim(state: str = "CLAIMED", version: int = 0, attempt: int = 1) -> Any:
    from kiriman.carriers.base import PackageRef
    from kiriman.domain.purchases import Claim, ClaimState

    return Claim(PackageRef(1, "SN1", "PKG1"), attempt, "mA", ClaimState(state), "ninjavan", "ca_1", "KREF", 1.0,
                 1.0 + version, version=version)


def test_create_claim(store: Any) -> None:
    assert store.create_claim(_claim()) is True
    assert store.create_claim(_claim()) is False  # one claim per package, leg and attempt
    assert store.create_claim(_claim(attempt=2)) is True


def test_get_claim(store: Any) -> None:
    from kiriman.carriers.base import PackageRef

    store.create_claim(_claim())
    assert store.get_claim(PackageRef(1, "SN1", "PKG1"), 1) == _claim()
    assert store.get_claim(PackageRef(1, "SN1", "PKG1", "return:R1"), 1) is None


def test_move_claim(store: Any) -> None:
    store.create_claim(_claim())
    assert store.move_claim(_claim("CALLING", 1)) is True
    assert store.move_claim(_claim("CALLING", 1)) is False  # a second worker that read version 0 loses
    assert store.move_claim(_claim("BOUGHT", 2)) is True


def test_current_attempt(store: Any) -> None:
    from kiriman.carriers.base import PackageRef

    assert store.current_attempt(PackageRef(1, "SN1", "PKG1")) == 1


def test_advance_attempt(store: Any) -> None:
    from kiriman.carriers.base import PackageRef

    pkg = PackageRef(1, "SN1", "PKG1")
    assert store.advance_attempt(pkg, 1) == 2
    assert store.advance_attempt(pkg, 1) == 2
    assert store.advance_attempt(pkg, 2) == 3


def test_claims_by_state(store: Any) -> None:
    store.create_claim(_claim())
    store.move_claim(_claim("FAILED", 1))
    items, _ = store.claims_by_state("mA", "FAILED", 10, None)
    assert [c.state.value for c in items] == ["FAILED"]
    assert store.claims_by_state("mA", "CLAIMED", 10, None)[0] == []
    assert store.claims_by_state("mB", "FAILED", 10, None)[0] == []


def test_take_token(store: Any, clock: FixedClock) -> None:
    # an absent bucket is full: burst 3 at 1 token/s
    assert [store.take_token("ninjavan", "acc_1", 1.0, 3.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = store.take_token("ninjavan", "acc_1", 1.0, 3.0)
    assert wait == pytest.approx(1.0)  # empty: a whole token's time, and nothing was taken
    assert store.take_token("ninjavan", "acc_2", 1.0, 3.0) == 0.0  # buckets are per account
    clock.advance(0.5)
    assert store.take_token("ninjavan", "acc_1", 1.0, 3.0) == pytest.approx(0.5)
    clock.advance(0.5)
    assert store.take_token("ninjavan", "acc_1", 1.0, 3.0) == 0.0
    assert store.take_token("ninjavan", "acc_1", 1.0, 3.0) == pytest.approx(1.0)
    item = store_item(keys.rate_bucket_pk("ninjavan", "acc_1"), keys.RATE_BUCKET_SK)
    assert item["entity"] == "RateBucket" and item["expires_at"] > clock.time()
    clock.advance(10_000)  # idle: the bucket expired, which reads as full again
    assert [store.take_token("ninjavan", "acc_1", 1.0, 3.0) for _ in range(4)][-1] == pytest.approx(1.0)
    # racing workers: the version condition lets exactly the bucket's tokens through
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: store.take_token("jnt", "acc_9", 0.001, 3.0), range(8)))
    assert sorted(waits)[:4] == [0.0, 0.0, 0.0, pytest.approx(1000.0)]


def store_item(pk: str, sk: str) -> dict[str, Any]:
    import boto3

    from kiriman.storage.models import Entity

    got = boto3.client("dynamodb", region_name="ap-southeast-1").get_item(
        TableName=Entity.Meta.table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}})["Item"]
    return {k: next(iter(v.values())) if "N" not in v else float(v["N"]) for k, v in got.items()}


def test_claims_by_state_between(store: Any) -> None:
    from dataclasses import replace

    from kiriman.carriers.base import PackageRef

    for n, at in enumerate((100.0, 200.0, 300.0)):
        c = replace(_claim(), package=PackageRef(1, f"SN{n}", "PKG1"), state=_claim("BOUGHT").state, updated_at=at)
        assert store.create_claim(c)
    got, _ = store.claims_by_state_between("mA", "BOUGHT", 150.0, 300.0, 10, None)
    assert [c.updated_at for c in got] == [200.0, 300.0]  # oldest first, both ends included
    first, cursor = store.claims_by_state_between("mA", "BOUGHT", 0.0, 1000.0, 2, None)
    rest, _ = store.claims_by_state_between("mA", "BOUGHT", 0.0, 1000.0, 2, cursor)
    assert [c.package.order_sn for c in first + rest] == ["SN0", "SN1", "SN2"]
    assert store.claims_by_state_between("mA", "FAILED", 0.0, 1000.0, 10, None)[0] == []
    assert store.claims_by_state_between("mB", "BOUGHT", 0.0, 1000.0, 10, None)[0] == []


def _booking(owner: str | None = "mA", wid: str = "wh_1", day: str = "2026-01-02", version: int = 1,
             carrier: str = "flash", state: str = "booking", parcels: int = 3) -> Any:
    from kiriman.domain.pickups import PickupBooking, PickupState

    return PickupBooking(owner, wid, carrier, "ca_1", day, PickupState(state), parcels, parcels,
                         {"mA": parcels}, 10.0, 10.0 + version, attempts=1, calling_until=100.0, version=version)


def test_get_pickup_booking(store: Any) -> None:
    assert store.get_pickup_booking("mA", "wh_1", "flash", "ca_1", "2026-01-02") is None
    b = _booking()
    assert store.put_pickup_booking(b)
    assert store.get_pickup_booking("mA", "wh_1", "flash", "ca_1", "2026-01-02") == b
    assert store.get_pickup_booking(None, "wh_1", "flash", "ca_1", "2026-01-02") is None  # the owner is in the key
    assert store.get_pickup_booking("mA", "wh_1", "flash", "ca_1", "2026-01-03") is None


def test_put_pickup_booking(store: Any) -> None:
    from dataclasses import replace

    from kiriman.domain.pickups import PickupState

    assert store.put_pickup_booking(_booking()) is True
    assert store.put_pickup_booking(_booking()) is False  # created once per warehouse, carrier, account, day
    booked = replace(_booking(version=2), state=PickupState.BOOKED, confirmation="T1", calling_until=None,
                     error={}, detail={"carrier": {"ticketPickupId": "T1"}})
    assert store.put_pickup_booking(booked) is True
    assert store.put_pickup_booking(replace(booked, state=PickupState.FAILED)) is False  # read version 1 too
    got = store.get_pickup_booking("mA", "wh_1", "flash", "ca_1", "2026-01-02")
    assert got == booked and got.calling_until is None


def test_list_pickup_bookings(store: Any) -> None:
    store.put_pickup_booking(_booking())
    store.put_pickup_booking(_booking(carrier="ninjavan", state="with_order"))
    store.put_pickup_booking(_booking(wid="wh_2"))
    store.put_pickup_booking(_booking(day="2026-01-03"))
    store.put_pickup_booking(_booking(owner=None))
    assert len(store.list_pickup_bookings("mA", "2026-01-02")) == 3
    one = store.list_pickup_bookings("mA", "2026-01-02", "wh_1")
    assert sorted(b.carrier for b in one) == ["flash", "ninjavan"]
    assert [b.warehouse_owner for b in store.list_pickup_bookings(None, "2026-01-02")] == [None]
    assert store.list_pickup_bookings("mB", "2026-01-02") == []


def test_pickup_bookings_on(store: Any) -> None:
    store.put_pickup_booking(_booking())
    store.put_pickup_booking(_booking(owner="mB", wid="wh_9"))
    store.put_pickup_booking(_booking(owner=None, wid="wh_f"))
    store.put_pickup_booking(_booking(day="2026-01-03"))
    items, _ = store.pickup_bookings_on("2026-01-02", None, 10, None)
    assert sorted(b.warehouse_id for b in items) == ["wh_1", "wh_9", "wh_f"]
    assert [b.warehouse_owner for b in store.pickup_bookings_on("2026-01-02", "wh_9", 10, None)[0]] == ["mB"]
    first, cursor = store.pickup_bookings_on("2026-01-02", None, 2, None)
    assert len(first) == 2 and cursor
    assert len(store.pickup_bookings_on("2026-01-02", None, 2, cursor)[0]) == 1


def _document(merchant: str = "mA", now: float = 1_000.0) -> Any:
    from kiriman.domain import paperwork

    return paperwork.new_request(merchant, "manifest", "csv", {"manifest": {"warehouse_id": "wh_1"}},
                                 ["880001.SNTH00000001.OFG1"], [{"shipment_id": "880001.SNX000001.-",
                                                                 "reason": "not_found"}], {}, now)


def test_create_document_request(store: Any, clock: FixedClock) -> None:
    req = _document(now=clock.time())
    store.create_document_request(req)
    with pytest.raises(Conflict):
        store.create_document_request(req)  # recorded once
    assert store.get_document_request("mA", req.document_id) == req


def test_get_document_request(store: Any, clock: FixedClock) -> None:
    from kiriman.domain import paperwork

    req = _document(now=clock.time())
    assert store.get_document_request("mA", req.document_id) is None
    store.create_document_request(req)
    got = store.get_document_request("mA", req.document_id)
    assert got == req and got.status == paperwork.DocumentStatus.QUEUED and got.skipped[0]["reason"] == "not_found"
    assert store.get_document_request("mB", req.document_id) is None  # the merchant is in the key
    clock.advance(paperwork.RETENTION_S + 1)
    assert store.get_document_request("mA", req.document_id) is None  # expired (moto applies no TTL)


def test_move_document_request(store: Any, clock: FixedClock) -> None:
    from dataclasses import replace

    from kiriman.domain import paperwork

    req = _document(now=clock.time())
    store.create_document_request(req)
    finished = replace(req, status=paperwork.DocumentStatus.DONE, key="documents/mA/docs/x.csv", count=1,
                       version=req.version + 1)
    assert store.move_document_request(finished) is True
    assert store.move_document_request(replace(req, status=paperwork.DocumentStatus.FAILED, error="late",
                                               version=req.version + 1)) is False  # a second finisher loses
    assert store.get_document_request("mA", req.document_id) == finished


def test_get_reconcile_cursor(store: Any) -> None:
    assert store.get_reconcile_cursor() == (None, None)  # the first run starts from the top
    store.save_reconcile_cursor("mer_b", "cursor-2")
    assert store.get_reconcile_cursor() == ("mer_b", "cursor-2")


def test_save_reconcile_cursor(store: Any) -> None:
    store.save_reconcile_cursor("mer_a", None)
    store.save_reconcile_cursor("mer_b", "c")  # last writer wins
    assert store.get_reconcile_cursor() == ("mer_b", "c")
    store.save_reconcile_cursor(None, None)  # a finished walk
    assert store.get_reconcile_cursor() == (None, None)
