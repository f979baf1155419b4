"""How a milestone looks on the wire (``tr.order.tracking.get``) and the time formats 4PX uses.

A ``trackingList`` item has ``businessLinkCode``, ``trackingContent``, ``occurDatetime``, ``occurLocation`` and
``destinationCountry`` - the fields of the tracking response type in 4PX's own PHP SDK (``express_4px\\oms``,
``tr_order_tracking_get\\v100``). ``occurDatetime`` is ``YYYY-MM-DD HH:mm:ss`` China time (UTC+8). The codes are
Yanwen-style line-haul milestones (OR/PU/SC/EC/LH/IC/LM): which codes 4PX itself uses is UNCONFIRMED, this is the
project's convention shared by client and sandbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import DESTINATIONS, UTC_OFFSET_HOURS
from .model import Milestone, Order

CHINA = dt.timezone(dt.timedelta(hours=UTC_OFFSET_HOURS))


def occur(at: float) -> str:
    """``2026-11-25 14:03:00`` (UTC+8, seconds)."""
    return dt.datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def millis(at: float | None) -> int | None:
    """4PX dates in ds.xms.order.get are epoch milliseconds."""
    return None if at is None else int(at * 1000)


def tracking_item(order: Order, ev: Milestone, language: str) -> dict[str, Any]:
    return {
        "businessLinkCode": ev.code,
        "trackingContent": ev.cn if language == "cn" else ev.en,
        "occurDatetime": occur(ev.at),
        "occurLocation": ev.location,
        "destinationCountry": DESTINATIONS[order.destination].code,
    }


def tracking_list(order: Order, language: str, newest_first: bool) -> list[dict[str, Any]]:
    done = sorted((e for e in order.events if e.done), key=lambda e: e.at, reverse=newest_first)
    return [tracking_item(order, e, language) for e in done]
