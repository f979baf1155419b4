"""Shopee's tracking-event statuses (``tracking_info[].logistics_status``, "TrackingLogisticsStatus" in
Shopee's v2.logistics.get_tracking_info reference) mapped to the normalised tracking language, as data.
Unknown values are flagged ``unmapped``."""

from __future__ import annotations

from kiriman.carriers.tracking import Mapped

_F = frozenset

TABLE: dict[str, Mapped] = {
    "INITIAL": Mapped("InfoReceived_001"),
    "ORDER_INIT": Mapped("InfoReceived_001"),
    "ORDER_SUBMITTED": Mapped("InfoReceived_001"),
    "ORDER_FINALIZED": Mapped("InfoReceived_001"),
    "ORDER_CREATED": Mapped("InfoReceived_001"),
    "PICKUP_REQUESTED": Mapped("InfoReceived_001"),
    "PICKUP_PENDING": Mapped("InfoReceived_001"),
    "PICKUP_RETRY": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "PICKED_UP": Mapped("InTransit_002"),
    "DELIVERY_PENDING": Mapped("OutForDelivery_001"),
    "DELIVERED": Mapped("Delivered_001"),
    "TIMEOUT": Mapped("Exception_005"),
    "LOST": Mapped("Exception_013"),
    "UPDATE": Mapped("InTransit_001", _F({"no_status_change"})),
    "UPDATE_SUBMITTED": Mapped("InTransit_001", _F({"no_status_change"})),
    "UPDATE_CREATED": Mapped("InTransit_001", _F({"no_status_change"})),
    "RETURN_STARTED": Mapped("Exception_010", _F({"return_leg"})),
    "RETURN_INITIATED": Mapped("Exception_010", _F({"return_leg"})),
    "RETURN_PENDING": Mapped("Exception_010", _F({"return_leg"})),
    "RETURNED": Mapped("Exception_011", _F({"return_leg"})),
    "EXPIRED": Mapped("Expired_001"),
    "CANCEL": Mapped("Exception_001", _F({"cancelled"})),
    "CANCEL_CREATED": Mapped("Exception_001", _F({"cancelled"})),
    "CANCELED": Mapped("Exception_001", _F({"cancelled"})),
    "FAILED_PICKUP_REQUESTED": Mapped("Exception_008", _F({"pickup_failed"})),
    "FAILED_PICKED_UP": Mapped("Exception_008", _F({"pickup_failed"})),
    "FAILED_DELIVERED": Mapped("AttemptFail_001"),
    "FAILED_RETURNED": Mapped("Exception_001", _F({"return_leg"})),
}
# The other FAILED_* values are failures of Shopee's own booking steps, not of the parcel.
for _name in ("FAILED_ORDER_INIT", "FAILED_ORDER_SUBMITTED", "FAILED_ORDER_CREATED", "FAILED_UPDATE_SUBMITTED",
              "FAILED_UPDATE_CREATED", "FAILED_RETURN_STARTED", "FAILED_CANCEL_CREATED", "FAILED_CANCELED"):
    TABLE[_name] = Mapped("Exception_001")

UNMAPPED = Mapped("InTransit_001", _F({"unmapped", "no_status_change"}))


def lookup(status: str) -> Mapped:
    return TABLE.get(status, UNMAPPED)
