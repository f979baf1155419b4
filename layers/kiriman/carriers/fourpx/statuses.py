"""4PX tracking milestone codes mapped to the normalised tracking language, as data.

4PX publishes no code list for ``tr.order.tracking.get`` (its response shape is unconfirmed). The project's
convention, which our sandbox follows too, is that ``trackingList[].businessLinkCode`` carries the line-haul
milestone codes Yanwen publishes (OR order, PU pickup, SC sorting centre, EC export customs, LH line haul,
IC import customs, LM last mile), as listed in Yanwen's API client constants (sxqibo/fastLogistics
``src/Yanwen.php``). The tag choices follow AfterShip's delivery sub-statuses and are ours, not 4PX's.
Unknown codes are flagged ``unmapped``, never guessed.
"""

from __future__ import annotations

from kiriman.carriers.tracking import Mapped

_F = frozenset
_RETURN = _F({"return_leg"})

TABLE: dict[str, Mapped] = {
    # --- order ---------------------------------------------------------------------------------------
    "OR10": Mapped("InfoReceived_001"),  # order created
    "OR30": Mapped("Exception_001", _F({"cancelled"})),  # order cancelled
    # --- pickup --------------------------------------------------------------------------------------
    "PU10": Mapped("InTransit_002"),  # picked up
    "PU30": Mapped("InfoReceived_001", _F({"pickup_failed"})),  # pickup failed: still only an order
    # --- origin sorting centre -----------------------------------------------------------------------
    "SC10": Mapped("InTransit_003"),  # processed at the facility
    "SC20": Mapped("InTransit_007"),  # left the facility
    # SC30/SC35/SC36: sent back by the origin facility. The reference's table folds SC10-SC70 into
    # InTransit; these scans are a return, so they are mapped as one.
    "SC30": Mapped("Exception_010", _RETURN),
    "SC35": Mapped("Exception_010", _RETURN),
    "SC36": Mapped("Exception_010", _RETURN),
    "SC40": Mapped("InTransit_003"),  # last-mile carrier and number assigned (logistics_channel_no)
    "SC45": Mapped("InTransit_003"),  # pre-advice sent to the last-mile carrier
    "SC65": Mapped("InTransit_003"),  # carrier facility in
    "SC70": Mapped("InTransit_007"),  # carrier facility out
    # --- export customs ------------------------------------------------------------------------------
    "EC10": Mapped("InTransit_006"),  # export declaration submitted (handed to customs, as IC50)
    "EC20": Mapped("InTransit_001"),  # export released
    "EC30": Mapped("Exception_004"),  # export clearance failed
    # --- line haul -----------------------------------------------------------------------------------
    "LH10": Mapped("InTransit_001"),  # received by airline / liner / rail
    "LH20": Mapped("InTransit_007"),  # departed
    "LH21": Mapped("InTransit_001"),  # transit arrival
    "LH22": Mapped("InTransit_007"),  # transit departure
    "LH30": Mapped("InTransit_001"),  # rail terminus
    "LH31": Mapped("InTransit_001"),
    "LH33": Mapped("InTransit_001"),  # arrived at international hub
    "LH35": Mapped("InTransit_001"),  # delay announced; the parcel keeps moving
    "LH40": Mapped("InTransit_001"),  # carrier facility inbound
    "LH45": Mapped("InTransit_007"),  # left the port of destination
    "LH50": Mapped("InTransit_004"),  # arrived in the destination country
    # --- import customs ------------------------------------------------------------------------------
    "IC50": Mapped("InTransit_006"),  # import clearance started
    "IC60": Mapped("InTransit_005"),  # import released
    "IC70": Mapped("Exception_004"),  # import clearance failed
    # --- last mile -----------------------------------------------------------------------------------
    "LM10": Mapped("InTransit_003"),  # distribution centre in
    "LM11": Mapped("InTransit_007"),  # distribution centre out
    "LM12": Mapped("InTransit_001"),  # domestic transit
    "LM13": Mapped("InTransit_001"),
    "LM15": Mapped("InTransit_001"),
    "LM20": Mapped("InTransit_003"),  # destination scan
    "LM25": Mapped("OutForDelivery_001"),
    "LM30": Mapped("AvailableForPickup_001"),
    "LM32": Mapped("Exception_006"),  # waiting for duty payment
    "LM40": Mapped("Delivered_001"),  # delivered (proof of delivery)
    "LM50": Mapped("AttemptFail_001"),  # delivery failed
    "LM51": Mapped("AttemptFail_001"),  # will retry
    "LM52": Mapped("AttemptFail_002"),  # consignee not available
    "LM53": Mapped("Exception_012"),  # damaged
    "LM60": Mapped("Exception_005"),  # delayed
    "LM61": Mapped("Exception_005"),
    "LM65": Mapped("OutForDelivery_004"),  # delivery appointment
    "LM70": Mapped("Exception_007"),  # consignee information required
    "LM75": Mapped("Exception_003"),  # refused
    # LM76 is "refused" in Yanwen's list; the reference's table groups it with LM53 (damaged). We follow
    # the code's own meaning.
    "LM76": Mapped("Exception_003"),
    "LM85": Mapped("Exception_013"),  # lost
    # LM90-LM93 ("returned") span Exception_010-_011 in the reference's table: the first code is read as
    # the return under way (not terminal, so a later scan can still move the parcel), the others as back
    # with the sender.
    "LM90": Mapped("Exception_010", _RETURN),
    "LM91": Mapped("Exception_011", _RETURN),
    "LM92": Mapped("Exception_011", _RETURN),
    "LM93": Mapped("Exception_011", _RETURN),
}

UNMAPPED = Mapped("InTransit_001", _F({"unmapped", "no_status_change"}))


def lookup(code: str) -> Mapped:
    """Map one milestone code (case and surrounding spaces ignored); unknown codes are flagged."""
    return TABLE.get(code.strip().upper(), UNMAPPED)
