"""How a scan looks on the wire: one element of ``details`` in ``logistics/trace`` and in the tracking callback.

Detail fields (MY "Tracking Inquiry" / "Tracking Info Callback" pages): ``scanTime`` (local
"YYYY-MM-DD HH:mm:ss"), ``desc``, ``scanTypeCode`` (a string), ``scanTypeName``, ``scanType``, ``realWeight``
(kg, a string), ``scanNetworkTypeName``, ``scanNetworkName``, ``scanNetworkId``, ``staffName``, ``staffContact``,
``scanNetworkContact``, ``scanNetworkProvince`` / ``City`` / ``Area``, ``sigPicUrl`` (comma-separated),
``longitude``, ``latitude``, ``timeZone`` ("GMT+08:00"), ``problemType``, ``nextStopName``. ``billCode`` is
repeated inside each detail as in J&T Egypt's published callback example. Values the sandbox has no use for are
sent as null (the MX example does the same).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .config import COUNTRIES
from .model import Parcel, ScanEvent

# scanTypeCode -> (scanTypeName as listed by the MY pages, scanType in English as in the MY FAQ)
SCAN_TYPES: dict[str, tuple[str, str]] = {
    "10": ("快件揽收", "Pick Up"),
    "20": ("发件扫描", "Departure"),
    "30": ("到件扫描", "Arrival"),
    "94": ("出仓扫描", "On Delivery"),
    "100": ("快件签收", "Delivery Signature"),
    "110": ("问题件扫描", "Problematic"),
    "172": ("退件扫描", "Return"),
    "173": ("退件签收", "Return Delivery Signature"),
    "200": ("寄件入库", "Collected"),
    "300": ("Damage Parcel（异常终结：破损包裹）", "Damage Parcel"),
    "301": ("Lost Parcel（异常终结：丢失包裹）", "Lost Parcel"),
    "302": ("Dispose Parcel（异常终结：销毁包裹）", "Dispose Parcel"),
    "303": ("Reject Parcel（异常终结：拒收包裹）", "Reject Parcel"),
}


def tz(country: str) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=COUNTRIES[country].utc_offset_hours))


def local_time(at: float, country: str) -> str:
    """``2026-11-25 14:03:00`` in the country's local time (MY/CN/SG/PH +08:00, VN/TH/ID +07:00)."""
    return dt.datetime.fromtimestamp(at, tz(country)).strftime("%Y-%m-%d %H:%M:%S")


def time_zone(country: str) -> str:
    hours = COUNTRIES[country].utc_offset_hours
    return f"GMT{'+' if hours >= 0 else '-'}{abs(hours):02d}:00"


def kg(value: float) -> str:
    return f"{value:.2f}"


def detail_view(parcel: Parcel, ev: ScanEvent) -> dict[str, Any]:
    name, scan_type = SCAN_TYPES.get(ev.code, ("", ""))
    info = ev.info
    return {
        "billCode": parcel.tracking_number,
        "scanTime": local_time(ev.at, parcel.country),
        "desc": info.get("desc", ""),
        "scanTypeCode": ev.code,
        "scanTypeName": name,
        "scanType": scan_type,
        "realWeight": info.get("realWeight") or kg(parcel.weight),
        "scanNetworkTypeName": info.get("networkType", "网点"),
        "scanNetworkName": info.get("network", ""),
        "scanNetworkId": info.get("networkId"),
        "scanNetworkContact": info.get("networkContact"),
        "scanNetworkProvince": info.get("province", ""),
        "scanNetworkCity": info.get("city", ""),
        "scanNetworkArea": info.get("area", ""),
        "staffName": info.get("staffName"),
        "staffContact": info.get("staffContact"),
        "sigPicUrl": info.get("sigPicUrl"),
        "problemType": info.get("problemType"),
        "nextStopName": info.get("nextStopName"),
        "longitude": info.get("longitude", ""),
        "latitude": info.get("latitude", ""),
        "timeZone": time_zone(parcel.country),
    }


def dumps_compact(obj: Any) -> str:
    """Callback bizContent: compact JSON, non-ASCII kept as is (the digest covers the UTF-8 string)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
