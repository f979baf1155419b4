"""The control API under ``/_sandbox/`` (JSON, no auth): drive the sandbox from tests and the local stack.

GET  /_sandbox/health                        liveness, clock, counts
GET  /_sandbox/accounts                      {"accounts": [...]}
POST /_sandbox/accounts                      create {mch_id?, key?, countries?, webhook_url?, name?, warehouses?,
                                              label_allowed?, tracking_allowed?, cod_enabled?, express_category?,
                                              article_category?, label_size?}
GET/POST /_sandbox/accounts/{mch_id}         read / update (same fields except mch_id)
POST /_sandbox/webhook-config                {url, account?} (all accounts when account is omitted)
GET  /_sandbox/ledger                        shipments, labels, cancellations, purchases, webhooks, calls
GET  /_sandbox/webhooks[?pno=..]             every webhook message (of one parcel) with its body and attempts
GET  /_sandbox/parcels[/{pno}]               parcels with their planned and past routes
GET  /_sandbox/pickups                       pickup requests (/open/v1/notify)
POST /_sandbox/scenario                      {tracking_number | reference, scenario, account?}
GET/POST /_sandbox/config                    timings, scenario_mix, webhook policy ... (config.SandboxConfig)
GET/POST/DELETE /_sandbox/faults             fault switches (faults.Faults); DELETE or {"reset": true} clears
POST /_sandbox/tick                          run the due clock steps now
POST /_sandbox/reset                         {seed?: demo|none} a fresh world (config and faults too)
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from ..kit.persist import from_jsonable, to_jsonable, update_from
from . import lifecycle, webhooks
from .api import ticket_state
from .config import SCENARIOS, SIGN_MODES, STATE_TEXT, TIMING_FIELDS, WEBHOOK_TYPES, SandboxConfig
from .model import Account, Parcel, PickupTicket, Warehouse
from .state import SandboxState

MCH_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
LABEL_SIZES = ("large", "small")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def settings(account: Account) -> dict[str, str]:
    """The per-account settings the project's client reads (``AccountConfig.setting``)."""
    return {
        "warehouse_no": account.warehouses[0].warehouse_no if account.warehouses else "",
        "express_category": account.express_category,
        "article_category": account.article_category,
        "label_size": account.label_size,
    }


def account_view(account: Account, cfg: SandboxConfig) -> dict[str, Any]:
    view: dict[str, Any] = dict(to_jsonable(account))
    view["settings"] = settings(account)
    # where each webhook type goes right now (per-type settings, else webhook_url for the default types)
    view["webhook_types"] = {WEBHOOK_TYPES[c]: webhooks.effective_url(account, c, cfg) for c in WEBHOOK_TYPES}
    return view


def ready_line(account: Account) -> dict[str, Any]:
    return {
        "mch_id": account.mch_id,
        "key": account.key,
        "countries": list(account.countries),
        "webhook_url": account.webhook_url,
        "warehouse_no": settings(account)["warehouse_no"],
        "settings": settings(account),
    }


def shipment_view(parcel: Parcel) -> dict[str, Any]:
    done = [e for e in parcel.routes if e.done]
    return {
        "tracking_number": parcel.pno,
        "pno": parcel.pno,
        "client_reference": parcel.out_trade_no,
        "out_trade_no": parcel.out_trade_no,
        "account": parcel.mch_id,
        "mch_id": parcel.mch_id,
        "order_id": parcel.order_id,
        "remark": parcel.remark,
        "package": dict(parcel.package) if parcel.package else None,
        "status": STATE_TEXT.get(parcel.state, str(parcel.state)),
        "state": parcel.state,
        "last_route_action": done[-1].action if done else None,
        "scenario": parcel.scenario,
        "created_at": parcel.created_at,
        "cancelled_at": parcel.cancelled_at,
        "weight_g": parcel.weight_g,
        "cod_amount": parcel.cod_amount,
        "express_category": parcel.express_category,
        "charge": dict(parcel.charge),
        "measured": parcel.measured,
        "adjusted_charge": parcel.adjusted_charge,
        "returned_pno": parcel.returned_pno,
    }


def parcel_view(parcel: Parcel) -> dict[str, Any]:
    view = shipment_view(parcel)
    view["params"] = dict(parcel.params)
    view["src"] = dict(parcel.src)
    view["dst"] = dict(parcel.dst)
    view["routes"] = [
        {
            "key": e.key,
            "at": e.at,
            "routeAction": e.action,
            "state": e.state,
            "message": e.message,
            "returned": e.returned,
            "done": e.done,
        }
        for e in parcel.routes
    ]
    return view


def package_key(package: dict[str, str]) -> str:
    return "|".join(package[k] for k in ("shop_id", "order_sn", "package_number", "leg"))


def ledger(state: SandboxState, query: dict[str, str]) -> dict[str, Any]:
    w = state.world
    account = query.get("account") or query.get("mch_id") or None
    parcels = [p for p in w.parcels.values() if account is None or p.mch_id == account]
    purchases: dict[str, int] = {}
    active: dict[str, int] = {}
    numbers: dict[str, list[str]] = {}
    for p in parcels:
        if p.package is None:
            continue
        key = package_key(p.package)
        purchases[key] = purchases.get(key, 0) + 1
        active[key] = active.get(key, 0) + (0 if p.cancelled_at is not None else 1)
        numbers.setdefault(key, []).append(p.pno)

    def mine(mch: str | None) -> bool:
        return account is None or mch == account

    out: dict[str, Any] = {
        "shipments": [shipment_view(p) for p in parcels],
        "labels": [
            {"tracking_number": r.tracking_number, "account": r.mch_id, "mch_id": r.mch_id, "size": r.size, "at": r.at}
            for r in w.labels
            if mine(r.mch_id)
        ],
        "cancellations": [
            {
                "tracking_number": r.tracking_number,
                "account": r.mch_id,
                "mch_id": r.mch_id,
                "at": r.at,
                "ok": r.ok,
                "code": r.code,
                "reason": r.reason,
            }
            for r in w.cancellations
            if mine(r.mch_id)
        ],
        "duplicate_rejections": [
            {
                "client_reference": r.out_trade_no,
                "out_trade_no": r.out_trade_no,
                "account": r.mch_id,
                "at": r.at,
                "remark": r.remark,
            }
            for r in w.duplicates
            if mine(r.mch_id)
        ],
        "purchases_by_package": purchases,
        "active_purchases_by_package": active,
        "double_purchases": [
            {"key": k, "purchases": n, "active": active[k], "tracking_numbers": numbers[k]}
            for k, n in purchases.items()
            if n > 1
        ],
        "pickups": [pickup_view(t, state.clock.now()) for t in w.pickups if mine(t.mch_id)],
        "webhooks": [webhooks.ledger_view(m) for m in w.webhooks if mine(m.mch_id)],
        "webhook_summary": webhooks.summary(state),
        "calls": dict(sorted(w.call_counts.items())),
    }
    if "call_log" in (query.get("include") or "").split(","):
        out["call_log"] = [to_jsonable(c) for c in w.calls if mine(c.mch_id)]
    return out


def pickup_view(ticket: PickupTicket, now: float) -> dict[str, Any]:
    view: dict[str, Any] = dict(to_jsonable(ticket))
    view["state"] = ticket_state(ticket, now)
    return view


# -- accounts ------------------------------------------------------------------------------------------------
def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} should be true or false")
    return value


def _countries(value: Any) -> list[str]:
    if value is None:
        return ["th"]
    if not isinstance(value, list) or [str(c).lower() for c in value] != ["th"]:
        raise ControlError(400, 'countries should be ["th"] (Flash Express Thailand)')
    return ["th"]


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ControlError(400, "webhook_url should be an http(s) URL or null")
    return value


def _warehouses(value: Any, mch_id: str) -> list[Warehouse]:
    if value is None:
        return [
            Warehouse(
                warehouse_no=f"{mch_id}_001",
                name=f"{mch_id}_001",
                province="กรุงเทพมหานคร",
                city="บางรัก",
                district="สีลม",
                postal_code="10500",
                detail_address="1 ถนนสีลม",
                phone="0812345600",
                src_name=f"{mch_id} warehouse",
            )
        ]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ControlError(400, "warehouses should be a list of objects")
    try:
        return [from_jsonable(Warehouse, v) for v in value]
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f"bad warehouse: {exc}") from None


def _text_setting(body: dict[str, Any], name: str, default: str, allowed: tuple[str, ...] | None = None) -> str:
    value = body.get(name, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        raise ControlError(400, f"{name} should be " + (" or ".join(allowed) if allowed else "a string"))
    return value


def create_account(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    w = state.world
    mch_id = body.get("mch_id") or f"FLSB{len(w.accounts) + 1:02d}{secrets.token_hex(2).upper()}"
    if not isinstance(mch_id, str) or not MCH_PATTERN.match(mch_id):
        raise ControlError(400, "mch_id should be 1-32 letters, digits, _ or -")
    if mch_id in w.accounts:
        raise ControlError(409, f"account {mch_id} already exists")
    key = body.get("key") or secrets.token_hex(32)
    if not isinstance(key, str):
        raise ControlError(400, "key should be a string")
    account = Account(
        mch_id=mch_id,
        key=key,
        countries=_countries(body.get("countries")),
        webhook_url=_url(body.get("webhook_url")),
        warehouses=_warehouses(body.get("warehouses"), mch_id),
        name=str(body.get("name") or mch_id),
        label_allowed=_bool(body, "label_allowed", True),
        tracking_allowed=_bool(body, "tracking_allowed", True),
        cod_enabled=_bool(body, "cod_enabled", True),
        express_category=_text_setting(body, "express_category", "1"),
        article_category=_text_setting(body, "article_category", "2"),
        label_size=_text_setting(body, "label_size", "large", LABEL_SIZES),
    )
    w.accounts[mch_id] = account
    state.changed()
    return account_view(account, state.config)


UPDATABLE = {
    "key",
    "countries",
    "webhook_url",
    "warehouses",
    "name",
    "label_allowed",
    "tracking_allowed",
    "cod_enabled",
    "express_category",
    "article_category",
    "label_size",
}


def update_account(state: SandboxState, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - UPDATABLE
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "key" in body:
        if not isinstance(body["key"], str) or not body["key"]:
            raise ControlError(400, "key should be a non-empty string")
        account.key = body["key"]
    if "countries" in body:
        account.countries = _countries(body["countries"])
    if "webhook_url" in body:
        account.webhook_url = _url(body["webhook_url"])
    if "warehouses" in body:
        account.warehouses = _warehouses(body["warehouses"], account.mch_id)
    if "name" in body:
        account.name = str(body["name"])
    for flag in ("label_allowed", "tracking_allowed", "cod_enabled"):
        if flag in body:
            setattr(account, flag, _bool(body, flag, True))
    for name, allowed in (("express_category", None), ("article_category", None), ("label_size", LABEL_SIZES)):
        if name in body:
            setattr(account, name, _text_setting(body, name, "", allowed))
    state.changed()
    return account_view(account, state.config)


# -- scenario, config, faults ----------------------------------------------------------------------------------
def set_scenario(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    scenario = body.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(400, f"scenario should be one of: {', '.join(SCENARIOS)}")
    w = state.world
    account = body.get("account") or body.get("mch_id")
    tn = body.get("tracking_number") or body.get("pno")
    ref = body.get("reference") or body.get("out_trade_no")
    if isinstance(tn, str) and tn:
        key = w.aliases.get(tn, tn)
        found = [w.parcels[key]] if key in w.parcels else []
        pending_key = f"tn:{tn}"
    elif isinstance(ref, str) and ref:
        found = [p for p in w.parcels.values() if p.out_trade_no == ref and (account is None or p.mch_id == account)]
        pending_key = f"ref:{ref}"
    else:
        raise ControlError(400, "tracking_number or reference is required")
    if not found:
        # Not created yet: applied when the order is created.
        w.pending_scenarios[pending_key] = str(scenario)
        state.changed()
        return {"pending": True, "key": pending_key, "scenario": scenario}
    for parcel in found:
        if parcel.cancelled_at is not None or not lifecycle.has_future(parcel):
            raise ControlError(409, f"{parcel.pno} has reached its final state ({STATE_TEXT[parcel.state]})")
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
    if "webhook_sign_mode" in body and body["webhook_sign_mode"] not in SIGN_MODES:
        raise ControlError(400, f"webhook_sign_mode should be one of: {', '.join(SIGN_MODES)}")
    types = body.get("webhook_default_types")
    if types is not None and (not isinstance(types, list) or any(t not in WEBHOOK_TYPES for t in types)):
        raise ControlError(400, "webhook_default_types should be a list of webhookApiCode values (0-4)")
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


def _webhook_config(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """Set one URL for every webhook type of one account (or all); per-type settings made through the API
    are cleared so this URL applies."""
    w = state.world
    url = _url(body.get("url"))
    target = body.get("account") or body.get("mch_id")
    targets = list(w.accounts.values()) if target is None else [w.accounts.get(str(target))]
    if any(a is None for a in targets):
        raise ControlError(404, f"unknown account {target}")
    for account in targets:
        if account is not None:
            account.webhook_url = url
            account.webhook_settings.clear()
            account.webhook_settings_at.clear()
    state.changed()
    return {"accounts": [{"mch_id": a.mch_id, "webhook_url": a.webhook_url} for a in w.accounts.values()]}


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
            return 200, {"accounts": [account_view(a, state.config) for a in w.accounts.values()]}
        if method == "POST":
            return 200, create_account(state, body)
    if len(parts) == 2 and parts[0] == "accounts":
        account = w.accounts.get(parts[1])
        if account is None:
            raise ControlError(404, f"unknown account {parts[1]}")
        if method == "GET":
            return 200, account_view(account, state.config)
        if method == "POST":
            return 200, update_account(state, account, body)
    if route == "webhook-config" and method == "POST":
        return 200, _webhook_config(state, body)
    if route == "ledger" and method == "GET":
        return 200, ledger(state, query)
    if route == "webhooks" and method == "GET":
        pno = query.get("pno") or query.get("tracking_number")
        messages = [webhooks.full_view(m) for m in w.webhooks if pno is None or m.pno == pno]
        return 200, {"summary": webhooks.summary(state), "messages": messages}
    if route == "parcels" and method == "GET":
        return 200, {"parcels": [parcel_view(p) for p in w.parcels.values()]}
    if len(parts) == 2 and parts[0] == "parcels" and method == "GET":
        parcel = w.parcels.get(w.aliases.get(parts[1], parts[1]))
        if parcel is None:
            raise ControlError(404, f"unknown parcel {parts[1]}")
        return 200, parcel_view(parcel)
    if route == "pickups" and method == "GET":
        return 200, {"pickups": [pickup_view(t, now) for t in w.pickups]}
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
