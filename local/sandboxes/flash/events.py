"""How a parcel's routes look on the wire: in the routes pull calls and in the webhooks' ``data`` field.

Pull (``/open/v1/orders/{pno}/routes``, Flash's published example): ``{pno, state, stateText, stateChangeAt,
routes: [{routedAt, routeAction, message, state}]}``, integers as integers, ``routedAt`` epoch seconds, newest
route first (as in Flash's example; clients should sort by ``routedAt``).

Webhook ``data`` (status and routes types) follows the published status-webhook example field for field:
``orderId, outTradeNo, pno, origPno, recentPno, state, stateText, returned, returnedPno, customaryPno,
currentProvince, updateAt, routedAction, message, markerCategory, staffInfoId, staffInfoPhone, routedAt,
eSignature`` - numbers as **strings** and the action under ``routedAction`` (not ``routeAction``), as in that
example. Weight and price ``data`` share the identifying fields; their own fields are the sandbox's
(UNCONFIRMED, Flash publishes no example).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .config import BANGKOK_UTC_OFFSET_H, STATE_TEXT
from .model import Parcel, RouteEvent

BANGKOK = dt.timezone(dt.timedelta(hours=BANGKOK_UTC_OFFSET_H))


def local_text(at: float) -> str:
    """``2026-11-25 18:00`` in Bangkok time (timeoutAtText, labels)."""
    return dt.datetime.fromtimestamp(at, BANGKOK).strftime("%Y-%m-%d %H:%M")


def done_routes(parcel: Parcel) -> list[RouteEvent]:
    return sorted((e for e in parcel.routes if e.done), key=lambda e: e.at)


def route_view(ev: RouteEvent) -> dict[str, Any]:
    return {"routedAt": int(ev.at), "routeAction": ev.action, "message": ev.message, "state": ev.state}


def routes_data(parcel: Parcel) -> dict[str, Any]:
    """``data`` of ``/routes`` (and one element of ``/routesBatch``)."""
    return {
        "pno": parcel.pno,
        "state": parcel.state,
        "stateText": STATE_TEXT.get(parcel.state, ""),
        "stateChangeAt": int(parcel.state_changed_at),
        "routes": [route_view(e) for e in reversed(done_routes(parcel))],
    }


def _ids(parcel: Parcel) -> dict[str, Any]:
    return {
        "orderId": parcel.order_id,
        "outTradeNo": parcel.out_trade_no,
        "pno": parcel.pno,
        "recentPno": parcel.returned_pno or parcel.pno,
    }


def route_payload(parcel: Parcel, ev: RouteEvent) -> dict[str, Any]:
    """``data`` of a status (0) or routes (4) webhook, for the route just done."""
    delivered = ev.action == "DELIVERY_CONFIRM"
    return {
        "orderId": parcel.order_id,
        "outTradeNo": parcel.out_trade_no,
        "pno": parcel.pno,
        "origPno": parcel.pno,
        "recentPno": parcel.returned_pno or parcel.pno,
        "state": str(ev.state),
        "stateText": STATE_TEXT.get(ev.state, ""),
        "returned": ev.returned,
        "returnedPno": parcel.returned_pno if ev.returned else None,
        "customaryPno": None,
        "currentProvince": ev.province or None,
        "updateAt": str(int(ev.at)),
        "routedAction": ev.action,
        "message": ev.message,
        "markerCategory": ev.marker_category,
        "staffInfoId": None,
        "staffInfoPhone": None,
        "routedAt": str(int(ev.at)),
        "eSignature": f"https://pod.sandbox.invalid/{parcel.pno}/signature.png" if delivered else None,
    }


def weight_payload(parcel: Parcel, ev: RouteEvent, info: dict[str, Any]) -> dict[str, Any]:
    """``data`` of a weight (1) webhook: the re-weighed parcel, grams and cm, numbers as strings."""
    return {
        **_ids(parcel),
        "state": str(ev.state),
        "weight": str(info["weight"]),
        "length": str(info["length"]),
        "width": str(info["width"]),
        "height": str(info["height"]),
        "originalWeight": str(info["originalWeight"]),
        "updateAt": str(int(ev.at)),
    }


def price_payload(parcel: Parcel, ev: RouteEvent, info: dict[str, Any]) -> dict[str, Any]:
    """``data`` of a price (2) webhook: the freight after / before the change, satang as strings like
    estimate_rate's."""
    return {
        **_ids(parcel),
        "state": str(ev.state),
        "estimatePrice": str(info["estimatePrice"]),
        "upCountryAmount": str(info["upCountryAmount"]),
        "originalPrice": str(info["originalPrice"]),
        "reason": info["reason"],
        "updateAt": str(int(ev.at)),
    }


def dumps_compact(obj: Any) -> str:
    """The ``data`` field: compact JSON, non-ASCII kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
