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
