"""``--seed demo``: shops in SG, MY, TH, VN, PH, TW and one mainland-China cross-border (CNSC) shop, each with
orders in every interesting state. Deterministic for a given seed name (ids, buyers, items, statuses); the
timestamps are relative to the moment the sandbox starts.

The cross-border shop sells into Malaysia: on Shopee a shop's ``region`` is the market it sells in and the
seller's origin shows through ``is_cb`` and its merchant (region CN) - there is no shop region "CN".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import factory
from .model import CANCELLED, COMPLETED, PROCESSED, READY_TO_SHIP, SHIPPED, TO_CONFIRM_RECEIVE, UNPAID
from .state import SandboxState, suppressed_pushes

HOUR = 3600.0
DAY = 86400.0

MAIN_ACCOUNT_ID = 1_000_001
MERCHANT_ID = 3_000_001


@dataclass(frozen=True)
class ShopSeed:
    shop_id: int
    region: str
    name: str
    cross_border: bool = False
    advance: bool = False  # advance fulfilment exists in ID/PH/VN/TH
    non_integrated: int | None = None  # a channel for the seller's own fleet


SHOPS = [
    ShopSeed(220_000_101, "SG", "Merlion Gadgets SG", non_integrated=18098),
    ShopSeed(220_000_102, "MY", "Kedai Serba Ada MY"),
    ShopSeed(220_000_103, "TH", "ร้านสยามของดี", advance=True),
    ShopSeed(220_000_104, "VN", "Cửa hàng Sài Gòn Xinh", advance=True),
    ShopSeed(220_000_105, "PH", "Manila Home Essentials", advance=True, non_integrated=48099),
    ShopSeed(220_000_106, "TW", "台北生活小舖"),
    ShopSeed(220_000_107, "MY", "深圳优品跨境店 Shenzhen Youpin CB", cross_border=True),
]


@dataclass(frozen=True)
class Plan:
    status: str
    age_h: float  # created this many hours before start
    options: dict[str, Any] = field(default_factory=dict)


LOCAL_PLAN = [
    Plan(READY_TO_SHIP, 2),
    Plan(READY_TO_SHIP, 6, {"cod": True}),
    Plan(READY_TO_SHIP, 20, {"n_items": 3}),
    Plan(READY_TO_SHIP, 30, {"n_items": 3, "split": 2}),
    Plan(READY_TO_SHIP, 8, {"n_items": 2, "cod": True}),
    Plan(READY_TO_SHIP, 3, {"fulfilled_by_shopee": True}),
    Plan(UNPAID, 0.5, {"pay_after_s": 30 * 60}),
    Plan(UNPAID, 1, {"pay_after_s": 3 * HOUR, "cod": False}),
    Plan(PROCESSED, 26),
    Plan(PROCESSED, 28, {"n_items": 2, "split": 2}),
    Plan(SHIPPED, 60, {"cod": True}),
    Plan(TO_CONFIRM_RECEIVE, 120),
    Plan(COMPLETED, 240, {"n_items": 2}),
    Plan(COMPLETED, 400),  # older than the 15-day list window
    Plan(COMPLETED, 460, {"cod": True}),
    Plan(CANCELLED, 50),
]

CB_PLAN = [
    Plan(READY_TO_SHIP, 4, {"goods_to_declare": True}),
    Plan(READY_TO_SHIP, 10, {"n_items": 2}),
    Plan(READY_TO_SHIP, 22, {"n_items": 3, "split": 3, "goods_to_declare": True}),
    Plan(READY_TO_SHIP, 30, {"cod": True}),
    Plan(UNPAID, 0.3, {"pay_after_s": 45 * 60}),
    Plan(PROCESSED, 30),
    Plan(SHIPPED, 80, {"goods_to_declare": True}),
    Plan(COMPLETED, 300, {"n_items": 2}),
    Plan(CANCELLED, 40),
]


def apply_seed(state: SandboxState, seed: str, now: float) -> None:
    if seed == "none":
        return
    with state.lock, suppressed_pushes(state):
        factory.create_main_account(state, MAIN_ACCOUNT_ID, "Shenzhen Youpin Trading Co., Ltd.")
        factory.create_merchant(state, MERCHANT_ID, "深圳优品贸易有限公司", MAIN_ACCOUNT_ID)
        for spec in SHOPS:
            shop = factory.create_shop(
                state,
                region=spec.region,
                name=spec.name,
                cross_border=spec.cross_border,
                shop_id=spec.shop_id,
                main_account_id=MAIN_ACCOUNT_ID if spec.cross_border else None,
                merchant_id=MERCHANT_ID if spec.cross_border else None,
            )
            plans = list(CB_PLAN if spec.cross_border else LOCAL_PLAN)
            if spec.advance:
                plans.append(Plan(READY_TO_SHIP, 5, {"advance": True}))
            if spec.non_integrated is not None:
                plans.append(Plan(READY_TO_SHIP, 4, {"channel_id": spec.non_integrated}))
            for plan in plans:
                create_planned(state, shop.shop_id, plan, now)


def create_planned(state: SandboxState, shop_id: int, plan: Plan, now: float) -> str:
    shop = state.shop(shop_id)
    assert shop is not None
    opts = dict(plan.options)
    t0 = now - plan.age_h * HOUR
    pay_after = opts.pop("pay_after_s", None)
    split = opts.pop("split", 0)
    order = factory.build_order(
        state,
        shop,
        t0,
        unpaid=True,
        pay_at=(now + pay_after) if (plan.status == UNPAID and pay_after is not None) else None,
        **opts,
    )
    if split:
        factory.split(state, order, factory.even_groups(order, split), t0)
        for pkg in order.packages:
            pkg.logistics_status = "LOGISTICS_NOT_START"
    factory.fast_forward(state, order, plan.status, t0, now)
    return order.order_sn
