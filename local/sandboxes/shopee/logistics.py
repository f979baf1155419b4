"""Logistics APIs: get_channel_list, get_address_list, get_shipping_parameter, ship_order, update_shipping_order,
get_tracking_number, get_tracking_info.

Shapes and error codes per the open.shopee.com API reference pages v2.logistics.<name> (module 95) and the
developer guide "Order Management" (arrange shipment).
"""

from __future__ import annotations

from typing import Any

from . import catalog, lifecycle
from .api import ApiResult, Ctx, Endpoint, ok, ok_empty
from .errors import ApiError, not_found, param_error
from .model import (
    CANCELLED,
    FULFILLED_BY_SHOPEE,
    IN_CANCEL,
    L_DELIVERY_DONE,
    L_PICKUP_DONE,
    L_PICKUP_RETRY,
    L_READY,
    L_REQUEST_CREATED,
    PACKAGE_CANCELLED,
    Order,
    Package,
    ShipOrderCount,
    Shop,
)

METHODS = ("pickup", "dropoff", "non_integrated")


def resolve_package(
    ctx: Ctx,
    order: Order,
    package_number: str | None,
    *,
    split_error: str = "logistics.package_number_not_exist",
) -> Package:
    """``package_number`` is required once an order is split; for an unsplit order it may be omitted.
    (v2.logistics.ship_order also lists ship_order_not_need_pacakge_number for a package_number sent with an
    unsplit order; whether that fires is UNCONFIRMED -> tolerant: a matching package_number is accepted.)
    An empty string counts as omitted, as in the published ship_order request sample."""
    if package_number:
        pkg = ctx.find_package(order, package_number)
        if pkg is None:
            raise ApiError("logistics.package_number_not_found", f"The package_number {package_number} is not exist.")
        return pkg
    if len(order.packages) > 1:
        raise ApiError(split_error, "Please request with package_number for this split order.")
    return order.packages[0]


def _not_shippable(order: Order, pkg: Package, *, for_parameters: bool) -> ApiError | None:
    if order.status == CANCELLED or pkg.logistics_status in PACKAGE_CANCELLED:
        return ApiError("error_status", "The order has been cancelled.")
    if order.advance_package:
        return ApiError(
            "logistics.error_booking_order",
            "This order is matched order with booking, don't need arrange shipment through seller side.",
        )
    if order.fulfillment_flag == FULFILLED_BY_SHOPEE:
        return ApiError("logistics.ship_order_pff_init", "You can not ship warehouse order.")
    if pkg.logistics_status in (L_READY, L_PICKUP_RETRY) and order.status != IN_CANCEL:
        return None
    if for_parameters:
        return ApiError("error_param", "Shipping parameters can only be obtained when package is ready to be shipped")
    if pkg.logistics_status == L_REQUEST_CREATED:
        return ApiError(
            "logistics.package_already_shipped",
            "This package has already been arranged shipment and you can't call this API again.",
        )
    if pkg.logistics_status in (L_PICKUP_DONE, L_DELIVERY_DONE):
        return ApiError("logistics.error_param", "Order has been shipped.")
    return ApiError("logistics.error_param", "The order status is not ready to ship.")


def pickup_slots(shop: Shop, now: float) -> list[dict[str, Any]]:
    """The next three days, 09:00 local time; pickup_time_id is the slot's timestamp as a string."""
    tz = catalog.REGIONS.get(shop.region, ("", 8))[1] * 3600
    day_start = (int(now) + tz) // 86400 * 86400
    slots = []
    for day in (1, 2, 3):
        date = day_start + day * 86400 + 9 * 3600 - tz
        slots.append(
            {"date": date, "pickup_time_id": str(date), "time_text": "", "flags": ["recommended"] if day == 1 else []}
        )
    return slots


def _valid_slot(shop: Shop, now: float, pickup_time_id: str) -> bool:
    offered = {s["pickup_time_id"] for s in pickup_slots(shop, now)} | {
        s["pickup_time_id"] for s in pickup_slots(shop, now - 86400)
    }  # a slot offered before midnight
    return pickup_time_id in offered


def _address_view(shop: Shop, channel: catalog.Channel, now: float) -> list[dict[str, Any]]:
    return [
        {
            "address_id": a.address_id,
            "region": a.region,
            "state": a.state,
            "city": a.city,
            "district": a.district,
            "town": a.town,
            "address": a.address,
            "zipcode": a.zipcode,
            "address_flag": list(a.flags),
            "time_slot_list": pickup_slots(shop, now) if channel.time_slots else None,
        }
        for a in shop.addresses
    ]


def _branches(region: str) -> list[dict[str, Any]]:
    return [
        {
            "branch_id": bid,
            "region": region,
            "state": st,
            "city": city,
            "address": addr,
            "zipcode": zipcode,
            "district": "",
            "town": "",
        }
        for bid, st, city, addr, zipcode in catalog.BRANCHES.get(region, [])
    ]


def _channel(pkg: Package) -> catalog.Channel:
    channel = catalog.CHANNELS.get(pkg.channel_id)
    if channel is None:
        raise ApiError("logistics.error_invalid_channel_id", "Channel id is invalid. Please check the channel.")
    return channel


# -- endpoints -----------------------------------------------------------------------------------------
def get_channel_list(ctx: Ctx) -> ApiResult:
    shop = ctx.require_shop()
    rows = []
    for cid in shop.channel_ids:
        c = catalog.CHANNELS[cid]
        rows.append(
            {
                "logistics_channel_id": c.channel_id,
                "logistics_channel_name": c.name,
                "cod_enabled": c.cod_enabled,
                "enabled": True,
                "fee_type": "SIZE_INPUT",
                "size_list": [],
                "weight_limit": {"item_max_weight": c.max_weight_kg, "item_min_weight": 0.01},
                "item_max_dimension": {"height": 60, "width": 60, "length": 60, "unit": "cm", "dimension_sum": 150},
                "volume_limit": {"item_max_volume": 216000, "item_min_volume": 0},
                "logistics_description": f"{c.name} ({', '.join(c.methods)})",
                "force_enable": False,
                "mask_channel_id": 0,
                "block_seller_cover_shipping_fee": False,
                "support_cross_border": c.cross_border,
                "seller_logistic_has_configuration": None,
                "logistics_capability": {"seller_logistics": c.non_integrated is not None},
                "preprint": False,
            }
        )
    return ok({"logistics_channel_list": rows})


def get_address_list(ctx: Ctx) -> ApiResult:
    shop = ctx.require_shop()
    flag_names = {
        "default_address": "DEFAULT_ADDRESS",
        "pickup_address": "PICK_UP_ADDRESS",
        "return_address": "RETURN_ADDRESS",
    }
    rows = [
        {
            "address_id": a.address_id,
            "region": a.region,
            "state": a.state,
            "city": a.city,
            "district": a.district,
            "town": a.town,
            "address": a.address,
            "zipcode": a.zipcode,
            "address_type": [flag_names[f] for f in a.flags if f in flag_names],
        }
        for a in shop.addresses
    ]
    return ok({"show_pickup_address": True, "address_list": rows})


def get_shipping_parameter(ctx: Ctx) -> ApiResult:
    sn = ctx.q_required("order_sn")
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    pkg = resolve_package(ctx, order, ctx.q("package_number"))
    err = _not_shippable(order, pkg, for_parameters=True)
    if err is not None:
        raise err
    shop = ctx.require_shop()
    channel = _channel(pkg)
    info_needed = {m: list(channel.needs(m) or ()) for m in channel.methods}
    dropoff: dict[str, Any] | None = None
    if channel.dropoff is not None and channel.branches:
        dropoff = {"branch_list": _branches(shop.region), "slug_list": []}
    pickup = {"address_list": _address_view(shop, channel, ctx.now)} if channel.pickup is not None else None
    return ok({"info_needed": info_needed, "dropoff": dropoff, "pickup": pickup})


def _record_ship_call(ctx: Ctx, key: str, order_sn: str, outcome: str) -> None:
    row = ctx.state.world.ship_order_calls.setdefault(key, ShipOrderCount(order_sn=order_sn))
    row.calls += 1
    row.outcomes.append(outcome)
    if outcome == "ok":
        row.ok += 1
    else:
        row.failed += 1


def ship_order(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn") or ""
    raw_pn = ctx.b("package_number")
    key = raw_pn if isinstance(raw_pn, str) and raw_pn else f"order:{sn}"
    order = ctx.find_order(sn) if sn else None
    if order is not None and not (isinstance(raw_pn, str) and raw_pn) and len(order.packages) == 1:
        key = order.packages[0].package_number
    try:
        _ship_order(ctx, sn, order)
    except ApiError as err:
        _record_ship_call(ctx, key, sn, err.error)
        raise
    _record_ship_call(ctx, key, sn, "ok")
    return ok_empty()


def _ship_order(ctx: Ctx, sn: str, order: Order | None) -> None:
    if not sn:
        raise param_error("order_sn is a required field")
    present = [m for m in METHODS if ctx.body.get(m) is not None]
    if len(present) != 1:
        raise ApiError(
            "logistics.ship_order_only_support_one_type",
            "Please select just one way to ship order: pickup or dropoff or non_integrated.",
        )
    method = present[0]
    params = ctx.body[method]
    if not isinstance(params, dict):
        raise param_error(f"{method} should be an object")
    if order is None:
        raise not_found()
    pkg = resolve_package(
        ctx, order, ctx.b_str("package_number"), split_error="logistics.ship_order_need_pacakge_number"
    )
    err = _not_shippable(order, pkg, for_parameters=False)
    if err is not None:
        raise err
    channel = _channel(pkg)
    needs = channel.needs(method)
    if needs is None:
        raise ApiError(f"logistics.ship_order_unsupport_{method}", f"This order does not support ship with {method}.")
    shop = ctx.require_shop()
    if method == "pickup":
        address_id = params.get("address_id")
        pickup_time_id = params.get("pickup_time_id") or ""
        if (
            not isinstance(address_id, int)
            or isinstance(address_id, bool)
            or address_id == 0
            or ("pickup_time_id" in needs and not pickup_time_id)
        ):
            raise ApiError(
                "logistics.ship_order_need_address_pickup_time", "Parameter address_id and pickup_time_id are required."
            )
        if address_id not in {a.address_id for a in shop.addresses}:
            raise ApiError("logistics.address_not_found", "Address is not found.")
        if not isinstance(pickup_time_id, str):
            raise param_error("pickup_time_id should be a string")
        if pickup_time_id and (not channel.time_slots or not _valid_slot(shop, ctx.now, pickup_time_id)):
            raise ApiError(
                "logistics.ship_order_pickup_time_invalid", "Invalid pickup time id. Please check the pick up time id."
            )
        lifecycle.arrange(
            ctx.state, order, pkg, "pickup", ctx.now, address_id=address_id, pickup_time_id=pickup_time_id
        )
    elif method == "dropoff":
        branch_id = params.get("branch_id") or 0
        sender = params.get("sender_real_name") or ""
        if "branch_id" in needs:
            if not branch_id:
                raise ApiError("logistics.ship_order_need_branch_id", "Parameter branch_id is required.")
            if branch_id not in {b[0] for b in catalog.BRANCHES.get(shop.region, [])}:
                raise ApiError("logistics.error_param", "Delivery store is not exist.")
        if "sender_real_name" in needs and not sender:
            raise ApiError("logistics.ship_order_need_sender_real_name", "Parameter sender_real_name can not be null.")
        lifecycle.arrange(
            ctx.state,
            order,
            pkg,
            "dropoff",
            ctx.now,
            branch_id=branch_id if isinstance(branch_id, int) else 0,
            sender_real_name=str(sender),
        )
    else:
        # info_needed says "tracking_no" but the body field is "tracking_number" (v2.logistics.ship_order).
        tracking = params.get("tracking_number")
        if not isinstance(tracking, str) or not tracking.strip():
            raise ApiError("logistics.ship_order_need_tracking_number", "Parameter tracking_number can not be null.")
        if len(tracking) > 64:
            raise ApiError(
                "logistics.ship_order_long_tracking_number", "Parameter tracking_number can not be longer than 64."
            )
        if any(p.tracking_number == tracking for o in ctx.state.world.orders.values() for p in o.packages):
            raise ApiError("logistics.error_param", "Please input a unique tracking number.")
        lifecycle.arrange(ctx.state, order, pkg, "non_integrated", ctx.now, tracking_number=tracking)


def update_shipping_order(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    pickup = ctx.b("pickup")
    if not isinstance(pickup, dict):
        raise param_error("pickup is a required field")
    address_id = ctx.b_int("address_id", required=True, obj=pickup)
    pickup_time_id = ctx.b_str("pickup_time_id", required=True, obj=pickup) or ""
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    pkg = resolve_package(ctx, order, ctx.b_str("package_number"))
    if pkg.logistics_status != L_PICKUP_RETRY or pkg.ship_method != "pickup":
        raise ApiError("logistics.error_limit", "Can not update order logistics in current status.")
    if address_id == pkg.pickup_address_id and pickup_time_id == pkg.pickup_time_id:
        raise ApiError("logistics.update_shipping_order_no_param_change", "The pickup information is not changed.")
    shop = ctx.require_shop()
    if address_id not in {a.address_id for a in shop.addresses}:
        raise ApiError("logistics.address_not_found", "Address is not found.")
    channel = _channel(pkg)
    if channel.time_slots and not _valid_slot(shop, ctx.now, pickup_time_id):
        raise ApiError(
            "logistics.ship_order_pickup_time_invalid", "Invalid pickup time id. Please check the pick up time id."
        )
    assert address_id is not None
    lifecycle.reschedule(ctx.state, order, pkg, ctx.now, address_id, pickup_time_id)
    return ok_empty()


def get_tracking_number(ctx: Ctx) -> ApiResult:
    sn = ctx.q_required("order_sn")
    order = ctx.find_order(sn)
    if order is None:
        raise ApiError("logistics.invalid_error", "The order is not exist.")
    pkg = resolve_package(ctx, order, ctx.q("package_number"))
    fields = set(ctx.q_list("response_optional_fields"))
    # Empty until the 3PL assigns it (tracking_delay_s after ship_order); poll or wait for push 4.
    out: dict[str, Any] = {"tracking_number": pkg.tracking_number, "hint": "", "pickup_code": ""}
    if "first_mile_tracking_number" in fields:
        out["first_mile_tracking_number"] = pkg.first_mile_tracking_number
    if "plp_number" in fields:
        out["plp_number"] = ""
    if "last_mile_tracking_number" in fields:
        out["last_mile_tracking_number"] = ""
    return ok(out)


def get_tracking_info(ctx: Ctx) -> ApiResult:
    sn = ctx.q_required("order_sn")
    order = ctx.find_order(sn)
    if order is None:
        raise ApiError("logistics.invalid_error", "The order is not exist.")
    pkg = resolve_package(ctx, order, ctx.q("package_number"))
    # Event order is undocumented (UNCONFIRMED); oldest first, as in the 2025 sample.
    events = sorted(pkg.events, key=lambda e: e.update_time)
    return ok(
        {
            "order_sn": order.order_sn,
            "package_number": pkg.package_number,
            "logistics_status": pkg.logistics_status,
            "tracking_info": [
                {"update_time": e.update_time, "description": e.description, "logistics_status": e.logistics_status}
                for e in events
            ],
        }
    )


ENDPOINTS = [
    Endpoint("/api/v2/logistics/get_channel_list", "GET", "shop", get_channel_list),
    Endpoint("/api/v2/logistics/get_address_list", "GET", "shop", get_address_list),
    Endpoint("/api/v2/logistics/get_shipping_parameter", "GET", "shop", get_shipping_parameter),
    Endpoint("/api/v2/logistics/ship_order", "POST", "shop", ship_order),
    Endpoint("/api/v2/logistics/update_shipping_order", "POST", "shop", update_shipping_order),
    Endpoint("/api/v2/logistics/get_tracking_number", "GET", "shop", get_tracking_number),
    Endpoint("/api/v2/logistics/get_tracking_info", "GET", "shop", get_tracking_info),
]
