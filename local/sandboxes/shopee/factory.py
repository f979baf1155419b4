"""Building shops and orders (used by the demo seed and by the control API)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from . import catalog, lifecycle
from .model import (
    CANCELLED,
    COMPLETED,
    FULFILLED_BY_CB_SELLER,
    FULFILLED_BY_LOCAL_SELLER,
    FULFILLED_BY_SHOPEE,
    IN_CANCEL,
    L_NOT_START,
    L_READY,
    PROCESSED,
    READY_TO_SHIP,
    RETRY_SHIP,
    SHIPPED,
    TO_CONFIRM_RECEIVE,
    UNPAID,
    Address,
    MainAccount,
    Merchant,
    Order,
    OrderItem,
    Package,
    PackageItem,
    Recipient,
    Shop,
)
from .state import SandboxState

SHIPPING_FEE = {"SG": 2.99, "MY": 4.9, "TH": 35, "VN": 25000, "PH": 50, "TW": 60, "ID": 10000, "BR": 15.0}
CB_SHIPPING_FEE = 12.0  # CNY
INTEGER_CURRENCIES = frozenset({"VND", "IDR", "TWD", "THB"})
# Statuses the control API (and the seed) can fast-forward a new order to
CREATABLE = (UNPAID, READY_TO_SHIP, PROCESSED, SHIPPED, TO_CONFIRM_RECEIVE, COMPLETED, CANCELLED, IN_CANCEL, RETRY_SHIP)


def _money(value: float, currency: str) -> float:
    if currency in INTEGER_CURRENCIES:
        return float(round(value))
    return round(value, 2)


def create_shop(
    state: SandboxState,
    *,
    region: str,
    name: str,
    cross_border: bool = False,
    shop_id: int | None = None,
    main_account_id: int | None = None,
    merchant_id: int | None = None,
    can_split: bool = True,
) -> Shop:
    region = region.upper()
    if region not in catalog.REGIONS:
        raise ValueError(f"unsupported region {region!r} (one of {', '.join(catalog.REGIONS)})")
    sid = shop_id if shop_id is not None else state.next_shop_id()
    if state.shop(sid) is not None:
        raise ValueError(f"shop {sid} exists")
    currency = catalog.REGIONS[region][0]
    address_region = region
    if cross_border:
        # The CNSC sandbox trades in CNY (open.shopee.com "CNSC API Integration Guide"); the seller ships from
        # mainland China, so its pickup/return addresses are there.
        currency = "CNY"
        address_region = "CN"
    addresses = []
    for i, (st, city, district, town, addr, zipcode) in enumerate(catalog.SELLER_ADDRESSES[address_region]):
        flags = ["default_address", "pickup_address", "return_address"] if i == 0 else []
        addresses.append(
            Address(sid % 100_000 * 10 + i + 1, address_region, st, city, district, town, addr, zipcode, flags)
        )
    shop = Shop(
        shop_id=sid,
        region=region,
        name=name,
        cross_border=cross_border,
        currency=currency,
        warehouse_id=f"{address_region}{sid % 10_000:04d}WHZ",
        channel_ids=catalog.channels_for(region, cross_border),
        addresses=addresses,
        main_account_id=main_account_id,
        merchant_id=merchant_id,
        can_split=can_split,
        created_at=state.clock.now(),
    )
    state.world.shops[str(sid)] = shop
    state.changed()
    return shop


def create_main_account(state: SandboxState, main_account_id: int, name: str) -> MainAccount:
    account = MainAccount(main_account_id=main_account_id, name=name)
    state.world.main_accounts[str(main_account_id)] = account
    return account


def create_merchant(
    state: SandboxState, merchant_id: int, name: str, main_account_id: int, region: str = "CN"
) -> Merchant:
    merchant = Merchant(
        merchant_id=merchant_id, region=region, name=name, currency="CNY", main_account_id=main_account_id
    )
    state.world.merchants[str(merchant_id)] = merchant
    return merchant


@dataclass
class ItemSpec:
    name: str
    sku: str
    model_name: str
    price: float
    weight_kg: float
    quantity: int
    promotion_type: str = ""


def item_specs(state: SandboxState, shop: Shop, count: int, custom: list[dict[str, Any]] | None) -> list[ItemSpec]:
    if custom:
        out = []
        for i, raw in enumerate(custom):
            out.append(
                ItemSpec(
                    name=str(raw.get("name", f"Item {i + 1}")),
                    sku=str(raw.get("sku", f"SKU-{i + 1}")),
                    model_name=str(raw.get("model_name", "")),
                    price=float(raw.get("price", 10.0)),
                    weight_kg=float(raw.get("weight", raw.get("weight_kg", 0.5))),
                    quantity=int(raw.get("quantity", 1)),
                )
            )
        return out
    products = catalog.PRODUCTS["CB" if shop.cross_border else shop.region]
    start = state.rng.randrange(len(products))
    out = []
    for i in range(max(1, count)):
        p = products[(start + i) % len(products)]
        out.append(
            ItemSpec(
                p.name, p.sku, p.model_name, p.price, p.weight_kg, state.rng.choice([1, 1, 1, 2, 3]), p.promotion_type
            )
        )
    return out


def pick_channel(state: SandboxState, shop: Shop, cod: bool, channel_id: int | None) -> catalog.Channel:
    if channel_id is not None:
        channel = catalog.CHANNELS.get(channel_id)
        if channel is None or channel_id not in shop.channel_ids:
            raise ValueError(f"channel {channel_id} is not enabled for shop {shop.shop_id}")
        return channel
    candidates = [catalog.CHANNELS[c] for c in shop.channel_ids if catalog.CHANNELS[c].non_integrated is None]
    if cod:
        candidates = [c for c in candidates if c.cod_enabled] or candidates
    if not candidates:
        raise ValueError(f"shop {shop.shop_id} has no integrated channel")
    return state.rng.choice(candidates)


def build_order(
    state: SandboxState,
    shop: Shop,
    at: float,
    *,
    n_items: int = 1,
    items: list[dict[str, Any]] | None = None,
    cod: bool = False,
    unpaid: bool = False,
    pay_at: float | None = None,
    channel_id: int | None = None,
    fulfilled_by_shopee: bool = False,
    advance: bool = False,
    days_to_ship: int | None = None,
    message_to_seller: str = "",
    goods_to_declare: bool | None = None,
) -> Order:
    rng = state.rng
    channel = pick_channel(state, shop, cod, channel_id)
    currency = shop.currency
    specs = item_specs(state, shop, n_items, items)
    order_items: list[OrderItem] = []
    for spec in specs:
        item_id = state.new_int(11)
        model_id = state.new_int(11) if spec.model_name else 0
        discounted = _money(spec.price, currency)
        original = _money(spec.price * (1.25 if spec.promotion_type else 1.0), currency)
        order_items.append(
            OrderItem(
                order_item_id=item_id,
                item_id=item_id,
                item_name=spec.name,
                item_sku=spec.sku,
                model_id=model_id,
                model_name=spec.model_name,
                model_sku=f"{spec.sku}-{model_id % 100:02d}" if model_id else "",
                quantity=spec.quantity,
                original_price=original,
                discounted_price=discounted,
                weight_kg=spec.weight_kg,
                image_url=f"https://cf.shopee.sg/file/sandbox-{item_id:x}_tn",
                product_location_id=shop.warehouse_id,
                promotion_type=spec.promotion_type,
                promotion_id=state.new_int(15) if spec.promotion_type else 0,
            )
        )
    buyers = catalog.BUYERS.get(
        "MY" if shop.cross_border and shop.region not in catalog.BUYERS else shop.region, catalog.BUYERS["SG"]
    )
    buyer = rng.choice(buyers)
    recipient = Recipient(
        buyer.name,
        buyer.phone,
        buyer.town,
        buyer.district,
        buyer.city,
        buyer.state,
        shop.region,
        buyer.zipcode,
        buyer.full_address,
    )
    fee = CB_SHIPPING_FEE if shop.cross_border else SHIPPING_FEE.get(shop.region, 5.0)
    subtotal = sum(i.discounted_price * i.quantity for i in order_items)
    if fulfilled_by_shopee:
        flag = FULFILLED_BY_SHOPEE
    elif shop.cross_border:
        flag = FULFILLED_BY_CB_SELLER
    else:
        flag = FULFILLED_BY_LOCAL_SELLER
    methods = catalog.PAYMENT_METHODS.get(shop.region, ["Credit Card"])
    payment = "Cash on Delivery" if cod else rng.choice(methods)
    sn = state.new_order_sn(at)
    package = Package(
        package_number=state.new_package_number(),
        channel_id=channel.channel_id,
        logistics_status=L_NOT_START if unpaid else L_READY,
        items=[
            PackageItem(i.item_id, i.model_id, i.order_item_id, i.promotion_group_id, i.quantity) for i in order_items
        ],
        forder_id=state.new_digits(19),
        update_time=int(at),
        sorting_group=rng.choice(["North", "South"]) if channel.sorting_group else "",
    )
    dts = days_to_ship if days_to_ship is not None else (3 if shop.cross_border else 2)
    order = Order(
        order_sn=sn,
        shop_id=shop.shop_id,
        region=shop.region,
        currency=currency,
        status=UNPAID if unpaid else READY_TO_SHIP,
        create_time=int(at),
        update_time=int(at),
        days_to_ship=dts,
        cod=cod,
        payment_method=payment,
        channel_id=channel.channel_id,
        items=order_items,
        packages=[package],
        recipient=recipient,
        buyer_user_id=state.new_int(10),
        buyer_username="".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(10)),
        estimated_shipping_fee=_money(fee, currency),
        actual_shipping_fee=_money(fee, currency),
        total_amount=_money(subtotal + fee, currency),
        fulfillment_flag=flag,
        pay_at=pay_at if unpaid else None,
        message_to_seller=message_to_seller,
        goods_to_declare=bool(goods_to_declare) if goods_to_declare is not None else False,
    )
    if not unpaid:
        order.pay_time = int(at)
        order.ship_by_date = order.pay_time + dts * 86400
    if advance:
        make_advance(state, order)
    state.add_order(order)
    return order


def make_advance(state: SandboxState, order: Order) -> None:
    """Advance fulfilment: the order is matched with a booking (booking_sn) and must not be shipped by the
    seller (ship_order answers logistics.error_booking_order)."""
    order.advance_package = True
    order.booking_sn = state.new_order_sn(order.create_time)[:6] + "B" + state.new_digits(7)


def split(state: SandboxState, order: Order, groups: list[list[int]], at: float) -> list[Package]:
    """Replace the order's packages by one package per group of order_item_ids."""
    by_id = {i.order_item_id: i for i in order.items}
    channel_id = order.packages[0].channel_id if order.packages else order.channel_id
    for pkg in order.packages:
        state.world.package_index.pop(pkg.package_number, None)
    packages = []
    for group in groups:
        items = [by_id[oid] for oid in group]
        packages.append(
            Package(
                package_number=state.new_package_number(),
                channel_id=channel_id,
                logistics_status=L_READY,
                items=[
                    PackageItem(i.item_id, i.model_id, i.order_item_id, i.promotion_group_id, i.quantity) for i in items
                ],
                forder_id=state.new_digits(19),
                update_time=int(at),
            )
        )
    order.packages = packages
    order.split_up = True
    state.index_packages(order)
    lifecycle.touch(state, order, at)
    return packages


def unsplit(state: SandboxState, order: Order, at: float) -> Package:
    channel_id = order.packages[0].channel_id if order.packages else order.channel_id
    for pkg in order.packages:
        state.world.package_index.pop(pkg.package_number, None)
    pkg = Package(
        package_number=state.new_package_number(),
        channel_id=channel_id,
        logistics_status=L_READY,
        items=[
            PackageItem(i.item_id, i.model_id, i.order_item_id, i.promotion_group_id, i.quantity) for i in order.items
        ],
        forder_id=state.new_digits(19),
        update_time=int(at),
    )
    order.packages = [pkg]
    order.split_up = False
    state.index_packages(order)
    lifecycle.touch(state, order, at)
    return pkg


def even_groups(order: Order, parts: int) -> list[list[int]]:
    ids = [i.order_item_id for i in order.items]
    parts = max(2, min(parts, len(ids)))
    return [ids[k::parts] for k in range(parts)]


def fast_forward(state: SandboxState, order: Order, target: str, t0: float, now: float) -> None:
    """Walk a fresh order through the real transitions up to ``target``, spreading the steps between t0 and
    now (so the history - tracking events, pay_time, pickup_done_time - is consistent)."""
    span = max(0.0, now - t0)

    def at(fraction: float) -> float:
        return t0 + span * fraction

    if target == UNPAID:
        return
    lifecycle.pay(state, order, at(0.02))
    if target == READY_TO_SHIP:
        return
    if target == CANCELLED:
        lifecycle.cancel(
            state,
            order,
            at(0.3),
            by="buyer",
            reason="Cancelled by buyer",
            buyer_reason="Need to change delivery address",
        )
        return
    if target == IN_CANCEL:
        lifecycle.request_cancel(state, order, at(0.3), "Need to change delivery address")
        return
    channel = state.channel(order.channel_id)
    shop = state.shop(order.shop_id)
    method = "dropoff" if channel is None or channel.pickup is None else "pickup"
    address_id = shop.addresses[0].address_id if shop and method == "pickup" else 0
    for pkg in order.packages:
        lifecycle.arrange(state, order, pkg, method, at(0.3), address_id=address_id)
        lifecycle.assign_tracking(state, order, pkg, at(0.3) + min(60.0, span * 0.01))
    if target == PROCESSED:
        return
    if target == RETRY_SHIP:
        for pkg in order.packages:
            lifecycle.fail_pickup(state, order, pkg, at(0.5))
        return
    for pkg in order.packages:
        lifecycle.pickup(state, order, pkg, at(0.5))
    if target == SHIPPED:
        return
    for pkg in order.packages:
        lifecycle.deliver(state, order, pkg, at(0.7))
    if target == TO_CONFIRM_RECEIVE:
        return
    lifecycle.complete(state, order, at(0.9))


def shop_line(shop: Shop) -> dict[str, Any]:
    line: dict[str, Any] = {
        "shop_id": shop.shop_id,
        "region": shop.region,
        "name": shop.name,
        "cross_border": shop.cross_border,
    }
    if shop.merchant_id is not None:
        line["merchant_id"] = shop.merchant_id
    if shop.main_account_id is not None:
        line["main_account_id"] = shop.main_account_id
    if shop.cross_border:
        line["merchant_region"] = "CN"
    return line
