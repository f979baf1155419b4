"""The control API under ``/_sandbox/`` (JSON, unsigned): drive the sandbox from tests and the local stack.

GET  /_sandbox/health                       liveness, clock
GET  /_sandbox/shops                        shops (with authorization state)
POST /_sandbox/shops                        {region, name?, cross_border?, main_account?|main_account_id?,
                                             shop_id?, can_split?}
POST /_sandbox/shops/{shop_id}              {status?: NORMAL|BANNED|FROZEN, can_split?}
POST /_sandbox/orders                       create N orders (see ``create_orders``) -> order_sns
GET  /_sandbox/orders?shop_id=              snapshot; GET /_sandbox/orders/{order_sn} one order in full
POST /_sandbox/orders/{order_sn}/{action}   pay | cancel | split | unsplit | advance | assign-tracking |
                                             pickup | pickup-fail | deliver | complete | change-sla
GET/POST /_sandbox/faults                   misbehaviour switches (faults.Faults) + actions
GET/POST /_sandbox/config                   timings and undocumented choices (config.SandboxConfig)
GET/POST /_sandbox/push-config              {url, codes_off?, blocked_shop_ids?}
GET/POST /_sandbox/auth-mode                {mode: shop|main_account, shop_id?, main_account_id?, period_days?}
POST /_sandbox/authorize                    {shop_id | main_account_id, issue_tokens?} seller approves now
POST /_sandbox/deauthorize                  {shop_id}
GET  /_sandbox/ledger                       calls, refreshes, ship_order calls, pushes, orders, packages
GET  /_sandbox/pushes                       every push message with its attempts
POST /_sandbox/tick                         run the clock-driven steps now
POST /_sandbox/reset                        {seed?} back to a freshly seeded world
"""

from __future__ import annotations

import re
from typing import Any

from . import auth, factory, lifecycle, push
from .config import ACCESS_TOKEN_TTL
from .errors import ApiError
from .faults import china_date
from .model import (
    L_PICKUP_DONE,
    L_REQUEST_CREATED,
    READY_TO_SHIP,
    TO_CONFIRM_RECEIVE,
    UNPAID,
    Order,
    Shop,
)
from .persist import to_jsonable, update_from
from .seed import Plan, create_planned
from .state import SandboxState, suppressed_pushes


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(400, f"{name} should be an integer")
    return value


def _bool(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} should be true or false")
    return value


def shop_view(shop: Shop) -> dict[str, Any]:
    view = factory.shop_line(shop)
    view.update(
        {
            "currency": shop.currency,
            "status": shop.status,
            "authorized": shop.authorized,
            "auth_time": shop.auth_time,
            "expire_time": shop.expire_time,
            "channel_ids": list(shop.channel_ids),
            "address_ids": [a.address_id for a in shop.addresses],
            "warehouse_id": shop.warehouse_id,
            "can_split": shop.can_split,
        }
    )
    return view


def order_snapshot(state: SandboxState, order: Order) -> dict[str, Any]:
    return {
        "order_sn": order.order_sn,
        "shop_id": order.shop_id,
        "order_status": order.status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "pay_time": order.pay_time,
        "ship_by_date": order.ship_by_date,
        "cod": order.cod,
        "fulfillment_flag": order.fulfillment_flag,
        "advance_package": order.advance_package,
        "booking_sn": order.booking_sn,
        "split_up": order.split_up,
        "cancel_by": order.cancel_by,
        "cancel_reason": order.cancel_reason,
        "package_numbers": [p.package_number for p in order.packages],
    }


def package_snapshots(state: SandboxState, order: Order) -> list[dict[str, Any]]:
    out = []
    for p in order.packages:
        calls = state.world.ship_order_calls.get(p.package_number)
        out.append(
            {
                "package_number": p.package_number,
                "order_sn": order.order_sn,
                "shop_id": order.shop_id,
                "logistics_status": p.logistics_status,
                "logistics_channel_id": p.channel_id,
                "tracking_number": p.tracking_number,
                "ship_method": p.ship_method,
                "arranged_at": p.arranged_at,
                "pickup_done_time": p.pickup_done_time,
                "document": None
                if p.document is None
                else {"type": p.document.document_type, "status": p.document.status},
                "ship_order_calls": calls.calls if calls else 0,
            }
        )
    return out


# -- orders ------------------------------------------------------------------------------------------------
def create_orders(state: SandboxState, body: dict[str, Any], now: float) -> dict[str, Any]:
    """``{shop_id, count=1, status=READY_TO_SHIP (or unpaid: true), pay_after_s?, cod?, items?: int | [{name, sku,
    model_name, price, weight, quantity}], split?: int, fulfilled_by_shopee?, advance?, channel_id?, days_to_ship?,
    age_s?, message_to_seller?, goods_to_declare?}``"""
    shop = state.shop(_int(body, "shop_id"))
    if shop is None:
        raise ControlError(404, "shop_id is missing or unknown")
    count = _int(body, "count", 1) or 1
    if not 1 <= count <= 500:
        raise ControlError(400, "count should be in [1,500]")
    status = body.get("status", UNPAID if _bool(body, "unpaid") else READY_TO_SHIP)
    if status not in factory.CREATABLE:
        raise ControlError(400, f"status should be one of {', '.join(factory.CREATABLE)}")
    options: dict[str, Any] = {
        "cod": _bool(body, "cod"),
        "fulfilled_by_shopee": _bool(body, "fulfilled_by_shopee"),
        "advance": _bool(body, "advance"),
        "message_to_seller": str(body.get("message_to_seller", "")),
    }
    items = body.get("items", 1)
    if isinstance(items, list):
        options["items"] = items
        n_items = len(items)
    elif isinstance(items, int) and not isinstance(items, bool) and 1 <= items <= 20:
        options["n_items"] = n_items = items
    else:
        raise ControlError(400, "items should be a count (1-20) or a list of item objects")
    split = _int(body, "split", 0) or 0
    if split:
        if split < 2 or split > n_items:
            raise ControlError(400, "split needs 2 or more parcels and at least as many items")
        options["split"] = split
    for name in ("channel_id", "days_to_ship"):
        if body.get(name) is not None:
            options[name] = _int(body, name)
    if body.get("goods_to_declare") is not None:
        options["goods_to_declare"] = _bool(body, "goods_to_declare")
    pay_after = body.get("pay_after_s")
    if pay_after is not None:
        if not isinstance(pay_after, int | float) or isinstance(pay_after, bool):
            raise ControlError(400, "pay_after_s should be a number")
        options["pay_after_s"] = float(pay_after)
    age = body.get("age_s", 0)
    if not isinstance(age, int | float) or isinstance(age, bool) or age < 0:
        raise ControlError(400, "age_s should be a number >= 0")
    sns = []
    for _ in range(count):
        with suppressed_pushes(state):
            try:
                sn = create_planned(state, shop.shop_id, Plan(status, age / 3600.0, dict(options)), now)
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
        order = state.world.orders[sn]
        lifecycle.push_order_status(state, order, now)  # one push for the order as it appears
        sns.append(sn)
    return {
        "order_sns": sns,
        "orders": [order_snapshot(state, state.world.orders[sn]) for sn in sns],
    }


def order_action(state: SandboxState, order: Order, action: str, body: dict[str, Any], now: float) -> None:
    pn = body.get("package_number")
    packages = [p for p in order.packages if pn in (None, p.package_number)]
    if not packages:
        raise ControlError(404, f"package {pn} is not in order {order.order_sn}")
    if action == "pay":
        if order.status != UNPAID:
            raise ControlError(409, f"order is {order.status}, not UNPAID")
        lifecycle.pay(state, order, now)
    elif action == "cancel":
        if order.status in ("CANCELLED", "COMPLETED"):
            raise ControlError(409, f"order is {order.status}")
        by = str(body.get("by", "buyer"))
        reason = str(body.get("reason", "Cancelled by buyer" if by == "buyer" else "Cancelled by Shopee"))
        buyer_reason = str(body.get("buyer_reason", "Need to change delivery address" if by == "buyer" else ""))
        if _bool(body, "request"):
            lifecycle.request_cancel(state, order, now, buyer_reason)
        else:
            lifecycle.cancel(state, order, now, by=by, reason=reason, buyer_reason=buyer_reason)
    elif action == "split":
        if order.status != READY_TO_SHIP or any(p.arranged_at is not None for p in order.packages) or order.split_up:
            raise ControlError(409, "only an unarranged, unsplit READY_TO_SHIP order can be split")
        groups = body.get("groups")
        if groups is None:
            groups = factory.even_groups(order, _int(body, "packages", 2) or 2)
        ids = {i.order_item_id for i in order.items}
        flat = [oid for g in groups for oid in g] if isinstance(groups, list) else []
        if len(groups) < 2 or sorted(flat) != sorted(ids):
            raise ControlError(400, "groups must cover every order_item_id exactly once, in 2 or more parcels")
        factory.split(state, order, groups, now)
    elif action == "unsplit":
        if not order.split_up or any(p.arranged_at is not None for p in order.packages):
            raise ControlError(409, "only a split order with no arranged parcel can be unsplit")
        factory.unsplit(state, order, now)
    elif action == "advance":
        if order.status not in (UNPAID, READY_TO_SHIP) or any(p.arranged_at is not None for p in order.packages):
            raise ControlError(409, "only an unarranged order can become an advance-fulfilment order")
        factory.make_advance(state, order)
        lifecycle.touch(state, order, now)
    elif action == "assign-tracking":
        done = [p for p in packages if p.logistics_status == L_REQUEST_CREATED and not p.tracking_number]
        if not done:
            raise ControlError(409, "no arranged package is waiting for its tracking number")
        for p in done:
            lifecycle.assign_tracking(state, order, p, now)
    elif action == "pickup":
        ready = [p for p in packages if p.logistics_status == L_REQUEST_CREATED and p.tracking_number]
        if not ready:
            raise ControlError(409, "pickup needs an arranged package with a tracking number (order PROCESSED)")
        for p in ready:
            lifecycle.pickup(state, order, p, now)
    elif action == "pickup-fail":
        ready = [p for p in packages if p.logistics_status == L_REQUEST_CREATED]
        if not ready:
            raise ControlError(409, "no arranged package to fail")
        for p in ready:
            lifecycle.fail_pickup(state, order, p, now)
    elif action == "deliver":
        shipped = [p for p in packages if p.logistics_status == L_PICKUP_DONE]
        if not shipped:
            raise ControlError(409, "deliver needs a picked-up package (order SHIPPED)")
        for p in shipped:
            lifecycle.deliver(state, order, p, now)
    elif action == "complete":
        if order.status != TO_CONFIRM_RECEIVE:
            raise ControlError(409, f"order is {order.status}, not TO_CONFIRM_RECEIVE")
        lifecycle.complete(state, order, now, str(body.get("completed_scenario", "NORMAL")))
    elif action == "change-sla":
        ship_by = _int(body, "ship_by_date")
        delta = body.get("delta_s")
        if ship_by is None and isinstance(delta, int | float):
            ship_by = int(order.ship_by_date + delta)
        channel_id = _int(body, "logistics_channel_id")
        changed = lifecycle.change_package_info(
            state, order, packages, now, ship_by_date=ship_by, channel_id=channel_id
        )
        if not changed:
            raise ControlError(400, "give ship_by_date, delta_s or logistics_channel_id that differs")
    else:
        raise ControlError(404, f"unknown action {action}")


# -- the rest ----------------------------------------------------------------------------------------------
def ledger(state: SandboxState, query: dict[str, str]) -> dict[str, Any]:
    w = state.world
    since = int(query.get("since", "0") or 0)
    shop_filter = int(query["shop_id"]) if query.get("shop_id") else None
    include = set(query.get("include", "calls,refresh,ship,pushes,orders").split(","))
    out: dict[str, Any] = {"now": state.clock.now(), "next_seq": w.next_call_seq}
    if "calls" in include:
        out["calls"] = [
            to_jsonable(c) for c in w.calls if c.seq >= since and (shop_filter is None or c.shop_id == shop_filter)
        ]
    if "refresh" in include:
        out["refresh_calls"] = {k: to_jsonable(v) for k, v in sorted(w.refresh_calls.items())}
    if "ship" in include:
        out["ship_order_calls"] = {k: to_jsonable(v) for k, v in sorted(w.ship_order_calls.items())}
    if "pushes" in include:
        out["pushes"] = push.summary(state)
        out["push_messages"] = [
            push.message_view(m) for m in w.pushes if shop_filter is None or m.shop_id == shop_filter
        ]
    if "orders" in include:
        orders = sorted(
            (o for o in w.orders.values() if shop_filter is None or o.shop_id == shop_filter),
            key=lambda o: (o.shop_id, o.create_time, o.order_sn),
        )
        out["orders"] = [order_snapshot(state, o) for o in orders]
        out["packages"] = [p for o in orders for p in package_snapshots(state, o)]
    return out


def faults_view(state: SandboxState) -> dict[str, Any]:
    view = to_jsonable(state.faults.faults)
    today = china_date(state.clock.now())
    view["quota_exhausted_shops"] = sorted(int(k) for k, day in state.world.quota_exhausted.items() if day == today)
    return dict(view)


def set_faults(state: SandboxState, body: dict[str, Any], now: float) -> dict[str, Any]:
    body = dict(body)
    actions: dict[str, Any] = {}
    if body.pop("reset", False):
        state.faults.reset()
        state.world.quota_exhausted.clear()
    expire = body.pop("expire_access_tokens", None)
    if expire is not None:
        ids = None if expire == "all" else expire
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
            raise ControlError(400, 'expire_access_tokens should be "all" or a list of shop ids')
        actions["expired_access_tokens"] = auth.expire_access_tokens(state, now, ids)
    quota = body.pop("quota_exhausted_shops", None)
    if quota is not None:
        if not isinstance(quota, list) or not all(isinstance(i, int) for i in quota):
            raise ControlError(400, "quota_exhausted_shops should be a list of shop ids")
        state.world.quota_exhausted = {str(i): china_date(now) for i in quota}
    try:
        update_from(state.faults.faults, body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    if "seed" in body:
        state.faults.reseed()
    state.changed()
    return {**faults_view(state), **actions}


def handle(
    state: SandboxState, method: str, path: str, query: dict[str, str], body: dict[str, Any], now: float
) -> tuple[int, Any]:
    """Route one control request (under the state lock)."""
    parts = [p for p in path.split("/") if p][1:]  # drop "_sandbox"
    route = "/".join(parts)
    w = state.world
    if route == "health" and method == "GET":
        return 200, {
            "ok": True,
            "now": now,
            "clock_offset": state.clock.offset(),
            "partner_id": state.partner_id,
            "shops": len(w.shops),
            "orders": len(w.orders),
            "seed": state.seed_name,
        }
    if route == "tick" and method == "POST":
        return 200, {"ran": lifecycle.advance(state, now), "now": now}
    if route == "reset" and method == "POST":
        seed = body.get("seed")
        if seed is not None and seed not in ("demo", "none"):
            raise ControlError(400, "seed should be demo or none")
        state.reset(seed)
        shops = sorted(state.world.shops.values(), key=lambda s: s.shop_id)
        return 200, {"ok": True, "shops": [factory.shop_line(s) for s in shops]}
    if route == "shops":
        if method == "GET":
            return 200, {"shops": [shop_view(s) for s in sorted(w.shops.values(), key=lambda s: s.shop_id)]}
        if method == "POST":
            return 200, create_shop(state, body)
    if m := re.fullmatch(r"shops/(\d+)", route):
        shop = state.shop(int(m.group(1)))
        if shop is None:
            raise ControlError(404, "unknown shop")
        if method == "POST":
            status = body.get("status")
            if status is not None:
                if status not in ("NORMAL", "BANNED", "FROZEN"):
                    raise ControlError(400, "status should be NORMAL, BANNED or FROZEN")
                shop.status = status
            if "can_split" in body:
                shop.can_split = _bool(body, "can_split")
            state.changed()
        return 200, shop_view(shop)
    if route == "orders":
        if method == "POST":
            return 200, create_orders(state, body, now)
        if method == "GET":
            shop_id = int(query["shop_id"]) if query.get("shop_id") else None
            orders = [o for o in w.orders.values() if shop_id is None or o.shop_id == shop_id]
            orders.sort(key=lambda o: (o.shop_id, o.create_time, o.order_sn))
            return 200, {"orders": [order_snapshot(state, o) for o in orders]}
    if m := re.fullmatch(r"orders/([0-9A-Z]+)(?:/([a-z-]+))?", route):
        order = state.order(m.group(1))
        if order is None:
            raise ControlError(404, "unknown order")
        if m.group(2) is None and method == "GET":
            return 200, {"order": to_jsonable(order), "packages": package_snapshots(state, order)}
        if m.group(2) is not None and method == "POST":
            order_action(state, order, m.group(2), body, now)
            return 200, {"order": order_snapshot(state, order), "packages": package_snapshots(state, order)}
    if route == "faults":
        if method == "POST":
            return 200, set_faults(state, body, now)
        return 200, faults_view(state)
    if route == "config":
        if method == "POST":
            try:
                update_from(state.config, body)
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
            state.changed()
        return 200, to_jsonable(state.config)
    if route == "push-config":
        if method == "POST":
            if "url" in body:
                url = body["url"]
                if url is not None and not isinstance(url, str):
                    raise ControlError(400, "url should be a string or null")
                w.push_url = url or None
            if "codes_off" in body:
                w.push_codes_off = sorted(int(c) for c in body["codes_off"])
            if "blocked_shop_ids" in body:
                w.blocked_shop_ids = sorted(int(c) for c in body["blocked_shop_ids"])
            state.changed()
        return 200, {"url": w.push_url, "codes_off": w.push_codes_off, "blocked_shop_ids": w.blocked_shop_ids}
    if route == "auth-mode":
        if method == "POST":
            mode = body.get("mode", w.auth_mode.mode)
            if mode not in ("shop", "main_account"):
                raise ControlError(400, "mode should be shop or main_account")
            w.auth_mode.mode = mode
            if "shop_id" in body:
                w.auth_mode.shop_id = _int(body, "shop_id")
            if "main_account_id" in body:
                w.auth_mode.main_account_id = _int(body, "main_account_id")
            if "period_days" in body:
                w.auth_mode.period_days = _int(body, "period_days", 365) or 365
            state.changed()
        return 200, to_jsonable(w.auth_mode)
    if route == "authorize" and method == "POST":
        return 200, authorize(state, body, now)
    if route == "deauthorize" and method == "POST":
        shop = state.shop(_int(body, "shop_id"))
        if shop is None or not shop.authorized:
            raise ControlError(404, "shop_id is unknown or not authorized")
        auth.deauthorize_shop(state, shop, now, "user cancel shop authorization")
        return 200, shop_view(shop)
    if route == "ledger" and method == "GET":
        return 200, ledger(state, query)
    if route == "pushes" and method == "GET":
        return 200, {"summary": push.summary(state), "messages": [push.message_view(m) for m in w.pushes]}
    raise ControlError(404, f"no control route {method} /_sandbox/{route}")


def create_shop(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    region = body.get("region")
    if not isinstance(region, str):
        raise ControlError(400, "region is required")
    cross_border = _bool(body, "cross_border")
    main_account_id = _int(body, "main_account_id")
    if main_account_id is None and _bool(body, "main_account"):
        main_account_id = max([1_000_000, *(int(k) for k in state.world.main_accounts)]) + 1
    merchant_id = None
    if main_account_id is not None:
        if str(main_account_id) not in state.world.main_accounts:
            factory.create_main_account(state, main_account_id, f"Main account {main_account_id}")
        if cross_border:
            merchants = [m for m in state.world.merchants.values() if m.main_account_id == main_account_id]
            if merchants:
                merchant_id = merchants[0].merchant_id
            else:
                merchant_id = max([3_000_000, *(int(k) for k in state.world.merchants)]) + 1
                factory.create_merchant(state, merchant_id, f"Merchant {merchant_id}", main_account_id)
    try:
        shop = factory.create_shop(
            state,
            region=region,
            name=str(body.get("name") or f"Sandbox shop {region}"),
            cross_border=cross_border,
            shop_id=_int(body, "shop_id"),
            main_account_id=main_account_id,
            merchant_id=merchant_id,
            can_split=_bool(body, "can_split", True),
        )
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return shop_view(shop)


def authorize(state: SandboxState, body: dict[str, Any], now: float) -> dict[str, Any]:
    """The seller approves without the browser round trip. With ``issue_tokens`` the code is exchanged too
    (what POST /api/v2/auth/token/get would return), so tests can skip straight to shop APIs."""
    shop_id = _int(body, "shop_id")
    main_account_id = _int(body, "main_account_id")
    try:
        if main_account_id is not None:
            params = auth.seller_approves(state, now, mode="main_account", main_account_id=main_account_id)
        else:
            if shop_id is not None and state.shop(shop_id) is None:
                raise ControlError(404, "unknown shop")
            params = auth.seller_approves(state, now, mode="shop", shop_id=shop_id)
    except ApiError as exc:
        raise ControlError(400, exc.message) from None
    out: dict[str, Any] = dict(params)
    if _bool(body, "issue_tokens"):
        code = state.world.codes[str(params["code"])]
        code.used = True
        if code.shop_id is not None:
            entities = [("shop", code.shop_id)]
        else:
            account = state.world.main_accounts[str(code.main_account_id)]
            shops, merchants = auth.main_account_members(state, account)
            entities = [("shop", s.shop_id) for s in shops] + [("merchant", m.merchant_id) for m in merchants]
            out["shop_id_list"] = [s.shop_id for s in shops]
            out["merchant_id_list"] = [m.merchant_id for m in merchants]
        access, refresh = auth.issue_tokens(state, entities, now)
        out.update(access_token=access, refresh_token=refresh, expire_in=ACCESS_TOKEN_TTL)
    return out
