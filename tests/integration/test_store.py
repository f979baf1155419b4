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
