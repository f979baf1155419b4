"""The control API under ``/_sandbox/`` (JSON, no auth): drive the sandbox from tests and the local stack.

GET  /_sandbox/health                        liveness, clock, counts
GET  /_sandbox/accounts                      {"accounts": [...]}
POST /_sandbox/accounts                      create {app_key?, app_secret?, countries, products?, webhook_url?,
                                              label_allowed?, tracking_allowed?, quote_allowed?}
GET/POST /_sandbox/accounts/{app_key}        read / update (same fields except app_key)
POST /_sandbox/webhook-config                {url, account?} (all accounts when account is omitted); stored only:
                                              4PX pushes nothing
GET  /_sandbox/ledger[?account=&reference=]   shipments, labels, cancellations, purchases, webhooks ([]), calls
GET  /_sandbox/webhooks                      {"summary", "messages": []} (no webhooks at 4PX)
GET  /_sandbox/parcels[/{4px number}]        orders with their planned and past milestones
POST /_sandbox/scenario                      {tracking_number | reference, scenario, account?}
GET/POST /_sandbox/config                    timings, scenario_mix ... (config.SandboxConfig)
GET/POST/DELETE /_sandbox/faults             fault switches (faults.Faults); DELETE or {"reset": true} clears
POST /_sandbox/tick                          run the due clock steps now
POST /_sandbox/reset                         {seed?: demo|none} a fresh world (config and faults too)
"""

from __future__ import annotations

import secrets
from typing import Any

from ..kit.persist import to_jsonable, update_from
from . import lifecycle
from .config import DESTINATIONS, PRODUCTS, SCENARIOS, TIMING_FIELDS
from .events import occur
from .model import Account, Order
from .state import SandboxState

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ACCOUNT_FIELDS = (
    "app_secret",
    "countries",
    "products",
    "webhook_url",
    "label_allowed",
    "tracking_allowed",
    "quote_allowed",
)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def account_view(account: Account) -> dict[str, Any]:
    return dict(to_jsonable(account))


def ready_line(account: Account) -> dict[str, Any]:
    return {
        "app_key": account.app_key,
        "app_secret": account.app_secret,
        "countries": list(account.countries),
        "products": list(account.products),
        "webhook_url": account.webhook_url,
    }


def package_key(package: dict[str, str]) -> str:
    return "|".join(package[k] for k in ("shop_id", "order_sn", "package_number", "leg"))


def shipment_view(order: Order) -> dict[str, Any]:
    return {
        "tracking_number": order.tracking_number,
        "4px_tracking_no": order.tracking_number,
        "reference": order.ref_no,
        "ref_no": order.ref_no,
        "account": order.app_key,
        "app_key": order.app_key,
        "ds_consignment_no": order.ds_consignment_no,
        "remark": order.remark,
        "package": dict(order.package) if order.package else None,
        "logistics_product_code": order.product_code,
        "destination": order.destination,
        "logistics_channel_no": order.channel_no,
        "logistics_channel_name": order.channel_name,
        "status": order.status,
        "consignment_status": order.consignment_status,
        "last_code": order.last_code,
        "scenario": order.scenario,
        "weight_g": order.weight_g,
        "created_at": order.created_at,
        "cancelled_at": order.cancelled_at,
        "charge": dict(order.charge),
        "measured": order.measured,
        "adjusted_charge": order.adjusted_charge,
    }


def parcel_view(order: Order) -> dict[str, Any]:
    view = shipment_view(order)
    view["request"] = order.request
    view["events"] = [
        {
            "key": e.key,
            "at": e.at,
            "occurDatetime": occur(e.at),
            "businessLinkCode": e.code,
            "trackingContent": e.en,
            "occurLocation": e.location,
            "done": e.done,
            "seq": e.seq,
        }
        for e in order.events
    ]
    return view


def webhook_summary() -> dict[str, int]:
    keys = ("messages", "attempts", "acknowledged", "pending", "gave_up", "dropped", "no_url", "duplicates")
    return dict.fromkeys(keys, 0)


def ledger(state: SandboxState, query: dict[str, str]) -> dict[str, Any]:
    w = state.world
    account = query.get("account") or query.get("app_key") or None
    reference = query.get("reference") or None
    orders = [
        o
        for o in w.orders.values()
        if (account is None or o.app_key == account) and (reference is None or o.ref_no == reference)
    ]
    purchases: dict[str, int] = {}
    active: dict[str, int] = {}
    numbers: dict[str, list[str]] = {}
    for o in orders:
        if o.package is None:
            continue
        key = package_key(o.package)
        purchases[key] = purchases.get(key, 0) + 1
        active[key] = active.get(key, 0) + (0 if o.cancelled_at is not None else 1)
        numbers.setdefault(key, []).append(o.tracking_number)

    def mine(app_key: str | None) -> bool:
        return account is None or app_key == account

    out: dict[str, Any] = {
        "shipments": [shipment_view(o) for o in orders],
        "labels": [to_jsonable(r) for r in w.labels if mine(r.app_key)],
        "label_files": [to_jsonable(f) for f in w.label_files.values() if mine(f.app_key)],
        "cancellations": [to_jsonable(r) for r in w.cancellations if mine(r.app_key)],
        "duplicate_rejections": [to_jsonable(r) for r in w.duplicates if mine(r.app_key)],
        "purchases_by_package": purchases,
        "active_purchases_by_package": active,
        "double_purchases": [
            {"key": k, "purchases": n, "active": active[k], "tracking_numbers": numbers[k]}
            for k, n in purchases.items()
            if n > 1
        ],
        "webhooks": [],  # 4PX has no documented push: nothing is ever sent
        "webhook_summary": webhook_summary(),
        "calls": dict(sorted(w.call_counts.items())),
    }
    if "call_log" in (query.get("include") or "").split(","):
        out["call_log"] = [to_jsonable(c) for c in w.calls if mine(c.app_key)]
    return out


# -- accounts ------------------------------------------------------------------------------------------------------
def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} should be true or false")
    return value


def _countries(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ControlError(400, "countries should be a non-empty list of destination codes (sg my th id vn ph)")
    out = [c.lower() for c in value]
    unknown = [c for c in out if c not in DESTINATIONS]
    if unknown:
        raise ControlError(400, f"unknown destination(s): {', '.join(unknown)}")
    return sorted(set(out), key=out.index)


def _products(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ControlError(400, f"products should be a non-empty list of: {', '.join(PRODUCTS)}")
    unknown = [c for c in value if c not in PRODUCTS]
    if unknown:
        raise ControlError(400, f"unknown product(s): {', '.join(unknown)}")
    return sorted(set(value), key=value.index)


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ControlError(400, "webhook_url should be an http(s) URL or null")
    return value


def create_account(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    w = state.world
    app_key = body.get("app_key") or f"fpx-sandbox-{len(w.accounts) + 1}-{secrets.token_hex(3)}"
    if not isinstance(app_key, str):
        raise ControlError(400, "app_key should be a string")
    if app_key in w.accounts:
        raise ControlError(409, f"account {app_key} already exists")
    secret = body.get("app_secret") or secrets.token_hex(16)
    if not isinstance(secret, str):
        raise ControlError(400, "app_secret should be a string")
    account = Account(
        app_key=app_key,
        app_secret=secret,
        countries=_countries(body.get("countries", list(DESTINATIONS))),
        webhook_url=_url(body.get("webhook_url")),
        products=_products(body.get("products", list(PRODUCTS))),
        label_allowed=_bool(body, "label_allowed", True),
        tracking_allowed=_bool(body, "tracking_allowed", True),
        quote_allowed=_bool(body, "quote_allowed", True),
    )
    w.accounts[app_key] = account
    state.changed()
    return account_view(account)


def update_account(state: SandboxState, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "app_secret" in body:
        if not isinstance(body["app_secret"], str) or not body["app_secret"]:
            raise ControlError(400, "app_secret should be a non-empty string")
        account.app_secret = body["app_secret"]
    if "countries" in body:
        account.countries = _countries(body["countries"])
    if "products" in body:
        account.products = _products(body["products"])
    if "webhook_url" in body:
        account.webhook_url = _url(body["webhook_url"])
    for flag in ("label_allowed", "tracking_allowed", "quote_allowed"):
        if flag in body:
            setattr(account, flag, _bool(body, flag, True))
    state.changed()
    return account_view(account)


# -- scenario, config, faults ----------------------------------------------------------------------------------------
def set_scenario(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    scenario = body.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(400, f"scenario should be one of: {', '.join(SCENARIOS)}")
    w = state.world
    account = body.get("account") or body.get("app_key")
    tn = body.get("tracking_number") or body.get("4px_tracking_no")
    ref = body.get("reference") or body.get("ref_no")
    if isinstance(tn, str) and tn:
        found = [w.orders[tn]] if tn in w.orders else []
        pending_key = f"tn:{tn}"
    elif isinstance(ref, str) and ref:
        found = [
            o
            for o in w.orders.values()
            if o.ref_no == ref and o.cancelled_at is None and (account is None or o.app_key == account)
        ]
        pending_key = f"ref:{ref}"
    else:
        raise ControlError(400, "tracking_number or reference is required")
    if not found:
        # Not created yet: applied when the order is created.
        w.pending_scenarios[pending_key] = str(scenario)
        state.changed()
        return {"pending": True, "key": pending_key, "scenario": scenario}
    for order in found:
        if not lifecycle.has_future(order):
            raise ControlError(409, f"{order.tracking_number} has reached its final state ({order.status})")
    for order in found:
        lifecycle.replan(state, order, str(scenario))
    return {"pending": False, "parcels": [parcel_view(o) for o in found]}


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
    if "default_language" in body and body["default_language"] not in ("cn", "en"):
        raise ControlError(400, "default_language should be cn or en")
    try:
        update_from(state.config, body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    state.changed()


def faults_view(state: SandboxState) -> dict[str, Any]:
    view: dict[str, Any] = dict(to_jsonable(state.faults.faults))
    view["throttle"] = {"count": view["throttle_count"], "retry_after_s": view["throttle_retry_after_s"]}
    return view


def _next_errors(value: Any) -> list[dict[str, Any]]:
    """Accepts ``match`` (substring of the path or FOP method name), ``path_contains`` (same), ``http_method``,
    and ``method`` (an HTTP verb, or else a FOP method name to match)."""
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise ControlError(400, 'next_errors should be a list of {"match", "status", "count"}')
    out = []
    for entry in value:
        e = dict(entry)
        if "path_contains" in e:
            e.setdefault("match", e.pop("path_contains"))
        method = e.pop("method", None)
        if isinstance(method, str) and method:
            if method.upper() in HTTP_METHODS:
                e["http_method"] = method.upper()
            else:
                e.setdefault("match", method)
        if e.get("status", 503) not in (429, 500, 502, 503, 504):
            raise ControlError(400, "next_errors status should be 429, 500, 502, 503 or 504")
        out.append(e)
    return out


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
    if "next_errors" in body:
        body["next_errors"] = _next_errors(body["next_errors"])
    if body.get("timeout_mode", "504") not in ("504", "close"):
        raise ControlError(400, "timeout_mode should be 504 or close")
    if body.get("create_then_fail_mode", "502") not in ("502", "close"):
        raise ControlError(400, "create_then_fail_mode should be 502 or close")
    if body.get("error_status", 500) not in (500, 502, 503, 504):
        raise ControlError(400, "error_status should be 500, 502, 503 or 504")
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


# -- routing ---------------------------------------------------------------------------------------------------------
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
            "carrier": "fourpx",
            "now": now,
            "clock_offset": state.clock.offset(),
            "seed": state.seed_name,
            "accounts": len(w.accounts),
            "parcels": len(w.orders),
            "webhooks": webhook_summary(),
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
        name = body.get("account") or body.get("app_key")
        targets = list(w.accounts.values()) if name is None else [w.accounts.get(str(name))]
        if any(a is None for a in targets):
            raise ControlError(404, f"unknown account {name}")
        for target in targets:
            if target is not None:
                target.webhook_url = url
        state.changed()
        return 200, {
            "accounts": [{"app_key": a.app_key, "webhook_url": a.webhook_url} for a in w.accounts.values()],
            "note": "4PX has no documented push: the URL is stored, nothing is ever sent to it",
        }
    if route == "ledger" and method == "GET":
        return 200, ledger(state, query)
    if route == "webhooks" and method == "GET":
        return 200, {"summary": webhook_summary(), "messages": []}
    if route == "parcels" and method == "GET":
        return 200, {"parcels": [parcel_view(o) for o in w.orders.values()]}
    if len(parts) == 2 and parts[0] == "parcels" and method == "GET":
        order = w.orders.get(parts[1])
        if order is None:
            raise ControlError(404, f"unknown parcel {parts[1]}")
        return 200, parcel_view(order)
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
