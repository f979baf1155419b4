"""Order sync and push handling as plain Python, with in-memory fakes of the ports."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from kiriman.clock import FixedClock
from kiriman.domain import orders, pushes
from kiriman.domain.errors import InvalidInput, Unauthorized
from kiriman.shopee.models import OrderDetail, OrderListPage
from kiriman.shopee.signing import push_signature


class FakeStore:
    def __init__(self) -> None:
        self.orders: dict[str, orders.Order] = {}
        self.once: set[str] = set()

    def upsert_order(self, order: orders.Order) -> tuple[bool, orders.Order | None]:
        prev = self.orders.get(order.order_sn)
        if prev is not None and (
            prev.update_time > order.update_time or replace(prev, synced_at=order.synced_at) == order
        ):
            return False, prev
        self.orders[order.order_sn] = order
        return True, prev

    def get_order(self, merchant_id: str, order_sn: str) -> orders.Order | None:
        return self.orders.get(order_sn)

    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool:
        k = f"{scope}#{key}"
        if k in self.once:
            return False
        self.once.add(k)
        return True

    def forget_once(self, scope: str, key: str) -> None:
        self.once.discard(f"{scope}#{key}")


class FakeShopee:
    """Orders keyed by order_sn; pages of ``page`` orders; records every call."""

    def __init__(self, details: list[dict[str, Any]], page: int = 3) -> None:
        self.details = {d["order_sn"]: d for d in details}
        self.page = page
        self.calls: list[tuple[str, Any]] = []

    def get_order_list(self, shop_id: int, time_from: int, time_to: int, cursor: str = "") -> OrderListPage:
        self.calls.append(("list", (time_from, time_to, cursor)))
        assert time_to - time_from <= 15 * 86400
        hits = sorted(sn for sn, d in self.details.items() if time_from <= d["update_time"] <= time_to)
        start = int(cursor or 0)
        chunk = hits[start : start + self.page]
        more = start + self.page < len(hits)
        return OrderListPage(
            order_list=[{"order_sn": sn} for sn in chunk], more=more, next_cursor=str(start + self.page) if more else ""
        )

    def get_order_detail(self, shop_id: int, order_sns: list[str]) -> list[OrderDetail]:
        self.calls.append(("detail", list(order_sns)))
        assert len(order_sns) <= 50
        return [OrderDetail.model_validate(self.details[sn]) for sn in order_sns if sn in self.details]


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((detail_type, detail))


def detail(
    sn: str, update: int, status: str = "READY_TO_SHIP", packages: tuple[str, ...] = ("P1",), **kw: Any
) -> dict[str, Any]:
    return {
        "order_sn": sn,
        "order_status": status,
        "create_time": update - 100,
        "update_time": update,
        "region": "TH",
        "currency": "THB",
        "ship_by_date": update + 86400,
        "recipient_address": {"name": "สมชาย ใจดี", "phone": "0812345678", "full_address": "99 ถนนสุขุมวิท"},
        "item_list": [{"item_id": 1, "model_quantity_purchased": 1, "weight": 0.5}],
        "package_list": [
            {
                "package_number": f"{sn}-{p}",
                "logistics_status": "LOGISTICS_READY",
                "logistics_channel_id": 70021,
                "item_list": [{"item_id": 1}],
            }
            for p in packages
        ],
        **kw,
    }


NOW = 1_767_225_600.0


def test_sync_lists_every_window_and_fetches_in_batches_of_50() -> None:
    clock = FixedClock(NOW)
    shopee = FakeShopee([detail(f"S{i:03d}", int(NOW) - 20 * 86400 + i * 3000) for i in range(120)], page=40)
    store, events = FakeStore(), FakeEvents()
    report, pos, done = orders.sync_shop(store, shopee, events, clock, "m1", 7, watermark=None, lookback_s=30 * 86400)
    assert report.listed == 120 and report.written == 120 and len(store.orders) == 120
    assert done and pos.until == NOW
    windows = [c[1][:2] for c in shopee.calls if c[0] == "list" and c[1][2] == ""]
    assert len(windows) == 3  # 30 days + overlap in windows of at most 15 days
    assert all(len(c[1]) <= 50 for c in shopee.calls if c[0] == "detail")
    assert events.published.count(("PackageReadyToShip", events.published[0][1])) == 1
    assert sum(1 for t, _ in events.published if t == "PackageReadyToShip") == 120


def test_second_sync_overlaps_and_emits_nothing_new() -> None:
    clock = FixedClock(NOW)
    shopee = FakeShopee([detail("A", int(NOW) - 50)])
    store, events = FakeStore(), FakeEvents()
    _, pos, _ = orders.sync_shop(store, shopee, events, clock, "m1", 7, None)
    clock.advance(60)
    report, _, _ = orders.sync_shop(store, shopee, events, clock, "m1", 7, pos.until)
    assert report.listed == 1 and report.written == 0  # re-listed through the overlap, not rewritten
    assert len(events.published) == 1


def test_older_copy_never_overwrites_and_ready_is_emitted_once() -> None:
    clock = FixedClock(NOW)
    store, events = FakeStore(), FakeEvents()
    newer = FakeShopee([detail("A", 200, status="PROCESSED")])
    older = FakeShopee([detail("A", 100)])
    orders.refresh_orders(store, newer, events, clock, "m1", 7, ["A"])
    orders.refresh_orders(store, older, events, clock, "m1", 7, ["A"])
    assert store.orders["A"].order_status == "PROCESSED" and events.published == []
    replay = FakeShopee([detail("B", 100)])
    for _ in range(3):
        orders.refresh_orders(store, replay, events, clock, "m1", 7, ["B", "B"])
    assert [t for t, _ in events.published] == ["PackageReadyToShip"]


@pytest.mark.parametrize(
    ("extra", "handling"),
    [
        ({"fulfillment_flag": "fulfilled_by_shopee"}, "skipped:fulfilled_by_shopee"),
        ({"booking_sn": "BK1"}, "skipped:advance_fulfilment"),
        ({"advance_package": True}, "skipped:advance_fulfilment"),
        ({"pending_terms": ["SYSTEM_PENDING"]}, "deferred:pending_terms"),
    ],
)
def test_packages_we_must_not_ship_are_recorded_not_emitted(extra: dict[str, Any], handling: str) -> None:
    store, events = FakeStore(), FakeEvents()
    orders.refresh_orders(store, FakeShopee([detail("A", 100, **extra)]), events, FixedClock(NOW), "m1", 7, ["A"])
    assert store.orders["A"].packages[0].handling == handling
    assert events.published == []


def test_split_cancel_and_retry_ship_raise_their_events() -> None:
    store, events = FakeStore(), FakeEvents()
    clock = FixedClock(NOW)
    orders.refresh_orders(store, FakeShopee([detail("A", 100)]), events, clock, "m1", 7, ["A"])
    orders.refresh_orders(store, FakeShopee([detail("A", 110, packages=("P2", "P3"))]), events, clock, "m1", 7, ["A"])
    changed = [d for t, d in events.published if t == "PackagesChanged"]
    assert changed == [
        {
            "merchant_id": "m1",
            "shop_id": 7,
            "order_sn": "A",
            "removed": ["A-P1"],
            "added": ["A-P2", "A-P3"],
            "channel_changed": [],
        }
    ]
    orders.refresh_orders(
        store, FakeShopee([detail("A", 120, status="RETRY_SHIP", packages=("P2", "P3"))]), events, clock, "m1", 7, ["A"]
    )
    orders.refresh_orders(
        store, FakeShopee([detail("A", 130, status="CANCELLED", packages=("P2", "P3"))]), events, clock, "m1", 7, ["A"]
    )
    kinds = [t for t, _ in events.published]
    assert kinds.count("PackageRetryShip") == 2 and kinds.count("OrderCancelled") == 1


KEY, URL = "partner-key", "https://forwarder.example/webhooks/shopee"


class FakeQueue:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    def send(self, queue: str, messages: list[dict[str, Any]]) -> None:
        if self.fail:
            raise RuntimeError("sqs down")
        self.sent += messages


def signed(body: dict[str, Any]) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, push_signature(KEY, URL, raw)


ORDER_PUSH = {
    "data": {
        "items": [],
        "ordersn": "220810QSK8S7BX",
        "status": "PROCESSED",
        "completed_scenario": "",
        "update_time": 1660123127,
    },
    "shop_id": 727720655,
    "code": 3,
    "timestamp": 1660123127,
}


def test_push_is_verified_deduplicated_and_enqueued() -> None:
    store, queue = FakeStore(), FakeQueue()
    raw, sig = signed(ORDER_PUSH)
    first = pushes.accept(raw, sig, URL, KEY, store, queue, "shop-sync")
    again = pushes.accept(raw, sig, URL, KEY, store, queue, "shop-sync")
    assert first.accepted and not again.accepted and again.reason == "duplicate"
    assert queue.sent == [
        {"type": "refresh_orders", "shop_id": 727720655, "order_sns": ["220810QSK8S7BX"], "push_code": 3}
    ]


def test_bad_pushes_are_refused_and_store_nothing() -> None:
    store, queue = FakeStore(), FakeQueue()
    raw, sig = signed(ORDER_PUSH)
    with pytest.raises(Unauthorized):
        pushes.accept(raw, None, URL, KEY, store, queue, "q")
    with pytest.raises(Unauthorized):
        pushes.accept(raw, sig, "https://other.example/webhooks/shopee", KEY, store, queue, "q")
    bad, bad_sig = b"{not json", push_signature(KEY, URL, b"{not json")
    with pytest.raises(InvalidInput):
        pushes.accept(bad, bad_sig, URL, KEY, store, queue, "q")
    no_order, no_order_sig = signed({"code": 3, "shop_id": 1, "data": {}})
    with pytest.raises(InvalidInput):
        pushes.accept(no_order, no_order_sig, URL, KEY, store, queue, "q")
    assert store.once == set() and queue.sent == []


def test_verification_message_and_failed_enqueue() -> None:
    store = FakeStore()
    raw, sig = signed({"code": 0, "data": {"verify_info": "x"}})
    assert pushes.accept(raw, sig, URL, KEY, store, FakeQueue(), "q").code == 0
    raw, sig = signed(ORDER_PUSH)
    with pytest.raises(RuntimeError):
        pushes.accept(raw, sig, URL, KEY, store, FakeQueue(fail=True), "q")
    assert store.once == set()  # the marker is given back, so Shopee's retry is not dropped
    assert pushes.accept(raw, sig, URL, KEY, store, FakeQueue(), "q").accepted


def test_lost_push_messages_decode_the_string_data() -> None:
    from pathlib import Path

    sample = json.loads(
        (Path(__file__).resolve().parents[1] / "golden" / "shopee" / "get_lost_push_message.response.json").read_text()
    )
    bodies = pushes.lost_messages(sample["response"])
    assert bodies, sample
    parsed = [pushes.parse(b) for b in bodies]
    assert all(p.code for p in parsed)


def test_a_channel_change_voids_the_package() -> None:
    store, events = FakeStore(), FakeEvents()
    clock = FixedClock(NOW)
    orders.refresh_orders(store, FakeShopee([detail("A", 100)]), events, clock, "m1", 7, ["A"])
    moved = detail("A", 110)
    moved["package_list"][0]["logistics_channel_id"] = 70099
    orders.refresh_orders(store, FakeShopee([moved]), events, clock, "m1", 7, ["A"])
    changed = [d for t, d in events.published if t == "PackagesChanged"]
    assert changed and changed[0]["channel_changed"] == ["A-P1"] and changed[0]["removed"] == []


def test_a_long_sync_hands_over_and_resumes_without_gaps() -> None:
    clock = FixedClock(NOW)
    shopee = FakeShopee([detail(f"S{i:03d}", int(NOW) - 20 * 86400 + i * 3000) for i in range(120)], page=20)
    store, events = FakeStore(), FakeEvents()
    calls = {"n": 0}

    def stop_every_other_page() -> bool:
        calls["n"] += 1
        return calls["n"] % 2 == 0

    pos, done, jobs = None, False, 0
    while not done:
        jobs += 1
        _, pos, done = orders.sync_shop(
            store,
            shopee,
            events,
            clock,
            "m1",
            7,
            None,
            lookback_s=30 * 86400,
            resume=pos,
            should_stop=stop_every_other_page,
        )
        assert jobs < 50
    assert jobs > 2 and len(store.orders) == 120 and pos.until == NOW
    assert sum(1 for t, _ in events.published if t == "PackageReadyToShip") == 120
