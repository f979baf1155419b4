"""The 4PX FOP gateway: ``POST /router/api/service?app_key=..&format=json&method=..&timestamp=..&v=..&sign=..
&language=..`` with the business JSON as the body, and the label files it links to.

=====================================  ===================================================================
method                                 what
=====================================  ===================================================================
ds.xms.order.create                    create a direct-ship consignment (ref_no unique per account)
ds.xms.order.get                       query one (request_no = 4PX number or ref_no) or a time window
ds.xms.order.cancel                    cancel {request_no, cancel_reason} - only before pickup
ds.xms.label.get                       label URLs {label_barcode, label_url_info {logistics_label ...}}
ds.xms.label.getlist                   one merged PDF for several request_no; data is the URL string
ds.xms.estimated_cost.get              rate trial per product (lump_sum_fee CNY) or for an order
ds.xms.logistics_product.getlist       the products the account may use
tr.order.tracking.get                  {deliveryOrderNo} -> {deliveryOrderNo, trackingList}
=====================================  ===================================================================

An unknown method answers HTTP 500 with plain text (4PX's gateway does). Everything else answers the envelope
``{result, msg, errors, data}`` - business errors with HTTP 200 and ``result "0"``. Handlers run under the state
lock and return the ``data`` value or raise :class:`~.errors.FopError`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import errors, label, lifecycle, pricing, signing
from .config import DESTINATIONS, PRODUCTS
from .errors import FopError, Problem, fail
from .events import millis, tracking_list
from .model import CANCELLABLE, CLOSED, Account, CancelRecord, DuplicateRecord, LabelFile, LabelRecord, Order
from .state import SandboxState
from .validation import COUNTRY, as_float, as_int, validate_order

GATEWAY_PATH = "/router/api/service"
LABEL_PREFIX = "/label-files/"
# Our package-identity convention in the top-level ``remark`` field: KRM1|shop_id|order_sn|package_number|leg
IDENTITY = re.compile(r"^KRM1\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)$")
MAX_QUERY_WINDOW_MS = 7 * 86400 * 1000  # ds.xms.order.get batch mode: at most 7 days
MAX_LABEL_LIST = 100
ORDER_STATUSES = ("P", "V", "H", "C", "F", "R", "X", "ALL")


class DropConnection(Exception):
    """Close the connection without answering (create_then_fail in "close" mode)."""


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    fault: str = ""
    result: str = ""  # envelope result, for the call log
    error_code: str = ""


def text_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode("utf-8"), "text/plain;charset=UTF-8")


@dataclass
class Ctx:
    state: SandboxState
    now: float
    params: dict[str, str]  # the query string (last value wins)
    raw: bytes
    language: str
    base_url: str
    account: Account | None = None
    _body: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        if self._body is None:
            try:
                parsed = json.loads(self.raw) if self.raw.strip() else {}
            except ValueError:
                raise fail(errors.BAD_BODY, "The request body is not valid JSON", "请求体不是合法的JSON") from None
            if not isinstance(parsed, dict):
                raise fail(errors.BAD_BODY, "The request body must be a JSON object", "请求体必须是JSON对象")
            self._body = parsed
        return self._body

    def need_account(self) -> Account:
        assert self.account is not None, "authenticate first"
        return self.account


# -- envelope -----------------------------------------------------------------------------------------------------
def envelope_ok(data: Any, language: str, as_string: bool) -> dict[str, Any]:
    if as_string and isinstance(data, dict | list):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return {"result": "1", "msg": "成功" if language == "cn" else "success", "errors": [], "data": data}


def envelope_error(err: FopError, language: str) -> dict[str, Any]:
    rendered = [p.render(language) for p in err.problems]
    msg = rendered[0]["error_msg"] if rendered else ""
    return {"result": "0", "msg": msg, "errors": rendered, "data": None}


def error_reply(err: FopError, language: str) -> Reply:
    body = json.dumps(envelope_error(err, language), ensure_ascii=False).encode("utf-8")
    code = err.problems[0].code if err.problems else ""
    return Reply(err.status, body, headers=dict(err.headers), fault=err.fault, result="0", error_code=code)


# -- lookups ---------------------------------------------------------------------------------------------------------
def parse_identity(remark: Any) -> dict[str, str] | None:
    if not isinstance(remark, str):
        return None
    m = IDENTITY.match(remark.strip())
    if m is None:
        return None
    shop_id, order_sn, package_number, leg = m.groups()
    return {"shop_id": shop_id, "order_sn": order_sn, "package_number": package_number, "leg": leg}


def _best(found: list[Order]) -> Order | None:
    """Several orders may share a ref_no once cancelled ones free it: the live one, else the newest."""
    if not found:
        return None
    live = [o for o in found if o.cancelled_at is None]
    return (live or found)[-1]


def find_order(ctx: Ctx, request_no: str, kinds: tuple[str, ...], any_account: bool = False) -> Order | None:
    """``kinds``: "4px" (4px_tracking_no), "ref" (ref_no), "channel" (logistics_channel_no)."""
    number = request_no.strip()
    if not number:
        return None
    account = ctx.need_account()
    mine = [o for o in ctx.state.world.orders.values() if any_account or o.app_key == account.app_key]
    if "4px" in kinds:
        hit = [o for o in mine if o.tracking_number.upper() == number.upper()]
        if hit:
            return hit[0]
    if "channel" in kinds:
        hit = [o for o in mine if o.channel_no and o.channel_no.upper() == number.upper()]
        if hit:
            return hit[0]
    if "ref" in kinds:
        return _best([o for o in mine if o.ref_no == number])
    return None


def _not_found(request_no: str, field_name: str = "request_no") -> FopError:
    return fail(errors.NOT_FOUND, f"Order {request_no} not found", f"订单{request_no}不存在", field_name)


def _request_no(ctx: Ctx, name: str = "request_no") -> str:
    value = ctx.body().get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise fail(errors.VALIDATION, "is required", "不能为空", name)
    return value.strip()


# -- views -----------------------------------------------------------------------------------------------------------
def order_view(order: Order) -> dict[str, Any]:
    """One element of ``ds.xms.order.get`` data (field names from public FOP SDK response types)."""
    product = PRODUCTS[order.product_code]
    insure = order.request.get("is_insure") == "Y"
    raw_insurance = order.request.get("insurance_info")
    insurance: dict[str, Any] = raw_insurance if isinstance(raw_insurance, dict) else {}
    confirm: dict[str, Any] = {"confirm_parcel_qty": "", "confirm_parcel_weight": None, "parcel_list_confirm_info": []}
    if order.confirmed is not None:
        grams = int(order.confirmed["weight_g"])
        dims = order.confirmed.get("dimensions")
        volume = pricing.volumetric_g(dims)
        battery = "N"
        parcels = order.request.get("parcel_list")
        first = parcels[0] if isinstance(parcels, list) and parcels and isinstance(parcels[0], dict) else {}
        if first.get("include_battery") == "Y":
            battery = "Y"
        confirm = {
            "confirm_parcel_qty": str(len(parcels) if isinstance(parcels, list) else 1),
            "confirm_parcel_weight": grams,
            "parcel_list_confirm_info": [
                {
                    "confirm_weight": str(grams),
                    "confirm_length": f"{dims[0]:g}" if dims else "",
                    "confirm_width": f"{dims[1]:g}" if dims else "",
                    "confirm_high": f"{dims[2]:g}" if dims else "",
                    "confirm_volume_weight": volume,
                    "confirm_charge_weight": pricing.chargeable_g(grams, dims),
                    "confirm_include_battery": battery,
                    "confirm_battery_type": str(first.get("battery_type") or ""),
                    "currency_code": order.currency,
                    "parcel_total_value_confirm": f"{order.parcel_value:g}",
                }
            ],
        }
    return {
        "consignment_info": {
            "4px_tracking_no": order.tracking_number,
            "ref_no": order.ref_no,
            "ds_consignment_no": order.ds_consignment_no,
            "consignment_status": order.consignment_status,
            "consignment_create_date": millis(order.created_at),
            "4px_inbound_date": millis(order.inbound_at),
            "4px_outbound_date": millis(order.outbound_at),
            "logistics_product_code": product.code,
            "logistics_product_name": product.name_cn,
            # empty until the warehouse has assigned the last mile (4PX: "asynchronous number assignment")
            "logistics_channel_no": order.channel_no,
            "logistics_channel_name": order.channel_name,
            "get_no_exmsg": "",
            "is_hold_sign": "N",
            "insure_status": "Y" if insure else "N",
            "insure_type": str(insurance.get("insure_type") or "") if insure else "",
            "has_check_oda": "Y",
            "oda_result_sign": "N",
        },
        "parcel_confirm_info": confirm,
    }


# -- methods ---------------------------------------------------------------------------------------------------------
def create_order(ctx: Ctx) -> Any:
    account = ctx.need_account()
    state = ctx.state
    w = state.world
    body = ctx.body()
    problems = validate_order(body, account, state.config)
    if problems:
        raise FopError(problems)
    ref_no = str(body["ref_no"])
    remark = body.get("remark") if isinstance(body.get("remark"), str) else None
    # The duplicate guard. 4PX's integration notes: "each shipping account keeps ref_no unique"; re-submitting an
    # order that exists answers "此单已存在" (this order already exists) until it is cancelled. The existing order
    # is never returned: look it up with ds.xms.order.get. The error code is the sandbox's own (UNCONFIRMED).
    reusable = state.config.ref_no_reusable_after_cancel
    taken = [
        o
        for o in w.orders.values()
        if o.app_key == account.app_key and o.ref_no == ref_no and (o.cancelled_at is None or not reusable)
    ]
    if taken:
        w.duplicates.append(DuplicateRecord(ref_no, account.app_key, ctx.now, taken[-1].tracking_number, remark))
        state.changed()
        raise fail(
            errors.DUPLICATE_REF_NO,
            f"Duplicate ref_no {ref_no}: this order already exists",
            f"客户单号{ref_no}重复，此单已存在",
            "ref_no",
        )
    seq = w.next_order_seq
    given = body.get("4px_tracking_no")
    if isinstance(given, str) and given.strip():
        tracking_number = given.strip()  # customers with a pre-allocated number range
        if tracking_number in w.orders:
            raise fail(errors.VALIDATION, f"{tracking_number} is already used", f"{tracking_number}已被使用",
                       "4px_tracking_no")  # fmt: skip
    else:
        tracking_number = f"4PX3{w.number_salt:05d}{seq:07d}CN"
    w.next_order_seq += 1
    parcels = [p for p in body["parcel_list"] if isinstance(p, dict)]
    first = parcels[0]
    sides = [first.get(k) for k in ("length", "width", "height")]
    dimensions = [as_float(s) for s in sides] if all(s not in (None, "") for s in sides) else None
    sender = body["sender"]
    recipient = body["recipient_info"]
    destination = str(recipient["country"]).lower()
    product_code = str(body["logistics_service_info"]["logistics_product_code"])
    weight_g = sum(as_int(p.get("weight")) for p in parcels)
    order = Order(
        tracking_number=tracking_number,
        ref_no=ref_no,
        app_key=account.app_key,
        ds_consignment_no=f"DS{w.number_salt:05d}{seq:07d}",
        product_code=product_code,
        destination=destination,
        sender_city=str(sender.get("city") or ""),
        sender_country=str(sender.get("country") or ""),
        request=body,
        remark=remark,
        package=parse_identity(remark),
        weight_g=weight_g,
        dimensions=dimensions,
        parcel_value=sum(as_float(p.get("parcel_value")) for p in parcels),
        currency=str(first.get("currency") or "USD"),
        created_at=ctx.now,
        charge=pricing.quote(destination, product_code, weight_g, dimensions),
    )
    if state.config.channel_no_on_create:
        lifecycle.assign_channel(order)
    lifecycle.plan_new(state, order, lifecycle.pick_scenario(state, tracking_number, ref_no))
    w.orders[tracking_number] = order
    lifecycle.advance(state, ctx.now)  # OR10 happens now
    state.changed()
    mode = state.faults.take_create_then_fail()
    if mode == "close":
        raise DropConnection()
    if mode is not None:
        raise errors.server_error(502, fault="create_then_fail")
    return {
        "ref_no": order.ref_no,
        "4px_tracking_no": order.tracking_number,
        "ds_consignment_no": order.ds_consignment_no,
        "label_barcode": order.tracking_number,
        # "" until the warehouse has processed the parcel: query ds.xms.order.get later (4PX's own advice)
        "logistics_channel_no": order.channel_no,
        "logistics_channel_name": order.channel_name,
    }


def get_order(ctx: Ctx) -> Any:
    """Single (``request_no``: 4PX number or ref_no - 4PX's notes: "only those two") or batch (creation window of
    at most 7 days, epoch ms, plus ``consignment_status``). Unknown single number: ``data: []`` (UNCONFIRMED)."""
    account = ctx.need_account()
    body = ctx.body()
    request_no = body.get("request_no")
    if isinstance(request_no, str) and request_no.strip():
        order = find_order(ctx, request_no, ("4px", "ref"))
        return [order_view(order)] if order is not None else []
    start = body.get("start_time_of_create_consignment")
    end = body.get("end_time_of_create_consignment")
    problems = []
    for name, value in (("start_time_of_create_consignment", start), ("end_time_of_create_consignment", end)):
        if as_int(value, -1) < 0:
            problems.append(Problem(errors.VALIDATION, "is required (epoch milliseconds) when request_no is empty",
                                    "未填写请求单号时必填（毫秒时间戳）", name))  # fmt: skip
    status = str(body.get("consignment_status") or "ALL").upper()
    if status not in ORDER_STATUSES:
        problems.append(Problem(errors.VALIDATION, f"must be one of: {', '.join(ORDER_STATUSES)}",
                                f"取值必须为：{'、'.join(ORDER_STATUSES)}", "consignment_status"))  # fmt: skip
    if problems:
        raise FopError(problems)
    lo, hi = as_int(start), as_int(end)
    if hi < lo or hi - lo > MAX_QUERY_WINDOW_MS:
        raise fail(errors.VALIDATION, "the creation window must be at most 7 days", "时间范围不能超过7天",
                   "end_time_of_create_consignment")  # fmt: skip
    return [
        order_view(o)
        for o in ctx.state.world.orders.values()
        if o.app_key == account.app_key
        and lo <= int(o.created_at * 1000) <= hi
        and (status == "ALL" or o.consignment_status == status)
    ]


def cancel_order(ctx: Ctx) -> Any:
    """Only a forecast (status P: not yet picked up / received) can be cancelled. ``data``: null."""
    account = ctx.need_account()
    request_no = _request_no(ctx)
    reason = ctx.body().get("cancel_reason")
    reason_text = reason.strip() if isinstance(reason, str) else ""
    order = find_order(ctx, request_no, ("4px", "ref"))
    w = ctx.state.world
    if order is None:
        raise _not_found(request_no)
    if order.consignment_status not in CANCELLABLE:
        already = order.consignment_status == CLOSED
        why = "already cancelled" if already else f"status {order.consignment_status} ({order.status})"
        w.cancellations.append(CancelRecord(order.tracking_number, order.ref_no, account.app_key, ctx.now, False, why))
        ctx.state.changed()
        if already:
            raise fail(errors.NOT_CANCELLABLE, f"Order {order.tracking_number} is already cancelled",
                       f"订单{order.tracking_number}已取消", "request_no")  # fmt: skip
        raise fail(
            errors.NOT_CANCELLABLE,
            f"Order {order.tracking_number} can no longer be cancelled: it has been handed over to 4PX "
            f"(consignment status {order.consignment_status})",
            f"订单{order.tracking_number}已交接（状态{order.consignment_status}），不能取消",
            "request_no",
        )
    lifecycle.cancel(ctx.state, order, ctx.now, reason_text)
    w.cancellations.append(CancelRecord(order.tracking_number, order.ref_no, account.app_key, ctx.now, True))
    ctx.state.changed()
    return None


def _yes(body: dict[str, Any], name: str) -> bool:
    return str(body.get(name) or "N").upper() == "Y"


def _label_options(ctx: Ctx, body: dict[str, Any]) -> tuple[str, str]:
    fmt = str(body.get("response_label_format") or "PDF").upper()
    if fmt not in ("PDF", "IMG"):
        raise fail(errors.VALIDATION, "must be PDF or IMG", "取值必须为PDF或IMG", "response_label_format")
    size = str(body.get("label_size") or label.DEFAULT_LABEL_SIZE)
    if size not in label.LABEL_SIZES:
        sizes = ", ".join(label.LABEL_SIZES)
        raise fail(errors.VALIDATION, f"must be one of: {sizes}", f"取值必须为：{sizes}", "label_size")
    return fmt, size


def _issue(ctx: Ctx, order: Order, kind: str, size: str, fmt: str, pages: list[str]) -> str:
    file_id = secrets.token_hex(12)
    ctx.state.world.label_files[file_id] = LabelFile(
        file_id, order.tracking_number, order.app_key, kind, size, fmt, pages, ctx.now
    )
    ext = "png" if fmt == "IMG" else "pdf"
    return f"{ctx.base_url}{LABEL_PREFIX}{file_id}.{ext}"


def _labellable(ctx: Ctx, request_no: str) -> Order:
    order = find_order(ctx, request_no, ("4px", "ref", "channel"))
    if order is None:
        raise _not_found(request_no)
    if order.cancelled_at is not None:
        raise fail(errors.ORDER_CLOSED, f"Order {order.tracking_number} is cancelled",
                   f"订单{order.tracking_number}已取消", "request_no")  # fmt: skip
    return order


def get_label(ctx: Ctx) -> Any:
    """request_no: ref_no, 4PX number or last-mile number. IMG: a PNG of the shipping label only."""
    account = ctx.need_account()
    if not account.label_allowed:
        raise fail(errors.NOT_PERMITTED, "Label printing is not enabled for this account", "该账号未开通打印标签权限")
    body = ctx.body()
    order = _labellable(ctx, _request_no(ctx))
    fmt, size = _label_options(ctx, body)
    declaration = _yes(body, "is_print_declaration_list")
    package = _yes(body, "create_package_label")
    merge = _yes(body, "is_print_merge")
    pages = ["label"]
    urls: dict[str, str] = {}
    if fmt == "PDF" and merge:
        pages += (["declaration"] if declaration else []) + (["package"] if package else [])
    urls["logistics_label"] = _issue(ctx, order, "logistics", size, fmt, pages)
    if fmt == "PDF" and not merge:
        if declaration:
            urls["custom_label"] = _issue(ctx, order, "custom", size, fmt, ["declaration"])
        if package:
            urls["package_label"] = _issue(ctx, order, "package", size, fmt, ["package"])
    ctx.state.world.labels.append(
        LabelRecord(order.tracking_number, order.ref_no, account.app_key, ctx.now, size, fmt, urls)
    )
    ctx.state.changed()
    return {"label_barcode": order.tracking_number, "label_url_info": urls}


def get_label_list(ctx: Ctx) -> Any:
    """Several labels merged into one PDF; ``data`` is the URL itself (as a public PHP client reads it)."""
    account = ctx.need_account()
    if not account.label_allowed:
        raise fail(errors.NOT_PERMITTED, "Label printing is not enabled for this account", "该账号未开通打印标签权限")
    body = ctx.body()
    numbers = body.get("request_no")
    if isinstance(numbers, str):
        numbers = [n for n in numbers.split(",") if n.strip()]
    if not isinstance(numbers, list) or not numbers or not all(isinstance(n, str) for n in numbers):
        raise fail(errors.VALIDATION, "must be a non-empty list of numbers", "必须是非空单号列表", "request_no")
    if len(numbers) > MAX_LABEL_LIST:
        raise fail(errors.VALIDATION, f"at most {MAX_LABEL_LIST} numbers", f"最多{MAX_LABEL_LIST}个单号", "request_no")
    orders = [_labellable(ctx, n) for n in numbers]
    _, size = _label_options(ctx, {**body, "response_label_format": "PDF"})
    file_id = secrets.token_hex(12)
    first = orders[0]
    ctx.state.world.label_files[file_id] = LabelFile(
        file_id, ",".join(o.tracking_number for o in orders), first.app_key, "list", size, "PDF", ["label"], ctx.now
    )
    url = f"{ctx.base_url}{LABEL_PREFIX}{file_id}.pdf"
    for order in orders:
        ctx.state.world.labels.append(
            LabelRecord(order.tracking_number, order.ref_no, account.app_key, ctx.now, size, "PDF", {"list": url})
        )
    ctx.state.changed()
    return url


def _cost_item(q: dict[str, Any], destination: str) -> dict[str, Any]:
    product = PRODUCTS[q["logistics_product_code"]]
    return {
        "logistics_product_code": product.code,
        "logistics_product_name": product.name_cn,
        "lump_sum_fee": q["amount_text"],  # CNY
        "charge_weight": str(q["chargeable_weight_g"]),  # grams
        "is_volume_cargo": q["is_volume_cargo"],
        "estimated_time": DESTINATIONS[destination].transit,
        "is_show_track": "Y",
        "remarks": "",
    }


def estimated_cost(ctx: Ctx) -> Any:
    """``request_no`` (4PX number, last-mile number or ref_no: then the other fields are ignored) or
    ``{country_code, weight (g, < 1 000 000), length/width/height (cm, all three or none), cargocode P|D,
    logistics_product_code: [..] (<= 200)}`` -> a list, one item per product."""
    account = ctx.need_account()
    if not account.quote_allowed:
        raise fail(errors.NOT_PERMITTED, "Rate trial is not enabled for this account", "该账号未开通运费试算权限")
    body = ctx.body()
    request_no = body.get("request_no")
    if isinstance(request_no, str) and request_no.strip():
        order = find_order(ctx, request_no, ("4px", "channel", "ref"))
        if order is None:
            raise _not_found(request_no.strip())
        grams = int(order.confirmed["weight_g"]) if order.confirmed else order.weight_g
        measured = order.confirmed.get("dimensions") if order.confirmed else order.dimensions
        q = pricing.quote(order.destination, order.product_code, grams, measured)
        item = _cost_item(q, order.destination)
        item.update(
            {"4px_tracking_no": order.tracking_number, "ref_no": order.ref_no, "logistics_channel_no": order.channel_no}
        )
        return [item]
    problems: list[Problem] = []
    country = body.get("country_code")
    if not isinstance(country, str) or not COUNTRY.match(country.upper()):
        problems.append(Problem(errors.VALIDATION, "is required (ISO two-letter code) when request_no is empty",
                                "未填写请求单号时必填（国家二字码）", "country_code"))  # fmt: skip
    elif country.lower() not in DESTINATIONS or country.lower() not in account.countries:
        served = ", ".join(cc.upper() for cc in account.countries)
        problems.append(Problem(errors.VALIDATION, f"destination {country} is not served by this account ({served})",
                                f"该账号不支持目的国{country}", "country_code"))  # fmt: skip
    weight = as_float(body.get("weight"), -1.0)
    if not 0 < weight < 1_000_000:
        problems.append(Problem(errors.VALIDATION, "is required: grams, more than 0 and less than 1000000",
                                "未填写请求单号时必填（克，小于1000000）", "weight"))  # fmt: skip
    sides = [body.get(k) for k in ("length", "width", "height")]
    given = [s not in (None, "") for s in sides]
    dims: list[float] | None = None
    if any(given) and not all(given):
        problems.append(Problem(errors.VALIDATION, "length, width and height must be given together",
                                "长宽高必须同时填写", "length"))  # fmt: skip
    elif all(given):
        dims = [as_float(s, -1.0) for s in sides]
        if not all(0 < d < 1000 for d in dims):
            problems.append(Problem(errors.VALIDATION, "length, width and height must be between 0 and 1000 cm",
                                    "长宽高必须大于0且小于1000cm", "length"))  # fmt: skip
    cargo = str(body.get("cargocode") or "P").upper()
    if cargo not in ("P", "D"):
        problems.append(Problem(errors.VALIDATION, "must be P or D", "取值必须为P或D", "cargocode"))
    codes = body.get("logistics_product_code")
    if isinstance(codes, str):
        codes = [codes] if codes else []
    if codes is None:
        codes = []
    if not isinstance(codes, list) or len(codes) > 200 or not all(isinstance(c, str) for c in codes):
        problems.append(Problem(errors.VALIDATION, "must be a list of at most 200 product codes",
                                "必须是产品代码列表（最多200个）", "logistics_product_code"))  # fmt: skip
        codes = []
    unknown = [c for c in codes if c not in PRODUCTS]
    if unknown:
        problems.append(Problem(errors.VALIDATION, f"unknown logistics product {', '.join(unknown)}",
                                f"物流产品代码{'、'.join(unknown)}不存在", "logistics_product_code"))  # fmt: skip
    if problems:
        raise FopError(problems)
    assert isinstance(country, str)
    destination = country.lower()
    wanted = [c for c in (codes or list(PRODUCTS)) if c in account.products]
    return [_cost_item(pricing.quote(destination, code, round(weight), dims), destination) for code in wanted]


def product_list(ctx: Ctx) -> Any:
    account = ctx.need_account()
    return [
        {
            "logistics_product_code": p.code,
            "logistics_product_name_cn": p.name_cn,
            "logistics_product_name_en": p.name_en,
            "transport_mode": "4",  # dedicated line (专线)
            "with_battery": "Y" if p.batteries else "N",
            "country_list": [cc.upper() for cc in account.countries],
        }
        for p in PRODUCTS.values()
        if p.code in account.products
    ]


def tracking_get(ctx: Ctx) -> Any:
    """``deliveryOrderNo``: the 4PX number or the last-mile number (4PX's notes: not the ref_no). Tracking is
    public at 4PX (track.4px.com), so any account's parcel is found. trackingList is newest first
    (``tracking_newest_first``)."""
    account = ctx.need_account()
    if not account.tracking_allowed:
        raise fail(errors.NOT_PERMITTED, "Tracking is not enabled for this account", "该账号未开通轨迹查询权限")
    number = _request_no(ctx, "deliveryOrderNo")
    order = find_order(ctx, number, ("4px", "channel"), any_account=True)
    if order is None:
        raise fail(errors.NO_TRACKING, f"No tracking information for {number}", f"单号{number}暂无轨迹信息",
                   "deliveryOrderNo")  # fmt: skip
    cfg = ctx.state.config
    return {"deliveryOrderNo": number, "trackingList": tracking_list(order, ctx.language, cfg.tracking_newest_first)}


METHODS: dict[str, Callable[[Ctx], Any]] = {
    "ds.xms.order.create": create_order,
    "ds.xms.order.get": get_order,
    "ds.xms.order.cancel": cancel_order,
    "ds.xms.label.get": get_label,
    "ds.xms.label.getlist": get_label_list,
    "ds.xms.estimated_cost.get": estimated_cost,
    "ds.xms.logistics_product.getlist": product_list,
    "tr.order.tracking.get": tracking_get,
}


# -- the gateway -------------------------------------------------------------------------------------------------------
def authenticate(ctx: Ctx) -> Account:
    """Public parameters, app_key, signature (and, when configured, the timestamp window)."""
    p = ctx.params
    missing = [name for name in ("app_key", "format", "timestamp", "v", "sign") if not p.get(name, "").strip()]
    if missing:
        raise FopError([Problem(errors.MISSING_PARAM, "public parameter is required", "公共参数不能为空", name)
                        for name in missing])  # fmt: skip
    if p["format"].strip().lower() != "json":
        raise fail(errors.BAD_FORMAT, "only format=json is supported", "仅支持format=json", "format")
    if not p["timestamp"].strip().isdigit():
        raise fail(errors.MISSING_PARAM, "must be epoch milliseconds", "必须是毫秒时间戳", "timestamp")
    account = ctx.state.world.accounts.get(p["app_key"].strip())
    if account is None:
        raise fail(errors.UNKNOWN_APP_KEY, "app_key does not exist", "app_key不存在", "app_key")
    if not signing.verify(p, ctx.raw, account.app_secret):
        raise fail(errors.BAD_SIGN, "sign verification failed", "签名校验失败", "sign")
    window = ctx.state.config.timestamp_window_s
    if window > 0 and abs(int(p["timestamp"]) / 1000 - time.time()) > window:
        raise fail(errors.BAD_TIMESTAMP, "timestamp is outside the allowed window", "时间戳已过期", "timestamp")
    ctx.account = account
    return account


def run(ctx: Ctx, method: str) -> Reply:
    """One known FOP method, answered in the envelope."""
    state = ctx.state
    try:
        authenticate(ctx)
        data = METHODS[method](ctx)
    except FopError as err:
        return error_reply(err, ctx.language)
    payload = envelope_ok(data, ctx.language, state.config.data_as_json_string)
    return Reply(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"), result="1")


def language_of(params: dict[str, str], default: str) -> str:
    value = params.get("language", "").strip().lower()
    return value if value in ("cn", "en") else default


def label_file(state: SandboxState, now: float, name: str) -> Reply:
    """``GET /label-files/<id>.pdf|png``: rendered on download from the order as it is now."""
    file_id, _, ext = name.partition(".")
    record = state.world.label_files.get(file_id)
    if record is None or ext != ("png" if record.fmt == "IMG" else "pdf"):
        return text_reply(404, "Not Found")
    ttl = state.config.label_url_ttl_s
    if ttl > 0 and now > record.issued_at + ttl:
        return text_reply(403, "Request has expired")
    orders = [state.world.orders.get(tn) for tn in record.tracking_number.split(",")]
    found = [o for o in orders if o is not None]
    if not found:
        return text_reply(404, "Not Found")
    record.downloads += 1
    state.changed()
    if record.fmt == "IMG":
        return Reply(200, label.render_png(found[0], record.label_size), "image/png")
    if len(found) == 1:
        pdf = label.render_pdf(found[0], record.pages, record.label_size)
    else:
        pdf = label.render_many(found, record.label_size)
    headers = {"Content-Disposition": f'inline; filename="{found[0].tracking_number}.pdf"'}
    return Reply(200, pdf, "application/pdf", headers)
