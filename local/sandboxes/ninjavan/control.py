"""The control API under ``/_sandbox/`` (JSON, no auth): drive the sandbox from tests and the local stack.

GET  /_sandbox/health                        liveness, clock, counts
GET  /_sandbox/accounts                      {"accounts": [...]}
POST /_sandbox/accounts                      create {client_id?, client_secret?, countries, shipper_prefix?,
                                              webhook_url?, waybill_allowed?, tracking_allowed?}
GET/POST /_sandbox/accounts/{client_id}      read / update (same fields except client_id)
POST /_sandbox/webhook-config                {client_id?, url} (all accounts when client_id is omitted)
GET  /_sandbox/ledger                        shipments, labels, cancellations, purchases, webhooks, calls
GET  /_sandbox/webhooks                      every webhook message with its body and attempts
GET  /_sandbox/parcels[/{tracking_number}]   parcels with their planned and past events
POST /_sandbox/scenario                      {tracking_number | requested_tracking_number, scenario, client_id?}
GET/POST /_sandbox/config                    timings, scenario_mix, token_ttl_s ... (config.SandboxConfig)
GET/POST/DELETE /_sandbox/faults             fault switches (faults.Faults); DELETE or {"reset": true} clears
POST /_sandbox/tick                          run the due clock steps now
POST /_sandbox/reset                         {seed?: demo|none} a fresh world (config and faults too)
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from ..kit.persist import to_jsonable, update_from
from . import lifecycle, webhooks
from .config import COUNTRIES, RTS_FINAL_CHOICES, SCENARIOS, TIMING_FIELDS
from .events import iso
from .model import Account, Parcel
from .state import SandboxState

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9]+$")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def account_view(account: Account) -> dict[str, Any]:
    return dict(to_jsonable(account))


def ready_line(account: Account) -> dict[str, Any]:
    return {
        "client_id": account.client_id,
        "client_secret": account.client_secret,
        "countries": list(account.countries),
        "shipper_prefix": account.shipper_prefix,
        "webhook_url": account.webhook_url,
    }


def shipment_view(parcel: Parcel) -> dict[str, Any]:
    return {
        "tracking_number": parcel.tracking_number,
        "requested_tracking_number": parcel.requested_tracking_number,
        "client_id": parcel.client_id,
        "country": parcel.country,
        "merchant_order_number": parcel.merchant_order_number,
        "package": dict(parcel.package) if parcel.package else None,
        "service_type": parcel.service_type,
        "service_level": parcel.service_level,
        "cod": parcel.cod,
        "weight": parcel.weight,
        "status": parcel.status,
        "scenario": parcel.scenario,
        "created_at": parcel.created_at,
        "cancelled_at": parcel.cancelled_at,
        "charge": dict(parcel.charge),
        "measured": parcel.measured,
        "adjusted_charge": parcel.adjusted_charge,
        "request_id": parcel.request_id,
    }


def parcel_view(parcel: Parcel) -> dict[str, Any]:
    view = shipment_view(parcel)
    view["order"] = parcel.order
    view["events"] = [
        {
            "key": e.key,
            "at": e.at,
            "timestamp": iso(e.at, parcel.country),
            "status": e.status,
            "event": e.event,
            "is_parcel_on_rts_leg": e.rts,
            "done": e.done,
        }
        for e in parcel.events
    ]
    return view


def package_key(package: dict[str, str]) -> str:
    return "|".join(package[k] for k in ("shop_id", "order_sn", "package_number", "leg"))


def ledger(state: SandboxState, query: dict[str, str]) -> dict[str, Any]:
    w = state.world
    client_id = query.get("client_id") or None
    parcels = [p for p in w.parcels.values() if client_id is None or p.client_id == client_id]
    purchases: dict[str, int] = {}
    active: dict[str, int] = {}
    numbers: dict[str, list[str]] = {}
    for p in parcels:
        if p.package is None:
            continue
        key = package_key(p.package)
        purchases[key] = purchases.get(key, 0) + 1
        active[key] = active.get(key, 0) + (0 if p.cancelled_at is not None else 1)
        numbers.setdefault(key, []).append(p.tracking_number)

    def mine(cid: str | None) -> bool:
        return client_id is None or cid == client_id

    out: dict[str, Any] = {
        "shipments": [shipment_view(p) for p in parcels],
        "labels": [to_jsonable(r) for r in w.labels if mine(r.client_id)],
        "cancellations": [to_jsonable(r) for r in w.cancellations if mine(r.client_id)],
        "duplicate_rejections": [to_jsonable(r) for r in w.duplicates if mine(r.client_id)],
        "purchases_by_package": purchases,
        "active_purchases_by_package": active,
        "double_purchases": [
            {"key": k, "purchases": n, "active": active[k], "tracking_numbers": numbers[k]}
            for k, n in purchases.items()
            if n > 1
        ],
        "webhooks": [webhooks.ledger_view(m) for m in w.webhooks if mine(m.client_id)],
        "webhook_summary": webhooks.summary(state),
        "calls": dict(sorted(w.call_counts.items())),
    }
    if "call_log" in (query.get("include") or "").split(","):
        out["call_log"] = [to_jsonable(c) for c in w.calls if mine(c.client_id)]
    return out


# -- accounts ------------------------------------------------------------------------------------------------
def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} should be true or false")
    return value


def _countries(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ControlError(400, "countries should be a non-empty list of country codes (sg my th id vn ph)")
    out = [c.lower() for c in value]
    unknown = [c for c in out if c not in COUNTRIES]
    if unknown:
        raise ControlError(400, f"unknown country code(s): {', '.join(unknown)}")
    return sorted(set(out), key=out.index)


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ControlError(400, "webhook_url should be an http(s) URL or null")
    return value


def _prefix(state: SandboxState, value: Any, client_id: str) -> str:
    if not isinstance(value, str) or not PREFIX_PATTERN.match(value):
        raise ControlError(400, "shipper_prefix should be letters and digits")
    clash = [
        a.client_id for a in state.world.accounts.values() if a.shipper_prefix == value and a.client_id != client_id
    ]
    if clash:
        raise ControlError(409, f"shipper_prefix {value} is already used by {clash[0]}")
    return value


def create_account(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    w = state.world
    client_id = body.get("client_id") or f"nv-sandbox-{len(w.accounts) + 1}-{secrets.token_hex(3)}"
    if not isinstance(client_id, str):
        raise ControlError(400, "client_id should be a string")
    if client_id in w.accounts:
        raise ControlError(409, f"account {client_id} already exists")
    secret = body.get("client_secret") or secrets.token_urlsafe(24)
    if not isinstance(secret, str):
        raise ControlError(400, "client_secret should be a string")
    countries = _countries(body.get("countries"))
    default_prefix = f"NV{countries[0].upper()}{len(w.accounts) + 1:03d}"
    account = Account(
        client_id=client_id,
        client_secret=secret,
        countries=countries,
        shipper_prefix=_prefix(state, body.get("shipper_prefix") or default_prefix, client_id),
        webhook_url=_url(body.get("webhook_url")),
        waybill_allowed=_bool(body, "waybill_allowed", True),
        tracking_allowed=_bool(body, "tracking_allowed", True),
    )
    w.accounts[client_id] = account
    state.changed()
    return account_view(account)


def update_account(state: SandboxState, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - {
        "client_secret",
        "countries",
        "shipper_prefix",
        "webhook_url",
        "waybill_allowed",
        "tracking_allowed",
    }
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "client_secret" in body:
        if not isinstance(body["client_secret"], str) or not body["client_secret"]:
            raise ControlError(400, "client_secret should be a non-empty string")
        account.client_secret = body["client_secret"]
    if "countries" in body:
        account.countries = _countries(body["countries"])
    if "shipper_prefix" in body:
        account.shipper_prefix = _prefix(state, body["shipper_prefix"], account.client_id)
    if "webhook_url" in body:
        account.webhook_url = _url(body["webhook_url"])
    for flag in ("waybill_allowed", "tracking_allowed"):
        if flag in body:
            setattr(account, flag, _bool(body, flag, True))
    state.changed()
    return account_view(account)


# -- scenario, config, faults ----------------------------------------------------------------------------------
def set_scenario(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    scenario = body.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(400, f"scenario should be one of: {', '.join(SCENARIOS)}")
    w = state.world
    client_id = body.get("client_id")
    tn = body.get("tracking_number")
    rtn = body.get("requested_tracking_number")
    if isinstance(tn, str) and tn:
        found = [w.parcels[tn]] if tn in w.parcels else []
        pending_key = f"tn:{tn}"
    elif isinstance(rtn, str) and rtn:
        found = [
            p
            for p in w.parcels.values()
            if p.requested_tracking_number == rtn and (client_id is None or p.client_id == client_id)
        ]
        pending_key = f"rtn:{rtn}"
    else:
        raise ControlError(400, "tracking_number or requested_tracking_number is required")
    if not found:
        # Not created yet: applied when the order is created.
        w.pending_scenarios[pending_key] = str(scenario)
        state.changed()
        return {"pending": True, "key": pending_key, "scenario": scenario}
    for parcel in found:
        if not lifecycle.has_future(parcel):
            raise ControlError(409, f"{parcel.tracking_number} has reached its final state ({parcel.status})")
    for parcel in found:
        lifecycle.replan(state, parcel, str(scenario))
    return {"pending": False, "parcels": [parcel_view(p) for p in found]}


def set_config(state: SandboxState, body: dict[str, Any]) -> None:
    body = dict(body)
    timings = body.pop("timings", None)
    if timings is not None:
        if not isinstance(timings, dict) or set(timings) - set(TIMING_FIELDS):
            raise ControlError(400, f"timings accepts: {', '.join(TIMING_FIELDS)}")
        body.update(timings)
    mix = body.get("scenario_mix")
    if mix is not None and (not isinstance(mix, dict) or set(mix) - set(SCENARIOS)):
        raise ControlError(400, f"scenario_mix keys should be among: {', '.join(SCENARIOS)}")
    if "default_scenario" in body and body["default_scenario"] not in SCENARIOS:
        raise ControlError(400, f"default_scenario should be one of: {', '.join(SCENARIOS)}")
    if "rts_final" in body and body["rts_final"] not in RTS_FINAL_CHOICES:
        raise ControlError(400, f"rts_final should be one of: {', '.join(RTS_FINAL_CHOICES)}")
    try:
        update_from(state.config, body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    state.changed()


def faults_view(state: SandboxState) -> dict[str, Any]:
    view: dict[str, Any] = dict(to_jsonable(state.faults.faults))
    view["throttle"] = {"count": view["throttle_count"], "retry_after_s": view["throttle_retry_after_s"]}
    view["token_ttl_s"] = state.config.token_ttl_s
    return view


def set_faults(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    body = dict(body)
    if body.pop("reset", False):
        state.faults.reset()
    throttle = body.pop("throttle", None)
    if throttle is not None:
        if not isinstance(throttle, dict) or set(throttle) - {"count", "retry_after_s"}:
            raise ControlError(400, 'throttle should be {"count": N, "retry_after_s": S}')
        if "count" in throttle:
            body["throttle_count"] = throttle["count"]
        if "retry_after_s" in throttle:
            body["throttle_retry_after_s"] = throttle["retry_after_s"]
    if "token_ttl_s" in body:
        set_config(state, {"token_ttl_s": body.pop("token_ttl_s")})
    if body.get("timeout_mode", "504") not in ("504", "close"):
        raise ControlError(400, "timeout_mode should be 504 or close")
    if body.get("create_then_fail_mode", "502") not in ("502", "close"):
        raise ControlError(400, "create_then_fail_mode should be 502 or close")
    for name in ("error_rate", "webhook_duplicate_rate", "webhook_drop_rate"):
        value = body.get(name, 0)
        if isinstance(value, int | float) and not 0 <= value <= 1:
            raise ControlError(400, f"{name} should be between 0 and 1")
    try:
        update_from(state.faults.faults, body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    if "seed" in body:
        state.faults.reseed()
    state.changed()
    return faults_view(state)


# -- routing -------------------------------------------------------------------------------------------------------
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
            "seed": state.seed_name,
            "accounts": len(w.accounts),
            "parcels": len(w.parcels),
            "webhooks": webhooks.summary(state),
        }
    if route == "accounts":
        if method == "GET":
            return 200, {"accounts": [account_view(a) for a in w.accounts.values()]}
        if method == "POST":
            return 200, create_account(state, body)
    if len(parts) == 2 and parts[0] == "accounts":
        account = w.accounts.get(parts[1])
        if account is None:
            raise ControlError(404, f"unknown account {parts[1]}")
        if method == "GET":
            return 200, account_view(account)
        if method == "POST":
            return 200, update_account(state, account, body)
    if route == "webhook-config" and method == "POST":
        url = _url(body.get("url"))
        client_id = body.get("client_id")
        targets = list(w.accounts.values()) if client_id is None else [w.accounts.get(str(client_id))]
        if any(a is None for a in targets):
            raise ControlError(404, f"unknown account {client_id}")
        for account in targets:
            if account is not None:
                account.webhook_url = url
        state.changed()
        return 200, {
            "accounts": [{"client_id": a.client_id, "webhook_url": a.webhook_url} for a in w.accounts.values()]
        }
    if route == "ledger" and method == "GET":
        return 200, ledger(state, query)
    if route == "webhooks" and method == "GET":
        return 200, {"summary": webhooks.summary(state), "messages": [webhooks.full_view(m) for m in w.webhooks]}
    if route == "parcels" and method == "GET":
        return 200, {"parcels": [parcel_view(p) for p in w.parcels.values()]}
    if len(parts) == 2 and parts[0] == "parcels" and method == "GET":
        parcel = w.parcels.get(parts[1])
        if parcel is None:
            raise ControlError(404, f"unknown parcel {parts[1]}")
        return 200, parcel_view(parcel)
    if route == "scenario" and method == "POST":
        return 200, set_scenario(state, body)
    if route == "config":
        if method == "POST":
            set_config(state, body)
        if method in ("GET", "POST"):
            return 200, to_jsonable(state.config)
    if route == "faults":
        if method == "DELETE":
            state.faults.reset()
            state.changed()
            return 200, faults_view(state)
        if method == "POST":
            return 200, set_faults(state, body)
        if method == "GET":
            return 200, faults_view(state)
    if route == "tick" and method == "POST":
        return 200, {"ran": lifecycle.advance(state, now), "now": now}
    if route == "reset" and method == "POST":
        seed = body.get("seed")
        if seed is not None and seed not in ("demo", "none"):
            raise ControlError(400, "seed should be demo or none")
        state.reset(seed)
        return 200, {"ok": True, "accounts": [ready_line(a) for a in state.world.accounts.values()]}
    raise ControlError(404, f"no control route {method} /_sandbox/{route}")
