"""Planning decisions that need no AWS: the first-hour hold and masked recipients."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kiriman.clock import FixedClock
from kiriman.domain import fulfilment
from kiriman.domain.fulfilment import Attention, PurchaseJob, held_until, plan, recipient_masked
from kiriman.domain.merchants import Merchant
from kiriman.domain.orders import Order, Package
from kiriman.domain.quoting import Pricing
from kiriman.domain.warehouses import Address, Warehouse

NOW = 1_790_000_000.0
WAREHOUSE = Warehouse("wh_1", "mer_1", "Tuas DC", Address("Tuas DC", "+6560000000", "1 Tuas Ave", None,
                                                          "Singapore", None, "639000", "SG"), ("SG",), True, 1.0, 1.0)


def order(recipient: dict[str, Any] | None, created: float = NOW - 7200) -> Order:
    return Order("mer_1", 7, "2611250001ABCD", "READY_TO_SHIP", "SG", "SGD", False, 20.0, int(created),
                 int(created), int(created), None, 2, "Ninja Van", "fulfilled_by_local_seller", None, False, [],
                 False, [{"item_id": 1, "weight": 0.5, "model_quantity_purchased": 1}],
                 [Package("OFG1", "LOGISTICS_READY", 18098, "Ninja Van", [])], recipient)


CLEAR = {"name": "Tan Ah Kow", "phone": "6591234567", "full_address": "1 Orchard Rd, Singapore 238823",
         "zipcode": "238823", "region": "SG", "city": "Singapore"}


@pytest.mark.parametrize("field,value", [("name", "T****w"), ("phone", "******67"), ("full_address", "****")])
def test_a_masked_recipient_gets_no_carrier_label(field: str, value: str) -> None:
    masked = {**CLEAR, field: value}
    assert recipient_masked(masked)
    out = plan(order(masked), "OFG1", [WAREHOUSE], False, Pricing((), (), ()), FixedClock(NOW))
    assert isinstance(out, Attention) and out.code == "recipient_masked"
    # through Shopee's own logistics the AWB is Shopee's, masked or not
    out = plan(order(masked), "OFG1", [WAREHOUSE], True, Pricing((), (), ()), FixedClock(NOW))
    assert isinstance(out, PurchaseJob) and out.carrier == "shopee"


def test_a_clear_recipient_is_rated() -> None:
    assert not recipient_masked(CLEAR) and not recipient_masked(None)
    assert not recipient_masked({**CLEAR, "full_address": "Blk 5 *2 Lorong"})  # one asterisk is no mask
    out = plan(order(CLEAR), "OFG1", [WAREHOUSE], False, Pricing((), (), ()), FixedClock(NOW))
    assert isinstance(out, Attention) and out.code == "no_carrier"  # rated: no account here serves it


def test_the_first_hour_hold() -> None:
    merchant = Merchant("mer_1", "M", None, "active", 1.0)
    fresh = order(CLEAR, created=NOW - 600.5)
    release = held_until(fresh, merchant, NOW)
    assert release is not None and release >= fresh.create_time + fulfilment.FIRST_HOUR_S and release > NOW
    assert held_until(fresh, None, NOW) == release  # no merchant record: Shopee's advice holds
    assert held_until(fresh, merchant, release) is None  # due time reached: go
    assert held_until(fresh, replace(merchant, arrange_within_first_hour=True), NOW) is None
    assert held_until(order(CLEAR, created=NOW - 3601), merchant, NOW) is None


class _Walk:
    """Two merchants with three pages of READY_TO_SHIP orders each, nothing claimed yet."""

    def __init__(self) -> None:
        self.cursor: tuple[str | None, str | None] = (None, None)
        self.pages_read: list[tuple[str, str | None]] = []
        self.published: list[str] = []

    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Merchant], str | None]:
        return [Merchant("mer_a", "A", None, "active", 1.0), Merchant("mer_b", "B", None, "active", 1.0)], None

    def list_orders(self, merchant_id: str, limit: int, cursor: str | None,
                    status: str | None = None) -> tuple[list[Order], str | None]:
        self.pages_read.append((merchant_id, cursor))
        n = {None: 1, "p2": 2, "p3": 3}[cursor]
        o = replace(order(CLEAR, created=NOW - 86400), merchant_id=merchant_id, order_sn=f"{merchant_id}-{n}")
        return [o], {1: "p2", 2: "p3", 3: None}[n]

    def get_claim(self, pkg: Any, attempt: int) -> None:
        return None

    def current_attempt(self, pkg: Any) -> int:
        return 1

    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool:
        return True

    def get_reconcile_cursor(self) -> tuple[str | None, str | None]:
        return self.cursor

    def save_reconcile_cursor(self, merchant_id: str | None, order_cursor: str | None) -> None:
        self.cursor = (merchant_id, order_cursor)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append(detail["order_sn"])


def test_the_reconciler_resumes_where_its_last_run_stopped() -> None:
    walk = _Walk()
    first = fulfilment.reconcile(walk, walk, FixedClock(NOW), stale_s=900,  # type: ignore[arg-type]
                                 should_stop=lambda: len(walk.published) >= 4)
    assert walk.published == ["mer_a-1", "mer_a-2", "mer_a-3", "mer_b-1"] and first["finished"] == 0
    assert walk.cursor == ("mer_b", "p2")  # the next page of the second merchant
    second = fulfilment.reconcile(walk, walk, FixedClock(NOW), stale_s=900)  # type: ignore[arg-type]
    assert walk.published[4:] == ["mer_b-2", "mer_b-3"] and second["resumed"] == 1 and second["finished"] == 1
    assert walk.cursor == (None, None)  # the next run walks from the top again
    assert walk.pages_read[4:] == [("mer_b", "p2"), ("mer_b", "p3")]
    third = fulfilment.reconcile(walk, walk, FixedClock(NOW), stale_s=900, max_republish=2)  # type: ignore[arg-type]
    assert third["republished"] == 2 and walk.cursor == ("mer_a", "p3")  # the cap leaves a cursor too
    # stopped in the middle of a page: the next run reads that page again
    walk.cursor = (None, None)
    calls = iter(range(100))
    fulfilment.reconcile(walk, walk, FixedClock(NOW), stale_s=900,  # type: ignore[arg-type]
                         should_stop=lambda: next(calls) >= 1)  # the page check passes, the order check stops
    assert walk.cursor == ("mer_a", None)
