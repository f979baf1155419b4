"""Destinations, logistics products, the built-in tariff and the behaviour knobs (``POST /_sandbox/config``).

Timings are seconds on the shared clock counted from the order's creation. They are read when a parcel's
milestone plan is built (at creation, or when its scenario changes), so a change applies to parcels planned
afterwards. 4PX is a China -> Southeast Asia line haul, so the steps are spread over days; the defaults are
compressed to 3.5 days (delivered at +84 h) so that a four-day clock jump always ends in delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Destination:
    code: str  # upper-case ISO-2, as in recipient_info.country
    city: str  # where destination-side milestones happen
    currency: str  # the local currency, accepted for declarations besides USD (see validation)
    partner: str  # the last-mile carrier: logistics_channel_name
    channel_prefix: str  # prefix of the last-mile number (logistics_channel_no)
    per_kg: float  # sandbox tariff, CNY per chargeable kg
    per_parcel: float  # sandbox tariff, CNY registration / handling fee per parcel
    transit: str  # estimated_time in ds.xms.estimated_cost.get (days)


# The sandbox's own tariff and last-mile partners: 4PX prices are per contract and per product.
DESTINATIONS: dict[str, Destination] = {
    "sg": Destination("SG", "Singapore", "SGD", "Ninja Van SG", "NVSG4PX", 48.0, 14.0, "4-7"),
    "my": Destination("MY", "Kuala Lumpur", "MYR", "J&T Express MY", "63", 45.0, 13.0, "5-8"),
    "th": Destination("TH", "Bangkok", "THB", "Flash Express", "TH0", 42.0, 12.0, "5-8"),
    "id": Destination("ID", "Jakarta", "IDR", "J&T Express ID", "JP", 58.0, 16.0, "7-12"),
    "vn": Destination("VN", "Ho Chi Minh City", "VND", "Ninja Van VN", "NVVN4PX", 46.0, 13.0, "6-9"),
    "ph": Destination("PH", "Manila", "PHP", "Ninja Van PH", "NVPH4PX", 55.0, 15.0, "6-10"),
}
ORIGIN_HUB = "Shenzhen, CN"  # the 4PX sorting centre every parcel passes through
UTC_OFFSET_HOURS = 8  # occurDatetime is China time (UTC+8)


@dataclass(frozen=True)
class Product:
    code: str  # logistics_service_info.logistics_product_code
    name_cn: str
    name_en: str
    batteries: bool  # accepts include_battery "Y"
    factor: float  # tariff multiplier
    surcharge: float  # CNY per parcel on top


# Sandbox products. "PX" and "PY" are codes seen in 4PX integration examples; what they are at 4PX is not
# published, so the names and rules here are the sandbox's own.
PRODUCTS: dict[str, Product] = {
    "PX": Product("PX", "4PX东南亚专线-普货", "4PX SEA Line Standard", False, 1.0, 0.0),
    "PY": Product("PY", "4PX东南亚专线-带电", "4PX SEA Line Battery", True, 1.15, 3.0),
}
VOLUMETRIC_DIVISOR = 6000.0  # cm3 per kg (UNCONFIRMED for 4PX: the IATA e-commerce convention)
WEIGHT_STEP_G = 10  # chargeable weight is rounded up to this step ...
MIN_CHARGEABLE_G = 50  # ... and is at least this
CNY = "CNY"

SCENARIOS = (
    "delivered",
    "attempt_fail",
    "rts",
    "lost",
    "measurement",
    "pickup_fail",
    "export_fail",
    "import_fail",
    "collection_point",
)
TIMING_FIELDS = (
    "pickup_after_s",
    "processed_after_s",
    "channel_assigned_after_s",
    "export_declared_after_s",
    "export_released_after_s",
    "left_facility_after_s",
    "handed_to_airline_after_s",
    "flight_departed_after_s",
    "arrived_destination_after_s",
    "import_started_after_s",
    "import_released_after_s",
    "distribution_centre_after_s",
    "out_for_delivery_after_s",
    "delivered_after_s",
    "reschedule_delay_s",
    "lost_after_s",
    "rts_returned_after_s",
)


@dataclass
class SandboxConfig:
    # -- milestones (seconds after creation) --------------------------------------------------------------
    pickup_after_s: float = 4 * HOUR  # PU10 picked up / received at the warehouse
    processed_after_s: float = 8 * HOUR  # SC10 processed (weighed) at the 4PX sorting centre
    channel_assigned_after_s: float = 10 * HOUR  # SC40 last-mile carrier + logistics_channel_no assigned
    export_declared_after_s: float = 14 * HOUR  # EC10
    export_released_after_s: float = 18 * HOUR  # EC20
    left_facility_after_s: float = 20 * HOUR  # SC20 (consignment status C, out of warehouse)
    handed_to_airline_after_s: float = 26 * HOUR  # LH10
    flight_departed_after_s: float = 30 * HOUR  # LH20
    arrived_destination_after_s: float = 42 * HOUR  # LH50
    import_started_after_s: float = 46 * HOUR  # IC50
    import_released_after_s: float = 54 * HOUR  # IC60
    distribution_centre_after_s: float = 60 * HOUR  # LM10
    out_for_delivery_after_s: float = 78 * HOUR  # LM25
    delivered_after_s: float = 84 * HOUR  # LM40 (consignment status F)
    reschedule_delay_s: float = DAY  # a failed pickup / delivery is retried this much later
    lost_after_s: float = 48 * HOUR  # scenario "lost": LM85 after the flight
    rts_returned_after_s: float = 3 * DAY  # scenario "rts": LM90 this long after the refusal
    # -- scenarios ---------------------------------------------------------------------------------------
    default_scenario: str = "delivered"
    # e.g. {"delivered": 0.8, "attempt_fail": 0.1, "lost": 0.1}; picked by a SHA-256 hash of the 4PX number.
    scenario_mix: dict[str, float] = field(default_factory=dict)
    measurement_weight_factor: float = 1.5  # scenario "measurement": weighed = declared x factor + extra
    measurement_extra_g: int = 50
    # -- undocumented behaviour (UNCONFIRMED; see README) --------------------------------------------------
    # 4PX's integration notes say an order must be cancelled before the same ref_no can be submitted again,
    # i.e. a cancelled order frees its ref_no. false: a ref_no can never be reused.
    ref_no_reusable_after_cancel: bool = True
    # logistics_channel_no is empty in the create answer and appears once the warehouse has processed the
    # parcel (SC40). true: it is assigned at creation (some products do that).
    channel_no_on_create: bool = False
    # trackingList order: 4PX integrations read trackingList[0] as the latest event.
    tracking_newest_first: bool = True
    # "data may itself be a JSON string": true sends every success data as a JSON-encoded string.
    data_as_json_string: bool = False
    # Language of msg / error_msg / trackingContent when the request has no ``language`` parameter.
    default_language: str = "cn"
    # >0: reject a ``timestamp`` further than this from the real wall clock (not the shared clock: clients
    # stamp requests with real time). 0: not checked (whether 4PX checks it is unpublished).
    timestamp_window_s: float = 0.0
    # >0: a label URL stops working this long (shared clock) after it was issued. 0: never expires.
    label_url_ttl_s: float = 0.0
    # declare_product_name_cn, when given, must contain at least one Chinese character (4PX's own notes).
    require_cn_name_chinese: bool = True
    # sender.post_code required (one integration reports 4PX rejecting senders without it).
    require_sender_post_code: bool = False
    # sender.country must be one of these (upper case); empty: any country.
    sender_countries: list[str] = field(default_factory=list)
