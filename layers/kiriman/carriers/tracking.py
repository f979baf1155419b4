"""The normalised tracking language every carrier adapter speaks.

Tags and sub-tags are AfterShip's delivery statuses and sub-statuses
(https://www.aftership.com/docs/tracking/2025-01/enum/delivery-statuses and
https://www.aftership.com/docs/tracking/2026-07/enum/delivery-sub-statuses): a vocabulary merchants
already know. Each carrier maps its own codes to it through a table kept as data; the raw code and
text stay beside the mapped value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TrackingStatus(StrEnum):
    PENDING = "Pending"
    INFO_RECEIVED = "InfoReceived"
    IN_TRANSIT = "InTransit"
    OUT_FOR_DELIVERY = "OutForDelivery"
    ATTEMPT_FAIL = "AttemptFail"
    DELIVERED = "Delivered"
    AVAILABLE_FOR_PICKUP = "AvailableForPickup"
    EXCEPTION = "Exception"
    EXPIRED = "Expired"


# Sub-statuses in use, with AfterShip's short meaning.
SUB_STATUSES: dict[str, str] = {
    "Pending_001": "No information yet",
    "InfoReceived_001": "Info received",
    "InTransit_001": "In transit",
    "InTransit_002": "Acceptance scan",
    "InTransit_003": "Arrival scan",
    "InTransit_004": "Arrived in destination country",
    "InTransit_005": "Customs clearance completed",
    "InTransit_006": "Handed over to customs",
    "InTransit_007": "Departure scan",
    "InTransit_008": "Problem resolved",
    "InTransit_009": "Forwarded to a different address",
    "OutForDelivery_001": "Out for delivery",
    "OutForDelivery_003": "Customer contacted",
    "OutForDelivery_004": "Delivery appointment scheduled",
    "AttemptFail_001": "Failed attempt",
    "AttemptFail_002": "Addressee not available",
    "AttemptFail_003": "Business closed",
    "Delivered_001": "Delivered",
    "Delivered_002": "Picked up by customer",
    "Delivered_003": "Signed by customer",
    "Delivered_004": "Delivered and cash collected",
    "AvailableForPickup_001": "Available for pickup",
    "Exception_001": "Exception",
    "Exception_002": "Customer moved",
    "Exception_003": "Refused by addressee",
    "Exception_004": "Delayed (customs clearance)",
    "Exception_005": "Delayed (external factors)",
    "Exception_006": "Held for payment",
    "Exception_007": "Incorrect address",
    "Exception_008": "Pickup missed",
    "Exception_009": "Rejected by carrier",
    "Exception_010": "Returning to sender",
    "Exception_011": "Returned to sender",
    "Exception_012": "Damaged",
    "Exception_013": "Lost",
    "Expired_001": "No information for 30 days",
}

# A parcel never leaves these on a late or duplicate event.
TERMINAL_SUB_STATUSES = frozenset({"Delivered_001", "Delivered_002", "Delivered_003", "Delivered_004",
                                   "Exception_011", "Exception_012", "Exception_013"})


def status_of(sub_status: str) -> TrackingStatus:
    return TrackingStatus(sub_status.split("_", 1)[0])


@dataclass(frozen=True)
class Mapped:
    """One row of a carrier's code table: the normalised status plus flags the domain acts on."""

    sub_status: str
    flags: frozenset[str] = frozenset()  # e.g. "cancelled", "pickup_failed", "remeasured", "return_leg"

    @property
    def status(self) -> TrackingStatus:
        return status_of(self.sub_status)


@dataclass(frozen=True)
class TrackingEvent:
    carrier: str
    tracking_number: str
    status: TrackingStatus
    sub_status: str
    time: datetime  # the carrier's event time (aware), never the arrival time
    raw_code: str
    raw_text: str
    location: str = ""
    flags: frozenset[str] = frozenset()
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def event_id(self) -> str:
        """Stable across webhook, re-delivery and pull: the same scan always gets the same id."""
        key = "|".join((self.carrier, self.tracking_number, self.raw_code, self.time.isoformat()))
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @property
    def terminal(self) -> bool:
        return self.sub_status in TERMINAL_SUB_STATUSES or "cancelled" in self.flags
