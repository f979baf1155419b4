"""How a parcel event looks on the wire: in the tracking pull API and in v2 webhooks.

v2 webhook body (Ninja Van webhook docs, v2; field list as implemented by public integrations):
``tracking_id``, ``shipper_order_ref_no`` (= reference.merchant_order_number), ``timestamp`` (ISO 8601 with the
country's UTC offset), ``status`` (coarse), ``event`` (fine, "Status, Detail"), ``is_parcel_on_rts_leg``,
``comments``, plus the typed sub-objects of that event (``picked_up_information``, ``delivery_exception`` ...).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .config import COUNTRIES
from .model import Parcel, ParcelEvent


def tz(country: str) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=COUNTRIES[country].utc_offset_hours))


def iso(at: float, country: str) -> str:
    """``2026-11-25T14:03:00+08:00`` (seconds precision, the country's offset: SG/MY/PH +08:00, TH/VN/ID +07:00)."""
    return dt.datetime.fromtimestamp(at, tz(country)).isoformat(timespec="seconds")


def local_date(at: float, country: str) -> str:
    return dt.datetime.fromtimestamp(at, tz(country)).date().isoformat()


def event_view(parcel: Parcel, ev: ParcelEvent) -> dict[str, Any]:
    """One element of ``events`` in ``GET /{cc}/1.0/orders/tracking-events/{tn}``.

    UNCONFIRMED: that the pull API carries the fine ``event`` name and the typed sub-objects like webhook v2
    does (public sources only show ``status``, ``timestamp``, ``is_parcel_on_rts_leg``, ``comments`` and
    hub/city information); the sandbox sends the webhook-v2 shape so one parser serves both.
    """
    return {
        "status": ev.status,
        "event": ev.event,
        "timestamp": iso(ev.at, parcel.country),
        "is_parcel_on_rts_leg": ev.rts,
        "comments": ev.comments,
        **ev.info,
    }


def webhook_payload(parcel: Parcel, ev: ParcelEvent) -> dict[str, Any]:
    return {
        "tracking_id": parcel.tracking_number,
        "shipper_order_ref_no": parcel.merchant_order_number or "",
        "timestamp": iso(ev.at, parcel.country),
        "status": ev.status,
        "event": ev.event,
        "is_parcel_on_rts_leg": ev.rts,
        "comments": ev.comments,
        **ev.info,
    }


def dumps_compact(obj: Any) -> str:
    """Webhook bodies: compact JSON, UTF-8 (non-ASCII kept as is, so verifiers must hash the raw bytes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
