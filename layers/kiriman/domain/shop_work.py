"""The shop worker's jobs, one per message type on the ``shop-sync`` queue.

* ``sync_shop``: incremental order sync of one shop (fanned out by the scheduler, which itself makes
  no Shopee calls);
* ``refresh_orders``: re-read named orders (from pushes);
* ``auth_change``: pushes 1, 2 and 12 (authorized, cancelled, expiring soon);
* ``lost_push``: replay what ``get_lost_push_message`` kept, then confirm it;
* ``token_refresh``: a due task, ahead of the 4-hour access-token expiry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiriman.clock import Clock
from kiriman.domain import orders as order_sync
from kiriman.domain import pushes
from kiriman.domain.errors import InvalidInput
from kiriman.domain.shops import REFRESH_BEFORE_S, ShopRevoked
from kiriman.logs import get_logger
from kiriman.metrics import count

log = get_logger()
QUEUE = "shop-sync"
SYNC_LEASE_S = 15 * 60  # longer than one job; a continuation renews it, a crash frees it by expiry
TOKEN_REFRESH = "token_refresh"  # noqa: S105 - a due-task kind, not a secret


@dataclass
class ShopDeps:
    store: Any  # Store: shops, orders, markers, due tasks
    shopee: Any  # ShopeeClient with ShopTokens attached
    events: Any
    queue: Any
    clock: Clock
    overlap_s: float
    lookback_s: float
    # True when the invocation should hand the rest of a long job to a new message.
    should_stop: Callable[[], bool] = lambda: False


def _owner(deps: ShopDeps, shop_id: int) -> str:
    merchant = deps.store.shop_owner(int(shop_id))
    if merchant is None:
        raise InvalidInput("shop_id", f"shop {shop_id} is not linked to any merchant")
    return str(merchant)


def schedule_token_refresh(store: Any, shop_id: int, access_expires_at: float) -> None:
    store.schedule_due(TOKEN_REFRESH, str(shop_id), access_expires_at - REFRESH_BEFORE_S)


def handle(message: dict[str, Any], deps: ShopDeps) -> dict[str, Any]:
    kind = message.get("type") or message.get("kind")
    if kind == "sync_shop":
        shop_id = int(message["shop_id"])
        merchant = _owner(deps, shop_id)
        shop = deps.store.get_shop(merchant, shop_id)
        if shop is None or shop.status != "active":
            return {"skipped": "shop not active"}
        # One sync per shop at a time: the scheduler may fan out again while a long sync runs.
        lease = str(message.get("lease") or uuid.uuid4())
        now = deps.clock.time()
        if not deps.store.take_sync_lease(merchant, shop_id, lease, now + SYNC_LEASE_S, now):
            return {"skipped": "a sync of this shop is running"}
        resume = order_sync.SyncRange(**message["resume"]) if message.get("resume") else None
        report, position, done = order_sync.sync_shop(
            deps.store,
            deps.shopee,
            deps.events,
            deps.clock,
            merchant,
            shop_id,
            shop.watermark,
            deps.overlap_s,
            deps.lookback_s,
            resume=resume,
            should_stop=deps.should_stop,
        )
        if done:
            deps.store.set_watermark(merchant, shop_id, float(position.until))
            deps.store.release_sync_lease(merchant, shop_id, lease)
        else:  # out of time: the rest in a new job, which keeps the lease; the watermark waits for the end
            job = {"type": "sync_shop", "shop_id": shop_id, "resume": position.to_json(), "lease": lease}
            deps.queue.send(QUEUE, [job])
        return {"listed": report.listed, "written": report.written, "events": report.events, "continued": not done}
    if kind == "refresh_orders":
        shop_id = int(message["shop_id"])
        report = order_sync.refresh_orders(
            deps.store, deps.shopee, deps.events, deps.clock, _owner(deps, shop_id), shop_id, message["order_sns"]
        )
        return {"written": report.written, "events": report.events}
    if kind == "auth_change":
        return _auth_change(message, deps)
    if kind == "lost_push":
        resp = deps.shopee.get_lost_push_message()
        replayed = 0
        for body in pushes.lost_messages(resp):
            outcome = pushes.route(pushes.parse(body), deps.store, deps.queue, QUEUE)
            replayed += int(outcome.accepted)
        if resp.get("last_message_id"):
            deps.shopee.confirm_consumed_lost_push_message(int(resp["last_message_id"]))
        return {"replayed": replayed}
    if kind == TOKEN_REFRESH:
        shop_id = int(message["ref"])
        merchant = _owner(deps, shop_id)
        try:
            deps.shopee.tokens.access_token(shop_id)  # refreshes under the lease when due
        except ShopRevoked:
            deps.store.complete_due(TOKEN_REFRESH, str(shop_id), message.get("lease_token", ""))
            return {"skipped": "shop not active"}
        shop = deps.store.get_shop(merchant, shop_id)
        deps.store.complete_due(TOKEN_REFRESH, str(shop_id), message.get("lease_token", ""))
        if shop and shop.access_expires_at:
            schedule_token_refresh(deps.store, shop_id, shop.access_expires_at)
        return {"refreshed": shop_id}
    raise InvalidInput("type", f"unknown shop work {kind!r}")


def _auth_change(message: dict[str, Any], deps: ShopDeps) -> dict[str, Any]:
    code = int(message["push_code"])
    data = message.get("data") or {}
    if code == 2:  # authorization cancelled (by the seller, or expired)
        ids = data.get("shop_id_list") or [data.get("shop_id") or data.get("shopid") or message.get("shop_id")]
        for sid in [int(i) for i in ids if i]:
            merchant = deps.store.shop_owner(sid)
            if merchant:
                deps.store.set_shop_status(
                    merchant, sid, "revoked", {"reason": str(data.get("authorize_type", "")), "at": deps.clock.time()}
                )
                count("ShopAuthorizationLost")
        return {"revoked": ids}
    if code == 12:  # authorization expiring within 7 days
        flagged = []
        for sid in [int(i) for i in data.get("shop_expire_soon") or []]:
            merchant = deps.store.shop_owner(sid)
            if merchant:
                shop = deps.store.get_shop(merchant, sid)
                flags = {
                    **(shop.flags if shop else {}),
                    "authorization_expiring": True,
                    "expire_before": data.get("expire_before"),
                }
                deps.store.set_shop_status(merchant, sid, shop.status if shop else "active", flags)
                count("ShopAuthorizationExpiring")
                flagged.append(sid)
        return {"flagged": flagged}
    return {"ignored": code}
