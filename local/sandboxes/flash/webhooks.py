"""Flash webhooks: emission (with the drop / duplicate / out-of-order faults), signing, delivery and retries.

* ``POST`` to the URL the merchant set for that webhook type (``/open/v1/setting/web_hook_service``, or the
  account's ``webhook_url`` for the types in ``webhook_default_types``), ``Content-Type:
  application/x-www-form-urlencoded``, form fields ``mchId``, ``nonceStr``, ``webhookApiCode`` (0 status,
  1 weight, 2 price, 4 routes), ``data`` (a JSON string) and ``sign``. The name ``data`` and a top-level
  ``webhookApiCode`` are UNCONFIRMED (Flash's page shows ``data.*`` fields; the sandbox's choice).
* ``sign`` is Flash's SHA-256 signature with the merchant key over every non-blank field but ``sign``
  (``webhook_sign_mode`` "all", the default) or over ``mchId`` and ``nonceStr`` only ("mch_nonce", what the
  capture of Flash's doc says - UNCONFIRMED which one Flash really does).
* Acknowledged only by HTTP 2xx **and** a JSON body equal to ``{"errorCode": "1", "state": "success"}``.
  Anything else (other body, other status, connection error, timeout ``webhook_timeout_s``) is a failed attempt
  and Flash re-sends until it succeeds: retries on the shared clock ``webhook_retry_delays_s`` after the previous
  failed attempt, the last delay repeating forever (the cadence is UNCONFIRMED; ``webhook_max_attempts`` > 0
  gives up after that many attempts).
* One parcel's messages go one at a time, in emission order; a message waiting for its retry does not hold back
  the parcel's later messages. Delivery runs on the engine's worker threads, never on a request thread.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .config import WEBHOOK_TYPES, SandboxConfig
from .events import dumps_compact
from .model import Account, WebhookAttempt, WebhookMessage
from .signing import sign
from .state import SandboxState

ACK = {"errorCode": "1", "state": "success"}
SIGNED_IN_MCH_NONCE_MODE = ("mchId", "nonceStr")


def effective_url(account: Account, api_code: int, cfg: SandboxConfig) -> str | None:
    """The URL this webhook type goes to: a per-type setting wins (None = closed), else the account's
    ``webhook_url`` when the type is in ``webhook_default_types``."""
    key = str(api_code)
    if key in account.webhook_settings:
        return account.webhook_settings[key]
    return account.webhook_url if api_code in cfg.webhook_default_types else None


def form_body(account: Account, api_code: int, nonce: str, data: str, mode: str) -> str:
    fields = {"mchId": account.mch_id, "nonceStr": nonce, "webhookApiCode": str(api_code), "data": data}
    only = SIGNED_IN_MCH_NONCE_MODE if mode == "mch_nonce" else None
    signature = sign(fields, account.key, only)
    return urlencode([*fields.items(), ("sign", signature)])


@dataclass
class SendJob:
    message_id: int
    url: str
    body: bytes
    timeout: float


@dataclass
class Delivery:
    ok: bool
    http_status: int | None
    error: str
    elapsed_ms: int
    response: str = ""


# -- emission (under the state lock) ----------------------------------------------------------------------------
def emit(state: SandboxState, mch_id: str, pno: str, api_code: int, event: str, at: float, payload: Any) -> None:
    w = state.world
    faults = state.faults
    account = w.accounts.get(mch_id)
    url = effective_url(account, api_code, state.config) if account is not None else None
    data = dumps_compact(payload)
    nonce = f"{int(at)}{w.next_webhook_id:06d}"
    body = form_body(account, api_code, nonce, data, state.config.webhook_sign_mode) if account else ""
    msg = WebhookMessage(
        id=w.next_webhook_id,
        mch_id=mch_id,
        pno=pno,
        api_code=api_code,
        event=event,
        event_at=at,
        data=data,
        body=body,
        created_at=at,
        url=url,
        next_attempt_at=at,
    )
    w.next_webhook_id += 1
    w.webhooks.append(msg)
    if not url:
        msg.state = "no_url"
    elif faults.take_webhook("webhook_drop"):
        msg.state = "dropped"
    else:
        f = faults.faults
        if f.webhook_out_of_order and not any(m.held and m.pno == msg.pno and m.state == "pending" for m in w.webhooks):
            msg.held = True
            state.hold_until[msg.id] = time.monotonic() + max(0.0, f.webhook_hold_s)
        if faults.take_webhook("webhook_duplicate"):
            copy = WebhookMessage(
                id=w.next_webhook_id,
                mch_id=msg.mch_id,
                pno=msg.pno,
                api_code=msg.api_code,
                event=msg.event,
                event_at=msg.event_at,
                data=msg.data,
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
    busy = {m.pno for m in messages if m.state == "in_flight"}
    wall = time.monotonic()
    jobs: list[SendJob] = []
    for msg in messages:
        if msg.state != "pending" or msg.next_attempt_at > now:
            continue
        if msg.held:
            later_went = any(
                o.pno == msg.pno and o.id > msg.id and (o.attempts or o.state == "dropped") for o in messages
            )
            if not later_went and state.hold_until.get(msg.id, 0.0) > wall:
                continue
            msg.held = False
            state.hold_until.pop(msg.id, None)
        if msg.pno in busy:
            continue
        account = w.accounts.get(msg.mch_id)
        url = effective_url(account, msg.api_code, state.config) if account is not None else None
        if not url:
            msg.state = "no_url"
            state.changed()
            continue
        msg.state = "in_flight"
        busy.add(msg.pno)
        jobs.append(SendJob(msg.id, url, msg.body.encode("utf-8"), state.config.webhook_timeout_s))
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


def is_ack(status: int, body: bytes) -> bool:
    """Flash's rule: HTTP 2xx and the body ``{"errorCode": "1", "state": "success"}`` (as JSON: spacing and key
    order do not matter; ``errorCode`` must be the string "1", nothing else may be in the object)."""
    if not 200 <= status < 300:
        return False
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return bool(parsed == ACK)


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
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "FlashExpress-Sandbox-Webhook/1",
        },
    )
    try:
        with _OPENER.open(request, timeout=job.timeout) as resp:
            answer = resp.read()
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        text = exc.read()[:200].decode("utf-8", errors="replace")
        exc.close()
        return Delivery(False, exc.code, f"HTTP {exc.code}", ms(), text)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Delivery(False, None, f"{type(exc).__name__}: {exc}", ms())
    text = answer[:200].decode("utf-8", errors="replace")
    if is_ack(status, answer):
        return Delivery(True, status, "", ms(), text)
    if 200 <= status < 300:
        return Delivery(False, status, "not acknowledged: the body is not the success body", ms(), text)
    return Delivery(False, status, f"HTTP {status}", ms(), text)


def record(state: SandboxState, job: SendJob, result: Delivery) -> None:
    """Under the state lock: log the attempt and schedule the retry (or give up when a cap is configured)."""
    msg = next((m for m in state.world.webhooks if m.id == job.message_id), None)
    if msg is None or msg.state != "in_flight":  # reset while in flight
        return
    at = state.clock.now()
    msg.attempts.append(
        WebhookAttempt(at, job.url, result.http_status, result.ok, result.error, result.elapsed_ms, result.response)
    )
    cfg = state.config
    if result.ok:
        msg.state = "acked"
    elif cfg.webhook_max_attempts > 0 and len(msg.attempts) >= cfg.webhook_max_attempts:
        msg.state = "gave_up"
    else:
        delays = cfg.webhook_retry_delays_s or [60.0]
        msg.state = "pending"
        msg.next_attempt_at = at + delays[min(len(msg.attempts), len(delays)) - 1]
    state.changed()
    state.wake.set()


# -- views -------------------------------------------------------------------------------------------------------
def ledger_view(msg: WebhookMessage) -> dict[str, Any]:
    last = msg.attempts[-1] if msg.attempts else None
    return {
        "id": msg.id,
        "tracking_number": msg.pno,
        "pno": msg.pno,
        "account": msg.mch_id,
        "mch_id": msg.mch_id,
        "webhook_api_code": msg.api_code,
        "type": WEBHOOK_TYPES.get(msg.api_code, str(msg.api_code)),
        "event": msg.event,
        "event_at": msg.event_at,
        "state": msg.state,
        "attempts": len(msg.attempts),
        "acknowledged": msg.state == "acked",
        "dropped": msg.state == "dropped",
        "gave_up": msg.state == "gave_up",
        "last_status": last.http_status if last else None,
        "last_error": last.error if last else "",
        "last_response": last.response if last else "",
        "next_attempt_at": msg.next_attempt_at if msg.state == "pending" else None,
        "duplicate_of": msg.duplicate_of,
    }


def full_view(msg: WebhookMessage) -> dict[str, Any]:
    view = ledger_view(msg)
    view["url"] = msg.url
    view["body"] = msg.body
    view["data"] = json.loads(msg.data) if msg.data else None
    view["attempt_log"] = [
        {
            "at": a.at,
            "url": a.url,
            "http_status": a.http_status,
            "ok": a.ok,
            "error": a.error,
            "ms": a.elapsed_ms,
            "response": a.response,
        }
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
