"""Push delivery (webhooks), retries, lost messages and the push-config APIs.

From open.shopee.com developer guide "Push Mechanism" and the push pages (order_status_push etc.):

* POST to the callback URL, JSON body ``{"data": {...}, "shop_id", "code", "timestamp"}`` (codes 1/2 carry
  ``partner_id`` instead of ``shop_id``; code 12 neither).
* Header ``Authorization`` = hex HMAC-SHA256(partner key, callback URL + "|" + raw body).
* Success = HTTP 2xx **with an empty body** within 3 s. Otherwise retried after 300 s, 1800 s and 10800 s;
  then dropped - such messages are what ``v2.push.get_lost_push_message`` returns (last 3 days, earliest 100)
  until ``v2.push.confirm_consumed_lost_push_message``.

UNCONFIRMED: whether the retry delays count from the first attempt or from the previous one. The sandbox
counts each from the previous failed attempt (attempts at t, t+300, t+2100, t+12900).
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import signing
from .api import ApiResult, Ctx, Endpoint, ok, ok_empty
from .errors import param_error
from .model import PushAttempt, PushMessage
from .state import SandboxState


@dataclass
class SendJob:
    message_id: int
    url: str
    body: bytes
    authorization: str
    timeout: float


@dataclass
class Delivery:
    ok: bool
    http_status: int | None
    error: str
    elapsed_ms: int


def post(job: SendJob) -> Delivery:
    """One delivery attempt over plain http.client (no redirects followed: a 3xx is not an ack)."""
    parts = urlsplit(job.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    started = time.monotonic()
    conn = conn_cls(parts.hostname or "127.0.0.1", parts.port, timeout=job.timeout)
    try:
        conn.request(
            "POST",
            path,
            body=job.body,
            headers={
                "Content-Type": "application/json",
                "Authorization": job.authorization,
                "User-Agent": "Shopee-Open-Platform-Sandbox-Push",
            },
        )
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.monotonic() - started
        status = resp.status
    except (OSError, http.client.HTTPException) as exc:
        return Delivery(False, None, f"{type(exc).__name__}: {exc}", int((time.monotonic() - started) * 1000))
    finally:
        conn.close()
    ms = int(elapsed * 1000)
    if not 200 <= status < 300:
        return Delivery(False, status, f"HTTP {status}", ms)
    if data:
        return Delivery(False, status, f"non-empty body ({len(data)} bytes)", ms)
    if elapsed > job.timeout:
        return Delivery(False, status, "too slow", ms)
    return Delivery(True, status, "", ms)


def due_jobs(state: SandboxState, now: float) -> list[SendJob]:
    """Pending messages whose time has come (under the state lock); marks them in flight."""
    w = state.world
    url = w.push_url
    if not url:
        return []
    wall = time.monotonic()
    jobs = []
    for msg in w.pushes:
        if msg.state != "pending" or msg.next_attempt_at > now:
            continue
        if msg.held:
            if state.hold_until.get(msg.message_id, 0.0) > wall:
                continue
            msg.held = False
            state.hold_until.pop(msg.message_id, None)
        msg.state = "in_flight"
        body = msg.body.encode("utf-8")
        jobs.append(
            SendJob(
                msg.message_id,
                url,
                body,
                signing.push_authorization(state.partner_key, url, body),
                state.config.push_timeout_s,
            )
        )
    return jobs


def record(state: SandboxState, job: SendJob, result: Delivery) -> None:
    """Under the state lock: log the attempt and schedule the retry or give the message up as lost."""
    msg = next((m for m in state.world.pushes if m.message_id == job.message_id), None)
    if msg is None:  # reset while in flight
        return
    at = state.clock.now()
    msg.attempts.append(
        PushAttempt(
            at=at,
            url=job.url,
            http_status=result.http_status,
            ok=result.ok,
            error=result.error,
            elapsed_ms=result.elapsed_ms,
        )
    )
    delays = state.config.push_retry_delays_s
    if result.ok:
        msg.state = "acked"
    elif len(msg.attempts) > len(delays):
        msg.state = "lost"
        msg.lost_reason = "retries_exhausted"
        msg.lost_at = at
    else:
        msg.state = "pending"
        msg.next_attempt_at = at + delays[len(msg.attempts) - 1]
    state.changed()


def message_view(msg: PushMessage) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "code": msg.code,
        "shop_id": msg.shop_id,
        "timestamp": msg.timestamp,
        "created_at": msg.created_at,
        "state": msg.state,
        "next_attempt_at": msg.next_attempt_at if msg.state == "pending" else None,
        "attempts": [
            {"at": a.at, "http_status": a.http_status, "ok": a.ok, "error": a.error, "elapsed_ms": a.elapsed_ms}
            for a in msg.attempts
        ],
        "duplicate_of": msg.duplicate_of,
        "lost_reason": msg.lost_reason,
        "consumed": msg.consumed,
        "body": msg.body,
    }


def summary(state: SandboxState) -> dict[str, int]:
    pushes = state.world.pushes
    return {
        "messages": len(pushes),
        "sent": sum(len(m.attempts) for m in pushes),  # delivery attempts made
        "acknowledged": sum(1 for m in pushes if m.state == "acked"),
        "pending": sum(1 for m in pushes if m.state in ("pending", "in_flight")),
        "lost": sum(1 for m in pushes if m.state == "lost"),
        "no_callback": sum(1 for m in pushes if m.state == "no_callback"),
        "duplicates": sum(1 for m in pushes if m.duplicate_of is not None),
    }


# -- APIs ------------------------------------------------------------------------------------------------
def _lost(state: SandboxState, now: float) -> list[PushMessage]:
    horizon = now - state.config.lost_push_retention_s
    return sorted(
        (
            m
            for m in state.world.pushes
            if m.state == "lost" and not m.consumed and (m.lost_at or m.created_at) >= horizon
        ),
        key=lambda m: m.message_id,
    )


def get_lost_push_message(ctx: Ctx) -> ApiResult:
    """``data`` is the whole push body as a JSON string (the published sample), shop_id 0 when it has none."""
    lost = _lost(ctx.state, ctx.now)
    page = lost[:100]
    return ok(
        {
            "push_message_list": [
                {"shop_id": m.shop_id or 0, "code": m.code, "timestamp": m.timestamp, "data": m.body} for m in page
            ],
            "has_next_page": len(lost) > 100,
            "last_message_id": page[-1].message_id if page else 0,
        },
        warning="",
    )  # the page documents ``warning`` as a string (sample: "-")


def confirm_consumed_lost_push_message(ctx: Ctx) -> ApiResult:
    last = ctx.b_int("last_message_id", required=True)
    assert last is not None
    for msg in _lost(ctx.state, ctx.now):
        if msg.message_id <= last:
            msg.consumed = True
    ctx.state.changed()
    return ok_empty()


def set_app_push_config(ctx: Ctx) -> ApiResult:
    w = ctx.state.world
    url = ctx.b_str("callback_url")
    on = ctx.b_list("set_push_config_on")
    off = ctx.b_list("set_push_config_off")
    blocked = ctx.b_list("blocked_shop_id_list", hi=500)
    for name, codes in (("set_push_config_on", on), ("set_push_config_off", off), ("blocked_shop_id_list", blocked)):
        if any(not isinstance(c, int) or isinstance(c, bool) for c in codes):
            raise param_error(f"{name} should be a list of integers")
    if url is not None:
        w.push_url = url
    w.push_codes_off = sorted((set(w.push_codes_off) | set(off)) - set(on))
    if ctx.b("blocked_shop_id_list") is not None:
        w.blocked_shop_ids = sorted(set(blocked))
    ctx.state.changed()
    return ok({"result": "success"})


def get_app_push_config(ctx: Ctx) -> ApiResult:
    w = ctx.state.world
    return ok(
        {
            "callback_url": w.push_url or "",
            "live_push_status": "Normal",
            "suspended_time": 0,
            "blocked_shop_id": list(w.blocked_shop_ids),
            "push_config_on_list": [c for c in (1, 2, 3, 4, 12, 15, 30, 47) if c not in w.push_codes_off],
            "push_config_off_list": list(w.push_codes_off),
        }
    )


ENDPOINTS = [
    Endpoint("/api/v2/push/get_lost_push_message", "GET", "public", get_lost_push_message),
    Endpoint("/api/v2/push/confirm_consumed_lost_push_message", "POST", "public", confirm_consumed_lost_push_message),
    Endpoint("/api/v2/push/set_app_push_config", "POST", "public", set_app_push_config),
    Endpoint("/api/v2/push/get_app_push_config", "GET", "public", get_app_push_config),
]
