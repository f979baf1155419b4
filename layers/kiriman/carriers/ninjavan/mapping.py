"""Pure mapping between our shipment types and Ninja Van's Order API v4.2 payloads.

Shapes from Ninja Van's API reference (https://api-docs.ninjavan.co/en, "Order API v4.2": Order,
ParcelJob, Address, OrderResponse, ErrorResponse, Marketplace; "Tracking events"; "Webhooks"), as
re-published in limmiehoang/ninjavan-api-reference (openapi/components/schemas/*.yaml).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kiriman.carriers.base import (
    CarrierError,
    CarrierRejected,
    CreatedShipment,
    DuplicateReference,
    NotCancellable,
    ShipmentNotFound,
    ShipmentRequest,
)
from kiriman.carriers.ninjavan import statuses
from kiriman.carriers.ninjavan.info import SIGNATURE_HEADER as SIGNATURE_HEADER
from kiriman.carriers.tracking import TrackingEvent
from kiriman.domain.parcels import Address

CARRIER = "ninjavan"
# Time zones named in timeslots, per country (IANA names as in Ninja Van's Timeslot examples).
TIMEZONES = {"SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur", "TH": "Asia/Bangkok", "ID": "Asia/Jakarta",
             "VN": "Asia/Ho_Chi_Minh", "PH": "Asia/Manila", "MM": "Asia/Yangon"}
# The allowed timeslots (ParcelJob: 09-12, 09-18, 09-22, 12-15, 15-18, 18-22).
DELIVERY_SLOT = ("09:00", "22:00")
PICKUP_SLOT = ("09:00", "18:00")
INFO_OBJECTS = ("arrived_at_origin_hub_information", "arrived_at_transit_hub_information",
                "arrived_at_destination_hub_information", "in_transit_to_next_sorting_hub_information")


def _kg(grams: int) -> float:
    return float((Decimal(grams) / 1000).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _money(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def address_payload(addr: Address) -> dict[str, Any]:
    """Ninja Van's Address: VN uses ward/district/city, the other markets area/city/state/postcode."""
    out: dict[str, Any] = {"address1": addr.line1, "country": addr.country.upper()}
    if addr.line2:
        out["address2"] = addr.line2
    if addr.country.upper() == "VN":
        out.update({k: v for k, v in (("ward", addr.ward), ("district", addr.district), ("city", addr.city)) if v})
    else:
        out.update({k: v for k, v in (("area", addr.district), ("city", addr.city), ("state", addr.state),
                                      ("postcode", addr.postcode)) if v})
    return out


def contact_payload(addr: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"name": addr.name or addr.company,
                           "address": address_payload(addr)}
    if addr.phone:
        out["phone_number"] = addr.phone
    if addr.email:
        out["email"] = addr.email
    return out


def _slot(country: str, slot: tuple[str, str]) -> dict[str, str]:
    return {"start_time": slot[0], "end_time": slot[1], "timezone": TIMEZONES.get(country.upper(), "Asia/Singapore")}


def order_payload(req: ShipmentRequest, country: str, today: date, settings: Mapping[str, str]) -> dict[str, Any]:
    """POST /{cc}/4.2/orders body. The package identity rides in ``merchant_order_number`` (free text,
    echoed back in webhooks as ``shipper_order_ref_no``); the client reference is the requested tracking
    number, which Ninja Van refuses to reuse."""
    ship_date = req.ship_date or today
    service_type = settings.get("service_type") or ("Marketplace" if req.seller_id else "Parcel")
    parcel = req.parcel
    job: dict[str, Any] = {
        "is_pickup_required": req.pickup,
        "delivery_start_date": ship_date.isoformat(),
        "delivery_timeslot": _slot(country, DELIVERY_SLOT),
        "items": [{"item_description": i.description[:255], "quantity": i.quantity,
                   "is_dangerous_good": i.dangerous} for i in parcel.items],
        "dimensions": {"weight": _kg(parcel.actual_weight_g)},
    }
    if req.pickup:
        job.update({
            "pickup_service_type": "Scheduled",
            "pickup_service_level": "Standard",
            "pickup_date": ship_date.isoformat(),
            "pickup_timeslot": _slot(country, PICKUP_SLOT),
            "pickup_approx_volume": settings.get("pickup_approx_volume") or "Less than 10 Parcels",
        })
        if settings.get("pickup_address_id"):
            job["pickup_address_id"] = settings["pickup_address_id"]
        else:
            job["pickup_address"] = contact_payload(req.sender)
    if parcel.dimensions is not None:
        job["dimensions"].update({"length": float(parcel.dimensions.length_cm),
                                  "width": float(parcel.dimensions.width_cm),
                                  "height": float(parcel.dimensions.height_cm)})
    if parcel.is_cod and parcel.cod is not None:
        job["cash_on_delivery"] = _money(parcel.cod.amount)
    if req.options.get("insure"):
        job["insured_value"] = _money(parcel.declared_value.amount)
    if req.instructions:
        job["delivery_instructions"] = req.instructions[:255]
    body: dict[str, Any] = {
        "service_type": service_type,
        "service_level": req.service or "Standard",
        "requested_tracking_number": req.reference,
        "reference": {"merchant_order_number": req.package.identity},
        "from": contact_payload(req.sender),
        "to": contact_payload(req.recipient),
        "parcel_job": job,
    }
    if service_type == "Marketplace":
        body["marketplace"] = {"seller_id": req.seller_id or str(req.package.shop_id),
                               "seller_company_name": (req.seller_name or req.sender.name)[:255]}
    return body


def tracking_number_for(reference: str, settings: Mapping[str, str]) -> str:
    """Prefixless accounts get shipper prefix + requested number (doc: ``1234-56789`` -> ``NVVN00001234-56789``)."""
    return settings.get("shipper_prefix", "") + reference


def created_from_response(data: Mapping[str, Any], account_id: str, reference: str, service: str) -> CreatedShipment:
    tn = str(data.get("tracking_number") or "")
    if not tn:
        raise CarrierError(CARRIER, "order response without tracking_number", code="bad_response")
    return CreatedShipment(carrier=CARRIER, account_id=account_id, reference=reference, tracking_number=tn,
                           service=service, raw=dict(data))


def error_from_body(status: int, body: Any, request_id: str = "") -> CarrierError:
    """ErrorResponse ``{error: {code, request_id, title, message, details: [{field, message, reason}]}}``,
    or the older ``{nvErrorCode, description, data: {message}, messages[]}``."""
    err = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(err, Mapping):
        details = err.get("details") or []
        first = details[0] if details and isinstance(details[0], Mapping) else {}
        field = str(first.get("field") or "")
        reason = str(first.get("reason") or "")
        message = str(first.get("message") or err.get("message") or err.get("title") or f"HTTP {status}")
        code = str(err.get("code") or reason or status)
        request_id = str(err.get("request_id") or request_id)
    elif isinstance(body, Mapping) and ("nvErrorCode" in body or "description" in body):
        field, reason = "", ""
        message = str(body.get("description") or (body.get("data") or {}).get("message") or f"HTTP {status}")
        code = str(body.get("nvErrorCode") or status)
    else:
        field, reason, message, code = "", "", f"HTTP {status}", str(status)
    kw: dict[str, Any] = {"code": code, "field": field, "status": status, "request_id": request_id}
    # The duplicate-reference answer's exact shape is unconfirmed: any error naming the requested
    # tracking number as a duplicate counts.
    if field == "requested_tracking_number" and ("DUPLICATE" in reason.upper() or "use" in message.lower()):
        return DuplicateReference(CARRIER, message, **kw)
    if status == 404:
        return ShipmentNotFound(CARRIER, message, **kw)
    if status == 400 and ("CANCEL" in reason.upper() or "cancel" in message.lower()):
        return NotCancellable(CARRIER, message, **kw)
    return CarrierRejected(CARRIER, message, **kw)


def _time(value: Any) -> datetime:
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _location(event: Mapping[str, Any]) -> str:
    for key in INFO_OBJECTS:
        info = event.get(key)
        if isinstance(info, Mapping):
            parts = [str(info.get(k)) for k in ("hub", "city", "country") if info.get(k)]
            if parts:
                return ", ".join(parts)
    return ""


def tracking_event(tracking_number: str, event: Mapping[str, Any]) -> TrackingEvent:
    """One event from a v2 webhook, a v1 webhook or the tracking-events pull."""
    fine = str(event.get("event") or "")
    coarse = str(event.get("status") or "")
    on_rts = bool(event.get("is_parcel_on_rts_leg"))
    mapped = statuses.lookup(fine, coarse, on_rts)
    details: dict[str, Any] = {}
    for key in ("parcel_measurements_information", "delivery_exception", "pickup_exception", "rts_reason",
                "cancellation_information", "delivery_information"):
        if event.get(key):
            details[key] = event[key]
    return TrackingEvent(
        carrier=CARRIER, tracking_number=tracking_number, status=mapped.status, sub_status=mapped.sub_status,
        time=_time(event.get("timestamp")), raw_code=fine or coarse, raw_text=str(event.get("comments") or coarse),
        location=_location(event), flags=mapped.flags | (frozenset({"return_leg"}) if on_rts else frozenset()),
        details=details,
    )


def events_from_pull(data: Mapping[str, Any], tracking_number: str) -> list[TrackingEvent]:
    events = data.get("events") or []
    out = [tracking_event(str(data.get("tracking_number") or tracking_number), e) for e in events
           if isinstance(e, Mapping)]
    return sorted(out, key=lambda e: e.time)


def events_from_webhook(body: bytes) -> list[TrackingEvent]:
    payload = json.loads(body)
    if not isinstance(payload, Mapping):
        raise ValueError("webhook body is not an object")
    tn = str(payload.get("tracking_id") or payload.get("tracking_ref_no") or "")
    if not tn or not (payload.get("status") or payload.get("event")) or not payload.get("timestamp"):
        raise ValueError("webhook lacks tracking_id, status or timestamp")
    return [tracking_event(tn, payload)]


def signature(body: bytes, secret: str) -> str:
    """``X-Ninjavan-Hmac-Sha256``: base64(HMAC-SHA256(key=client secret, msg=raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    return bool(header) and hmac.compare_digest(signature(body, secret), str(header).strip())


def token_expiry(data: Mapping[str, Any], now: float) -> float:
    """Refresh ~5 minutes early: ``expires`` (epoch s) when given, else ``expires_in``."""
    if data.get("expires"):
        return float(data["expires"]) - 300
    return now + float(data.get("expires_in") or 300) - 300

