"""Tracking callbacks (J&T "Tracking Info Callback"): emission with the drop / duplicate / out-of-order faults,
batching, signing, delivery, J&T's ack rule and retries.

* ``POST`` to the account's callback URL, ``Content-Type: application/x-www-form-urlencoded``, headers
  ``apiAccount`` (the account's), ``digest`` = Base64(MD5_raw(bizContent + privateKey)), ``timestamp`` (ms, shared
  clock); one form field ``bizContent`` = a JSON **array** of ``{billCode, txlogisticId, details[]}``. Every scan
  due at the same moment for one account travels in one push (several parcels, several scans each, oldest first),
  at most ``webhook_batch_max`` scans per push. Receivers verify the digest over the raw bizContent string.
* Acknowledged only when the receiver answers HTTP 2xx **and** a JSON body whose ``code`` is "1" (or 1), as in
  J&T's documented reply ``{"code":"1","msg":"success","data":"SUCCESS","requestId":...}``. Anything else - a
  ``code`` "0" reply, a plain "ok", a 5xx, a timeout (``webhook_timeout_s`` = 5 s) - is a failed attempt.
* A failed scan is retried on the shared clock ``webhook_retry_delays_s`` (60 s, 300 s, 1800 s, 7200 s) after its
  previous attempt, then given up. J&T's real policy is UNCONFIRMED (not published).
* One push per account at a time, so scans arrive in order (unless ``webhook_out_of_order``); a scan waiting for
  its retry does not hold back later ones. Pushes run on the engine's worker threads, never on a request thread.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .events import detail_view, dumps_compact
from .model import Parcel, ScanEvent, WebhookAttempt, WebhookDelivery, WebhookMessage
from .signing import header_digest
from .state import SandboxState

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass
class SendJob:
    delivery_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float


@dataclass
class Result:
    ok: bool
    http_status: int | None
    error: str
    response: str
    elapsed_ms: int


# -- emission (under the state lock) ----------------------------------------------------------------------------
def emit(state: SandboxState, parcel: Parcel, ev: ScanEvent) -> None:
    w = state.world
    faults = state.faults
    account = w.accounts.get(parcel.account)
    url = account.webhook_url if account is not None else None
    detail = detail_view(parcel, ev)
    msg = WebhookMessage(
        id=w.next_webhook_id,
        account=parcel.account,
        tracking_number=parcel.tracking_number,
        reference=parcel.reference,
        code=ev.code,
        event=str(detail["scanType"]),
        event_at=ev.at,
        detail=detail,
        created_at=ev.at,
        url=url,
        next_attempt_at=ev.at,
    )
    w.next_webhook_id += 1
    w.webhooks.append(msg)
    if not url:
        msg.state = "no_url"
    elif faults.take_webhook("webhook_drop"):
        msg.state = "dropped"
    else:
        f = faults.faults
        if f.webhook_out_of_order and not any(
            m.held and m.tracking_number == msg.tracking_number and m.state == "pending" for m in w.webhooks
        ):
            msg.held = True
            state.hold_until[msg.id] = time.monotonic() + max(0.0, f.webhook_hold_s)
        if faults.take_webhook("webhook_duplicate"):
            w.webhooks.append(
                WebhookMessage(
                    id=w.next_webhook_id,
                    account=msg.account,
                    tracking_number=msg.tracking_number,
                    reference=msg.reference,
                    code=msg.code,
                    event=msg.event,
                    event_at=msg.event_at,
                    detail=dict(msg.detail),
                    created_at=msg.created_at,
                    url=url,
                    next_attempt_at=msg.next_attempt_at,
                    duplicate_of=msg.id,
                )
            )
            w.next_webhook_id += 1
    state.changed()
    state.wake.set()


# -- batching (under the state lock) ----------------------------------------------------------------------------
def biz_content(messages: list[WebhookMessage]) -> tuple[str, list[str]]:
    """The callback's bizContent: one item per parcel (first-seen order), its scans oldest first."""
    groups: dict[str, dict[str, Any]] = {}
    for msg in messages:
        item = groups.setdefault(
            msg.tracking_number, {"billCode": msg.tracking_number, "txlogisticId": msg.reference, "details": []}
        )
        item["details"].append(msg.detail)
    return dumps_compact(list(groups.values())), list(groups)


def due_jobs(state: SandboxState, now: float) -> list[SendJob]:
    """Build the pushes whose time has come (under the state lock); marks their scans in flight."""
    w = state.world
    busy = {d.account for d in w.deliveries if not d.done}
    wall = time.monotonic()
    batches: dict[str, list[WebhookMessage]] = {}
    pending = sorted(
        (m for m in w.webhooks if m.state == "pending" and m.next_attempt_at <= now),
        key=lambda m: (m.event_at, m.id),
    )
    for msg in pending:
        if msg.held:
            later_went = any(
                o.tracking_number == msg.tracking_number and o.id > msg.id and (o.attempts or o.state == "dropped")
                for o in w.webhooks
            )
            if not later_went and state.hold_until.get(msg.id, 0.0) > wall:
                continue
            msg.held = False
            state.hold_until.pop(msg.id, None)
        account = w.accounts.get(msg.account)
        url = (account.webhook_url if account is not None else None) or msg.url
        if account is None or not url:
            msg.state = "no_url"
            state.changed()
            continue
        if msg.account in busy:
            continue
        batch = batches.setdefault(msg.account, [])
        if len(batch) >= max(1, state.config.webhook_batch_max):
            continue
        if msg.duplicate_of is not None and any(m.id == msg.duplicate_of for m in batch):
            continue  # a duplicate travels in a later push than its original
        batch.append(msg)
    jobs: list[SendJob] = []
    for account_id, batch in batches.items():
        account = w.accounts[account_id]
        url = account.webhook_url or batch[0].url or ""
        body, parcels = biz_content(batch)
        timestamp = str(int(now * 1000))
        digest = header_digest(body, account.private_key)
        delivery = WebhookDelivery(
            id=w.next_delivery_id,
            account=account_id,
            url=url,
            at=now,
            message_ids=[m.id for m in batch],
            parcels=parcels,
            biz_content=body,
            digest=digest,
            timestamp=timestamp,
        )
        w.next_delivery_id += 1
        w.deliveries.append(delivery)
        for msg in batch:
            msg.state = "in_flight"
        jobs.append(
            SendJob(
                delivery.id,
                url,
                urlencode({"bizContent": body}).encode("ascii"),
                {"apiAccount": account.api_account, "digest": digest, "timestamp": timestamp},
                state.config.webhook_timeout_s,
            )
        )
        state.changed()
    return jobs


# -- delivery (outside the lock) ---------------------------------------------------------------------------------
def acknowledged(status: int, body: bytes) -> tuple[bool, str]:
    """J&T's ack rule: HTTP 2xx and a JSON body with ``code`` "1" (string or number)."""
    if not 200 <= status < 300:
        return False, f"HTTP {status}"
    try:
        reply = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False, 'reply is not JSON (expected {"code":"1",...})'
    if not isinstance(reply, dict):
        return False, "reply is not a JSON object"
    code = reply.get("code")
    if code == 1 or code == "1":
        return True, ""
    return False, f'reply code {code!r} (expected "1")'


def post(job: SendJob) -> Result:
    """One push attempt. ``http.client`` keeps the header names exactly as J&T spells them (``apiAccount``);
    redirects are not followed (a 3xx is not an acknowledgement)."""
    started = time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(job.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Result(False, None, "unsupported URL", "", 0)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = connection_class(parts.hostname, parts.port, timeout=job.timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        "User-Agent": "JnT-Sandbox-Callback/1",
        **job.headers,
    }
    try:
        conn.request("POST", target, body=job.body, headers=headers)
        resp = conn.getresponse()
        body = resp.read(MAX_RESPONSE_BYTES)
        status = int(resp.status)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Result(False, None, f"{type(exc).__name__}: {exc}", "", ms())
    finally:
        conn.close()
    ok, error = acknowledged(status, body)
    return Result(ok, status, error, body.decode("utf-8", "replace"), ms())


def record(state: SandboxState, job: SendJob, result: Result) -> None:
    """Under the state lock: log the push and, per scan, schedule the retry or give it up."""
    w = state.world
    delivery = next((d for d in w.deliveries if d.id == job.delivery_id), None)
    if delivery is None or delivery.done:  # reset while in flight
        return
    at = state.clock.now()
    delivery.done = True
    delivery.ok = result.ok
    delivery.http_status = result.http_status
    delivery.error = result.error
    delivery.response = result.response[:2000]
    delivery.elapsed_ms = result.elapsed_ms
    delays = state.config.webhook_retry_delays_s
    ids = set(delivery.message_ids)
    for msg in w.webhooks:
        if msg.id not in ids or msg.state != "in_flight":
            continue
        msg.attempts.append(WebhookAttempt(at, delivery.id, job.url, result.http_status, result.ok, result.error))
        if result.ok:
            msg.state = "acked"
        elif len(msg.attempts) > len(delays):
            msg.state = "gave_up"
        else:
            msg.state = "pending"
            msg.next_attempt_at = at + delays[len(msg.attempts) - 1]
    state.changed()
    state.wake.set()


# -- views -------------------------------------------------------------------------------------------------------
def ledger_view(msg: WebhookMessage) -> dict[str, Any]:
    last = msg.attempts[-1] if msg.attempts else None
    return {
        "id": msg.id,
        "tracking_number": msg.tracking_number,
        "reference": msg.reference,
        "account": msg.account,
        "scan_type_code": msg.code,
        "event": msg.event,
        "event_at": msg.event_at,
        "state": msg.state,
        "attempts": len(msg.attempts),
        "acknowledged": msg.state == "acked",
        "dropped": msg.state == "dropped",
        "gave_up": msg.state == "gave_up",
        "last_status": last.http_status if last else None,
        "last_error": last.error if last else "",
        "next_attempt_at": msg.next_attempt_at if msg.state == "pending" else None,
        "duplicate_of": msg.duplicate_of,
        "deliveries": [a.delivery_id for a in msg.attempts],
    }


def full_view(msg: WebhookMessage) -> dict[str, Any]:
    view = ledger_view(msg)
    view["url"] = msg.url
    view["detail"] = msg.detail
    view["attempt_log"] = [
        {"at": a.at, "delivery_id": a.delivery_id, "url": a.url, "http_status": a.http_status, "ok": a.ok,
         "error": a.error}
        for a in msg.attempts
    ]  # fmt: skip
    return view


def delivery_view(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "account": d.account,
        "url": d.url,
        "at": d.at,
        "message_ids": list(d.message_ids),
        "parcels": list(d.parcels),
        "scans": len(d.message_ids),
        "biz_content": d.biz_content,
        "digest": d.digest,
        "timestamp": d.timestamp,
        "done": d.done,
        "ok": d.ok,
        "http_status": d.http_status,
        "error": d.error,
        "response": d.response,
        "ms": d.elapsed_ms,
    }


def summary(state: SandboxState) -> dict[str, int]:
    msgs = state.world.webhooks
    return {
        "messages": len(msgs),
        "deliveries": len(state.world.deliveries),
        "attempts": sum(len(m.attempts) for m in msgs),
        "acknowledged": sum(1 for m in msgs if m.state == "acked"),
        "pending": sum(1 for m in msgs if m.state in ("pending", "in_flight")),
        "gave_up": sum(1 for m in msgs if m.state == "gave_up"),
        "dropped": sum(1 for m in msgs if m.state == "dropped"),
        "no_url": sum(1 for m in msgs if m.state == "no_url"),
        "duplicates": sum(1 for m in msgs if m.duplicate_of is not None),
    }
