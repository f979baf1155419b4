"""The Ninja Van API routes served under ``/{cc}/`` (cc: sg my th id vn ph, either case).

=======  ==============================================  ==============================================
POST     /{cc}/2.0/oauth/access_token                    OAuth2 client credentials -> bearer token
POST     /{cc}/4.2/orders  (and /{cc}/4.1/orders)        create order
GET      /{cc}/2.0/reports/waybill?tid=..                waybill PDF (A6, one page per tid)
DELETE   /{cc}/2.2/orders/{tracking_number}              cancel (only before pickup)
GET      /{cc}/1.0/orders/tracking-events/{tn}           tracking events of one parcel
GET      /{cc}/1.0/orders/tracking-events?tracking_number=A&tracking_number=B   bulk (UNCONFIRMED shape)
POST     /{cc}/1.0/public/price                          tariff estimate (UNCONFIRMED shape)
=======  ==============================================  ==============================================

Handlers run under the state lock and either return a :class:`Reply` or raise :class:`~.errors.ApiError`.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from . import lifecycle, pricing, waybill
from .config import COUNTRIES, SERVICE_LEVEL_FACTOR
from .errors import ApiError, detail, validation_error
from .events import event_view, iso
from .model import CANCELLABLE, PENDING_PICKUP, Account, CancelRecord, DuplicateRecord, LabelRecord, Parcel, Token
from .state import SandboxState
from .validation import validate_order

# Our package-identity convention in reference.merchant_order_number (README): KRM1|shop_id|order_sn|package|leg
IDENTITY = re.compile(r"^KRM1\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)$")
MAX_BULK = 100
TOKEN_PRUNE_AFTER_S = 86400.0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    fault: str = ""


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers))


@dataclass
class Ctx:
    state: SandboxState
    now: float
    method: str
    path: str
    cc: str
    params: dict[str, str]
    query: dict[str, list[str]]
    raw: bytes
    headers: dict[str, str]  # lower-case names
    request_id: str
    account: Account | None = None

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.raw) if self.raw.strip() else None
        except ValueError:
            raise validation_error([detail("body", "INVALID_FORMAT", "the request body is not valid JSON")]) from None
        if not isinstance(body, dict):
            raise validation_error([detail("body", "INVALID_TYPE", "the request body must be a JSON object")])
        return body

    def need_account(self) -> Account:
        assert self.account is not None, "authenticate first"
        return self.account


# -- auth -----------------------------------------------------------------------------------------------------
def authenticate(ctx: Ctx) -> Account:
    header = ctx.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(1002, "Missing or malformed Authorization header: expected 'Bearer <access_token>'")
    found = ctx.state.world.tokens.get(token.strip())
    if found is None:
        raise ApiError(1002, "Invalid access token")
    if ctx.now >= found.expires_at:
        raise ApiError(1003, "The access token has expired; request a new one")
    if found.country != ctx.cc:
        # Tokens are issued per country endpoint (clients cache them per (client_id, country)).
        raise ApiError(1002, f"The access token was not issued for country {ctx.cc.upper()}")
    account = ctx.state.world.accounts.get(found.client_id)
    if account is None or ctx.cc not in account.countries:
        raise ApiError(1002, "Invalid access token")
    ctx.account = account
    return account


def oauth_token(ctx: Ctx) -> Reply:
    body = ctx.json_body()
    problems = [
        detail(name, "REQUIRED", f"{name} is required")
        for name in ("client_id", "client_secret", "grant_type")
        if not isinstance(body.get(name), str) or not body.get(name)
    ]
    if not problems and body["grant_type"] != "client_credentials":
        problems.append(detail("grant_type", "INVALID_VALUE", "grant_type must be client_credentials"))
    if problems:
        raise validation_error(problems)
    w = ctx.state.world
    account = w.accounts.get(body["client_id"])
    if (
        account is None
        or not hmac.compare_digest(account.client_secret.encode("utf-8"), str(body["client_secret"]).encode("utf-8"))
        or ctx.cc not in account.countries
    ):
        raise ApiError(1001, "Invalid client_id or client_secret for this country")
    ttl = max(1, int(ctx.state.config.token_ttl_s))
    for stale in [k for k, t in w.tokens.items() if t.expires_at + TOKEN_PRUNE_AFTER_S < ctx.now]:
        del w.tokens[stale]
    token = Token(secrets.token_urlsafe(24), account.client_id, ctx.cc, ctx.now, ctx.now + ttl)
    w.tokens[token.access_token] = token
    ctx.state.changed()
    return json_reply(
        200,
        {
            "access_token": token.access_token,
            "expires": int(token.expires_at),
            "expires_in": ttl,
            "token_type": "bearer",
        },
    )


# -- orders ---------------------------------------------------------------------------------------------------
def parse_identity(merchant_order_number: str | None) -> dict[str, str] | None:
    if not merchant_order_number:
        return None
    m = IDENTITY.match(merchant_order_number)
    if m is None:
        return None
    shop_id, order_sn, package_number, leg = m.groups()
    return {"shop_id": shop_id, "order_sn": order_sn, "package_number": package_number, "leg": leg}


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def create_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    state = ctx.state
    body = ctx.json_body()
    problems = validate_order(body, state.config)
    if problems:
        raise validation_error(problems)
    requested = str(body["requested_tracking_number"])
    reference = body.get("reference") if isinstance(body.get("reference"), dict) else {}
    merchant_order_number = reference.get("merchant_order_number") if reference else None
    tracking_number = account.shipper_prefix + requested
    w = state.world
    # The duplicate guard: a requested_tracking_number already used by this account, whatever became of that order
    # (cancelled included). Compared case-insensitively. The real error body is UNCONFIRMED.
    taken = tracking_number in w.parcels or any(
        p.client_id == account.client_id and p.requested_tracking_number.upper() == requested.upper()
        for p in w.parcels.values()
    )
    if taken:
        w.duplicates.append(
            DuplicateRecord(requested, account.client_id, ctx.now, ctx.request_id, merchant_order_number)
        )
        state.changed()
        raise ApiError(
            2001,
            f"requested_tracking_number {requested} is already in use",
            details=[
                detail(
                    "requested_tracking_number", "DUPLICATE", f"requested_tracking_number {requested} is already in use"
                )
            ],
        )
    job: dict[str, Any] = body["parcel_job"]
    weight = pricing.chargeable_weight(job.get("dimensions"))
    cod = _num(job.get("cash_on_delivery"))
    charge = pricing.quote(ctx.cc, weight, str(body["service_level"]), cod, _num(job.get("insured_value")))
    answer = dict(body)
    answer["tracking_number"] = tracking_number
    # UNCONFIRMED: ``status`` and ``created_at`` in the create response (only tracking_number + the echo are in
    # the published schema). delivery_start_date is echoed unchanged (Ninja Van may move it to the next working
    # day; the sandbox does not).
    answer["status"] = PENDING_PICKUP
    answer["created_at"] = iso(ctx.now, ctx.cc)
    parcel = Parcel(
        tracking_number=tracking_number,
        requested_tracking_number=requested,
        client_id=account.client_id,
        country=ctx.cc,
        order=answer,
        merchant_order_number=merchant_order_number if isinstance(merchant_order_number, str) else None,
        package=parse_identity(merchant_order_number if isinstance(merchant_order_number, str) else None),
        service_type=str(body["service_type"]),
        service_level=str(body["service_level"]),
        cod=cod,
        weight=weight,
        created_at=ctx.now,
        request_id=ctx.request_id,
        charge=charge,
    )
    lifecycle.plan_new(state, parcel, lifecycle.pick_scenario(state, tracking_number, requested))
    w.parcels[tracking_number] = parcel
    lifecycle.advance(state, ctx.now)  # "Pending Pickup" happens now (and its webhook is emitted)
    state.changed()
    mode = state.faults.take_create_then_fail()
    if mode == "close":
        return Reply(0, drop=True, fault="create_then_fail")
    if mode is not None:
        raise ApiError(5020, "Bad gateway", status=502, fault="create_then_fail")
    return json_reply(200, answer)


def find_parcel(ctx: Ctx, tracking_number: str) -> Parcel | None:
    account = ctx.need_account()
    w = ctx.state.world
    parcel = w.parcels.get(tracking_number) or w.parcels.get(tracking_number.upper())
    if parcel is None or parcel.client_id != account.client_id or parcel.country != ctx.cc:
        return None
    return parcel


def _not_found(tracking_number: str, field_name: str = "tracking_number") -> ApiError:
    message = f"Order with tracking number {tracking_number} not found"
    return ApiError(2004, message, details=[detail(field_name, "NOT_FOUND", message)])


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def get_waybill(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    if not account.waybill_allowed:
        raise ApiError(1004, "Waybill generation is not enabled for this account")
    # Several tids: comma list or repeated parameter (which one Ninja Van accepts is UNCONFIRMED: both are).
    tids = _split(ctx.query.get("tid", []))
    if not tids:
        raise validation_error([detail("tid", "REQUIRED", "tid is required")])
    if len(tids) > MAX_BULK:
        raise validation_error([detail("tid", "MAX_LENGTH", f"at most {MAX_BULK} tids per request")])
    orientation = (ctx.query.get("orientation") or ["portrait"])[-1].lower()
    if orientation not in ("portrait", "landscape"):
        raise validation_error([detail("orientation", "INVALID_VALUE", "orientation must be portrait or landscape")])
    hide = (ctx.query.get("hide_shipper_details") or ["false"])[-1].lower() in ("true", "1", "yes")
    parcels = []
    for tid in tids:
        parcel = find_parcel(ctx, tid)
        if parcel is None:
            raise _not_found(tid, "tid")
        parcels.append(parcel)
    pdf = waybill.render(parcels, hide_shipper_details=hide, orientation=orientation)
    for parcel in parcels:
        ctx.state.world.labels.append(
            LabelRecord(parcel.tracking_number, account.client_id, ctx.cc, ctx.now, ctx.request_id, orientation, hide)
        )
    ctx.state.changed()
    name = parcels[0].tracking_number if len(parcels) == 1 else "waybills"
    return Reply(200, pdf, "application/pdf", {"Content-Disposition": f'inline; filename="{name}.pdf"'})


def cancel_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    tracking_number = ctx.params["tracking_number"]
    parcel = find_parcel(ctx, tracking_number)
    w = ctx.state.world
    if parcel is None:
        raise _not_found(tracking_number)
    if parcel.status not in CANCELLABLE:
        reason = "ORDER_NOT_CANCELLABLE"
        w.cancellations.append(
            CancelRecord(parcel.tracking_number, account.client_id, ctx.now, ctx.request_id, False, reason)
        )
        ctx.state.changed()
        message = f"Order {parcel.tracking_number} cannot be cancelled in status {parcel.status}"
        raise ApiError(2002, message, details=[detail("tracking_number", reason, message)])
    lifecycle.cancel(ctx.state, parcel, ctx.now, "Cancelled by shipper via API")
    w.cancellations.append(CancelRecord(parcel.tracking_number, account.client_id, ctx.now, ctx.request_id, True))
    ctx.state.changed()
    return json_reply(
        200,
        {
            "tracking_number": parcel.tracking_number,
            "requested_tracking_number": parcel.requested_tracking_number,  # what one Ruby client checks
            "status": "Cancelled",
            "updated_at": iso(ctx.now, ctx.cc),
        },
    )


def _events(parcel: Parcel) -> list[dict[str, Any]]:
    done = sorted((e for e in parcel.events if e.done), key=lambda e: e.at)
    return [event_view(parcel, e) for e in done]


def _tracking_account(ctx: Ctx) -> Account:
    account = authenticate(ctx)
    if not account.tracking_allowed:
        raise ApiError(1004, "Tracking events are not enabled for this account")
    return account


def tracking_events(ctx: Ctx) -> Reply:
    _tracking_account(ctx)
    tracking_number = ctx.params["tracking_number"]
    parcel = find_parcel(ctx, tracking_number)
    if parcel is None:
        raise _not_found(tracking_number)
    return json_reply(200, {"tracking_number": parcel.tracking_number, "events": _events(parcel)})


def tracking_events_bulk(ctx: Ctx) -> Reply:
    """UNCONFIRMED shape: ``{"data": [{"tracking_number", "events"}]}``; unknown numbers are left out."""
    _tracking_account(ctx)
    numbers = _split(ctx.query.get("tracking_number", []) + ctx.query.get("tracking_numbers", []))
    if not numbers:
        raise validation_error([detail("tracking_number", "REQUIRED", "tracking_number is required")])
    if len(numbers) > MAX_BULK:
        raise validation_error([detail("tracking_number", "MAX_LENGTH", f"at most {MAX_BULK} tracking numbers")])
    data = []
    seen: set[str] = set()
    for number in numbers:
        parcel = find_parcel(ctx, number)
        if parcel is not None and parcel.tracking_number not in seen:
            seen.add(parcel.tracking_number)
            data.append({"tracking_number": parcel.tracking_number, "events": _events(parcel)})
    return json_reply(200, {"data": data})


def price(ctx: Ctx) -> Reply:
    """UNCONFIRMED shape (only the path is published): body ``{service_level?, weight? | parcel_job.dimensions?,
    cash_on_delivery?, insured_value?}`` -> ``{"data": {"total_fee", "currency", ...breakdown}}``."""
    authenticate(ctx)
    body = ctx.json_body()
    level = body.get("service_level", "Standard")
    if level not in SERVICE_LEVEL_FACTOR:
        raise validation_error(
            [
                detail(
                    "service_level", "INVALID_VALUE", "service_level must be one of: " + ", ".join(SERVICE_LEVEL_FACTOR)
                )
            ]
        )
    job = body.get("parcel_job") if isinstance(body.get("parcel_job"), dict) else {}
    dims = body.get("dimensions") or (job or {}).get("dimensions") or {}
    if isinstance(body.get("weight"), int | float) and not isinstance(body.get("weight"), bool):
        dims = {**(dims if isinstance(dims, dict) else {}), "weight": body["weight"]}
    weight = pricing.chargeable_weight(dims)
    cod = _num(body.get("cash_on_delivery") or (job or {}).get("cash_on_delivery"))
    insured = _num(body.get("insured_value") or (job or {}).get("insured_value"))
    q = pricing.quote(ctx.cc, weight, str(level), cod, insured)
    return json_reply(200, {"data": {"total_fee": q["amount"], "service_level": level, **q}})


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Callable[[Ctx], Reply]
    is_auth: bool = False


def _route(method: str, tail: str, template: str, handler: Callable[[Ctx], Reply], is_auth: bool = False) -> Route:
    return Route(method, re.compile(r"/(?P<cc>[A-Za-z]{2})" + tail), template, handler, is_auth)


ROUTES = [
    _route("POST", r"/2\.0/oauth/access_token", "POST /{cc}/2.0/oauth/access_token", oauth_token, is_auth=True),
    _route("POST", r"/4\.2/orders", "POST /{cc}/4.2/orders", create_order),
    _route("POST", r"/4\.1/orders", "POST /{cc}/4.1/orders", create_order),
    _route("GET", r"/2\.0/reports/waybill", "GET /{cc}/2.0/reports/waybill", get_waybill),
    _route(
        "DELETE", r"/2\.2/orders/(?P<tracking_number>[^/]+)", "DELETE /{cc}/2.2/orders/{tracking_number}", cancel_order
    ),
    _route(
        "GET",
        r"/1\.0/orders/tracking-events/(?P<tracking_number>[^/]+)",
        "GET /{cc}/1.0/orders/tracking-events/{tracking_number}",
        tracking_events,
    ),
    _route("GET", r"/1\.0/orders/tracking-events", "GET /{cc}/1.0/orders/tracking-events", tracking_events_bulk),
    _route("POST", r"/1\.0/public/price", "POST /{cc}/1.0/public/price", price),
]


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], ApiError | None]:
    """The route for (method, path) and its path parameters, or the 404 / 405 to answer."""
    path_matches = []
    for route in ROUTES:
        m = route.pattern.fullmatch(path)
        if m is not None:
            path_matches.append((route, m))
    if not path_matches:
        return None, {}, ApiError(2004, f"No route for {method} {path}")
    for route, m in path_matches:
        if route.method == method:
            params = {k: unquote(v) for k, v in m.groupdict().items()}
            params["cc"] = params["cc"].lower()
            if params["cc"] not in COUNTRIES:
                return None, params, ApiError(2004, f"Unsupported country code {params['cc'].upper()}")
            return route, params, None
    allowed = ", ".join(sorted({r.method for r, _ in path_matches}))
    return None, {}, ApiError(2005, f"{method} is not allowed here (allowed: {allowed})")
