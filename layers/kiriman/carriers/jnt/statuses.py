"""J&T scan type codes mapped to the normalised tracking language, as data.

Codes are J&T's ``scanTypeCode`` (JMS open platform, Malaysia tenant: "Tracking Info Callback" and the
FAQ's scan node list, as re-published in laraditz/courier-jt-express ``docs/j&t-api/7 Tracking Info
Callback.md``). We map on the code, never on the free-text ``desc`` or ``scanTypeName``, which change
with language and tenant. The tag choices follow AfterShip's delivery sub-statuses; they are ours, not
J&T's. Unknown codes are flagged ``unmapped``, never guessed.
"""

from __future__ import annotations

from kiriman.carriers.tracking import Mapped

_F = frozenset

TABLE: dict[str, Mapped] = {
    "10": Mapped("InTransit_002"),  # picked up (揽收)
    "20": Mapped("InTransit_007"),  # departure scan (发件)
    "30": Mapped("InTransit_003"),  # arrival scan (到件)
    "94": Mapped("OutForDelivery_001"),  # out for delivery (派件)
    "100": Mapped("Delivered_003"),  # delivered, signed (签收)
    # Problem parcel (问题件). Whether it is a failed delivery attempt or a generic exception is not
    # published per code (J&T carries the reason in ``desc`` / ``problemType``): we keep the generic tag
    # and flag it, so the domain, which knows the previous status, can tell a failed attempt.
    "110": Mapped("Exception_001", _F({"problem_parcel"})),
    "172": Mapped("Exception_010", _F({"return_leg"})),  # return scan (退件)
    "173": Mapped("Exception_011", _F({"return_leg"})),  # return delivered (退件签收)
    "200": Mapped("InTransit_002"),  # collected at drop-off / sender inbound (寄件入库)
    # 300-306: terminal exceptions.
    "300": Mapped("Exception_012"),  # damaged
    "301": Mapped("Exception_013"),  # lost
    "302": Mapped("Exception_001", _F({"disposed"})),  # disposed
    "303": Mapped("Exception_003"),  # rejected by the addressee
    "304": Mapped("Exception_004"),  # confiscated by customs
    "305": Mapped("Exception_001", _F({"expired"})),  # exceeded life cycle
    "306": Mapped("Exception_001", _F({"disposed"})),  # cross-border disposal
    # 400-405: customs / cross-border. The MY doc lists codes and names in parallel columns that are easy
    # to misalign (an SDK author's note); these follow the listed order.
    "400": Mapped("InTransit_004"),  # picked up from cargo station
    "401": Mapped("InTransit_006"),  # customs clearance in process
    "402": Mapped("InTransit_005"),  # clearance released
    "403": Mapped("InTransit_001"),  # clearance handed over
    "404": Mapped("InTransit_003"),  # big-bag inbound
    "405": Mapped("InTransit_003"),  # centre inbound
    # 700-704: PUDO stations.
    "700": Mapped("AvailableForPickup_001"),  # arrived at station
    "701": Mapped("AvailableForPickup_001"),  # pickup reminder sent
    "702": Mapped("Delivered_002"),  # collected from station by the buyer
    "703": Mapped("Exception_001"),  # abnormal outbound from station
    "704": Mapped("InTransit_001"),  # pickup handover (station to courier)
}

UNMAPPED = Mapped("InTransit_001", _F({"unmapped", "no_status_change"}))

# For tenants whose scans carry no ``scanTypeCode`` (the EG callback sample has only ``scanType``), the
# code is read from the name. Names are the ``scanTypeName`` / ``scanType`` columns of the MY "Tracking
# Inquiry" page and the FAQ's scan node list, plus "On Delivery" from the MX trace sample.
NAMES: dict[str, str] = {
    "快件揽收": "10", "pick up": "10", "picked up": "10",
    "发件扫描": "20", "departure": "20",
    "到件扫描": "30", "arrival": "30",
    "出仓扫描": "94", "派件扫描": "94", "delivery": "94", "on delivery": "94",
    "快件签收": "100", "delivery signature": "100",
    "问题件扫描": "110", "problematic": "110",
    "退件扫描": "172", "return": "172",
    "退件签收": "173", "return delivery signature": "173",
    "寄件入库": "200", "collected": "200",
    "damage parcel": "300", "lost parcel": "301", "dispose parcel": "302", "reject parcel": "303",
    "customs confiscated parcel": "304", "exceed life cycle parcel": "305", "crossborder dispose parcel": "306",
    "清关提货": "400", "picked up from cargo station": "400", "清关中": "401", "customs clearance in process": "401",
    "清关放行": "402", "清关交付": "403", "大包入库": "404", "中心入库": "405",
    "驿站入库": "700", "pop_arrived": "700", "取件通知": "701", "pop_reminder_sent": "701",
    "驿站出库": "702", "signed_pop": "702", "异常出库": "703", "取件交接": "704",
}


def lookup(code: str) -> Mapped:
    """Map one ``scanTypeCode`` (string or number on the wire: ``"94"``, ``94`` and ``94.0`` are one code)."""
    return TABLE.get(normalise_code(code), UNMAPPED)


def lookup_name(name: str) -> Mapped:
    """Map a scan that has no code by its published name; unknown names are flagged, never guessed."""
    code = NAMES.get(name.strip().lower()) or NAMES.get(name.strip())
    return TABLE[code] if code else UNMAPPED


def normalise_code(code: object) -> str:
    text = str(code if code is not None else "").strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text
