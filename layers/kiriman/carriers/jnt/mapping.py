"""Pure mapping between our shipment types and J&T's JMS open-platform payloads (Malaysia tenant).

Shapes from J&T's MY open-platform pages ("API Introduction", "Create Order", "Order Inquiry", "Order
Cancel", "Print AWB", "Tracking Inquiry", "Tracking Info Callback"), as re-published in
laraditz/courier-jt-express ``docs/j&t-api/*.md``; the CN/EG business digest as implemented by the JMS
Egypt clients (https://packagist.org/packages/mohamedhekal/shipbridge-jtexpress). Every call is a form
POST with one field, ``bizContent`` (a JSON string), signed in the headers; the answer is
``{code, msg, data, requestId}`` with ``code`` 1 for success and HTTP 200 for business errors too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from kiriman.carriers.base import (
    CarrierAuthError,
    CarrierError,
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    CreatedShipment,
    DuplicateReference,
    NotCancellable,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.jnt import statuses
from kiriman.carriers.jnt.info import SIGNATURE_HEADER as SIGNATURE_HEADER
from kiriman.carriers.tracking import TrackingEvent
from kiriman.domain.parcels import Address, Money

CARRIER = "jnt"
API_PREFIX = "/webopenplatformapi/api"
ADD_ORDER = "/order/addOrder"
GET_ORDERS = "/order/getOrders"
CANCEL_ORDER = "/order/cancelOrder"
PRINT_ORDER = "/order/printOrder"
TRACE = "/logistics/trace"
FORM = "application/x-www-form-urlencoded"

# Salts of the business credentials (J&T "API Introduction": MY/VN password = MD5(plain + salt), upper
# hex; CN/EG business digest over the customer code and a differently salted password).
# Both salts are published constants, not secrets.
PASSWORD_SALT = "jadada369t3"  # noqa: S105
DIGEST_PASSWORD_SALT = "jadada236t2"  # noqa: S105
BUSINESS_AUTH_MODES = ("password", "digest")
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")

# J&T's own country codes ("Create Order", 国家/地区code): ISO-3 except Singapore (SIN) and Brunei (BWM).
COUNTRY_CODES = {"MY": "MYS", "SG": "SIN", "VN": "VNM", "BN": "BWM", "HK": "HKG", "CN": "CHN", "TH": "THA",
                 "PH": "PHL", "ID": "IDN"}
CURRENCIES = {"MY": "MYR", "VN": "VND", "CN": "CNY", "SG": "SGD", "TH": "THB", "PH": "PHP", "ID": "IDR"}
# Scan times are local wall-clock strings; ``timeZone`` (e.g. "GMT+08:00") says which, and when a
# tenant leaves it out we read the tenant's standard offset (fixed offsets: no tz database needed).
UTC_OFFSETS_H = {"MY": 8, "SG": 8, "CN": 8, "PH": 8, "HK": 8, "BN": 8, "VN": 7, "TH": 7, "ID": 7, "EG": 2}
# expressType (EZ standard, EX next day, FD fresh; the MY error table also lists DO and JS). Our generic
# service names map onto them; a J&T code passes through unchanged.
SERVICE_ALIASES = {"standard": "EZ", "express": "EX", "nextday": "EX", "next day": "EX", "fresh": "FD"}
PICKUP_WINDOW = ("09:00:00", "18:00:00")
CANCEL_REASON = "Cancelled by the shipper before handover"
REMARK_MAX = 200


# --- signing ----------------------------------------------------------------------------------------
def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()


def header_digest(biz_content: str, private_key: str) -> str:
    """``digest`` header: Base64 of the raw 16-byte MD5 of (bizContent string + privateKey), not of its hex."""
    return base64.b64encode(_md5(biz_content + private_key)).decode("ascii")


def business_password(secret: str) -> str:
    """MY/VN ``password``: upper-case hex MD5 of (plain + "jadada369t3"). A 32-hex value is taken as already
    processed — the MY doc's examples show the partner handing out that form (UNCONFIRMED which one an
    account expects; accepting both is what several MY/VN clients do)."""
    if _HEX32.fullmatch(secret):
        return secret.upper()
    return _md5(secret + PASSWORD_SALT).hex().upper()


def digest_password(secret: str) -> str:
    """The CN/EG processed password: upper-case hex MD5 of (plain + "jadada236t2"); 32-hex taken as ready."""
    if _HEX32.fullmatch(secret):
        return secret.upper()
    return _md5(secret + DIGEST_PASSWORD_SALT).hex().upper()


def business_digest(customer_code: str, secret: str, private_key: str) -> str:
    """CN/EG ``digest`` inside bizContent: Base64(raw MD5(customerCode + processed password + privateKey))."""
    return base64.b64encode(_md5(customer_code + digest_password(secret) + private_key)).decode("ascii")


def business_auth(customer_code: str, secret: str, private_key: str, mode: str) -> dict[str, str]:
    """The credentials every bizContent starts with; the tenant's scheme is the account's ``business_auth``."""
    if mode == "password":
        return {"customerCode": customer_code, "password": business_password(secret)}
    if mode == "digest":
        return {"customerCode": customer_code, "digest": business_digest(customer_code, secret, private_key)}
    raise CarrierAuthError(CARRIER, f"setting business_auth must be one of {BUSINESS_AUTH_MODES}, not {mode!r}",
                           code="bad_setting", field="settings.business_auth")


def encode_biz(payload: Mapping[str, Any]) -> str:
    """Serialise once, compactly; the same string is signed and sent (key order and spacing matter)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def headers(api_account: str, biz_content: str, private_key: str, timestamp_ms: int) -> dict[str, str]:
    return {"apiAccount": api_account, "digest": header_digest(biz_content, private_key),
            "timestamp": str(timestamp_ms), "Content-Type": FORM}


def form_body(biz_content: str) -> bytes:
    return urlencode({"bizContent": biz_content}).encode("ascii")


# --- units ------------------------------------------------------------------------------------------
def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def kg(grams: int) -> str:
    """Grams to J&T's kg string (2 decimals, at least 0.01), rounded up so a parcel is never declared lighter."""
    value = (Decimal(max(grams, 0)) / 1000).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return _plain(max(value, Decimal("0.01")))


def cm(value: Decimal) -> str:
    return _plain(value.quantize(Decimal("0.01"), rounding=ROUND_CEILING))


def amount(value: Decimal) -> str:
    return _plain(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def country_code(iso2: str, account_country: str, settings: Mapping[str, str]) -> str:
    """J&T's three-letter code; the account's own country may be overridden by ``country_iso3``."""
    iso2 = iso2.upper()
    if iso2 == account_country.upper() and settings.get("country_iso3"):
        return str(settings["country_iso3"]).upper()
    return COUNTRY_CODES.get(iso2, "")


def currency_of(account_country: str, settings: Mapping[str, str]) -> str:
    return str(settings.get("currency") or CURRENCIES.get(account_country.upper(), "MYR")).upper()


# --- requests ---------------------------------------------------------------------------------------
def party(addr: Address, code: str, *, receiver: bool) -> dict[str, str]:
    """``sender`` / ``receiver``. Required keys are always sent, even empty, so J&T names what is missing;
    prov/city/area are optional for MYS (derived from the postcode) and sent when we know them."""
    out = {"name": addr.name or addr.company, "phone": phone(addr.phone), "countryCode": code,
           "address": ", ".join(p for p in (addr.line1, addr.line2) if p), "postCode": addr.postcode}
    for key, value in (("prov", addr.state), ("city", addr.city), ("area", addr.district or addr.ward)):
        if value:
            out[key] = value
    if receiver and addr.email:
        out["email"] = addr.email
    return out


def phone(value: str) -> str:
    """Digits only, country code kept: the MY examples write numbers as "60123456" (no "+", no spaces)."""
    return re.sub(r"\D", "", value)


def express_type(service: str, settings: Mapping[str, str]) -> str:
    if not service:
        return str(settings.get("express_type") or "EZ")
    return SERVICE_ALIASES.get(service.strip().lower(), service.strip().upper())


def service_type(req: ShipmentRequest, settings: Mapping[str, str]) -> str:
    """1 = J&T collects (door to door), 6 = the shipper drops off; a request without pickup drops off."""
    if not req.pickup:
        return "6"
    return str(settings.get("service_type") or "1")


def _money(money: Money, currency: str, field: str) -> str:
    if money.currency.upper() != currency:
        raise CarrierRejected(CARRIER, f"J&T takes {field} in the account currency {currency}, not {money.currency}",
                              code="currency", field=field)
    return amount(money.amount)


def order_payload(req: ShipmentRequest, account_country: str, settings: Mapping[str, str],
                  auth: Mapping[str, str]) -> dict[str, Any]:
    """``order/addOrder`` bizContent. The client reference is ``txlogisticId`` (J&T refuses a reused one);
    the package identity rides in ``remark`` (free text, ≤200)."""
    parcel = req.parcel
    currency = currency_of(account_country, settings)
    item_currency = parcel.declared_value.currency.upper() or currency
    body: dict[str, Any] = {
        **auth,
        "txlogisticId": req.reference,
        "actionType": "add",
        "serviceType": service_type(req, settings),
        "payType": str(settings.get("pay_type") or "PP_PM"),
        "expressType": express_type(req.service, settings),
        "sender": party(req.sender, country_code(req.sender.country, account_country, settings), receiver=False),
        "receiver": party(req.recipient, country_code(req.recipient.country, account_country, settings),
                          receiver=True),
        # Item weight: the MY page gives no unit; its error table bounds it 0.01-999 like the kg fields
        # (UNCONFIRMED), so the unit weight goes in kg.
        "items": [{"itemName": i.description[:100], "number": str(i.quantity), "weight": kg(i.unit_weight_g),
                   "itemValue": amount(i.unit_value), "itemCurrency": item_currency} for i in parcel.items],
        "packageInfo": {"packageQuantity": "1", "weight": kg(parcel.actual_weight_g),
                        "packageValue": amount(parcel.declared_value.amount),
                        "goodsType": str(req.options.get("goods_type") or "ITN8")},
        "remark": req.package.identity[:REMARK_MAX],
    }
    if parcel.dimensions is not None:
        body["packageInfo"].update({"length": cm(parcel.dimensions.length_cm), "width": cm(parcel.dimensions.width_cm),
                                    "height": cm(parcel.dimensions.height_cm)})
    if req.pickup and req.ship_date is not None:
        day = req.ship_date.isoformat()
        body["sendStartTime"] = f"{day} {PICKUP_WINDOW[0]}"
        body["sendEndTime"] = f"{day} {PICKUP_WINDOW[1]}"
    if parcel.is_cod and parcel.cod is not None:
        body["codInfo"] = {"codValue": _money(parcel.cod, currency, "parcel.cod")}
    if req.options.get("insure"):  # presence of offerValue switches insurance on; 0 is refused by J&T
        body["offerFeeInfo"] = {"offerValue": amount(parcel.declared_value.amount)}
    return body


def reference_payload(auth: Mapping[str, str], reference: str) -> dict[str, Any]:
    return {**auth, "txlogisticId": reference}


def print_payload(auth: Mapping[str, str], tracking_number: str, reference: str) -> dict[str, Any]:
    """``order/printOrder``: the doc marks ``txlogisticId`` required and ``billCode`` optional; when we do not
    know the reference we send the bill code alone and let J&T say whether that is enough."""
    body: dict[str, Any] = dict(auth)
    if reference:
        body["txlogisticId"] = reference
    body["billCode"] = tracking_number
    return body


def cancel_payload(auth: Mapping[str, str], tracking_number: str, reference: str,
                   reason: str = CANCEL_REASON) -> dict[str, Any]:
    body = print_payload(auth, tracking_number, reference)
    body["reason"] = reason[:300]
    return body


def trace_payload(auth: Mapping[str, str], tracking_number: str) -> dict[str, Any]:
    return {**auth, "billCode": tracking_number}


# --- responses --------------------------------------------------------------------------------------
AUTH_CODES = frozenset({"145003051", "145003052", "145003053", "145003010", "145003012", "145003030",
                        "145003031"})  # 145003031: business-parameter signature (CN/EG digest) failed
VALIDATION_CODES = frozenset({"145003050", "999001010", "999001030", "145003082", "145003089", "145003100"})
NOT_FOUND_CODES = frozenset({"999002000"})  # "No order data found" (Order Cancel page)
NOT_CANCELLABLE_CODES = frozenset({"999002010"})  # "order status can not be cancel"
CODE_FIELDS = {"145003082": "reference", "145003089": "reason", "145003100": "tracking_number"}

_NOT_FOUND = re.compile(r"not\s+(been\s+)?found|未找到|no\s+(such\s+)?(order|data|record|waybill)|"
                        r"(order|bill\s*code|waybill|data|record|txlogisticid)\w*\s+(does\s+not|doesn't|not)\s+exist|"
                        r"(运单|订单|数据)\S{0,6}不存在", re.I)
# The duplicate-txlogisticId answer's code is UNCONFIRMED (carriers.md §2.6 leaves it open): any create
# refusal that says the order number already exists / is a duplicate / a repeat counts, whatever its code.
_DUPLICATE = re.compile(r"duplicat|repeat|already\s+(exist|been|used|placed|created)|\bexists\b|重复|已存在", re.I)
_CANCEL_STATE = re.compile(r"can\s*not\s+(be\s+)?cancel|cannot\s+(be\s+)?cancel|can't\s+(be\s+)?cancel|"
                           r"not\s+allow\w*\s+to\s+cancel|picked\s+up|collected|"
                           r"不能取消|不允许取消|不可取消|已揽收", re.I)
ALREADY_CANCELLED = re.compile(r"already\s+(been\s+)?cancel|has\s+been\s+cancel|已取消", re.I)
_THROTTLED = re.compile(r"too\s+many|too\s+frequent|rate\s+limit|频繁|限流|请求过多", re.I)
_BUSY = re.compile(r"system\s+(is\s+)?(busy|error)|service\s+unavailable|time\s*d?\s*out|系统繁忙|系统异常|超时", re.I)


def _code(body: Mapping[str, Any]) -> str:
    text = str(body.get("code") if body.get("code") is not None else "").strip()
    return text[:-2] if text.endswith(".0") else text


def request_id(body: Mapping[str, Any]) -> str:
    return str(body.get("requestId") or body.get("requestID") or "")


def is_success(body: Mapping[str, Any]) -> bool:
    return _code(body) == "1"


def envelope_data(body: Any, sent: Mapping[str, Any], operation: str = "", status: int = 200) -> Any:
    """``data`` of a code-1 answer; anything else raised as a typed error. An answer we cannot read is
    :class:`CarrierUnavailable`: for a create it is ambiguous, so the caller looks the reference up."""
    if not isinstance(body, Mapping) or "code" not in body:
        raise CarrierUnavailable(CARRIER, "unreadable answer (no JSON envelope with a code)", code="bad_response",
                                 status=status)
    if is_success(body):
        return body.get("data")
    raise error_from_envelope(body, sent, operation, status)


def error_from_envelope(body: Mapping[str, Any], sent: Mapping[str, Any], operation: str = "",
                        status: int = 200) -> CarrierError:
    """A non-1 ``code`` as a typed error. ``sent`` is the bizContent we sent (it tells which of two
    addresses a bare field name means); ``operation`` is "create", "cancel" or "" for the others."""
    code = _code(body)
    message = str(body.get("msg") or body.get("message") or f"code {code}")
    kw: dict[str, Any] = {"code": code, "status": status, "request_id": request_id(body)}
    if code in AUTH_CODES:
        return CarrierAuthError(CARRIER, message, **kw)
    if code in NOT_FOUND_CODES or (operation != "create" and _NOT_FOUND.search(message)):
        return ShipmentNotFound(CARRIER, message, **kw)
    if code in NOT_CANCELLABLE_CODES or (operation == "cancel" and _CANCEL_STATE.search(message)):
        return NotCancellable(CARRIER, message, **kw)
    if operation == "create" and _DUPLICATE.search(message):
        return DuplicateReference(CARRIER, message, field="reference", **kw)
    if _THROTTLED.search(message):
        return CarrierThrottled(CARRIER, message, **kw)
    if _BUSY.search(message):
        return CarrierUnavailable(CARRIER, message, **kw)
    field = CODE_FIELDS.get(code) or field_of(message, sent)
    if operation == "cancel" and code not in VALIDATION_CODES and not field:
        # The post-pickup refusal's text is UNCONFIRMED: a well-formed cancel of an order J&T knows that it
        # still refuses is refused for the order's state.
        return NotCancellable(CARRIER, message, **kw)
    return CarrierRejected(CARRIER, message, field=field, **kw)


# Carrier field paths in our request's terms (what the API shows a merchant).
_PARTY_FIELDS = {"name": "name", "phone": "phone", "address": "line1", "postCode": "postcode",
                 "countryCode": "country", "prov": "state", "city": "city", "area": "district", "email": "email",
                 "idCard": "id_card"}
_PARTIES = {"sender": "sender", "receiver": "recipient"}
FIELDS: dict[str, str] = {
    **{f"{p}.{k}": f"{ours}.{v}" for p, ours in _PARTIES.items() for k, v in _PARTY_FIELDS.items()},
    "txlogisticId": "reference", "expressType": "service", "serviceType": "pickup", "remark": "package",
    "payType": "settings.pay_type", "customerCode": "credentials.customer_code",
    "password": "credentials.password", "digest": "credentials.password",
    "sendStartTime": "ship_date", "sendEndTime": "ship_date",
    "items": "parcel.items", "items.itemName": "parcel.items.description", "items.number": "parcel.items.quantity",
    "items.weight": "parcel.items.unit_weight_g", "items.itemValue": "parcel.items.unit_value",
    "items.itemCurrency": "parcel.declared_value.currency",
    "packageInfo": "parcel", "packageInfo.weight": "parcel.weight",
    "packageInfo.length": "parcel.dimensions.length_cm", "packageInfo.width": "parcel.dimensions.width_cm",
    "packageInfo.height": "parcel.dimensions.height_cm", "packageInfo.packageValue": "parcel.declared_value",
    "codInfo.codValue": "parcel.cod", "offerFeeInfo.offerValue": "options.insure",
    "billCode": "tracking_number",
}
_KNOWN = frozenset(FIELDS) | {"actionType", "reason", "customsInfo", "returnInfo", "multipleVotes",
                              "packageInfo.packageQuantity", "packageInfo.goodsType"}
# Words J&T uses for a field in running text ("receiver postcode invalid", "receiver country ... invalid").
_ALIASES = {"postcode": "postCode", "country": "countryCode", "province": "prov", "mailbox": "email",
            "mobile": "phone", "district": "area"}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z][A-Za-z0-9_]*(?:\[\d+\])?)*")


def _paths(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path, inner
            yield from _paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            yield from _paths(inner, prefix)


def _canonical(path: str, known: Mapping[str, str]) -> str:
    parts: list[str] = []
    for part in re.sub(r"\[\d+\]", "", path).split("."):
        part = _ALIASES.get(part.lower(), part)
        if not parts or parts[-1].lower() != part.lower():  # "customsInfo.customsInfo.currency" in the MY table
            parts.append(part)
    joined = ".".join(parts)
    return known.get(joined.lower(), joined)


def field_of(message: str, sent: Mapping[str, Any]) -> str:
    """The field a J&T message names ("receiver postCode is required", "items.itemName is required",
    "address is required"), in our terms when we know them, else J&T's path. A bare name shared by sender
    and receiver is resolved against what we sent: the one that was empty."""
    sent_paths: dict[str, list[Any]] = {}
    for path, value in _paths(sent):
        sent_paths.setdefault(path, []).append(value)
    known = {p.lower(): p for p in (*_KNOWN, *sent_paths)}
    words = _TOKEN.findall(message)
    for i, word in enumerate(words):
        lowered = word.lower()
        party_key = next((p for p in (*_PARTIES, "returnInfo") if p.lower() == lowered), "")
        if party_key and i + 1 < len(words):
            candidate = _canonical(f"{party_key}.{words[i + 1]}", known)
            if candidate in _KNOWN or candidate in sent_paths:
                return FIELDS.get(candidate, candidate)
        if "." in word:
            candidate = _canonical(word, known)
            return FIELDS.get(candidate, candidate)
        name = _ALIASES.get(lowered, word)
        if name.lower() in known and "." not in known[name.lower()] and name.lower() not in _PARTY_LOWER:
            top = known[name.lower()]
            return FIELDS.get(top, top)
        if name.lower() in _PARTY_LOWER:
            canonical_name = _PARTY_LOWER[name.lower()]
            candidates = [f"{p}.{canonical_name}" for p in ("receiver", "sender")]
            empty = [c for c in candidates if c in sent_paths and any(v in (None, "") for v in sent_paths[c])]
            chosen = (empty or [c for c in candidates if c not in sent_paths] or candidates)[0]
            return FIELDS.get(chosen, chosen)
    return ""


_PARTY_LOWER = {k.lower(): k for k in _PARTY_FIELDS}


def created_from_response(data: Any, account_id: str, reference: str, service: str) -> CreatedShipment:
    """addOrder's ``data {txlogisticId, billCode, sortingCode, …, packageChargeWeight}``: no label, no price.
    A success without a bill code is unreadable, hence ambiguous for a create."""
    bill = str(data.get("billCode") or "") if isinstance(data, Mapping) else ""
    if not bill:
        raise CarrierUnavailable(CARRIER, "order answer without billCode", code="bad_response")
    return CreatedShipment(carrier=CARRIER, account_id=account_id, reference=reference, tracking_number=bill,
                           service=service, raw=dict(data))


def found_order(data: Any, account_id: str, reference: str) -> CreatedShipment | None:
    """getOrders' ``data`` (the stored order with its ``billCode``); empty data means no such order. A list
    is tolerated (EG's query answers one)."""
    orders = data if isinstance(data, list) else [data]
    for order in orders:
        if not isinstance(order, Mapping):
            continue
        if order.get("txlogisticId") not in (None, "", reference):
            continue
        bill = str(order.get("billCode") or "")
        if bill:
            return CreatedShipment(carrier=CARRIER, account_id=account_id, reference=reference, tracking_number=bill,
                                   service=str(order.get("expressType") or ""), raw=dict(order))
    return None


def label_content(data: Any) -> tuple[bytes | None, str]:
    """printOrder's ``data``: the PDF as ``base64EncodeContent`` (absent for multi-parcel orders) or a PDF
    URL in ``urlContent``. Returns (bytes, "") or (None, url)."""
    if not isinstance(data, Mapping):
        raise CarrierError(CARRIER, "label answer without data", code="bad_label")
    encoded = str(data.get("base64EncodeContent") or "").strip()
    if encoded:
        try:
            return base64.b64decode(encoded, validate=False), ""
        except (binascii.Error, ValueError) as exc:
            raise CarrierError(CARRIER, "label is not valid base64", code="bad_label") from exc
    url = str(data.get("urlContent") or "").strip()
    if not url:
        raise CarrierError(CARRIER, "label answer has neither base64EncodeContent nor urlContent", code="bad_label")
    return None, url


# --- tracking ---------------------------------------------------------------------------------------
_ZONE = re.compile(r"^(?:GMT|UTC)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.I)


def default_offset(country: str) -> timezone:
    return timezone(timedelta(hours=UTC_OFFSETS_H.get(country.upper(), 8)))


def zone_of(text: Any, default: timezone) -> timezone:
    """``timeZone`` as J&T writes it ("GMT+08:00"; the MY page also says "UTC+8"); "GMT"/"UTC" alone is UTC."""
    value = str(text or "").strip()
    if value.upper() in ("GMT", "UTC", "Z"):
        return UTC
    match = _ZONE.match(value)
    if not match:
        return default
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))


def scan_time(value: Any, zone: Any, default: timezone) -> datetime:
    """``scanTime`` "YYYY-MM-DD HH:mm:ss" local (the VN note quotes an ISO "T" form; both are read)."""
    text = str(value or "").strip().replace("T", " ")
    if not text:
        raise ValueError("scan without scanTime")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone_of(zone, default))


def _location(detail: Mapping[str, Any]) -> str:
    parts = [str(detail[k]) for k in ("scanNetworkName", "scanNetworkCity", "scanNetworkProvince")
             if detail.get(k) not in (None, "")]
    return ", ".join(dict.fromkeys(parts))


def tracking_event(tracking_number: str, detail: Mapping[str, Any], default: timezone,
                   txlogistic_id: str = "") -> TrackingEvent:
    """One scan. Mapped by ``scanTypeCode``; a tenant that sends no code (the EG callback sample) is mapped
    by its ``scanTypeName`` / ``scanType`` through J&T's published name column, and that name is kept as
    the raw code."""
    code = statuses.normalise_code(detail.get("scanTypeCode"))
    name = str(detail.get("scanTypeName") or detail.get("scanType") or "")
    mapped = statuses.lookup(code) if code else statuses.lookup_name(name)
    extra = {k: v for k, v in detail.items() if v not in (None, "")}
    if txlogistic_id:
        extra.setdefault("txlogisticId", txlogistic_id)
    return TrackingEvent(
        carrier=CARRIER, tracking_number=tracking_number, status=mapped.status, sub_status=mapped.sub_status,
        time=scan_time(detail.get("scanTime"), detail.get("timeZone"), default), raw_code=code or name,
        raw_text=str(detail.get("desc") or name), location=_location(detail), flags=mapped.flags, details=extra,
    )


def _items(data: Any) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        return [data]
    if isinstance(data, list):
        return [i for i in data if isinstance(i, Mapping)]
    return []


def events_from_trace(data: Any, tracking_number: str, default: timezone) -> list[TrackingEvent]:
    """``logistics/trace`` ``data: [{billCode, details[]}]`` (an empty array when J&T has nothing), oldest first.
    Every event carries the number we asked for, so its id matches the same scan pushed by webhook."""
    items = _items(data)
    mine = [i for i in items if str(i.get("billCode") or tracking_number) == tracking_number] or items
    out = [tracking_event(tracking_number, d, default, str(item.get("txlogisticId") or ""))
           for item in mine for d in (item.get("details") or []) if isinstance(d, Mapping)]
    return sorted(out, key=lambda e: e.time)


def reference_in_trace(data: Any, tracking_number: str) -> str:
    """The ``txlogisticId`` a trace answer carries for our bill code, if the tenant includes it."""
    for item in _items(data):
        if str(item.get("billCode") or "") == tracking_number and item.get("txlogisticId"):
            return str(item["txlogisticId"])
    return ""


# --- webhooks ---------------------------------------------------------------------------------------
def biz_content(body: bytes) -> str | None:
    """The raw ``bizContent`` string of a form-encoded push (what the digest covers), or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key == "bizContent":
            return value
    return None


def verify(body: bytes, received: Mapping[str, str], api_account: str, private_key: str) -> bool:
    """Recompute Base64(MD5_raw(bizContent + privateKey)) over the pushed string; ``apiAccount``, when sent,
    must be ours (J&T "Tracking Info Callback")."""
    lowered = {k.lower(): v for k, v in received.items()}
    given = str(lowered.get(SIGNATURE_HEADER.lower()) or "").strip()
    if not given:
        return False
    account = lowered.get("apiaccount")
    if account is not None and str(account).strip() != api_account:
        return False
    biz = biz_content(body)
    if biz is None:
        return False
    return hmac.compare_digest(header_digest(biz, private_key).encode(), given.encode())


def events_from_webhook(body: bytes, default: timezone) -> list[TrackingEvent]:
    """A push's bizContent is a JSON array of ``{billCode, txlogisticId, details[]}`` batching parcels and
    scans; one event per detail, in push order (the receiving side de-duplicates on ``event_id``). A
    single object, as the EG and VN samples show, is read too."""
    biz = biz_content(body)
    if biz is None:
        raise ValueError("push without a bizContent form field")
    payload = json.loads(biz)
    items = _items(payload)
    if not items:
        raise ValueError("bizContent holds no parcel")
    out: list[TrackingEvent] = []
    for item in items:
        details = [d for d in (item.get("details") or []) if isinstance(d, Mapping)]
        for detail in details:
            tn = str(item.get("billCode") or detail.get("billCode") or detail.get("waybillId") or "")
            if not tn:
                raise ValueError("push item without billCode")
            out.append(tracking_event(tn, detail, default, str(item.get("txlogisticId") or "")))
    if not out:
        raise ValueError("push without scan details")
    return out


def webhook_ack(events: list[TrackingEvent]) -> str:
    """``{"code":"1","msg":"success","data":"SUCCESS","requestId":…}``; the id is derived from the events so
    a re-delivered push gets the same answer."""
    key = "|".join(e.event_id for e in events)
    rid = hashlib.sha256(key.encode()).hexdigest()[:32]
    return json.dumps({"code": "1", "msg": "success", "data": "SUCCESS", "requestId": rid}, separators=(",", ":"))


def webhook_rejection(code: str = "145003030", msg: str = "headers signature verification failed") -> str:
    """What to answer a push that fails verification: J&T's platform code, so its side logs the reason."""
    return json.dumps({"code": code, "msg": msg, "data": None}, separators=(",", ":"))
