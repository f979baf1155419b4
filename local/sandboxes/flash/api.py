"""The Flash Express Open API routes (every call ``POST``, ``application/x-www-form-urlencoded``, signed).

=======================================================  ==================================================
POST /open/v3/orders  (and the older /open/v1/orders)    create an order -> pno
POST /open/v1/orders/estimate_rate                       freight estimate (satang, as strings)
POST /open/v1/orders/{pno}/pre_print                     label PDF 100 x 180 mm
POST /open/v1/orders/{pno}/small/pre_print               label PDF 100 x 75 mm
POST /open/v1/orders/{pno}/cancel                        cancel (only before pickup; 1015 after)
POST /open/v1/orders/{pno}/routes                        routes (tracking) of one parcel
POST /open/v1/orders/routesBatch                         routes of several (``pnos`` comma list, <= 500 chars)
POST /open/v1/notify                                     request a courier pickup (1010 while one is open)
POST /open/v1/notify/{ticketPickupId}/cancel             cancel a pickup request (1011 once done)
POST /open/v1/notifications                              the merchant's pickup requests (UNCONFIRMED shape)
POST /open/v1/warehouses                                 the merchant's warehouses
POST /open/v1/setting/web_hook_service                   set / close the URL of one webhook type
POST /gw/fda/open/standard/webhook/setting/infos         the merchant's webhook settings
=======================================================  ==================================================

Every call carries ``mchId``, ``nonceStr`` and ``sign`` (see :mod:`.signing`); path parameters are not signed.
Answers are ``{"code", "message", "data"}`` with HTTP 200, also for business errors (:mod:`.errors`); labels are
PDF bytes on success and the JSON envelope on error. Handlers run under the state lock and return a
:class:`Reply` or raise :class:`~.errors.FlashError`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import label, lifecycle, pricing
from .config import STATE_PENDING, STATE_TEXT, WEBHOOK_TYPES
from .errors import FlashError, envelope, invalid
from .events import local_text, routes_data
from .model import Account, CancelRecord, DuplicateRecord, LabelRecord, Parcel, PickupTicket
from .signing import is_blank, verify
from .state import SandboxState
from .validation import Form, validate_create, validate_estimate, validate_notify

# Our package-identity convention in ``remark`` (README): KRM1|shop_id|order_sn|package_number|leg
IDENTITY = re.compile(r"^KRM1\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)$")
IDENTITY_IN_TEXT = re.compile(r"KRM1\|([^|\s]+)\|([^|\s]+)\|([^|\s]+)\|([^|\s]+)")
TICKET_STATES = {0: "Open", 1: "Assigned", 2: "Completed", 4: "Canceled"}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    fault: str = ""
    code: int | None = None  # the envelope code, for the call log


def json_reply(status: int, payload: Any, code: int | None = None, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers), code=code)


def ok(data: Any = None) -> Reply:
    return json_reply(200, envelope(data), code=1)


def error_reply(err: FlashError) -> Reply:
    return Reply(
        err.status,
        json.dumps(err.body(), ensure_ascii=False).encode("utf-8"),
        headers=dict(err.headers),
        fault=err.fault,
        code=err.code,
    )


@dataclass
class Ctx:
    state: SandboxState
    now: float
    method: str
    path: str
    params: dict[str, str]  # path parameters
    form: dict[str, str]  # the signed parameters (query + form body)
    headers: dict[str, str]  # lower-case names
    account: Account | None = None

    def need_account(self) -> Account:
        assert self.account is not None, "authenticate first"
        return self.account


def parse_form(raw: bytes, query: str, content_type: str) -> dict[str, str]:
    """Query-string and form-body parameters (the body wins on a clash); 1000 for a body that is not a form."""
    if "json" in content_type.lower() and raw.strip():
        raise FlashError(1000, "the body must be application/x-www-form-urlencoded, not JSON")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FlashError(1000, "the body is not valid UTF-8") from None
    out = dict(parse_qsl(query, keep_blank_values=True))
    out.update(parse_qsl(text, keep_blank_values=True))
    return out


# -- auth -----------------------------------------------------------------------------------------------------
def authenticate(ctx: Ctx) -> Account:
    form = ctx.form
    mch_id = form.get("mchId", "")
    if is_blank(mch_id):
        raise FlashError(1001, "mchId is required")
    account = ctx.state.world.accounts.get(mch_id)
    if account is None:
        raise FlashError(1001, f"mchId {mch_id} is not a merchant of this environment")
    nonce = form.get("nonceStr", "")
    if is_blank(nonce):
        raise invalid("nonceStr")
    if len(nonce) > ctx.state.config.nonce_max_length:
        raise invalid("nonceStr", f"must be at most {ctx.state.config.nonce_max_length} characters")
    if is_blank(form.get("sign", "")):
        raise FlashError(1002, "sign is required")
    if not verify(form, account.key):
        raise FlashError(1002, "sign does not match the parameters")
    ctx.account = account
    return account


# -- orders ---------------------------------------------------------------------------------------------------
def parse_identity(remark: str) -> dict[str, str] | None:
    """``KRM1|<shop_id>|<order_sn>|<package_number>|<leg>`` - the whole remark, or found inside it."""
    text = remark.strip()
    m = IDENTITY.match(text) or IDENTITY_IN_TEXT.search(text)
    if m is None:
        return None
    shop_id, order_sn, package_number, leg = m.groups()
    return {"shop_id": shop_id, "order_sn": order_sn, "package_number": package_number, "leg": leg}


def new_pno(state: SandboxState, dst_postcode: str) -> tuple[str, int]:
    """``TH`` + destination area (2 digits) + a 6-digit sequence + a check letter, e.g. ``TH50000001K``."""
    w = state.world
    while True:
        seq = w.next_pno_seq
        w.next_pno_seq += 1
        body = f"{dst_postcode[:2]}{seq:06d}"
        pno = f"TH{body}{'ABCDEFGHJKLMNPQRSTUVWXYZ'[sum(int(c) * (i + 3) for i, c in enumerate(body)) % 24]}"
        if pno not in w.parcels and pno not in w.aliases:
            return pno, seq


def create_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    state = ctx.state
    order = validate_create(ctx.form, account, state.config)
    w = state.world
    # The duplicate guard: an outTradeNo this merchant used before, whatever became of that order (cancelled
    # included), is refused with 1003 and the existing order is NOT returned (Flash documents no replay).
    # Compared exactly (case-sensitive; UNCONFIRMED).
    if any(p.mch_id == account.mch_id and p.out_trade_no == order.out_trade_no for p in w.parcels.values()):
        w.duplicates.append(DuplicateRecord(order.out_trade_no, account.mch_id, ctx.now, order.remark))
        state.changed()
        raise FlashError(1003, f"outTradeNo {order.out_trade_no} has been used")
    pno, seq = new_pno(state, order.dst["postal_code"])
    charge = pricing.quote(
        state.config,
        weight_g=order.weight_g,
        dims=order.dims,
        express_category=order.express_category,
        dst_postal_code=order.dst["postal_code"],
        cod_amount=order.cod_amount,
        insure_declare_value=order.insure_declare_value,
    )
    area = order.dst["postal_code"][:2]
    digest = hashlib.sha256(f"{account.mch_id}|{order.out_trade_no}|{seq}".encode()).hexdigest()
    parcel = Parcel(
        pno=pno,
        out_trade_no=order.out_trade_no,
        mch_id=account.mch_id,
        order_id=digest[:24],
        params={k: v for k, v in ctx.form.items() if k != "sign"},
        remark=order.remark,
        package=parse_identity(order.remark),
        weight_g=order.weight_g,
        dims=order.dims,
        express_category=order.express_category,
        article_category=order.article_category,
        cod_amount=order.cod_amount,
        insure_declare_value=order.insure_declare_value,
        src=order.src,
        dst=order.dst,
        warehouse_no=order.warehouse_no,
        sort_code=f"{area}A-{order.dst['postal_code'][2:]}-{seq % 9 + 1:02d}",
        dst_store_name=lifecycle.store_name(order.dst),
        created_at=ctx.now,
        state=STATE_PENDING,
        state_changed_at=ctx.now,
        charge=charge,
    )
    lifecycle.plan_new(state, parcel, lifecycle.pick_scenario(state, pno, order.out_trade_no))
    w.parcels[pno] = parcel
    state.changed()
    mode = state.faults.take_create_then_fail()
    if mode == "close":
        return Reply(0, drop=True, fault="create_then_fail")
    if mode is not None:
        raise FlashError(0, "bad gateway", status=502, fault="create_then_fail")
    # The answer's fields beyond pno / mchId / outTradeNo follow a real answer quoted in a public integration.
    upcountry = charge["upcountry_satang"] > 0
    return ok(
        {
            "pno": pno,
            "mchId": account.mch_id,
            "outTradeNo": order.out_trade_no,
            "sortCode": parcel.sort_code,
            "lineCode": None,
            "sortingLineCode": f"{chr(65 + seq % 6)}{seq % 9 + 1:02d}",
            "dstStoreName": parcel.dst_store_name,
            "earlyFlightEnabled": False,
            "packEnabled": False,
            "upcountry": upcountry,
            "upcountryAmount": charge["upcountry_satang"],
            "upcountryCharge": upcountry,
            "sameProvince": order.src.get("province") == order.dst.get("province"),
            "notice": None,
            "srcPostalCode": order.src["postal_code"],
            "dstPostalCode": order.dst["postal_code"],
        }
    )


def find_parcel(ctx: Ctx, pno: str) -> Parcel:
    """1006 for an unknown pno, 1019 for another merchant's."""
    account = ctx.need_account()
    w = ctx.state.world
    key = w.aliases.get(pno, pno)
    parcel = w.parcels.get(key) or w.parcels.get(w.aliases.get(pno.upper(), pno.upper()))
    if parcel is None:
        raise FlashError(1006, f"pno {pno} not found")
    if parcel.mch_id != account.mch_id:
        raise FlashError(1019, f"pno {pno} does not belong to {account.mch_id}")
    return parcel


def estimate_rate(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    est = validate_estimate(ctx.form, account, ctx.state.config)
    q = pricing.quote(
        ctx.state.config,
        weight_g=est.weight_g,
        dims=est.dims,
        express_category=est.express_category,
        dst_postal_code=est.dst_postal_code,
        cod_amount=est.cod_amount,
        insure_declare_value=est.insure_declare_value,
    )
    # Money as strings of satang (Flash's published response types); pricePolicy 1 weight / 2 dimensions.
    # estimatePrice is the freight; the remote-area surcharge and the fees come separately (the fee field names
    # are from integrations, UNCONFIRMED).
    return ok(
        {
            "estimatePrice": str(q["freight_satang"]),
            "upCountryAmount": str(q["upcountry_satang"]),
            "upCountry": q["upcountry_satang"] > 0,
            "pricePolicy": q["price_policy"],
            "codTransferFee": str(q["cod_fee_satang"]),
            "valueInsuranceFee": str(q["insurance_fee_satang"]),
        }
    )


def _print(ctx: Ctx, size: str) -> Reply:
    account = authenticate(ctx)
    if not account.label_allowed:
        # The real code for a merchant without printing rights is UNCONFIRMED: 1000 here.
        raise FlashError(1000, "label printing is not enabled for this merchant")
    parcel = find_parcel(ctx, ctx.params["pno"])
    pdf = label.render(parcel, size)
    ctx.state.world.labels.append(LabelRecord(parcel.pno, account.mch_id, size, ctx.now))
    ctx.state.changed()
    return Reply(200, pdf, "application/pdf", {"Content-Disposition": f'inline; filename="{parcel.pno}.pdf"'})


def pre_print(ctx: Ctx) -> Reply:
    return _print(ctx, "large")


def small_pre_print(ctx: Ctx) -> Reply:
    return _print(ctx, "small")


def cancel_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    parcel = find_parcel(ctx, ctx.params["pno"])
    w = ctx.state.world
    if parcel.cancelled_at is not None:
        # Cancelling a cancelled order again: success, nothing changes (UNCONFIRMED what Flash answers).
        w.cancellations.append(CancelRecord(parcel.pno, account.mch_id, ctx.now, True, 1, "already cancelled"))
        ctx.state.changed()
        return ok(None)
    if parcel.state != STATE_PENDING:
        w.cancellations.append(
            CancelRecord(parcel.pno, account.mch_id, ctx.now, False, 1015, STATE_TEXT.get(parcel.state, ""))
        )
        ctx.state.changed()
        raise FlashError(1015, f"pno {parcel.pno} is {STATE_TEXT.get(parcel.state, parcel.state)}")
    lifecycle.cancel(ctx.state, parcel, ctx.now)
    w.cancellations.append(CancelRecord(parcel.pno, account.mch_id, ctx.now, True, 1))
    ctx.state.changed()
    return ok(None)


def _tracking_account(ctx: Ctx) -> Account:
    account = authenticate(ctx)
    if not account.tracking_allowed:
        raise FlashError(1000, "route queries are not enabled for this merchant")  # code UNCONFIRMED
    return account


def routes(ctx: Ctx) -> Reply:
    _tracking_account(ctx)
    return ok(routes_data(find_parcel(ctx, ctx.params["pno"])))


def routes_batch(ctx: Ctx) -> Reply:
    """``pnos`` comma list (<= 500 characters); unknown and other merchants' numbers are left out
    (UNCONFIRMED: Flash may list them with empty routes)."""
    account = _tracking_account(ctx)
    limit = ctx.state.config.routes_batch_max_chars
    pnos = Form(ctx.form).text("pnos", required=True)
    if len(pnos) > limit:
        raise invalid("pnos", f"must be at most {limit} characters")
    w = ctx.state.world
    data = []
    seen: set[str] = set()
    for raw in pnos.split(","):
        pno = raw.strip()
        parcel = w.parcels.get(w.aliases.get(pno, pno))
        if parcel is None or parcel.mch_id != account.mch_id or parcel.pno in seen:
            continue
        seen.add(parcel.pno)
        data.append(routes_data(parcel))
    return ok(data)


# -- pickups ----------------------------------------------------------------------------------------------------
def ticket_state(ticket: PickupTicket, now: float) -> int:
    if ticket.cancelled_at is not None:
        return 4
    if now >= ticket.complete_at:
        return 2
    if now >= ticket.assign_at:
        return 1
    return 0


def _staff(ticket: PickupTicket) -> dict[str, Any]:
    n = ticket.ticket_id % 50 + 1
    return {
        "staffInfoId": 600000 + n,
        "staffInfoName": f"Sandbox Courier {n:02d}",
        "staffInfoPhone": f"08000000{n:02d}",
    }


def notify(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    state = ctx.state
    warehouse_no, src, count = validate_notify(ctx.form, account, state.config)
    open_ticket = next(
        (t for t in state.world.pickups if t.mch_id == account.mch_id and ticket_state(t, ctx.now) in (0, 1)), None
    )
    if open_ticket is not None:
        raise FlashError(
            1010,
            f"ticketPickupId {open_ticket.ticket_id} is still open "
            f"({TICKET_STATES[ticket_state(open_ticket, ctx.now)]}, until {local_text(open_ticket.complete_at)})",
        )
    cfg = state.config
    ticket = PickupTicket(
        ticket_id=state.world.next_ticket_id,
        mch_id=account.mch_id,
        created_at=ctx.now,
        assign_at=ctx.now + cfg.pickup_assign_after_s,
        complete_at=ctx.now + cfg.pickup_complete_after_s,
        warehouse_no=warehouse_no,
        src=src,
        estimate_parcel_number=count,
        remark=ctx.form.get("remark", ""),
    )
    state.world.next_ticket_id += 1
    state.world.pickups.append(ticket)
    state.changed()
    upcountry = src.get("postal_code", "") in cfg.upcountry_postcodes
    return ok(
        {
            "ticketPickupId": ticket.ticket_id,
            **_staff(ticket),
            "upCountryNote": "Remote area: pickup may take longer" if upcountry else "",
            "timeoutAtText": local_text(ticket.complete_at),
            "ticketMessage": f"A courier will pick up {count} parcel(s) before {local_text(ticket.complete_at)}",
            "notice": "",
        }
    )


def notify_cancel(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    raw = ctx.params["ticket"]
    ticket = next((t for t in ctx.state.world.pickups if str(t.ticket_id) == raw and t.mch_id == account.mch_id), None)
    if ticket is None:
        raise FlashError(1011, f"ticketPickupId {raw} not found")
    current = ticket_state(ticket, ctx.now)
    if current not in (0, 1):
        raise FlashError(1011, f"ticketPickupId {raw} is {TICKET_STATES[current]}")
    ticket.cancelled_at = ctx.now
    ctx.state.changed()
    return ok(None)


def notifications(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    data = []
    for t in ctx.state.world.pickups:
        if t.mch_id != account.mch_id:
            continue
        current = ticket_state(t, ctx.now)
        data.append(
            {
                "ticketPickupId": t.ticket_id,
                "state": current,
                "stateText": TICKET_STATES[current],
                "estimateParcelNumber": t.estimate_parcel_number,
                "warehouseNo": t.warehouse_no,
                "createdAt": int(t.created_at),
                "timeoutAtText": local_text(t.complete_at),
                **_staff(t),
            }
        )
    return ok(data)


# -- merchant settings ----------------------------------------------------------------------------------------------
def warehouses(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    return ok(
        [
            {
                "warehouseNo": wh.warehouse_no,
                "name": wh.name,
                "countryName": "Thailand",
                "provinceName": wh.province,
                "cityName": wh.city,
                "districtName": wh.district,
                "postalCode": wh.postal_code,
                "detailAddress": wh.detail_address,
                "phone": wh.phone,
                "srcName": wh.src_name,
            }
            for wh in account.warehouses
        ]
    )


def _setting_view(account: Account, code: int, cfg_types: list[int]) -> dict[str, Any]:
    key = str(code)
    url = account.webhook_settings.get(key, account.webhook_url if code in cfg_types else None)
    return {
        "mchId": account.mch_id,
        "webhookApiCode": code,
        "url": url,
        "state": 1 if url else 0,
        "updateAt": int(account.webhook_settings_at.get(key, 0)),
    }


def web_hook_service(ctx: Ctx) -> Reply:
    """``serviceCategory`` 1 sets ``url`` for ``webhookApiCode``, 0 closes it."""
    account = authenticate(ctx)
    form = Form(ctx.form)
    category = form.integer("serviceCategory", required=True)
    if category not in (0, 1):
        raise invalid("serviceCategory", "must be 0 or 1")
    code = form.integer("webhookApiCode", required=True)
    if code not in WEBHOOK_TYPES:
        raise invalid("webhookApiCode", "must be one of " + ", ".join(str(c) for c in WEBHOOK_TYPES))
    url: str | None = None
    if category == 1:
        url = form.text("url", required=True, max_len=200)
        if not url.startswith(("http://", "https://")):
            raise invalid("url", "must be an http(s) URL")
    account.webhook_settings[str(code)] = url
    account.webhook_settings_at[str(code)] = ctx.now
    ctx.state.changed()
    return ok(_setting_view(account, int(code), ctx.state.config.webhook_default_types))


def webhook_infos(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    types = ctx.state.config.webhook_default_types
    return ok([_setting_view(account, code, types) for code in WEBHOOK_TYPES])


# -- routing -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    template: str
    handler: Callable[[Ctx], Reply]


def _route(path: str, template: str, handler: Callable[[Ctx], Reply]) -> Route:
    return Route(re.compile(path), f"POST {template}", handler)


PNO = r"(?P<pno>[^/]+)"
ROUTES = [
    _route(r"/open/v3/orders", "/open/v3/orders", create_order),
    _route(r"/open/v1/orders", "/open/v1/orders", create_order),
    _route(r"/open/v1/orders/estimate_rate", "/open/v1/orders/estimate_rate", estimate_rate),
    _route(r"/open/v1/orders/routesBatch", "/open/v1/orders/routesBatch", routes_batch),
    _route(rf"/open/v1/orders/{PNO}/pre_print", "/open/v1/orders/{pno}/pre_print", pre_print),
    _route(rf"/open/v1/orders/{PNO}/small/pre_print", "/open/v1/orders/{pno}/small/pre_print", small_pre_print),
    _route(rf"/open/v1/orders/{PNO}/cancel", "/open/v1/orders/{pno}/cancel", cancel_order),
    _route(rf"/open/v1/orders/{PNO}/routes", "/open/v1/orders/{pno}/routes", routes),
    _route(r"/open/v1/notify", "/open/v1/notify", notify),
    _route(r"/open/v1/notify/(?P<ticket>[^/]+)/cancel", "/open/v1/notify/{id}/cancel", notify_cancel),
    _route(r"/open/v1/notifications", "/open/v1/notifications", notifications),
    _route(r"/open/v1/warehouses", "/open/v1/warehouses", warehouses),
    _route(r"/open/v1/setting/web_hook_service", "/open/v1/setting/web_hook_service", web_hook_service),
    _route(
        r"/gw/fda/open/standard/webhook/setting/infos", "/gw/fda/open/standard/webhook/setting/infos", webhook_infos
    ),
]


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], FlashError | None]:
    """The route for (method, path) and its path parameters, or the 404 / 405 to answer (code 1000)."""
    for route in ROUTES:
        m = route.pattern.fullmatch(path)
        if m is None:
            continue
        if method != "POST":
            return (
                None,
                {},
                FlashError(1000, f"{method} is not allowed, every call is POST", status=405, headers={"Allow": "POST"}),
            )
        return route, {k: unquote(v) for k, v in m.groupdict().items()}, None
    return None, {}, FlashError(1000, f"no API at {path}", status=404)
