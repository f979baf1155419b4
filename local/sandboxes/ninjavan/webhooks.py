"""v2 webhooks: emission (with the drop / duplicate / out-of-order faults), signing, delivery and retries.

* ``POST`` to the account's ``webhook_url`` with ``Content-Type: application/json`` and
  ``X-Ninjavan-Hmac-Sha256`` = base64(HMAC-SHA256(key = the account's client secret ("Client Key"),
  message = the raw body bytes)) - the rule implemented by every public integration found.
* Any 2xx is an acknowledgement (the body is ignored); redirects are not followed.
* Otherwise, or on a connection error / timeout (``webhook_timeout_s`` = 5 s), the message is retried on the
  shared clock ``webhook_retry_delays_s`` (60 s, 300 s, 1800 s, 7200 s) after the previous failed attempt, then
  given up (ledger state ``gave_up``). Ninja Van's real retry policy is UNCONFIRMED (not published).
* Messages of one parcel are sent one at a time, in event order (unless ``webhook_out_of_order`` holds one back);
  a message waiting for its retry does not block the parcel's later events.
* Delivery runs on the engine's worker threads (``urllib.request``), never on a request thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .events import dumps_compact, webhook_payload
from .model import Parcel, ParcelEvent, WebhookAttempt, WebhookMessage
from .state import SandboxState

SIGNATURE_HEADER = "X-Ninjavan-Hmac-Sha256"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


@dataclass
class SendJob:
    message_id: int
    url: str
    body: bytes
    signature: str
    timeout: float


@dataclass
class Delivery:
    ok: bool
    http_status: int | None
    error: str
    elapsed_ms: int


# -- emission (under the state lock) ----------------------------------------------------------------------------
def emit(state: SandboxState, parcel: Parcel, ev: ParcelEvent) -> None:
    w = state.world
    faults = state.faults
    account = w.accounts.get(parcel.client_id)
    url = account.webhook_url if account is not None else None
    msg = WebhookMessage(
        id=w.next_webhook_id,
        client_id=parcel.client_id,
        tracking_id=parcel.tracking_number,
        event=ev.event,
        status=ev.status,
        event_at=ev.at,
        body=dumps_compact(webhook_payload(parcel, ev)),
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
            m.held and m.tracking_id == msg.tracking_id and m.state == "pending" for m in w.webhooks
        ):
            msg.held = True
            state.hold_until[msg.id] = time.monotonic() + max(0.0, f.webhook_hold_s)
        if faults.take_webhook("webhook_duplicate"):
            copy = WebhookMessage(
                id=w.next_webhook_id,
                client_id=msg.client_id,
                tracking_id=msg.tracking_id,
                event=msg.event,
                status=msg.status,
                event_at=msg.event_at,
                body=msg.body,
                created_at=msg.created_at,
                url=url,
                next_attempt_at=msg.next_attempt_at,
                duplicate_of=msg.id,
            )
            w.next_webhook_id += 1
            w.webhooks.append(copy)
    state.changed()
    state.wake.set()


# -- delivery ----------------------------------------------------------------------------------------------------
def due_jobs(state: SandboxState, now: float) -> list[SendJob]:
    """Messages whose time has come (under the state lock); marks them in flight."""
    w = state.world
    messages = w.webhooks
    busy = {m.tracking_id for m in messages if m.state == "in_flight"}
    wall = time.monotonic()
    jobs: list[SendJob] = []
    for msg in messages:
        if msg.state != "pending" or msg.next_attempt_at > now:
            continue
        if msg.held:
            later_went = any(
                o.tracking_id == msg.tracking_id and o.id > msg.id and (o.attempts or o.state == "dropped")
                for o in messages
            )
            if not later_went and state.hold_until.get(msg.id, 0.0) > wall:
                continue
            msg.held = False
            state.hold_until.pop(msg.id, None)
        if msg.tracking_id in busy:
            continue
        account = w.accounts.get(msg.client_id)
        url = (account.webhook_url if account is not None else None) or msg.url
        if account is None or not url:
            msg.state = "no_url"
            state.changed()
            continue
        msg.state = "in_flight"
        busy.add(msg.tracking_id)
        body = msg.body.encode("utf-8")
        jobs.append(SendJob(msg.id, url, body, sign(account.client_secret, body), state.config.webhook_timeout_s))
    return jobs


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # a 3xx is not an acknowledgement


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post(job: SendJob) -> Delivery:
    """One delivery attempt (outside the lock)."""
    started = time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - started) * 1000)

    if urlsplit(job.url).scheme not in ("http", "https"):
        return Delivery(False, None, "unsupported URL scheme", 0)
    request = urllib.request.Request(
        job.url,
        data=job.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: job.signature,
            "User-Agent": "NinjaVan-Sandbox-Webhook/2",
        },
    )
    try:
        with _OPENER.open(request, timeout=job.timeout) as resp:
            resp.read()
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return Delivery(False, exc.code, f"HTTP {exc.code}", ms())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Delivery(False, None, f"{type(exc).__name__}: {exc}", ms())
    if 200 <= status < 300:
        return Delivery(True, status, "", ms())
    return Delivery(False, status, f"HTTP {status}", ms())


def record(state: SandboxState, job: SendJob, result: Delivery) -> None:
    """Under the state lock: log the attempt and schedule the retry or give the message up."""
    msg = next((m for m in state.world.webhooks if m.id == job.message_id), None)
    if msg is None or msg.state != "in_flight":  # reset while in flight
        return
    at = state.clock.now()
    msg.attempts.append(WebhookAttempt(at, job.url, result.http_status, result.ok, result.error, result.elapsed_ms))
    delays = state.config.webhook_retry_delays_s
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
        "tracking_id": msg.tracking_id,
        "client_id": msg.client_id,
        "event": msg.event,
        "status": msg.status,
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
    }


def full_view(msg: WebhookMessage) -> dict[str, Any]:
    view = ledger_view(msg)
    view["url"] = msg.url
    view["body"] = msg.body
    view["attempt_log"] = [
        {"at": a.at, "url": a.url, "http_status": a.http_status, "ok": a.ok, "error": a.error, "ms": a.elapsed_ms}
        for a in msg.attempts
    ]
    return view


def summary(state: SandboxState) -> dict[str, int]:
    msgs = state.world.webhooks
    return {
        "messages": len(msgs),
        "attempts": sum(len(m.attempts) for m in msgs),
        "acknowledged": sum(1 for m in msgs if m.state == "acked"),
        "pending": sum(1 for m in msgs if m.state in ("pending", "in_flight")),
        "gave_up": sum(1 for m in msgs if m.state == "gave_up"),
        "dropped": sum(1 for m in msgs if m.state == "dropped"),
        "no_url": sum(1 for m in msgs if m.state == "no_url"),
        "duplicates": sum(1 for m in msgs if m.duplicate_of is not None),
    }
