"""Order APIs: get_order_list, get_order_detail, get_shipment_list, search_package_list, get_package_detail,
split_order, unsplit_order, cancel_order, handle_buyer_cancellation.

Shapes, limits and error codes per the open.shopee.com API reference pages v2.order.<name> (module 94).
"""

from __future__ import annotations

from typing import Any

from . import catalog, factory, lifecycle
from .api import ApiResult, Ctx, Endpoint, make_cursor, ok, ok_empty, parse_cursor
from .config import LIST_WINDOW
from .errors import ApiError, not_found, param_error
from .model import (
    CANCELLED,
    FULFILLED_BY_SHOPEE,
    IN_CANCEL,
    INVOICE_PENDING,
    L_NOT_START,
    L_PICKUP_RETRY,
    L_READY,
    L_REQUEST_CREATED,
    PROCESSED,
    READY_TO_SHIP,
    RETRY_SHIP,
    UNPAID,
    Order,
    Package,
    Recipient,
)

# The v2.order.get_order_list page lists eight filter values; RETRY_SHIP, TO_CONFIRM_RECEIVE and TO_RETURN are
# accepted too (tolerant).
LIST_STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "SHIPPED",
    "COMPLETED",
    "IN_CANCEL",
    "CANCELLED",
    INVOICE_PENDING,
    "RETRY_SHIP",
    "TO_CONFIRM_RECEIVE",
    "TO_RETURN",
)

# get_order_detail: returned without asking (marked "return by default" on the v2.order.get_order_detail page) ...
DEFAULT_DETAIL_FIELDS = (
    "order_sn",
    "region",
    "currency",
    "cod",
    "order_status",
    "message_to_seller",
    "create_time",
    "update_time",
    "days_to_ship",
    "ship_by_date",
)
# ... and only when named in response_optional_fields
OPTIONAL_DETAIL_FIELDS = frozenset(
    {
        "buyer_user_id",
        "buyer_username",
        "estimated_shipping_fee",
        "recipient_address",
        "actual_shipping_fee",
        "goods_to_declare",
        "note",
        "note_update_time",
        "item_list",
        "pay_time",
        "dropshipper",
        "dropshipper_phone",
        "split_up",
        "buyer_cancel_reason",
        "cancel_by",
        "cancel_reason",
        "actual_shipping_fee_confirmed",
        "buyer_cpf_id",
        "fulfillment_flag",
        "pickup_done_time",
        "package_list",
        "shipping_carrier",
        "payment_method",
        "total_amount",
        "invoice_data",
        "order_chargeable_weight_gram",
        "return_request_due_date",
        "edt",
        "payment_info",
        "international_label",
        "reverse_shipping_fee",
    }
)


def _mask(text: str, keep_start: int = 1, keep_end: int = 1) -> str:
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * 6 + (text[-keep_end:] if keep_end else "")


def recipient_view(state_mask: str, order: Order) -> dict[str, Any]:
    r: Recipient = order.recipient
    masked = state_mask == "always" or (
        state_mask == "after_ship" and order.status not in (READY_TO_SHIP, PROCESSED, RETRY_SHIP)
    )
    # Masking rules per market are UNCONFIRMED (the BR guide: PII unmasked only while READY_TO_SHIP /
    # TO_RETURN). Masked forms copy the published sample: "P******n", "******64", "Ấp******".
    return {
        "name": _mask(r.name) if masked else r.name,
        "phone": ("******" + r.phone[-2:]) if masked else r.phone,
        "town": r.town,
        "district": r.district,
        "city": r.city,
        "state": r.state,
        "region": r.region,
        "zipcode": r.zipcode,
        "full_address": _mask(r.full_address, 2, 0) if masked else r.full_address,
    }


def chargeable_grams(order: Order, pkg: Package) -> int:
    weights = {i.order_item_id: i.weight_kg for i in order.items}
    grams = sum(weights.get(it.order_item_id, 0.0) * it.quantity for it in pkg.items) * 1000
    return max(1, round(grams))


def package_items_view(order: Order, pkg: Package) -> list[dict[str, Any]]:
    locations = {i.order_item_id: i.product_location_id for i in order.items}
    return [
        {
            "item_id": it.item_id,
            "model_id": it.model_id,
            "model_quantity": it.quantity,
            "order_item_id": it.order_item_id,
            "promotion_group_id": it.promotion_group_id,
            "product_location_id": locations.get(it.order_item_id, ""),
        }
        for it in pkg.items
    ]


def carrier_name(channel_id: int) -> str:
    channel = catalog.CHANNELS.get(channel_id)
    return channel.name if channel else ""


def detail_view(ctx: Ctx, order: Order, fields: set[str]) -> dict[str, Any]:
    cfg = ctx.state.config
    out: dict[str, Any] = {
        "order_sn": order.order_sn,
        "region": order.region,
        "currency": order.currency,
        "cod": order.cod,
        "order_status": order.status,
        "message_to_seller": order.message_to_seller,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "days_to_ship": order.days_to_ship,
        "ship_by_date": order.ship_by_date,
        # The v2.order.get_order_detail page marks booking_sn "return by default"; pending_terms and
        # advance_package carry no such note (UNCONFIRMED) -> tolerant: always returned.
        "pending_terms": list(order.pending_terms),
        "advance_package": order.advance_package,
    }
    if order.booking_sn:
        out["booking_sn"] = order.booking_sn
    pickup_done = max((p.pickup_done_time for p in order.packages), default=0)
    optional: dict[str, Any] = {
        "buyer_user_id": order.buyer_user_id,
        "buyer_username": order.buyer_username,
        "estimated_shipping_fee": order.estimated_shipping_fee,
        "actual_shipping_fee": order.actual_shipping_fee,
        "actual_shipping_fee_confirmed": order.status not in (UNPAID, READY_TO_SHIP),
        "reverse_shipping_fee": 0,
        "goods_to_declare": order.goods_to_declare,
        "note": order.note,
        "note_update_time": order.note_update_time,
        "pay_time": order.pay_time,
        "dropshipper": None,
        "dropshipper_phone": None,
        "split_up": order.split_up,
        "buyer_cancel_reason": order.buyer_cancel_reason,
        "cancel_by": order.cancel_by,
        "cancel_reason": order.cancel_reason,
        "buyer_cpf_id": None,
        "fulfillment_flag": order.fulfillment_flag,
        "pickup_done_time": pickup_done,
        "shipping_carrier": carrier_name(order.channel_id),
        "payment_method": order.payment_method,
        "total_amount": order.total_amount,
        "invoice_data": None,
        "order_chargeable_weight_gram": sum(chargeable_grams(order, p) for p in order.packages),
        "return_request_due_date": 0,
    }
    for name, value in optional.items():
        if name in fields:
            out[name] = value
    if "recipient_address" in fields:
        out["recipient_address"] = recipient_view(cfg.mask_recipient, order)
    if "item_list" in fields:
        out["item_list"] = [
            {
                "item_id": i.item_id,
                "item_name": i.item_name,
                "item_sku": i.item_sku,
                "model_id": i.model_id,
                "model_name": i.model_name,
                "model_sku": i.model_sku,
                "model_quantity_purchased": i.quantity,
                "model_original_price": i.original_price,
                "model_discounted_price": i.discounted_price,
                "wholesale": False,
                "weight": i.weight_kg,  # kg (the product APIs state KG; the order page only says "weight")
                "add_on_deal": False,
                "main_item": False,
                "add_on_deal_id": i.add_on_deal_id,
                "promotion_type": i.promotion_type,
                "promotion_id": i.promotion_id,
                "order_item_id": i.order_item_id,
                "promotion_group_id": i.promotion_group_id,
                "product_location_id": [i.product_location_id],
                "image_info": {"image_url": i.image_url},
                "is_prescription_item": False,
                "is_b2c_owned_item": False,
            }
            for i in order.items
        ]
    if "package_list" in fields:
        out["package_list"] = [
            {
                "package_number": p.package_number,
                "logistics_status": p.logistics_status,
                "logistics_channel_id": p.channel_id,
                "shipping_carrier": carrier_name(p.channel_id),
                "allow_self_design_awb": _allow_self_design(p.channel_id),
                "item_list": package_items_view(order, p),
                # the schema says parcel_chargeable_weight, the published sample _gram: the sample is followed
                "parcel_chargeable_weight_gram": chargeable_grams(order, p),
                "group_shipment_id": None,
                "sorting_group": p.sorting_group if p.arranged_at is not None else "",
            }
            for p in order.packages
        ]
    return out


def _allow_self_design(channel_id: int) -> bool:
    channel = catalog.CHANNELS.get(channel_id)
    return bool(channel and channel.allow_self_design_awb)


# -- get_order_list ------------------------------------------------------------------------------------
def get_order_list(ctx: Ctx) -> ApiResult:
    field = ctx.q_required("time_range_field")
    if field not in ("create_time", "update_time"):
        raise param_error("time_range_field should be create_time or update_time")
    t_from = ctx.q_int("time_from", required=True)
    t_to = ctx.q_int("time_to", required=True)
    assert t_from is not None and t_to is not None
    if t_from > t_to or t_to - t_from > LIST_WINDOW:
        raise ApiError("order.order_list_invalid_time", "Start time must be earlier than end time and diff in 15days.")
    page_size = ctx.q_int("page_size", required=True)
    assert page_size is not None
    if not 1 <= page_size <= 100:
        raise param_error("page_size should be in [1,100]")
    status = ctx.q("order_status")
    if status is not None and status not in LIST_STATUSES:
        raise param_error(f"order_status {status} is invalid")
    cursor = parse_cursor(ctx.q("cursor"))
    want_status = "order_status" in ctx.q_list("response_optional_fields")
    ctx.q_bool("request_order_status_pending")  # accepted; PENDING is never produced here
    shop = ctx.require_shop()
    rows = []
    for order in ctx.state.shop_orders(shop.shop_id):
        value = getattr(order, field)
        if t_from <= value <= t_to and (status is None or order.status == status):
            rows.append(((value, order.order_sn), order))
    # Ordering is undocumented (UNCONFIRMED); newest first, as the published sample reads.
    rows.sort(key=lambda r: r[0], reverse=True)
    if cursor is not None:
        rows = [r for r in rows if r[0] < cursor]
    page, more = rows[:page_size], len(rows) > page_size
    order_list = []
    for _key, order in page:
        row: dict[str, Any] = {"order_sn": order.order_sn}
        if want_status:
            row["order_status"] = order.status
        if order.booking_sn:
            row["booking_sn"] = order.booking_sn
        order_list.append(row)
    next_cursor = make_cursor(*page[-1][0]) if more else ""
    return ok({"more": more, "next_cursor": next_cursor, "order_list": order_list})


# -- get_order_detail ----------------------------------------------------------------------------------
def get_order_detail(ctx: Ctx) -> ApiResult:
    sns = ctx.q_list("order_sn_list")
    if not sns:
        raise param_error("order_sn_list is a required field")
    if len(sns) > 50:
        raise param_error("order_sn_list should be in [1,50]")
    fields = set(ctx.q_list("response_optional_fields"))
    # Unknown optional field names are ignored (tolerant).
    ctx.q_bool("request_order_status_pending")
    orders = []
    missing = []
    for sn in dict.fromkeys(sns):
        order = ctx.find_order(sn)
        if order is None:
            missing.append(sn)
        else:
            orders.append(detail_view(ctx, order, fields))
    if not orders:
        raise not_found()
    # Partly unknown lists: the found orders come back and the rest are named in ``warning`` (the exact form
    # is UNCONFIRMED).
    warning = [f"order_sn {sn} is not found" for sn in missing] or None
    return ok({"order_list": orders}, warning=warning)


# -- shipment work lists -------------------------------------------------------------------------------
def _seller_ships(order: Order) -> bool:
    return not order.platform_fulfilled and order.status not in (CANCELLED, IN_CANCEL, UNPAID)


def get_shipment_list(ctx: Ctx) -> ApiResult:
    """Packages the seller must (re-)arrange: order READY_TO_SHIP / RETRY_SHIP, package not arranged yet."""
    page_size = ctx.q_int("page_size", required=True)
    assert page_size is not None
    if page_size > 100:
        raise param_error("page_size must be 100 or less")
    if page_size < 1:
        raise param_error("page_size must be 1 or more")
    cursor = parse_cursor(ctx.q("cursor"))
    shop = ctx.require_shop()
    rows = []
    for order in ctx.state.shop_orders(shop.shop_id):
        if not _seller_ships(order):
            continue
        for pkg in order.packages:
            if pkg.logistics_status in (L_READY, L_PICKUP_RETRY):
                rows.append(((order.create_time, pkg.package_number), order, pkg))
    rows.sort(key=lambda r: r[0])
    if cursor is not None:
        rows = [r for r in rows if r[0] > cursor]
    page, more = rows[:page_size], len(rows) > page_size
    return ok(
        {
            "order_list": [{"order_sn": o.order_sn, "package_number": p.package_number} for _k, o, p in page],
            "more": more,
            "next_cursor": make_cursor(*page[-1][0]) if more else "",
        }
    )


_PACKAGE_STATUS_FILTER = {
    0: (L_NOT_START, L_READY, L_PICKUP_RETRY, L_REQUEST_CREATED),
    1: (L_NOT_START,),
    2: (L_READY, L_PICKUP_RETRY),
    3: (L_REQUEST_CREATED,),
}


def search_package_list(ctx: Ctx) -> ApiResult:
    """POST /api/v2/order/search_package_list: packages not yet SHIPPED, filtered and sorted."""
    flt = ctx.b("filter") or {}
    pagination = ctx.b("pagination")
    sort = ctx.b("sort") or {}
    if not isinstance(flt, dict) or not isinstance(sort, dict):
        raise param_error("filter and sort should be objects")
    if not isinstance(pagination, dict):
        raise param_error("pagination is a required field")
    page_size = ctx.b_int("page_size", required=True, obj=pagination)
    assert page_size is not None
    if not 1 <= page_size <= 100:
        raise param_error("page_size should be in [1,100]")
    raw_cursor = pagination.get("cursor")
    if raw_cursor not in (None, "") and not isinstance(raw_cursor, str):
        raise param_error("cursor should be a string")
    cursor = parse_cursor(raw_cursor or None)
    status = ctx.b_int("package_status", obj=flt)
    status = 2 if status is None else status
    if status not in _PACKAGE_STATUS_FILTER:
        raise param_error("package_status should be 0, 1, 2 or 3")
    fulfillment = ctx.b_int("fulfillment_type", obj=flt)
    fulfillment = 2 if fulfillment is None else fulfillment
    if fulfillment not in (0, 1, 2):
        raise param_error("fulfillment_type should be 0, 1 or 2")
    channels = set(ctx.b_list("logistics_channel_ids", obj=flt))
    locations = set(ctx.b_list("product_location_ids", obj=flt))
    sort_type = ctx.b_int("sort_type", obj=sort)
    sort_type = 1 if sort_type is None else sort_type
    if sort_type not in (1, 2, 3):
        raise param_error("sort_type should be 1, 2 or 3")
    ascending = sort.get("ascending", True)
    if not isinstance(ascending, bool):
        raise param_error("ascending should be a boolean")
    shop = ctx.require_shop()
    rows = []
    for order in ctx.state.shop_orders(shop.shop_id):
        if order.status in (CANCELLED, IN_CANCEL):
            continue
        by_shopee = order.platform_fulfilled
        if (fulfillment == 1 and not by_shopee) or (fulfillment == 2 and by_shopee):
            continue
        location = order.items[0].product_location_id if order.items else ""
        if locations and location not in locations:
            continue
        sort_value = {1: order.ship_by_date, 2: order.create_time, 3: order.pay_time or 0}[sort_type]
        for pkg in order.packages:
            if pkg.logistics_status not in _PACKAGE_STATUS_FILTER[status]:
                continue
            if channels and pkg.channel_id not in channels:
                continue
            rows.append(((sort_value, pkg.package_number), order, pkg, location))
    rows.sort(key=lambda r: r[0], reverse=not ascending)
    total = len(rows)
    if cursor is not None:
        rows = [r for r in rows if (r[0] > cursor if ascending else r[0] < cursor)]
    page, more = rows[:page_size], len(rows) > page_size
    packages = [
        {
            "order_sn": o.order_sn,
            "package_number": p.package_number,
            "logistics_channel_id": p.channel_id,
            "product_location_id": loc,
            "sorting_group": p.sorting_group if p.arranged_at is not None else "",
            "is_shipment_arranged": p.arranged_at is not None,
        }
        for _k, o, p, loc in page
    ]
    return ok(
        {
            "packages_list": packages,
            "pagination": {
                "total_count": total,
                "next_cursor": make_cursor(*page[-1][0]) if more else "",
                "more": more,
            },
            "sort": {"sort_type": sort_type, "is_asc": ascending},
        }
    )


def get_package_detail(ctx: Ctx) -> ApiResult:
    numbers = ctx.q_list("package_number_list")
    if not numbers:
        raise param_error("package_number_list is a required field")
    if len(numbers) > 50:
        raise param_error("package_number_list should be in [1,50]")
    shop = ctx.require_shop()
    cfg = ctx.state.config
    out = []
    for number in dict.fromkeys(numbers):
        found = ctx.state.package(number)
        if found is None or found[0].shop_id != shop.shop_id:
            continue
        order, pkg = found
        out.append(
            {
                "order_sn": order.order_sn,
                "package_number": pkg.package_number,
                "fulfillment_status": pkg.logistics_status,
                "update_time": pkg.update_time,
                "logistics_channel_id": pkg.channel_id,
                "shipping_carrier": carrier_name(pkg.channel_id),
                "allow_self_design_awb": _allow_self_design(pkg.channel_id),
                "days_to_ship": order.days_to_ship,
                "ship_by_date": order.ship_by_date,
                "pending_terms": list(order.pending_terms),
                "tracking_number": pkg.tracking_number,
                "pickup_done_time": pkg.pickup_done_time,
                "is_split_up": order.split_up,
                "item_list": package_items_view(order, pkg),
                "recipient_address": recipient_view(cfg.mask_recipient, order),
                "parcel_chargeable_weight_gram": chargeable_grams(order, pkg),
                "group_shipment_id": None,
                "is_shipment_arranged": pkg.arranged_at is not None,
                "sorting_group": pkg.sorting_group if pkg.arranged_at is not None else "",
                "can_split_order": _can_split(order, shop.can_split),
                "can_unsplit_order": order.split_up and _unarranged(order),
                "is_pre_order": False,
                "can_full_cancel_order": _can_cancel(order),
                "can_partial_cancel_order": False,
            }
        )
    if not out:
        raise not_found("the package is not found")
    return ok({"package_list": out})


def _unarranged(order: Order) -> bool:
    return order.status == READY_TO_SHIP and all(p.arranged_at is None for p in order.packages)


def _can_split(order: Order, shop_can_split: bool) -> bool:
    return (
        shop_can_split
        and not order.split_up
        and _unarranged(order)
        and len(order.items) >= 2
        and order.fulfillment_flag != FULFILLED_BY_SHOPEE
    )


def _can_cancel(order: Order) -> bool:
    if order.fulfillment_flag == FULFILLED_BY_SHOPEE:
        return False
    if order.status == UNPAID:
        return True
    return order.status == READY_TO_SHIP and not any(p.tracking_number for p in order.packages)


# -- split / unsplit -----------------------------------------------------------------------------------
def split_order(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    package_list = ctx.b_list("package_list", required=True)
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    shop = ctx.require_shop()
    if not shop.can_split:
        raise ApiError("order.order_cannot_split", "You don't have the permission to split order.")
    if order.fulfillment_flag == FULFILLED_BY_SHOPEE:
        raise ApiError("order.order_cannot_split_pff", "This order can not be split.")
    if order.split_up:
        raise ApiError("order.order_has_been_split", "The order has been split.")
    if not _unarranged(order):
        raise ApiError("order.order_split_failed", "Only orders in READY_TO_SHIP that are not arranged can be split.")
    limit = catalog.SPLIT_LIMIT.get(order.region, catalog.DEFAULT_SPLIT_LIMIT)
    if not 2 <= len(package_list) <= limit:
        raise ApiError("order.order_split_failed", f"The order must be split into 2 to {limit} parcels.")
    known = {i.order_item_id: i for i in order.items}
    seen: set[int] = set()
    groups: list[list[int]] = []
    for parcel in package_list:
        items = parcel.get("item_list") if isinstance(parcel, dict) else None
        if not isinstance(items, list) or not items:
            raise param_error("package_list[].item_list is a required field")
        group = []
        for raw in items:
            if not isinstance(raw, dict):
                raise param_error("item_list[] should be objects")
            oid = raw.get("order_item_id", raw.get("item_id"))
            item = known.get(oid) if isinstance(oid, int) else None
            if (
                item is None
                or item.item_id != raw.get("item_id", item.item_id)
                or item.model_id != raw.get("model_id", item.model_id)
            ):
                raise ApiError("order.order_split_failed", f"Item {raw.get('item_id')} is not in the order.")
            if item.order_item_id in seen:
                raise ApiError("order.order_split_duplicate_item", "The same item can not be in two parcels.")
            seen.add(item.order_item_id)
            group.append(item.order_item_id)
        groups.append(group)
    if seen != set(known):
        raise ApiError("order.order_split_failed", "All items of the order must be assigned to a parcel.")
    packages = factory.split(ctx.state, order, groups, ctx.now)
    return ok(
        {
            "order_sn": order.order_sn,
            "package_list": [
                {
                    "package_number": p.package_number,
                    "item_list": [
                        {
                            "item_id": it.item_id,
                            "model_id": it.model_id,
                            "order_item_id": it.order_item_id,
                            "promotion_group_id": it.promotion_group_id,
                            "model_quantity": it.quantity,
                        }
                        for it in p.items
                    ],
                }
                for p in packages
            ],
        }
    )


def unsplit_order(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    if not order.split_up or not _unarranged(order):
        raise ApiError("order.order_cannot_undo_split", "The order can not undo split.")
    factory.unsplit(ctx.state, order, ctx.now)
    return ok_empty()


# -- cancellation --------------------------------------------------------------------------------------
def cancel_order(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    reason = ctx.b_str("cancel_reason", required=True) or ""
    if reason not in catalog.CANCEL_REASON_TEXT:
        raise param_error(f"cancel_reason {reason} is invalid")
    item_list = ctx.b_list("item_list")
    if reason == "OUT_OF_STOCK" and not item_list:
        raise param_error("item_list is required when cancel_reason is OUT_OF_STOCK")
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    known = {(i.item_id, i.model_id) for i in order.items}
    for raw in item_list:
        if not isinstance(raw, dict) or (raw.get("item_id"), raw.get("model_id", 0)) not in known:
            raise param_error("item_list contains an item that is not in the order")
    if reason == "UNDELIVERABLE_AREA" and order.region not in ("TW", "MY"):
        raise param_error("UNDELIVERABLE_AREA is only available for TW and MY")
    if order.fulfillment_flag == FULFILLED_BY_SHOPEE:
        raise ApiError("order.error_limit", "You can not cancel warehouse order.")
    if not _can_cancel(order):
        raise ApiError("order.error_limit", "Can not cancel this order")
    lifecycle.cancel(ctx.state, order, ctx.now, by="seller", reason=catalog.CANCEL_REASON_TEXT[reason])
    return ok({"update_time": order.update_time})


def handle_buyer_cancellation(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    operation = ctx.b_str("operation", required=True)
    if operation not in ("ACCEPT", "REJECT"):
        raise param_error("operation should be ACCEPT or REJECT")
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    if order.status != IN_CANCEL:
        raise ApiError("order.cancel_order_invalid_status", "The order status is not IN_CANCEL.")
    if operation == "ACCEPT":
        lifecycle.cancel(
            ctx.state, order, ctx.now, by="buyer", reason="Cancelled by buyer", buyer_reason=order.buyer_cancel_reason
        )
    else:
        lifecycle.reject_cancel(ctx.state, order, ctx.now)
    return ok({"update_time": order.update_time})


def set_note(ctx: Ctx) -> ApiResult:
    sn = ctx.b_str("order_sn", required=True) or ""
    note = ctx.b_str("note", required=True) or ""
    order = ctx.find_order(sn)
    if order is None:
        raise not_found()
    order.note = note
    order.note_update_time = int(ctx.now)
    lifecycle.touch(ctx.state, order, ctx.now)
    return ok_empty()


ENDPOINTS = [
    Endpoint("/api/v2/order/get_order_list", "GET", "shop", get_order_list),
    Endpoint("/api/v2/order/get_order_detail", "GET", "shop", get_order_detail),
    Endpoint("/api/v2/order/get_shipment_list", "GET", "shop", get_shipment_list),
    Endpoint("/api/v2/order/search_package_list", "POST", "shop", search_package_list),
    Endpoint("/api/v2/order/get_package_detail", "GET", "shop", get_package_detail),
    Endpoint("/api/v2/order/split_order", "POST", "shop", split_order),
    Endpoint("/api/v2/order/unsplit_order", "POST", "shop", unsplit_order),
    Endpoint("/api/v2/order/cancel_order", "POST", "shop", cancel_order),
    Endpoint("/api/v2/order/handle_buyer_cancellation", "POST", "shop", handle_buyer_cancellation),
    Endpoint("/api/v2/order/set_note", "POST", "shop", set_note),
]
