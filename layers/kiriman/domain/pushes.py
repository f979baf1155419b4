"""Shopee pushes: verified, acknowledged fast, de-duplicated, and turned into work for the shop worker.

"Push Mechanism" guide: the ``Authorization`` header is HMAC-SHA256(partner_key, callback_url + "|" +
raw body) over the callback URL exactly as configured; a push succeeds on a 2xx with an empty body
within 3 seconds, else it is retried (+300 s, +1,800 s, +10,800 s); subscriptions with a success rate
under 30 % are suspended, so rejections are counted. Pushes are pointers, not state: the orders they
name are re-read through the API. There is no event id; we de-duplicate on code, shop, order or
package and the update time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from kiriman.domain.errors import InvalidInput, Unauthorized
from kiriman.shopee.models import PushEnvelope
from kiriman.shopee.signing import verify_push

ORDER_CODES = {3, 4, 15, 30, 47}  # order status, tracking number, document, package status, package info
AUTH_CODES = {1, 2, 12}  # authorized, authorization cancelled, authorization expiring
DEDUPE_TTL_S = 7 * 86400


class PushStore(Protocol):
    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool: ...
    def forget_once(self, scope: str, key: str) -> None: ...


class WorkQueue(Protocol):
    def send(self, queue: str, messages: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class PushOutcome:
    code: int
    accepted: bool  # False: a duplicate or a code we do not act on (still acknowledged)
    reason: str


def dedupe_key(p: PushEnvelope) -> str:
    d = p.data
    order_sn = d.get("ordersn") or d.get("order_sn") or ""
    package = d.get("package_number") or ""
    stamp = d.get("update_time") or p.timestamp or ""
    extra = d.get("status") or d.get("fulfillment_status") or d.get("tracking_no") or ""
    return f"{p.code}#{p.shop_id or p.partner_id or ''}#{order_sn}#{package}#{stamp}#{extra}"


def work_for(p: PushEnvelope) -> dict[str, Any] | None:
    d = p.data
    if p.code in ORDER_CODES:
        order_sn = d.get("ordersn") or d.get("order_sn")
        if not order_sn or p.shop_id is None:
            raise InvalidInput("data.ordersn", f"push code {p.code} names no order or shop")
        return {"type": "refresh_orders", "shop_id": p.shop_id, "order_sns": [str(order_sn)], "push_code": p.code}
    if p.code in AUTH_CODES:
        return {"type": "auth_change", "push_code": p.code, "data": d, "shop_id": p.shop_id}
    return None


def parse(raw_body: bytes) -> PushEnvelope:
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("body", "not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    try:
        return PushEnvelope.model_validate(body)
    except ValueError as exc:
        raise InvalidInput("code", "missing or not an integer") from exc


def accept(
    raw_body: bytes,
    authorization: str | None,
    callback_url: str,
    partner_key: str,
    store: PushStore,
    queue: WorkQueue,
    queue_name: str,
) -> PushOutcome:
    """Verify, de-duplicate and enqueue. Raises Unauthorized (401) or InvalidInput (400), storing nothing."""
    if not verify_push(partner_key, callback_url, raw_body, authorization):
        raise Unauthorized("push signature missing or wrong")
    return route(parse(raw_body), store, queue, queue_name)


def route(push: PushEnvelope, store: PushStore, queue: WorkQueue, queue_name: str) -> PushOutcome:
    """A trusted push (verified, or read back from get_lost_push_message) becomes work, once."""
    if push.code == 0:
        return PushOutcome(0, False, "console verification message")
    work = work_for(push)
    if work is None:
        return PushOutcome(push.code, False, "code not handled")
    key = dedupe_key(push)
    if not store.use_once("push", key, ttl_s=DEDUPE_TTL_S):
        return PushOutcome(push.code, False, "duplicate")
    try:
        queue.send(queue_name, [work])
    except Exception:
        store.forget_once("push", key)  # let Shopee's retry deliver it again
        raise
    return PushOutcome(push.code, True, "queued")


def lost_messages(response: dict[str, Any]) -> list[bytes]:
    """Bodies of lost pushes from ``get_lost_push_message``; ``data`` is documented as a JSON string
    holding the whole push body; an already-decoded object is tolerated."""
    out = []
    for m in response.get("push_message_list") or []:
        data = m.get("data")
        if isinstance(data, str):
            try:
                inner = json.loads(data)
            except ValueError:
                continue
        else:
            inner = data or {}
        if isinstance(inner, dict) and "code" not in inner:
            inner = {"code": m.get("code"), "shop_id": m.get("shop_id"), "timestamp": m.get("timestamp"), "data": inner}
        out.append(json.dumps(inner).encode())
    return out
