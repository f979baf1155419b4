"""The J&T JMS open-platform routes served under ``/webopenplatformapi/api/`` (MY tenant shapes).

=====  ==========================  =========================================================================
POST   order/addOrder              create; data {txlogisticId, billCode, sortingCode, thirdSortingCode, ...}
POST   order/getOrders             the stored order, by txlogisticId
POST   order/cancelOrder           cancel (only before pickup); data {txlogisticId, billCode}
POST   order/printOrder            label; data {txlogisticId, billCode, base64EncodeContent, urlContent}
POST   logistics/trace             scans; data [{billCode, details[]}]
GET    pic/file?url=...            the PDF behind urlContent (no auth, like a file link)
=====  ==========================  =========================================================================

Every POST is ``application/x-www-form-urlencoded`` with one field ``bizContent`` (a JSON string) and the headers
``apiAccount``, ``digest`` = Base64(MD5_raw(bizContent + privateKey)), ``timestamp`` (ms). Answers are
``{code, msg, data, requestId}`` with HTTP 200, success or not. Handlers run under the state lock and either
return a :class:`Reply` or raise :class:`~.errors.JntError`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, unquote_plus

from . import lifecycle, pricing, waybill
from .config import BY_ISO3, COUNTRIES, SandboxConfig
from .errors import (
    API_ACCOUNT_DOES_NOT_EXIST,
    API_ACCOUNT_EMPTY,
    BUSINESS_SIGNATURE_FAILED,
    DIGEST_EMPTY,
    HEADER_SIGNATURE_FAILED,
    ILLEGAL_PARAMETERS,
    INVALID,
    NO_INTERFACE_PERMISSION,
    NOT_CANCELLABLE,
    NOT_FOUND_CANCEL,
    SUCCESS,
    TIMESTAMP_EMPTY,
    TOO_MANY_BILL_CODES,
    JntError,
    required,
    too_long,
)
from .events import detail_view, kg, local_time
from .model import CANCELLABLE, Account, CancelRecord, DuplicateRecord, LabelRecord, Parcel
from .signing import business_digest, equal, header_digest, password_form
from .state import SandboxState
from .validation import validate_order

BASE = "/webopenplatformapi/api/"
# Our package-identity convention in ``remark`` (README): KRM1|shop_id|order_sn|package_number|leg
IDENTITY = re.compile(r"^KRM1\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)$")
MAX_TRACE = 30  # "运单号个数超过30" (145003502)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    fault: str = ""
    code: str = ""  # the envelope code, for the call log


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers))


def wire_code(code: str, name: str, cfg: SandboxConfig) -> str | int:
    """The envelope ``code`` as J&T would type it (``SandboxConfig.code_type``)."""
    as_number = cfg.code_type == "number" or (cfg.code_type == "mixed" and name.startswith("order/"))
    return int(code) if as_number and code.isdigit() else code


def envelope_reply(
    cfg: SandboxConfig, name: str, code: str, msg: str, data: Any, request_id: str, status: int = 200
) -> Reply:
    body = {"code": wire_code(code, name, cfg), "msg": msg, "data": data, "requestId": request_id}
    reply = json_reply(status, body)
    reply.code = code
    return reply


@dataclass
class Ctx:
    state: SandboxState
    now: float
    method: str
    path: str
    name: str  # the J&T method, e.g. "order/addOrder"
    query: dict[str, list[str]]
    raw: bytes
    headers: dict[str, str]  # lower-case names
    request_id: str
    base_url: str
    account: Account | None = None
    biz: dict[str, Any] = field(default_factory=dict)
    auth_form: str = ""

    def ok(self, data: Any) -> Reply:
        return envelope_reply(self.state.config, self.name, SUCCESS, "success", data, self.request_id)


# -- auth -----------------------------------------------------------------------------------------------------
def _form(raw: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """Decoded form fields and their raw (still URL-encoded) values."""
    text = raw.decode("utf-8", "replace")
    decoded = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    encoded: dict[str, str] = {}
    for part in text.split("&"):
        key, _, value = part.partition("=")
        encoded[unquote_plus(key)] = value
    return decoded, encoded


def authenticate(ctx: Ctx) -> Account:
    """Header checks (in J&T's order of codes), the digest over bizContent, then the business credentials."""
    h = ctx.headers
    api_account = h.get("apiaccount", "").strip()
    digest = h.get("digest", "").strip()
    timestamp = h.get("timestamp", "").strip()
    if not api_account:
        raise JntError(API_ACCOUNT_EMPTY)
    if not digest:
        raise JntError(DIGEST_EMPTY)
    if not timestamp:
        raise JntError(TIMESTAMP_EMPTY)
    if not timestamp.isdigit():
        raise JntError(ILLEGAL_PARAMETERS, "Illegal parameters: timestamp must be milliseconds")
    cfg = ctx.state.config
    if cfg.timestamp_max_skew_s > 0 and abs(int(timestamp) / 1000 - ctx.now) > cfg.timestamp_max_skew_s:
        raise JntError(ILLEGAL_PARAMETERS, "Illegal parameters: timestamp out of range")
    account = ctx.state.world.accounts.get(api_account)
    if account is None:
        raise JntError(API_ACCOUNT_DOES_NOT_EXIST)
    ctx.account = account
    fields, encoded = _form(ctx.raw)
    biz_text = fields.get("bizContent", "")
    if not biz_text.strip():
        raise JntError(ILLEGAL_PARAMETERS, "Illegal parameters: bizContent is required")
    # Sign-what-you-send: the digest covers the decoded bizContent. J&T's tip "if the signature still fails,
    # URL-encode the body" is ambiguous (UNCONFIRMED), so a digest over the still-encoded value, or a value
    # encoded twice, is accepted too.
    if not biz_text.lstrip().startswith(("{", "[")):
        biz_text = unquote_plus(biz_text)
    candidates = [
        biz_text,
        fields.get("bizContent", ""),
        encoded.get("bizContent", ""),
        quote(biz_text, safe=""),
        quote_plus(biz_text, safe=""),
    ]
    if not any(c and equal(header_digest(c, account.private_key), digest) for c in candidates):
        raise JntError(HEADER_SIGNATURE_FAILED)
    try:
        biz = json.loads(biz_text)
    except ValueError:
        raise JntError(ILLEGAL_PARAMETERS, "Illegal parameters: bizContent is not JSON") from None
    if not isinstance(biz, dict):
        raise JntError(ILLEGAL_PARAMETERS, "Illegal parameters: bizContent must be a JSON object")
    ctx.biz = biz
    customer_code = biz.get("customerCode")
    if not isinstance(customer_code, str) or not customer_code:
        raise required("customerCode")
    if len(customer_code) > 30:
        raise too_long("customerCode", 30)
    if account.business_auth == "digest":
        sent = biz.get("digest")
        if not isinstance(sent, str) or not sent:
            raise required("digest")
        expected = business_digest(account.customer_code, account.password, account.private_key)
        if customer_code != account.customer_code or not equal(sent, expected):
            raise JntError(BUSINESS_SIGNATURE_FAILED)
        ctx.auth_form = "business_digest"
    else:
        sent = biz.get("password")
        if not isinstance(sent, str) or not sent:
            raise required("password")
        form = password_form(sent, account.password, cfg.password_forms)
        if customer_code != account.customer_code or form is None:
            raise JntError(BUSINESS_SIGNATURE_FAILED)
        ctx.auth_form = form
    return account


def _text(biz: dict[str, Any], name: str) -> str:
    value = biz.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _country(account: Account) -> str:
    found = BY_ISO3.get(account.country_iso3.upper())
    if found is not None:
        return found.code
    return account.countries[0] if account.countries and account.countries[0] in COUNTRIES else "my"


def find_by_reference(state: SandboxState, account: Account, reference: str) -> Parcel | None:
    wanted = reference.upper()
    return next(
        (p for p in state.world.parcels.values() if p.account == account.api_account and p.reference.upper() == wanted),
        None,
    )


def find_by_bill_code(state: SandboxState, account: Account, code: str) -> Parcel | None:
    w = state.world
    parcel = w.parcels.get(code) or w.parcels.get(code.upper())
    if parcel is None:
        parcel = next((p for p in w.parcels.values() if code in p.sub_bill_codes), None)
    return parcel if parcel is not None and parcel.account == account.api_account else None


# -- order/addOrder ---------------------------------------------------------------------------------------------
def parse_identity(remark: str | None) -> dict[str, str] | None:
    m = IDENTITY.match(remark.strip()) if remark else None
    if m is None:
        return None
    shop_id, order_sn, package_number, leg = m.groups()
    return {"shop_id": shop_id, "order_sn": order_sn, "package_number": package_number, "leg": leg}


def next_bill_code(state: SandboxState, account: Account) -> str:
    w = state.world
    while True:
        code = f"{account.bill_prefix}{(w.bill_base + w.next_bill_seq) % 10**10:010d}"
        w.next_bill_seq += 1
        if code not in w.parcels:
            return code


def sorting_codes(receiver: dict[str, Any]) -> tuple[str, str]:
    """Made-up but stable sorting codes in J&T's look ("02-C51-PRK309" / "S01") from the receiver postcode."""
    digits = "".join(ch for ch in str(receiver.get("postCode") or "") if ch.isdigit()).rjust(5, "0")
    city = "".join(ch for ch in str(receiver.get("city") or "XXX").upper() if ch.isalpha())[:3].ljust(3, "X")
    return f"{digits[:2]}-C{int(digits[-2:]) % 90 + 10}-{city}{digits[-3:]}", f"S{digits[-2:]}"


def add_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    state = ctx.state
    biz = ctx.biz
    validate_order(biz, account, state.config)
    reference = _text(biz, "txlogisticId")
    remark = biz.get("remark") if isinstance(biz.get("remark"), str) else None
    w = state.world
    existing = find_by_reference(state, account, reference)
    if existing is not None:
        # Duplicate txlogisticId: J&T's code is UNCONFIRMED; the existing order is NOT returned (look it up with
        # order/getOrders) and no second shipment is recorded. Compared case-insensitively, cancelled included.
        w.duplicates.append(
            DuplicateRecord(reference, account.api_account, ctx.now, ctx.request_id, remark, existing.tracking_number)
        )
        state.changed()
        raise JntError(state.config.duplicate_code, state.config.duplicate_msg)
    country = _country(account)
    receiver: dict[str, Any] = biz["receiver"]
    package_info: dict[str, Any] = biz["packageInfo"]
    domestic = str(receiver.get("countryCode") or account.country_iso3).upper() == account.country_iso3.upper()
    chargeable = pricing.chargeable_weight(package_info, domestic)
    cod_info = biz.get("codInfo") if isinstance(biz.get("codInfo"), dict) else {}
    offer = biz.get("offerFeeInfo") if isinstance(biz.get("offerFeeInfo"), dict) else {}
    cod = pricing.number((cod_info or {}).get("codValue")) or 0.0
    insured = pricing.number((offer or {}).get("offerValue")) or 0.0
    express_type = _text(biz, "expressType")
    bill_code = next_bill_code(state, account)
    sorting, third = sorting_codes(receiver)
    votes = biz.get("multipleVotes") if isinstance(biz.get("multipleVotes"), list) else []
    subs = [bill_code] + [f"{bill_code}-{i:02d}" for i in range(1, len(votes or []))] if len(votes or []) > 1 else []
    parcel = Parcel(
        tracking_number=bill_code,
        reference=reference,
        account=account.api_account,
        customer_code=account.customer_code,
        country=country,
        order={k: v for k, v in biz.items() if k not in ("password", "digest")},
        remark=remark,
        package=parse_identity(remark),
        service_type=_text(biz, "serviceType"),
        express_type=express_type,
        pay_type=_text(biz, "payType"),
        cod=cod,
        weight=pricing.number(package_info.get("weight")) or 0.0,
        chargeable_weight=chargeable,
        created_at=ctx.now,
        request_id=ctx.request_id,
        sorting_code=sorting,
        third_sorting_code=third,
        sub_bill_codes=subs,
        charge=pricing.quote(country, chargeable, express_type, cod, insured),
    )
    lifecycle.plan_new(state, parcel, lifecycle.pick_scenario(state, bill_code, reference))
    w.parcels[bill_code] = parcel
    lifecycle.advance(state, ctx.now)
    state.changed()
    mode = state.faults.take_create_then_fail()
    if mode == "close":
        return Reply(0, drop=True, fault="create_then_fail")
    if mode is not None:
        raise JntError("502", "Bad Gateway: please retry later", status=502, fault="create_then_fail")
    data: dict[str, Any] = {
        "txlogisticId": reference,
        "billCode": bill_code,
        "sortingCode": sorting,
        "thirdSortingCode": third,
        "packageChargeWeight": kg(chargeable),
    }
    if subs:
        data["multipleVoteBillCodes"] = subs
    return ctx.ok(data)


# -- order/getOrders --------------------------------------------------------------------------------------------
def _mask(phone: Any) -> str:
    text = str(phone or "")
    return "****" + text[-4:] if text else ""


def _party_view(party: Any, with_address: bool) -> dict[str, Any]:
    p = party if isinstance(party, dict) else {}
    view = {
        "name": p.get("name"),
        "postCode": p.get("postCode"),
        "mobile": _mask(p.get("mobile") or p.get("phone")),
        "phone": _mask(p.get("phone")),
        "countryCode": p.get("countryCode"),
        "prov": p.get("prov"),
        "city": p.get("city"),
        "area": p.get("area"),
    }
    if with_address:
        view["address"] = p.get("address")
    return view


def order_view(parcel: Parcel) -> dict[str, Any]:
    """The getOrders ``data`` (MY "Order Inquiry" example: phones masked, the sender without its address)."""
    o = parcel.order
    data: dict[str, Any] = {
        "customerCode": parcel.customer_code,
        "txlogisticId": parcel.reference,
        "billCode": parcel.tracking_number,
        "expressType": parcel.express_type,
        "serviceType": parcel.service_type,
        "payType": parcel.pay_type,
        "sender": _party_view(o.get("sender"), with_address=False),
        "receiver": _party_view(o.get("receiver"), with_address=True),
        "createOrderTime": local_time(parcel.created_at, parcel.country),
    }
    for name in ("sendStartTime", "sendEndTime", "items", "packageInfo", "offerFeeInfo", "codInfo", "customsInfo"):
        if o.get(name) is not None:
            data[name] = o[name]
    if parcel.sub_bill_codes:
        votes = o.get("multipleVotes") if isinstance(o.get("multipleVotes"), list) else []
        data["multipleVotes"] = [
            {"subBillCode": code, **(vote if isinstance(vote, dict) else {})}
            for code, vote in zip(parcel.sub_bill_codes, votes or [], strict=False)
        ]
    return data


def get_orders(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    reference = _text(ctx.biz, "txlogisticId")
    if not reference:
        raise required("txlogisticId")
    parcel = find_by_reference(ctx.state, account, reference)
    if parcel is None:
        # Not published for getOrders; the trace table's 999001030 "数据未找到" is used (UNCONFIRMED).
        raise JntError(INVALID, "No order data found")
    return ctx.ok(order_view(parcel))


# -- order/cancelOrder ------------------------------------------------------------------------------------------
def cancel_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    biz = ctx.biz
    reference = _text(biz, "txlogisticId")
    if not reference:
        raise required("txlogisticId")
    if len(reference) > 50:
        raise too_long("txlogisticId", 50)
    reason = _text(biz, "reason")
    if not reason:
        raise required("reason")
    if len(reason) > 300:
        raise too_long("reason", 300)
    bill_code = _text(biz, "billCode")
    parcel = find_by_reference(ctx.state, account, reference)
    w = ctx.state.world
    if parcel is None or (bill_code and bill_code.upper() != parcel.tracking_number.upper()):
        raise JntError(NOT_FOUND_CANCEL)
    if parcel.status not in CANCELLABLE:
        # After pickup, or already cancelled: 999002010 (the text J&T sends after pickup is UNCONFIRMED).
        w.cancellations.append(
            CancelRecord(
                parcel.tracking_number,
                parcel.reference,
                account.api_account,
                ctx.now,
                ctx.request_id,
                False,
                reason,
                NOT_CANCELLABLE,
            )
        )
        ctx.state.changed()
        raise JntError(NOT_CANCELLABLE)
    lifecycle.cancel(ctx.state, parcel, ctx.now, reason)
    w.cancellations.append(
        CancelRecord(
            parcel.tracking_number, parcel.reference, account.api_account, ctx.now, ctx.request_id, True, reason, "1"
        )
    )
    ctx.state.changed()
    return ctx.ok({"txlogisticId": parcel.reference, "billCode": parcel.tracking_number})


# -- order/printOrder -------------------------------------------------------------------------------------------
def print_order(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    if not account.label_allowed:
        raise JntError(NO_INTERFACE_PERMISSION)
    biz = ctx.biz
    reference = _text(biz, "txlogisticId")
    bill_code = _text(biz, "billCode")
    if not reference and not bill_code:
        raise required("txlogisticId")  # J&T requires txlogisticId; billCode alone is tolerated
    state = ctx.state
    parcel = find_by_reference(state, account, reference) if reference else find_by_bill_code(state, account, bill_code)
    if parcel is None or (reference and bill_code and bill_code.upper() != parcel.tracking_number.upper()):
        raise JntError(INVALID, "No order data found")
    if parcel.cancelled_at is not None:
        raise JntError("0", "order has been cancelled, the waybill cannot be printed")  # UNCONFIRMED wording
    template = _text(biz, "templateName") or _text(biz, "enableNewPrint")
    mode = state.config.label_mode
    token = secrets.token_hex(16)
    state.world.label_files[token] = [parcel.tracking_number, template]
    date = local_time(ctx.now, parcel.country)[:10].replace("-", "")
    url = f"{ctx.base_url}{BASE}pic/file?url=openplatform_express_sheet_print/{date}/{token}.pdf"
    data: dict[str, Any] = {"txlogisticId": parcel.reference, "billCode": parcel.tracking_number}
    if mode in ("both", "base64") and not parcel.sub_bill_codes:  # multi-parcel: URL only (MY page)
        data["base64EncodeContent"] = base64.b64encode(waybill.render(parcel, template)).decode("ascii")
    if mode in ("both", "url") or parcel.sub_bill_codes:
        data["urlContent"] = url
    form = "both" if len(data) == 4 else ("url" if "urlContent" in data else "base64")
    state.world.labels.append(
        LabelRecord(
            parcel.tracking_number,
            parcel.reference,
            account.api_account,
            ctx.now,
            ctx.request_id,
            form,
            template,
            url if "urlContent" in data else "",
        )
    )
    state.changed()
    return ctx.ok(data)


def pic_file(ctx: Ctx) -> Reply:
    """``GET pic/file?url=.../<token>.pdf``: the label behind a printOrder ``urlContent`` (no expiry: UNCONFIRMED)."""
    target = (ctx.query.get("url") or [""])[-1]
    token = target.rsplit("/", 1)[-1].removesuffix(".pdf")
    entry = ctx.state.world.label_files.get(token)
    parcel = ctx.state.world.parcels.get(entry[0]) if entry else None
    if entry is None or parcel is None:
        raise JntError("404", "file not found", status=404)
    pdf = waybill.render(parcel, entry[1] if len(entry) > 1 else "")
    return Reply(
        200, pdf, "application/pdf", {"Content-Disposition": f'inline; filename="{parcel.tracking_number}.pdf"'}
    )


# -- logistics/trace --------------------------------------------------------------------------------------------
def trace(ctx: Ctx) -> Reply:
    account = authenticate(ctx)
    if not account.tracking_allowed:
        raise JntError(NO_INTERFACE_PERMISSION)
    state = ctx.state
    bill_codes = [c.strip() for c in _text(ctx.biz, "billCode").split(",") if c.strip()]
    reference = _text(ctx.biz, "txlogisticId")
    if not bill_codes and not reference:
        raise required("txlogisticId")  # "txlogisticId or billCode, one of them"
    if len(bill_codes) > MAX_TRACE:
        raise JntError(TOO_MANY_BILL_CODES)
    found: list[tuple[str, Parcel]] = []
    if bill_codes:
        for code in bill_codes:
            parcel = find_by_bill_code(state, account, code)
            if parcel is not None and all(code != c for c, _ in found):
                found.append((code if code in parcel.sub_bill_codes else parcel.tracking_number, parcel))
    else:
        parcel = find_by_reference(state, account, reference)
        if parcel is not None:
            found.append((parcel.tracking_number, parcel))
    if not found and state.config.trace_not_found == "error":
        raise JntError(INVALID, "No order data found")
    data = []
    for code, parcel in found:
        done = sorted((e for e in parcel.events if e.done), key=lambda e: e.at)  # oldest first (UNCONFIRMED)
        details = [{**detail_view(parcel, e), "billCode": code} for e in done]
        data.append({"billCode": code, "details": details})
    return ctx.ok(data)


@dataclass(frozen=True)
class Route:
    method: str
    name: str
    handler: Callable[[Ctx], Reply]

    @property
    def template(self) -> str:
        return f"{self.method} {BASE}{self.name}"


ROUTES = {
    r.name: r
    for r in (
        Route("POST", "order/addOrder", add_order),
        Route("POST", "order/getOrders", get_orders),
        Route("POST", "order/cancelOrder", cancel_order),
        Route("POST", "order/printOrder", print_order),
        Route("POST", "logistics/trace", trace),
        Route("GET", "pic/file", pic_file),
    )
}


def resolve(method: str, path: str) -> tuple[Route | None, JntError | None]:
    """The route for (method, path), or the 404 / 405 to answer."""
    name = path[len(BASE) :] if path.startswith(BASE) else None
    route = ROUTES.get(name.rstrip("/")) if name else None
    if route is None:
        return None, JntError("404", f"No route for {method} {path}", status=404)
    if route.method != method:
        return None, JntError("405", f"{method} is not allowed here (use {route.method})", status=405)
    return route, None
