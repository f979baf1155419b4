"""Flash's constants (parcel states, route actions, webhook types, categories), the sandbox's own tariff and the
behaviour knobs of the sandbox (``POST /_sandbox/config``).

Timings are seconds on the shared clock, counted from the order's creation unless said otherwise. They are read
when a parcel's route plan is built (at creation, or when its scenario is changed), so a change applies to parcels
planned afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0
BANGKOK_UTC_OFFSET_H = 7  # Thailand, no daylight saving: used for timeoutAtText and label dates

# Parcel ``state`` (Flash's parcel_info.state). The published table is only a PDF; this reading is the one used by
# the public integrations and by Flash's own analytics SQL found in public code (1 picked up ... 9 cancelled).
# State 0 before pickup is the sandbox's choice (UNCONFIRMED: Flash creates the parcel record at pickup; what the
# routes call answers before that is not published).
STATE_TEXT: dict[int, str] = {
    0: "Pending pickup",
    1: "Picked up",
    2: "In transit",
    3: "Out for delivery",
    4: "Detained",
    5: "Signed",
    6: "Problem parcel",
    7: "Returned",
    8: "Closed",
    9: "Cancelled",
}
STATE_PENDING = 0
STATE_CANCELLED = 9
FINAL_STATES = (5, 7, 8, 9)

# Route actions used by the sandbox (all from Flash's published routeAction list, §3.3 of the reference).
RECEIVED = "RECEIVED"
RECEIVE_WAREHOUSE_SCAN = "RECEIVE_WAREHOUSE_SCAN"
SHIPMENT_WAREHOUSE_SCAN = "SHIPMENT_WAREHOUSE_SCAN"
ARRIVAL_WAREHOUSE_SCAN = "ARRIVAL_WAREHOUSE_SCAN"
DELIVERY_TICKET_CREATION_SCAN = "DELIVERY_TICKET_CREATION_SCAN"
DELIVERY_CONFIRM = "DELIVERY_CONFIRM"
DIFFICULTY_HANDOVER = "DIFFICULTY_HANDOVER"
DIFFICULTY_FINISH_INDEMNITY = "DIFFICULTY_FINISH_INDEMNITY"
SYSTEM_AUTO_RETURN = "SYSTEM_AUTO_RETURN"
CANCEL_PARCEL = "CANCEL_PARCEL"
CHANGE_PARCEL_INFO = "CHANGE_PARCEL_INFO"

# webhookApiCode -> type (Flash's web_hook_service; 3 "courier" is accepted as a subscription but never sent).
WEBHOOK_TYPES: dict[int, str] = {0: "status", 1: "weight", 2: "price", 3: "courier", 4: "routes"}
STATUS, WEIGHT, PRICE, COURIER, ROUTES = 0, 1, 2, 3, 4

# expressCategory -> the sandbox tariff's factor. Codes from Flash's constants table (1 standard, 2 on-time,
# 4 bulky, 5 fruit, 6 happy return, 7 happy return bulky); the meanings differ between sources (UNCONFIRMED), so
# every published code is accepted.
EXPRESS_CATEGORIES: dict[int, float] = {1: 1.0, 2: 1.3, 4: 2.0, 5: 1.2, 6: 1.0, 7: 2.0}
# articleCategory: 0 file ... 11 fruit, 99 others (Flash's constants table).
ARTICLE_CATEGORIES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99)

SCENARIOS = ("delivered", "attempt_fail", "rts", "lost", "measurement", "pickup_fail")
TIMING_FIELDS = (
    "pickup_after_s",
    "origin_hub_after_s",
    "measurement_after_s",
    "next_hub_after_s",
    "destination_hub_after_s",
    "on_vehicle_after_s",
    "delivered_after_s",
    "reschedule_delay_s",
    "rts_initiated_after_s",
    "rts_leg_transit_after_s",
    "rts_leg_hub_after_s",
    "rts_leg_on_vehicle_after_s",
    "rts_leg_returned_after_s",
    "pickup_assign_after_s",
    "pickup_complete_after_s",
)
SIGN_MODES = ("all", "mch_nonce")


@dataclass
class SandboxConfig:
    # -- lifecycle (seconds after creation) ---------------------------------------------------------------
    pickup_after_s: float = 4 * HOUR  # RECEIVED
    origin_hub_after_s: float = 8 * HOUR  # RECEIVE_WAREHOUSE_SCAN
    measurement_after_s: float = 9 * HOUR  # scenario "measurement": re-weigh at the origin DC
    next_hub_after_s: float = 16 * HOUR  # SHIPMENT_WAREHOUSE_SCAN
    destination_hub_after_s: float = 24 * HOUR  # ARRIVAL_WAREHOUSE_SCAN (scenario "lost": closed instead)
    on_vehicle_after_s: float = 36 * HOUR  # DELIVERY_TICKET_CREATION_SCAN
    delivered_after_s: float = 40 * HOUR  # DELIVERY_CONFIRM
    reschedule_delay_s: float = DAY  # a failed pickup / delivery is retried this much later
    # scenario "rts": failed attempts before the return, then times counted from the last failed attempt
    rts_delivery_attempts: int = 2
    rts_initiated_after_s: float = 1 * HOUR  # SYSTEM_AUTO_RETURN
    rts_leg_transit_after_s: float = 6 * HOUR
    rts_leg_hub_after_s: float = 12 * HOUR
    rts_leg_on_vehicle_after_s: float = 24 * HOUR
    rts_leg_returned_after_s: float = 28 * HOUR  # DELIVERY_CONFIRM to the sender, state 7
    # -- pickup requests (/open/v1/notify), counted from the request ---------------------------------------
    pickup_assign_after_s: float = 0.5 * HOUR  # ticket state 0 open -> 1 assigned
    pickup_complete_after_s: float = 4 * HOUR  # -> 2 completed; a new request is allowed from then on
    # -- scenarios -------------------------------------------------------------------------------------------
    default_scenario: str = "delivered"
    # e.g. {"delivered": 0.8, "attempt_fail": 0.05, "rts": 0.05, ...}; picked by a hash of the pno.
    # Empty = every parcel gets default_scenario. Weights need not sum to 1.
    scenario_mix: dict[str, float] = field(default_factory=dict)
    measurement_weight_factor: float = 1.5  # scenario "measurement": measured = declared x factor + 500 g
    # Which route the re-weigh leaves in /routes. CHANGE_PARCEL_INFO is in Flash's published list; Flash's own
    # route table also has STORE_KEEPER_UPDATE_WEIGHT (UNCONFIRMED which one merchants see).
    measurement_route_action: str = CHANGE_PARCEL_INFO
    # -- webhooks --------------------------------------------------------------------------------------------
    # Flash "resends until it receives success" with no published schedule or cap. The cadence below is the
    # sandbox's (UNCONFIRMED): each delay counts from the previous failed attempt, the last one repeats forever.
    # webhook_max_attempts > 0 gives a message up after that many attempts (0 = never, like Flash).
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0])
    webhook_max_attempts: int = 0
    webhook_timeout_s: float = 5.0
    # What the webhook ``sign`` covers. UNCONFIRMED: the capture of Flash's doc says only mchId and nonceStr;
    # one integration signs every top-level field. "all" (default) signs every non-blank form field but sign;
    # "mch_nonce" signs mchId and nonceStr only.
    webhook_sign_mode: str = "all"
    # The webhook types an account's plain ``webhook_url`` covers (per-type settings made through
    # /open/v1/setting/web_hook_service override it).
    webhook_default_types: list[int] = field(default_factory=lambda: [STATUS, WEIGHT, PRICE, ROUTES])
    # -- the sandbox's own tariff (not a Flash rate card), money in satang -------------------------------------
    first_kg_satang: int = 3500
    next_kg_satang: int = 1000
    volumetric_divisor: float = 6000.0  # L x W x H (cm) / divisor = kg (Flash's divisor is not published)
    cod_fee_rate: float = 0.02
    insurance_fee_rate: float = 0.005
    upcountry_surcharge_satang: int = 2000
    # Remote areas ("up country": islands of Surat Thani); the sandbox's own list, by exact postcode.
    upcountry_postcodes: list[str] = field(
        default_factory=lambda: ["84140", "84280", "84310", "84320", "84330", "84360"]
    )
    rts_fee_rate: float = 1.0  # the return leg costs this share of the outbound freight (price webhook)
    # Sender postcodes outside the service area (code 1022). Empty by default.
    unserviced_postcodes: list[str] = field(default_factory=list)
    # -- limits ----------------------------------------------------------------------------------------------
    nonce_max_length: int = 32
    routes_batch_max_chars: int = 500
