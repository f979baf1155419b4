"""Pure mapping between our shipment types and Flash Express's Open API (form fields in, JSON envelopes out).

Shapes from Flash's Open API documentation (https://open-docs.flashexpress.com/: "signature algorithm",
"create order" ``/open/v3/orders``, "estimate rate", "routes", "notify", "web hook", "response code"), as
captured in api-evangelist/flash-express (``authentication/``, ``asyncapi/``, ``errors/``, ``data-model/``)
and as used by public Flash integrations. Every call is a signed form; every answer is
``{code, message, data, tid}`` with ``code`` 1 for success and business errors under HTTP 200. Units at this
edge: grams, whole centimetres, money in satang (integers; the estimate answers them as strings).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from kiriman.carriers.base import (
    CarrierAuthError,
    CarrierError,
    CarrierQuote,
    CarrierRejected,
    CarrierUnavailable,
    CreatedShipment,
    DuplicateReference,
    NotCancellable,
    Pickup,
    PickupAlreadyOpen,
    PickupRequest,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.flash import statuses
from kiriman.carriers.tracking import Mapped, TrackingEvent
from kiriman.domain.parcels import Address, Money, normalise_postcode

CARRIER = "flash"
FORM = "application/x-www-form-urlencoded"
# https://open-docs.flashexpress.com/#web-hook-api: HTTP 2xx AND exactly this body, or Flash re-sends forever.
ACK_BODY = '{"errorCode": "1", "state": "success"}'
BANGKOK = timezone(timedelta(hours=7))
# Paths (https://open-docs.flashexpress.com/, "API reference"). All calls are POST.
ORDERS = "/open/v3/orders"
ESTIMATE = "/open/v1/orders/estimate_rate"
ROUTES_BATCH = "/open/v1/orders/routesBatch"
NOTIFY = "/open/v1/notify"
WEBHOOK_SETTING = "/open/v1/setting/web_hook_service"
LABEL_PATHS = {"large": "/open/v1/orders/{pno}/pre_print", "small": "/open/v1/orders/{pno}/small/pre_print"}
LABEL_SIZES = {"large": "100x180", "small": "100x75"}  # mm, per the docs' two label templates
BATCH_MAX_CHARS = 500  # routesBatch: ``pnos`` comma list of at most 500 characters

# expressCategory per service. Only 1 (standard) is agreed by every source; the account setting
# ``express_category`` overrides for contracts that use another category.
SERVICE_CATEGORIES = {"Standard": "1"}
DEFAULT_ARTICLE_CATEGORY = "2"  # "commodity" in the docs' constants table; ``article_category`` overrides

# --- signing --------------------------------------------------------------------------------------------
# https://open-docs.flashexpress.com/#signature-algorithm: blank values are not signed; the listed
# whitespace is TAB, LF, VT, FF, CR and U+001C-U+001F, and the published example drops a plain space too.
_BLANK = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _blank(value: str) -> bool:
    return not value.strip(_BLANK)


def string_to_sign(params: Mapping[str, str], key: str) -> str:
    """Every non-blank parameter but ``sign``, sorted by name (ASCII, case-sensitive), raw values, then the key."""
    kept = sorted(((k, v) for k, v in params.items() if k != "sign" and not _blank(v)), key=lambda kv: kv[0])
    return "&".join(f"{k}={v}" for k, v in kept) + f"&key={key}"


def sign(params: Mapping[str, str], key: str) -> str:
    """SHA-256 of the string to sign, upper-case hex, computed before URL encoding."""
    return hashlib.sha256(string_to_sign(params, key).encode("utf-8")).hexdigest().upper()


def signed_form(params: Mapping[str, str], mch_id: str, key: str, nonce: str) -> dict[str, str]:
    form = {"mchId": mch_id, "nonceStr": nonce, **params}
    form["sign"] = sign(form, key)
    return form


def encode_form(form: Mapping[str, str]) -> bytes:
    return urlencode(list(form.items())).encode("ascii")


# --- units --------------------------------------------------------------------------------------------
def satang(money: Money, field: str) -> str:
    """THB to integer satang, half-up; Flash prices only in baht, so another currency is refused here."""
    if money.currency != "THB":
        raise CarrierRejected(CARRIER, f"Flash takes amounts in THB, not {money.currency}", field=field,
                              code="currency")
    return str(int((money.amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def thb(value: Any) -> Money:
    """Satang (an integer, or a string as estimate_rate returns it) to THB."""
    text = str(value if value is not None else "").strip() or "0"
    try:
        amount = Decimal(text) / 100
    except InvalidOperation as exc:
        raise CarrierError(CARRIER, f"not an amount in satang: {text!r}", code="bad_response") from exc
    return Money(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "THB")


def _cm(value: Decimal) -> str:
    """Whole centimetres, rounded up so a box is never declared smaller than it is."""
    return str(int(value.to_integral_value(rounding=ROUND_CEILING)))


def phone(value: str) -> str:
    """Flash's examples use Thai national numbers (0XXXXXXXXX): ``+66`` becomes ``0``, formatting goes."""
    digits = re.sub(r"[\s\-().]", "", value)
    return "0" + digits[3:] if digits.startswith("+66") else digits


# --- requests -------------------------------------------------------------------------------------------
def address_params(prefix: str, addr: Address) -> dict[str, str]:
    """``src*`` / ``dst*``: province = state, city = amphoe / khet, district = tambon / khwaeng."""
    return {
        f"{prefix}Name": addr.name or addr.company,
        f"{prefix}Phone": phone(addr.phone),
        f"{prefix}ProvinceName": addr.state,
        f"{prefix}CityName": addr.city,
        f"{prefix}DistrictName": addr.district or addr.ward,
        f"{prefix}PostalCode": normalise_postcode(addr.postcode),
        f"{prefix}DetailAddress": " ".join(p for p in (addr.line1, addr.line2) if p),
    }


def express_category(service: str, settings: Mapping[str, str]) -> str:
    if settings.get("express_category"):
        return str(settings["express_category"])
    category = SERVICE_CATEGORIES.get(service or "Standard")
    if category is None:
        raise CarrierRejected(CARRIER, f"unknown Flash service {service!r}; expected {sorted(SERVICE_CATEGORIES)}",
                              field="service", code="service")
    return category


def _sender(req: ShipmentRequest, settings: Mapping[str, str]) -> dict[str, str]:
    """A registered warehouse (``warehouseNo``) replaces the sender block (error 1018 wants one of the two)."""
    if settings.get("warehouse_no"):
        return {"warehouseNo": str(settings["warehouse_no"])}
    return address_params("src", req.sender)


def _size(req: ShipmentRequest) -> dict[str, str]:
    out = {"weight": str(req.parcel.actual_weight_g)}
    dims = req.parcel.dimensions
    if dims is not None:
        out.update({"length": _cm(dims.length_cm), "width": _cm(dims.width_cm), "height": _cm(dims.height_cm)})
    return out


def order_params(req: ShipmentRequest, settings: Mapping[str, str]) -> dict[str, str]:
    """``/open/v3/orders`` fields. ``outTradeNo`` is the client reference (Flash refuses a repeat with 1003);
    the package identity rides in ``remark``, the only free-text field. Not sent: ``subItemTypes`` and
    ``subParcel`` (how nested arrays are encoded in the form is UNCONFIRMED) and delivery instructions
    (Flash has no field for them; ``remark`` is taken). ``insured`` and ``codEnabled`` are always sent:
    Flash answers 1000 when ``insured`` is missing."""
    parcel = req.parcel
    params: dict[str, str] = {"outTradeNo": req.reference}
    params.update(_sender(req, settings))
    params.update(address_params("dst", req.recipient))
    params["articleCategory"] = str(settings.get("article_category") or DEFAULT_ARTICLE_CATEGORY)
    params["expressCategory"] = express_category(req.service, settings)
    params.update(_size(req))
    insure = bool(req.options.get("insure"))
    params["insured"] = "1" if insure else "0"
    if insure:
        params["insureDeclareValue"] = satang(parcel.declared_value, "parcel.declared_value")
    params["codEnabled"] = "1" if parcel.is_cod else "0"
    if parcel.is_cod and parcel.cod is not None:
        params["codAmount"] = satang(parcel.cod, "parcel.cod")
    params["remark"] = req.package.identity
    return params


def estimate_params(req: ShipmentRequest, settings: Mapping[str, str]) -> dict[str, str]:
    """``estimate_rate``: the order's route, size and category (no reference, no identity)."""
    params: dict[str, str] = {}
    params.update(_sender(req, settings))
    params.update(address_params("dst", req.recipient))
    params["expressCategory"] = express_category(req.service, settings)
    params.update(_size(req))
    return params


def quote_from_data(data: Any, service: str) -> CarrierQuote:
    """``estimatePrice`` already includes fuel; ``upCountryAmount`` is the remote-area premium on top
    (both satang strings, as integrations that bill from them add them)."""
    if not isinstance(data, Mapping) or data.get("estimatePrice") in (None, ""):
        raise CarrierError(CARRIER, "estimate without estimatePrice", code="bad_response")
    price = thb(data.get("estimatePrice")) + thb(data.get("upCountryAmount"))
    return CarrierQuote(service=service, price=price, raw=dict(data))


def created_from_data(data: Any, account_id: str, reference: str, service: str) -> CreatedShipment:
    pno = str(data.get("pno") or "") if isinstance(data, Mapping) else ""
    if not pno:
        raise CarrierError(CARRIER, "order answer without pno", code="bad_response")
    return CreatedShipment(carrier=CARRIER, account_id=account_id, reference=reference, tracking_number=pno,
                           service=service, raw=dict(data))


def label_path(settings: Mapping[str, str], pno: str) -> tuple[str, str]:
    size = "small" if str(settings.get("label_size") or "").lower() == "small" else "large"
    return LABEL_PATHS[size].format(pno=quote(pno, safe="")), LABEL_SIZES[size]


def parcel_path(pno: str, action: str) -> str:
    """``/open/v1/orders/{pno}/<action>`` (``routes``, ``cancel``)."""
    return f"/open/v1/orders/{quote(pno, safe='')}/{action}"


def pickup_cancel_path(ticket: str) -> str:
    return f"/open/v1/notify/{quote(ticket, safe='')}/cancel"


def pickup_params(req: PickupRequest) -> dict[str, str]:
    """``/open/v1/notify`` calls a courier now: Flash takes no date or time window, so those are not sent."""
    params = address_params("src", req.address)
    params["estimateParcelNumber"] = str(max(1, req.parcels))
    if req.instructions:
        params["remark"] = req.instructions
    return params


def pickup_from_data(data: Any, pickup_date: date) -> Pickup:
    ticket = str(data.get("ticketPickupId") or "") if isinstance(data, Mapping) else ""
    if not ticket:
        raise CarrierError(CARRIER, "notify answer without ticketPickupId", code="bad_response")
    return Pickup(confirmation=ticket, pickup_date=pickup_date, raw=dict(data))


def webhook_setting_params(url: str, webhook_api_code: str, on: bool = True) -> dict[str, str]:
    """One subscription per webhook type (``serviceCategory`` 1 sets the URL, 0 closes it)."""
    params = {"serviceCategory": "1" if on else "0", "webhookApiCode": webhook_api_code}
    if on:
        params["url"] = url
    return params


def batches(tracking_numbers: list[str]) -> list[str]:
    """``pnos`` values for routesBatch, each a comma list of at most 500 characters."""
    out: list[str] = []
    current = ""
    for tn in tracking_numbers:
        candidate = f"{current},{tn}" if current else tn
        if len(candidate) > BATCH_MAX_CHARS and current:
            out.append(current)
            candidate = tn
        current = candidate
    if current:
        out.append(current)
    return out


# --- errors ---------------------------------------------------------------------------------------------
# Response codes (https://open-docs.flashexpress.com/#response-code) -> our error and the field in OUR
# request's terms. 0 is an internal error: for a create that is ambiguous, so it is never retried blindly.
ERRORS: dict[str, tuple[type[CarrierError], str]] = {
    "0": (CarrierUnavailable, ""),
    "1000": (CarrierRejected, ""),  # malformed request; ``data`` or the message names the fields
    "1001": (CarrierAuthError, "credentials.mch_id"),  # unknown merchant (or the wrong environment)
    "1002": (CarrierAuthError, "credentials.key"),  # bad signature
    "1003": (DuplicateReference, "reference"),  # outTradeNo used before; the original is not returned
    "1004": (CarrierRejected, "sender"),  # sender address not in Flash's location tree
    "1005": (CarrierRejected, "recipient"),  # receiver address not in Flash's location tree
    "1006": (ShipmentNotFound, "tracking_number"),
    "1007": (CarrierRejected, "settings.warehouse_no"),
    "1008": (CarrierRejected, "parcel.cod"),  # COD not enabled on the account
    "1009": (CarrierRejected, "parcel.cod"),  # negative COD
    "1010": (PickupAlreadyOpen, "pickup"),  # an open pickup request exists
    "1011": (NotCancellable, "pickup"),
    "1015": (NotCancellable, "tracking_number"),  # picked up: too late to cancel
    "1018": (CarrierRejected, "sender"),  # neither a sender address nor warehouseNo
    "1019": (CarrierRejected, "tracking_number"),  # the pno belongs to another mchId
    "1020": (CarrierRejected, "parcel.declared_value"),
    "1021": (CarrierRejected, ""),  # a postcode is not 5 digits: which one is read from what we sent
    "1022": (CarrierRejected, "sender"),  # sender outside the service area
}
# Flash's form field -> our request's field, for errors whose ``data`` or message names a Flash field.
FIELDS: dict[str, str] = {
    "outTradeNo": "reference", "remark": "package", "warehouseNo": "settings.warehouse_no",
    "articleCategory": "settings.article_category", "expressCategory": "service",
    "weight": "parcel.weight", "length": "parcel.dimensions", "width": "parcel.dimensions",
    "height": "parcel.dimensions", "insured": "parcel.declared_value", "insureDeclareValue": "parcel.declared_value",
    "codEnabled": "parcel.cod", "codAmount": "parcel.cod", "estimateParcelNumber": "pickup.parcels",
}
for _prefix, _whose in (("src", "sender"), ("dst", "recipient")):
    FIELDS.update({f"{_prefix}Name": f"{_whose}.name", f"{_prefix}Phone": f"{_whose}.phone",
                   f"{_prefix}HomePhone": f"{_whose}.phone", f"{_prefix}ProvinceName": f"{_whose}.state",
                   f"{_prefix}CityName": f"{_whose}.city", f"{_prefix}DistrictName": f"{_whose}.district",
                   f"{_prefix}PostalCode": f"{_whose}.postcode", f"{_prefix}DetailAddress": f"{_whose}.line1"})


def _details(data: Any) -> tuple[str, str]:
    """``data`` on a 1000 is ``{field: [messages]}``: the first field named, and every message."""
    if not isinstance(data, Mapping):
        return "", ""
    field, texts = "", []
    for key, value in data.items():
        if not isinstance(value, list):  # e.g. 1010's ticket details, not a validation message
            continue
        said = [str(v) for v in value if isinstance(v, str) and v.strip()]
        if said:
            field = field or str(key)
            texts.extend(said)
    return field, "; ".join(texts)


def _named_in(message: str, sent: Mapping[str, str]) -> str:
    """The first Flash field name the message mentions (e.g. "dstPhone is required"), when ``data`` names none."""
    names = set(FIELDS) | set(sent)
    found = [(m.start(), m.group(0)) for m in re.finditer(r"[A-Za-z][A-Za-z0-9]*", message) if m.group(0) in names]
    return min(found)[1] if found else ""


def _bad_postcode(sent: Mapping[str, str]) -> str:
    for name in ("dstPostalCode", "srcPostalCode"):
        if name in sent and not re.fullmatch(r"\d{5}", sent[name]):
            return FIELDS[name]
    return ""


def error_from_envelope(body: Mapping[str, Any], sent: Mapping[str, str], status: int = 200) -> CarrierError:
    """A non-1 ``code`` as a typed error; ``sent`` (our form fields) tells which of two postcodes was bad."""
    code = str(body.get("code")).strip()
    kind, field = ERRORS.get(code, (CarrierRejected, ""))
    carrier_field, detail = _details(body.get("data"))
    message = str(body.get("message") or f"code {code}")
    if detail and detail not in message:
        message = f"{message}: {detail}"
    if code == "1021":
        field = _bad_postcode(sent) or FIELDS.get(carrier_field, "")
    elif carrier_field in FIELDS:
        field = FIELDS[carrier_field]
    elif carrier_field and not field and carrier_field != "base":  # "base": Flash's not-a-field key
        field = carrier_field
    if not field and (named := _named_in(message, sent)):
        field = FIELDS.get(named, named)
    if code == "1010":
        data = body.get("data")
        ticket = data.get("ticketPickupId") if isinstance(data, Mapping) else None
        message = f"an open pickup request already exists{f' (ticket {ticket})' if ticket else ''}: {message}"
    error = kind(CARRIER, message, code=code, field=field, status=status, request_id=str(body.get("tid") or ""))
    if isinstance(error, PickupAlreadyOpen):
        data = body.get("data")
        error.ticket = str((data.get("ticketPickupId") if isinstance(data, Mapping) else None) or "")
    return error


def envelope_data(body: Any, sent: Mapping[str, str], status: int = 200) -> Any:
    """``data`` of a ``code`` 1 answer; anything else raised as a typed error. An answer we cannot read is
    :class:`CarrierUnavailable` (for a create it is ambiguous: the order may exist)."""
    if not isinstance(body, Mapping) or "code" not in body:
        raise CarrierUnavailable(CARRIER, "answer is not a Flash envelope", code="bad_response", status=status)
    if str(body.get("code")).strip() == "1":
        return body.get("data")
    raise error_from_envelope(body, sent, status)


# --- tracking -------------------------------------------------------------------------------------------
def epoch(value: Any) -> datetime | None:
    """Flash times are epoch seconds (numbers or digit strings); milliseconds and ISO text are tolerated."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BANGKOK)


def _action(event: Mapping[str, Any]) -> str:
    # Routes answer ``routeAction``; the status webhook sample spells it ``routedAction``.
    return str(event.get("routeAction") or event.get("routedAction") or "").strip().upper()


def _state(event: Mapping[str, Any]) -> str:
    value = event.get("state")
    return "" if value is None else str(value).strip()


def _on_return_leg(mapped: Mapped, on_rts: bool) -> Mapped:
    """After a return to sender, a delivery is the parcel arriving back with the sender."""
    if not on_rts:
        return mapped
    if mapped.status.value == "Delivered":
        return Mapped("Exception_011", frozenset({"return_leg", statuses.REFETCH}))
    if "no_status_change" in mapped.flags or mapped.sub_status in ("Exception_012", "Exception_013"):
        return Mapped(mapped.sub_status, mapped.flags | {"return_leg"})
    if "cancelled" in mapped.flags or "return_leg" in mapped.flags:
        return mapped
    return Mapped("Exception_010", mapped.flags | {"return_leg"})


def route_event(tracking_number: str, route: Mapping[str, Any], on_rts: bool = False,
                extra_flags: frozenset[str] = frozenset(), time: datetime | None = None) -> TrackingEvent:
    action, state = _action(route), _state(route)
    when = time or epoch(route.get("routedAt"))
    if when is None:
        raise ValueError("route without routedAt")
    mapped = _on_return_leg(statuses.lookup(action, state), on_rts)
    details = {k: route[k] for k in ("state", "stateText", "routedAt") if route.get(k) not in (None, "")}
    return TrackingEvent(
        carrier=CARRIER, tracking_number=tracking_number, status=mapped.status, sub_status=mapped.sub_status,
        time=when, raw_code=action or f"STATE_{state}",
        raw_text=str(route.get("message") or route.get("stateText") or ""),
        flags=mapped.flags | extra_flags, details=details,
    )


def events_from_routes(data: Any, tracking_number: str, extra_flags: frozenset[str] = frozenset(),
                       returned: bool = False) -> list[TrackingEvent]:
    """``/routes`` data ``{pno, state, stateText, stateChangeAt, routes[]}``, oldest first. With no scan yet,
    one event says Flash has the order (timed by ``stateChangeAt``, so a re-read gives the same id)."""
    if not isinstance(data, Mapping):
        raise CarrierError(CARRIER, "routes answer without data", code="bad_response")
    tn = str(data.get("pno") or tracking_number)
    timed = []
    for route in data.get("routes") or []:
        if isinstance(route, Mapping) and epoch(route.get("routedAt")) is not None:
            timed.append(route)
    timed.sort(key=lambda r: epoch(r.get("routedAt")) or datetime.min.replace(tzinfo=UTC))
    out: list[TrackingEvent] = []
    on_rts = returned
    for route in timed:
        action = _action(route)
        event = route_event(tn, route, on_rts and action != "SYSTEM_AUTO_RETURN", extra_flags)
        on_rts = on_rts or action == "SYSTEM_AUTO_RETURN"
        out.append(event)
    if not out:
        when = epoch(data.get("stateChangeAt"))
        if when is not None:
            state = _state(data)
            mapped = statuses.STATES.get(state, statuses.NO_SCAN_YET)
            out.append(TrackingEvent(
                carrier=CARRIER, tracking_number=tn, status=mapped.status, sub_status=mapped.sub_status, time=when,
                raw_code=f"STATE_{state or 0}", raw_text=str(data.get("stateText") or ""),
                flags=mapped.flags | extra_flags, details={"state": state} if state else {},
            ))
    return out


def events_from_batch(data: Any) -> dict[str, list[TrackingEvent]]:
    """routesBatch: a list of routes objects, one per ``pno`` (the list's wrapper is UNCONFIRMED: a bare list
    or one under ``list`` / ``routes``)."""
    items = data
    if isinstance(data, Mapping):
        items = data.get("list") or data.get("routes") or data.get("pnos") or []
    out: dict[str, list[TrackingEvent]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("pno"):
            out[str(item["pno"])] = events_from_routes(item, str(item["pno"]))
    return out


# --- webhooks -------------------------------------------------------------------------------------------
def parse_form(body: bytes) -> dict[str, str] | None:
    """The form as sent; None when it is not a form or names a field twice (which value was signed?)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            return None
        form[key] = value
    return form


def webhook_signature(form: Mapping[str, str], key: str, mch_id: str) -> str:
    """``"full"`` when ``sign`` covers every field received; ``"narrow"`` when it covers only mchId and
    nonceStr (what api-evangelist's capture of the docs says Flash signs — UNCONFIRMED, and it lets the
    payload be swapped); ``""`` when neither, or the webhook is for another merchant."""
    sent = form.get("sign", "").upper().encode()
    if not sent or form.get("mchId") != mch_id:
        return ""
    if hmac.compare_digest(sign(form, key).encode(), sent):
        return "full"
    narrow = {"mchId": form.get("mchId", ""), "nonceStr": form.get("nonceStr", "")}
    if form.get("nonceStr") and hmac.compare_digest(sign(narrow, key).encode(), sent):
        return "narrow"
    return ""


def _webhook_kind(form: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """``webhookApiCode`` (the subscription's own field name; its presence in the delivery is our
    convention, UNCONFIRMED) says which type; without it the payload's keys do."""
    code = str(form.get("webhookApiCode") or data.get("webhookApiCode") or "").strip()
    if code in statuses.WEBHOOK_TYPES:
        return statuses.WEBHOOK_TYPES[code]
    keys = {k.lower() for k in data}
    if isinstance(data.get("routes"), list):
        return "routes"
    if _action(data):
        return "status"
    if any("weight" in k for k in keys):
        return "weight"
    if any("price" in k or "freight" in k for k in keys):
        return "price"
    if "state" in keys:
        return "status"
    if any("staff" in k or "courier" in k for k in keys):
        return "courier"
    return "status"


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def events_from_webhook(body: bytes, key: str, mch_id: str) -> list[TrackingEvent]:
    """One webhook (form: mchId, nonceStr, sign, webhookApiCode, ``data`` as a JSON string) as events.

    Events of a webhook whose signature does not cover the payload get ``unverified_payload``; weight,
    price and return-to-sender events get ``refetch_required`` (the tracking worker re-reads ``/routes``
    rather than trusting money from the payload)."""
    form = parse_form(body)
    if form is None:
        raise ValueError("webhook body is not a form")
    raw = form.get("data") or form.get("dataJson") or ""  # ``dataJson`` in one integration
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError("webhook data is not JSON") from exc
    if not isinstance(data, Mapping):
        raise ValueError("webhook data is not an object")
    tn = str(data.get("pno") or data.get("recentPno") or "")
    if not tn:
        raise ValueError("webhook data lacks pno")
    flags: set[str] = set()
    if webhook_signature(form, key, mch_id) != "full":
        flags.add(statuses.UNVERIFIED)
    returned = _truthy(data.get("returned"))
    if returned:
        flags.add(statuses.REFETCH)
    kind = _webhook_kind(form, data)
    if kind in statuses.WEBHOOK_ONLY:
        mapped = statuses.WEBHOOK_ONLY[kind]
        when = next((t for t in (epoch(data.get(k)) for k in ("updateAt", "updatedAt", "routedAt", "stateChangeAt",
                                                              "createdAt")) if t), None)
        when = when or epoch(form.get("nonceStr"))  # documented as a timestamp string
        if when is None:
            raise ValueError(f"{kind} webhook without a time")
        return [TrackingEvent(
            carrier=CARRIER, tracking_number=tn, status=mapped.status, sub_status=mapped.sub_status, time=when,
            raw_code=f"WEBHOOK_{kind.upper()}", raw_text=str(data.get("message") or data.get("stateText") or kind),
            flags=mapped.flags | frozenset(flags), details=dict(data),
        )]
    if isinstance(data.get("routes"), list):
        events = events_from_routes(data, tn, frozenset(flags), returned)
    else:
        when = epoch(data.get("routedAt")) or epoch(data.get("updateAt")) or epoch(data.get("stateChangeAt"))
        if when is None:
            raise ValueError("status webhook without routedAt")
        events = [route_event(tn, data, returned and _action(data) != "SYSTEM_AUTO_RETURN", frozenset(flags), when)]
    if not events:
        raise ValueError("webhook without events")
    return events
