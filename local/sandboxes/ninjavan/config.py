"""Countries, the built-in tariff and the behaviour knobs of the sandbox (``POST /_sandbox/config``).

Timings are seconds on the shared clock, counted from the order's creation unless said otherwise. They are read
when a parcel's event plan is built (at creation, or when its scenario is changed), so a change applies to parcels
planned afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Country:
    code: str  # upper case, as in address.country
    utc_offset_hours: int  # event timestamps carry this offset (SG/MY/PH +08:00, TH/VN/ID +07:00)
    timezone: str  # the Timeslot.timezone value for the country
    currency: str
    decimals: int  # 0 for IDR / VND
    first_kg: float  # built-in tariff: price of the first kg ...
    next_kg: float  # ... and of every further started kg
    city: str  # fallback city for hub names
    hub: str  # hub name stem


# The sandbox's own tariff (not a Ninja Van rate card: contract prices are per account).
COUNTRIES: dict[str, Country] = {
    "sg": Country("SG", 8, "Asia/Singapore", "SGD", 2, 4.50, 1.00, "Singapore", "SG Jurong Sort Hub"),
    "my": Country("MY", 8, "Asia/Kuala_Lumpur", "MYR", 2, 6.00, 2.00, "Kuala Lumpur", "MY Shah Alam Hub"),
    "th": Country("TH", 7, "Asia/Bangkok", "THB", 2, 35.0, 10.0, "Bangkok", "TH Bang Na Hub"),
    "id": Country("ID", 7, "Asia/Jakarta", "IDR", 0, 10000.0, 5000.0, "Jakarta", "ID Cakung Hub"),
    "vn": Country("VN", 7, "Asia/Ho_Chi_Minh", "VND", 0, 25000.0, 5000.0, "Ho Chi Minh", "VN Tan Binh Hub"),
    "ph": Country("PH", 8, "Asia/Manila", "PHP", 2, 85.0, 30.0, "Manila", "PH Pasay Hub"),
}
SERVICE_LEVEL_FACTOR = {"Standard": 1.0, "Nextday": 1.3, "Express": 1.5, "Sameday": 2.0}
COD_FEE_RATE = 0.01  # 1 % of the COD amount
INSURANCE_FEE_RATE = 0.005  # 0.5 % of insured_value
VOLUMETRIC_DIVISOR = 5000.0  # L x W x H (cm) / 5000 = kg
DEFAULT_WEIGHT_KG = 1.0  # when the order carries no parcel_job.dimensions.weight

SCENARIOS = ("delivered", "attempt_fail", "rts", "lost", "measurement", "pickup_fail")
RTS_FINAL_CHOICES = ("both", "returned_to_sender", "delivered")
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
)


@dataclass
class SandboxConfig:
    # Access-token lifetime. Ninja Van's example is 43200 s (12 h); the spec says expires_in >= 300, but the
    # sandbox honours anything >= 1 so that refresh logic can be exercised quickly.
    token_ttl_s: int = 43200
    # -- lifecycle (seconds after creation) ---------------------------------------------------------------
    pickup_after_s: float = 4 * HOUR
    origin_hub_after_s: float = 8 * HOUR
    measurement_after_s: float = 9 * HOUR  # scenario "measurement" only
    next_hub_after_s: float = 16 * HOUR
    destination_hub_after_s: float = 24 * HOUR
    on_vehicle_after_s: float = 36 * HOUR
    delivered_after_s: float = 40 * HOUR
    reschedule_delay_s: float = DAY  # a failed pickup / delivery is retried this much later
    # scenario "rts": attempts before "Max Attempts Reached", then times counted from the last failed attempt
    rts_delivery_attempts: int = 2
    rts_initiated_after_s: float = 1 * HOUR
    rts_leg_transit_after_s: float = 6 * HOUR
    rts_leg_hub_after_s: float = 12 * HOUR
    rts_leg_on_vehicle_after_s: float = 24 * HOUR
    rts_leg_returned_after_s: float = 28 * HOUR
    # How the return leg ends. UNCONFIRMED which one Ninja Van sends: a "Delivered, Received by Customer" event with
    # is_parcel_on_rts_leg true, a "Returned to Sender" event, or both (default: both, one minute apart).
    rts_final: str = "both"
    # -- scenarios -------------------------------------------------------------------------------------------
    default_scenario: str = "delivered"
    # e.g. {"delivered": 0.8, "attempt_fail": 0.05, "rts": 0.05, ...}; picked by a hash of the tracking number.
    # Empty = every parcel gets default_scenario. Weights need not sum to 1.
    scenario_mix: dict[str, float] = field(default_factory=dict)
    measurement_weight_factor: float = 1.5  # scenario "measurement": measured = declared x factor + 0.5 kg
    # -- webhooks --------------------------------------------------------------------------------------------
    # Ninja Van's retry policy is UNCONFIRMED (not published); these delays are the sandbox's choice and each
    # counts from the previous failed attempt. After the last one the message is given up.
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0])
    webhook_timeout_s: float = 5.0
    # -- undocumented choices --------------------------------------------------------------------------------
    # error.code: an integer here; the OpenAPI text derived from Ninja Van's docs types it as a string
    # (UNCONFIRMED which one the live API sends). true -> the same codes as strings.
    error_code_as_string: bool = False
    # requested_tracking_number minLength: 9 in the published schema (example "1234-56789").
    requested_tracking_number_min_length: int = 9
    # Scheduled pickups need pickup_date and pickup_timeslot (UNCONFIRMED that the API enforces it).
    require_pickup_details: bool = True
