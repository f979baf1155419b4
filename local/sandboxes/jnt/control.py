"""The control API under ``/_sandbox/`` (JSON, no auth): drive the sandbox from tests and the local stack.

GET  /_sandbox/health                        liveness, clock, counts
GET  /_sandbox/accounts                      {"accounts": [...]}
POST /_sandbox/accounts                      create {api_account?, private_key?, customer_code?, password?,
                                              countries, business_auth?, country_iso3?, currency?, service_type?,
                                              express_type?, pay_type?, bill_prefix?, webhook_url?,
                                              label_allowed?, tracking_allowed?}
GET/POST /_sandbox/accounts/{api_account}    read / update (same fields except api_account)
POST /_sandbox/webhook-config                {url, account?} (all accounts when account is omitted)
GET  /_sandbox/ledger[?account=..&include=call_log]   shipments, labels, cancellations, purchases, webhooks, calls
GET  /_sandbox/webhooks                      every callback scan (with its detail) and every push (with its body)
GET  /_sandbox/parcels[/{billCode}]          parcels with their planned and past scans
POST /_sandbox/scenario                      {tracking_number | reference, scenario, account?}
GET/POST /_sandbox/config                    timings, scenario_mix, code_type ... (config.SandboxConfig)
GET/POST/DELETE /_sandbox/faults             fault switches (faults.Faults); DELETE or {"reset": true} clears
POST /_sandbox/tick                          run the due clock steps now
POST /_sandbox/reset                         {seed?: demo|none} a fresh world (config and faults too)
"""

from __future__ import annotations

import secrets
from typing import Any

from ..kit.persist import to_jsonable, update_from
from . import lifecycle, webhooks
from .config import CODE_TYPES, COUNTRIES, LABEL_MODES, PASSWORD_FORMS, SCENARIOS, TIMING_FIELDS, TRACE_NOT_FOUND
from .events import detail_view, local_time
from .model import Account, Parcel
from .state import SandboxState

READY_KEYS = (
    "api_account",
    "private_key",
    "customer_code",
    "password",
    "countries",
    "webhook_url",
    "business_auth",
    "country_iso3",
    "currency",
    "service_type",
    "express_type",
    "pay_type",
)
UPDATABLE = {
    "private_key",
    "customer_code",
    "password",
    "countries",
    "business_auth",
    "country_iso3",
    "currency",
    "service_type",
    "express_type",
    "pay_type",
    "bill_prefix",
    "webhook_url",
    "label_allowed",
    "tracking_allowed",
}


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def account_view(account: Account) -> dict[str, Any]:
    return dict(to_jsonable(account))


def ready_line(account: Account) -> dict[str, Any]:
    """What a client needs: the four credentials, the settings, ``countries`` and ``webhook_url``."""
    view = account_view(account)
    return {k: view[k] for k in READY_KEYS}


def shipment_view(parcel: Parcel) -> dict[str, Any]:
    return {
        "tracking_number": parcel.tracking_number,
        "reference": parcel.reference,
        "account": parcel.account,
        "customer_code": parcel.customer_code,
        "country": parcel.country,
        "remark": parcel.remark,
        "package": dict(parcel.package) if parcel.package else None,
        "service_type": parcel.service_type,
        "express_type": parcel.express_type,
        "pay_type": parcel.pay_type,
        "cod": parcel.cod,
        "weight": parcel.weight,
        "chargeable_weight": parcel.chargeable_weight,
        "sub_bill_codes": list(parcel.sub_bill_codes),
        "status": parcel.status,
        "scenario": parcel.scenario,
        "created_at": parcel.created_at,
        "cancelled_at": parcel.cancelled_at,
        "cancel_reason": parcel.cancel_reason,
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
            "scanTime": local_time(e.at, parcel.country),
            "scanTypeCode": e.code,
            "status": e.status,
            "done": e.done,
            "detail": detail_view(parcel, e),
        }
        for e in parcel.events
    ]
    return view


def package_key(package: dict[str, str]) -> str:
    return "|".join(package[k] for k in ("shop_id", "order_sn", "package_number", "leg"))


def ledger(state: SandboxState, query: dict[str, str]) -> dict[str, Any]:
    w = state.world
    account = query.get("account") or query.get("api_account") or None
    parcels = [p for p in w.parcels.values() if account is None or p.account == account]
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

    def mine(owner: str | None) -> bool:
        return account is None or owner == account

    out: dict[str, Any] = {
        "shipments": [shipment_view(p) for p in parcels],
        "labels": [to_jsonable(r) for r in w.labels if mine(r.account)],
        "cancellations": [to_jsonable(r) for r in w.cancellations if mine(r.account)],
        "duplicate_rejections": [to_jsonable(r) for r in w.duplicates if mine(r.account)],
        "purchases_by_package": purchases,
        "active_purchases_by_package": active,
        "double_purchases": [
            {"key": k, "purchases": n, "active": active[k], "tracking_numbers": numbers[k]}
            for k, n in purchases.items()
            if n > 1
        ],
        "webhooks": [webhooks.ledger_view(m) for m in w.webhooks if mine(m.account)],
        "webhook_deliveries": [
            {k: v for k, v in webhooks.delivery_view(d).items() if k != "biz_content"}
            for d in w.deliveries
            if mine(d.account)
        ],
        "webhook_summary": webhooks.summary(state),
        "calls": dict(sorted(w.call_counts.items())),
    }
    if "call_log" in (query.get("include") or "").split(","):
        out["call_log"] = [to_jsonable(c) for c in w.calls if mine(c.account)]
    return out


# -- accounts ------------------------------------------------------------------------------------------------
def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} should be true or false")
    return value


def _str(body: dict[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"{name} should be a non-empty string")
    return value


def _countries(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ControlError(400, f"countries should be a non-empty list of country codes ({' '.join(COUNTRIES)})")
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


def _check(account: Account) -> None:
    if account.business_auth not in ("password", "digest"):
        raise ControlError(400, "business_auth should be password or digest")
    if account.service_type not in ("1", "6"):
        raise ControlError(400, "service_type should be 1 (pickup) or 6 (drop-off)")
    if not account.bill_prefix.isalnum():
        raise ControlError(400, "bill_prefix should be letters and digits")


def create_account(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    w = state.world
    unknown = set(body) - UPDATABLE - {"api_account"}
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    api_account = _str(body, "api_account", f"64{secrets.randbelow(10**16):016d}")
    if api_account in w.accounts:
        raise ControlError(409, f"account {api_account} already exists")
    countries = _countries(body.get("countries"))
    country = COUNTRIES[countries[0]]
    account = Account(
        api_account=api_account,
        private_key=_str(body, "private_key", secrets.token_hex(16)),
        customer_code=_str(body, "customer_code", f"KRM{secrets.token_hex(4).upper()}"),
        password=_str(body, "password", secrets.token_urlsafe(9)),
        countries=countries,
        business_auth=_str(body, "business_auth", "password"),
        country_iso3=_str(body, "country_iso3", country.iso3).upper(),
        currency=_str(body, "currency", country.currency).upper(),
        service_type=_str(body, "service_type", "1"),
        express_type=_str(body, "express_type", "EZ"),
        pay_type=_str(body, "pay_type", "PP_PM"),
        bill_prefix=_str(body, "bill_prefix", "63"),
        webhook_url=_url(body.get("webhook_url")),
        label_allowed=_bool(body, "label_allowed", True),
        tracking_allowed=_bool(body, "tracking_allowed", True),
    )
    _check(account)
    w.accounts[api_account] = account
    state.changed()
    return account_view(account)


def update_account(state: SandboxState, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - UPDATABLE
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name in body:
        if name == "countries":
            changes[name] = _countries(body[name])
        elif name == "webhook_url":
            changes[name] = _url(body[name])
        elif name in ("label_allowed", "tracking_allowed"):
            changes[name] = _bool(body, name, True)
        else:
            changes[name] = _str(body, name, "")
    trial = Account(**{**to_jsonable(account), **changes})
    _check(trial)
    for name, value in changes.items():
        setattr(account, name, value)
    state.changed()
    return account_view(account)


def _account_of(body: dict[str, Any]) -> str | None:
    value = body.get("account", body.get("api_account"))
    return None if value is None else str(value)


# -- scenario, config, faults ----------------------------------------------------------------------------------
def set_scenario(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    scenario = body.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(400, f"scenario should be one of: {', '.join(SCENARIOS)}")
    w = state.world
    account = _account_of(body)
    tn = body.get("tracking_number", body.get("billCode"))
    ref = body.get("reference", body.get("txlogisticId"))
    if isinstance(tn, str) and tn:
        found = [w.parcels[tn]] if tn in w.parcels else []
        pending_key = f"tn:{tn}"
    elif isinstance(ref, str) and ref:
        found = [
            p
            for p in w.parcels.values()
            if p.reference.upper() == ref.upper() and (account is None or p.account == account)
        ]
        pending_key = f"ref:{ref}"
    else:
        raise ControlError(400, "tracking_number or reference is required")
    if not found:
        w.pending_scenarios[pending_key] = str(scenario)  # applied when the order is created
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
    choices = {
        "default_scenario": SCENARIOS,
        "code_type": CODE_TYPES,
        "label_mode": LABEL_MODES,
        "trace_not_found": TRACE_NOT_FOUND,
    }
    for name, allowed in choices.items():
        if name in body and body[name] not in allowed:
            raise ControlError(400, f"{name} should be one of: {', '.join(allowed)}")
    forms = body.get("password_forms")
    if forms is not None and (not isinstance(forms, list) or set(map(str, forms)) - set(PASSWORD_FORMS)):
        raise ControlError(400, f"password_forms should be a list among: {', '.join(PASSWORD_FORMS)}")
    try:
        update_from(state.config, body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    state.changed()


def faults_view(state: SandboxState) -> dict[str, Any]:
    view: dict[str, Any] = dict(to_jsonable(state.faults.faults))
    view["throttle"] = {"count": view["throttle_count"], "retry_after_s": view["throttle_retry_after_s"]}
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
        account_id = _account_of(body)
        targets = list(w.accounts.values()) if account_id is None else [w.accounts.get(account_id)]
        if any(a is None for a in targets):
            raise ControlError(404, f"unknown account {account_id}")
        for account in targets:
            if account is not None:
                account.webhook_url = url
        state.changed()
        return 200, {
            "accounts": [{"api_account": a.api_account, "webhook_url": a.webhook_url} for a in w.accounts.values()]
        }
    if route == "ledger" and method == "GET":
        return 200, ledger(state, query)
    if route == "webhooks" and method == "GET":
        return 200, {
            "summary": webhooks.summary(state),
            "messages": [webhooks.full_view(m) for m in w.webhooks],
            "deliveries": [webhooks.delivery_view(d) for d in w.deliveries],
        }
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
