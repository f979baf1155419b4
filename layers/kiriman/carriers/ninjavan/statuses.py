"""Ninja Van status and event names mapped to the normalised tracking language, as data.

Names come from Ninja Van's webhook v1 statuses and v2 events (https://api-docs.ninjavan.co/, "Webhooks";
as implemented by PostCo/ninja_van_api and SomiDivian/ninjavan-nodejs-wrapper — Ninja Van publishes no
official list of v2 event names, so this table is a best effort and unknown names are flagged
``unmapped``, never guessed). The tag choices follow AfterShip's delivery sub-statuses; they are ours,
not Ninja Van's. Lookup order: exact ``event``, exact ``status``, then the part of ``event`` before
the comma.
"""

from __future__ import annotations

from kiriman.carriers.tracking import Mapped

_F = frozenset

TABLE: dict[str, Mapped] = {
    # --- v2 events ---------------------------------------------------------------------------------
    "Pending Pickup": Mapped("InfoReceived_001"),
    "Driver dispatched for Pickup": Mapped("InfoReceived_001"),
    "Pending Pickup, Shipper Dropoff": Mapped("InfoReceived_001"),
    "Pickup Exception, Pending Reschedule": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "Pickup Exception, Reattempt Scheduled": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "Pickup Exception, Pending Retrieval from PUDO": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "Pickup Exception, Max Attempts Reached": Mapped("Exception_008", _F({"pickup_failed"})),
    "Pickup Exception": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "Picked Up, In Transit To Origin Hub": Mapped("InTransit_002"),
    "Picked Up": Mapped("InTransit_002"),
    "Arrived at Origin Hub": Mapped("InTransit_003"),
    "Arrived at Transit Hub": Mapped("InTransit_003"),
    "Arrived at Destination Hub": Mapped("InTransit_003"),
    "In Transit to Next Sorting Hub": Mapped("InTransit_001"),
    "On Vehicle for Delivery": Mapped("OutForDelivery_001"),
    "At PUDO, Pending Customer Collection": Mapped("AvailableForPickup_001"),
    "Delivered, Received by Customer": Mapped("Delivered_003"),
    "Delivered, Left at Doorstep": Mapped("Delivered_001"),
    "Delivered, Collected by Customer": Mapped("Delivered_002"),
    "Delivered": Mapped("Delivered_001"),
    "Delivery Exception, Pending Reschedule": Mapped("AttemptFail_001"),
    "Delivery Exception, Reattempt Scheduled": Mapped("AttemptFail_001"),
    "Delivery Exception, Max Attempts Reached": Mapped("Exception_001"),
    "Delivery Exception, Parcel Overstayed at PUDO": Mapped("Exception_001"),
    "Delivery Exception, Parcel Lost": Mapped("Exception_013"),
    "Delivery Exception, Parcel Damaged": Mapped("Exception_012"),
    "Delivery Exception, Return to Sender Initiated": Mapped("Exception_010", _F({"return_leg"})),
    "Delivery Exception": Mapped("AttemptFail_001"),
    "Returned to Sender": Mapped("Exception_011", _F({"return_leg"})),
    "Return to Shipper Exception": Mapped("Exception_001", _F({"return_leg"})),
    "Cancelled": Mapped("Exception_001", _F({"cancelled"})),
    "Parcel Measurements Update": Mapped("InTransit_001", _F({"remeasured", "no_status_change"})),
    "International Transit, Customs Cleared": Mapped("InTransit_005"),
    "International Transit, Customs Held": Mapped("Exception_004"),
    "International Transit, Linehaul Departed": Mapped("InTransit_007"),
    "International Transit, Linehaul Arrived": Mapped("InTransit_004"),
    "International Transit, Parcel Lost": Mapped("Exception_013"),
    "International Transit, Parcel Damaged": Mapped("Exception_012"),
    "International Transit, Parcel Disposed": Mapped("Exception_001"),
    "International Transit, Returned to Sender at Origin Facility": Mapped("Exception_011", _F({"return_leg"})),
    "International Transit": Mapped("InTransit_001"),
    # --- v1 statuses (older accounts) and the pull API's coarse statuses -------------------------
    "Van en-route to pickup": Mapped("InfoReceived_001"),
    "Staging": Mapped("InfoReceived_001"),
    "Pickup Fail": Mapped("InfoReceived_001", _F({"pickup_failed"})),
    "Successful Pickup": Mapped("InTransit_002"),
    "En-route to Sorting Hub": Mapped("InTransit_001"),
    "Arrived at Sorting Hub": Mapped("InTransit_003"),
    "Transferred to 3PL": Mapped("InTransit_001"),
    "Cross Border Transit": Mapped("InTransit_001"),
    "On Vehicle for Delivery (RTS)": Mapped("Exception_010", _F({"return_leg"})),
    "Arrived at Distribution Point": Mapped("AvailableForPickup_001"),
    "Pending Pickup at Distribution Point": Mapped("AvailableForPickup_001"),
    "First Attempt Delivery Fail": Mapped("AttemptFail_001"),
    "Pending Reschedule": Mapped("AttemptFail_001"),
    "Successful Delivery": Mapped("Delivered_001"),
    "Completed": Mapped("Delivered_001"),
    "Return to Sender Triggered": Mapped("Exception_010", _F({"return_leg"})),
    "Customs Held": Mapped("Exception_004"),
    "Customs Cleared": Mapped("InTransit_005"),
    "Parcel Size": Mapped("InTransit_001", _F({"remeasured", "no_status_change"})),
    "Parcel Weight": Mapped("InTransit_001", _F({"remeasured", "no_status_change"})),
}

UNMAPPED = Mapped("InTransit_001", _F({"unmapped", "no_status_change"}))
RETURN_LEG_DELIVERED = Mapped("Exception_011", _F({"return_leg"}))
RETURN_LEG_MOVING = Mapped("Exception_010", _F({"return_leg"}))


def lookup(event: str, status: str, on_rts_leg: bool) -> Mapped:
    """Map one Ninja Van event; on the return-to-sender leg a delivery means the parcel came back."""
    mapped = TABLE.get(event) or TABLE.get(status) or TABLE.get(event.split(",", 1)[0].strip()) or UNMAPPED
    if on_rts_leg and mapped.status.value == "Delivered":
        return RETURN_LEG_DELIVERED
    if on_rts_leg and "return_leg" not in mapped.flags and mapped.sub_status not in ("Exception_012", "Exception_013"):
        return RETURN_LEG_MOVING if "no_status_change" not in mapped.flags else mapped
    return mapped
