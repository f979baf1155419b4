"""Countries, the built-in tariff and the behaviour knobs of the sandbox (``POST /_sandbox/config``).

Timings are seconds on the shared clock, counted from the order's creation unless said otherwise. They are read
when a parcel's scan plan is built (at creation, or when its scenario is changed), so a change applies to parcels
planned afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Country:
    code: str  # lower-case ISO-2, as in the account's ``countries``
    iso3: str  # J&T's countryCode (MYS, VNM ...)
    currency: str
    decimals: int  # 0 for VND / IDR
    utc_offset_hours: int  # scanTime is local time in this offset; timeZone "GMT+08:00"
    first_kg: float  # the sandbox's own tariff: first kg ...
    next_kg: float  # ... and every further started kg
    city: str  # origin network city
    province: str
    hub: str  # the sorting centre's name
    postcode_digits: int  # 0 = any postcode up to 10 characters


# The sandbox's own tariff (J&T publishes no rate API; contract prices are per account).
COUNTRIES: dict[str, Country] = {
    "my": Country("my", "MYS", "MYR", 2, 8, 6.00, 2.00, "Shah Alam", "Selangor", "MY Shah Alam Gateway", 5),
    "vn": Country("vn", "VNM", "VND", 0, 7, 25000.0, 5000.0, "Ho Chi Minh", "Ho Chi Minh", "VN Cu Chi Hub", 0),
    "cn": Country("cn", "CHN", "CNY", 2, 8, 8.00, 2.00, "Shenzhen", "Guangdong", "CN Shenzhen Transit Centre", 6),
    "sg": Country("sg", "SGP", "SGD", 2, 8, 4.50, 1.00, "Singapore", "Singapore", "SG Tuas Hub", 6),
    "th": Country("th", "THA", "THB", 2, 7, 35.0, 10.0, "Bangkok", "Bangkok", "TH Bang Na Hub", 5),
    "ph": Country("ph", "PHL", "PHP", 2, 8, 85.0, 30.0, "Manila", "Metro Manila", "PH Pasay Hub", 4),
    "id": Country("id", "IDN", "IDR", 0, 7, 10000.0, 5000.0, "Jakarta", "DKI Jakarta", "ID Cakung Hub", 5),
}
BY_ISO3 = {c.iso3: c for c in COUNTRIES.values()}
# countryCode values accepted in sender / receiver / returnInfo. The MY "country/region code" list also shows
# SIN for Singapore and BWM for Brunei (sic); both spellings are accepted.
KNOWN_ISO3 = {c.iso3 for c in COUNTRIES.values()} | {"SIN", "BWM", "BRN", "HKG", "TWN", "EGY", "MEX", "SAU", "ARE"}

EXPRESS_FACTOR = {"EZ": 1.0, "EX": 1.3, "FD": 1.5, "DO": 1.0, "JS": 1.2}
COD_FEE_RATE = 0.01  # 1 % of codValue
INSURANCE_FEE_RATE = 0.005  # 0.5 % of offerValue
DOMESTIC_DIVISOR = 6000.0  # J&T MY domestic volumetric divisor (L x W x H cm / 6000)
INTERNATIONAL_DIVISOR = 5000.0

SCENARIOS = ("delivered", "attempt_fail", "rts", "lost", "measurement", "pickup_fail")
CODE_TYPES = ("mixed", "string", "number")
LABEL_MODES = ("both", "base64", "url")
TRACE_NOT_FOUND = ("empty", "error")
PASSWORD_FORMS = ("salted_md5", "plain", "md5")
TIMING_FIELDS = (
    "pickup_after_s",
    "origin_departure_after_s",
    "origin_hub_after_s",
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
    # -- lifecycle (seconds after creation) ---------------------------------------------------------------
    pickup_after_s: float = 4 * HOUR  # scan 10 (or 200 for serviceType 6 drop-off)
    origin_departure_after_s: float = 6 * HOUR  # scan 20 at the origin network
    origin_hub_after_s: float = 8 * HOUR  # scan 30 at the sorting centre (re-weighed there: "measurement")
    next_hub_after_s: float = 16 * HOUR  # scan 20 at the sorting centre
    destination_hub_after_s: float = 24 * HOUR  # scan 30 at the delivery network (or 301 for "lost")
    on_vehicle_after_s: float = 36 * HOUR  # scan 94
    delivered_after_s: float = 40 * HOUR  # scan 100 (or 110 for a failed attempt)
    reschedule_delay_s: float = DAY  # a failed pickup / delivery is retried this much later
    # scenario "rts": failed attempts, then times counted from the last failed attempt
    rts_delivery_attempts: int = 2
    rts_initiated_after_s: float = 1 * HOUR  # scan 172
    rts_leg_transit_after_s: float = 6 * HOUR  # scan 20 (return leg)
    rts_leg_hub_after_s: float = 12 * HOUR  # scan 30 at the origin network
    rts_leg_on_vehicle_after_s: float = 24 * HOUR  # scan 94 to the sender
    rts_leg_returned_after_s: float = 28 * HOUR  # scan 173
    # -- scenarios -------------------------------------------------------------------------------------------
    default_scenario: str = "delivered"
    # e.g. {"delivered": 0.8, "attempt_fail": 0.1, ...}; picked by a SHA-256 hash of the billCode.
    scenario_mix: dict[str, float] = field(default_factory=dict)
    measurement_weight_factor: float = 1.5  # "measurement": realWeight = declared x factor + 0.5 kg
    # -- webhooks (tracking callback) ----------------------------------------------------------------------
    # J&T's retry policy is UNCONFIRMED (not published); these delays are the sandbox's choice and each counts
    # from the previous failed attempt. After the last one the message is given up.
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0])
    webhook_timeout_s: float = 5.0
    webhook_batch_max: int = 50  # scan details per push (several parcels per push)
    # -- undocumented choices (UNCONFIRMED) -------------------------------------------------------------------
    # Envelope ``code``: the MY pages type it String(10) but their order/* examples show the number 1 and the
    # trace / callback examples the string "1". "mixed" copies the examples (numbers on order/*, strings on
    # logistics/*); "string" / "number" force one type everywhere.
    code_type: str = "mixed"
    # Duplicate txlogisticId: J&T publishes no code for it. The sandbox answers J&T's generic failure code "0"
    # (the documented "fail") with this message, HTTP 200; clients should recognise the text, not the code.
    duplicate_code: str = "0"
    duplicate_msg: str = "txlogisticId already exists"
    # logistics/trace for an unknown number: "empty" = success with that number left out of data (what a
    # third-party fixture shows); "error" = 999001030 "No order data found" (the MY error table).
    trace_not_found: str = "empty"
    # printOrder: which of base64EncodeContent / urlContent are filled ("both"; the MY example fills only the URL).
    label_mode: str = "both"
    # Business password forms accepted (MY/VN tenants): UPPER(hex MD5(plain + "jadada369t3")) ("salted_md5"),
    # the plain text ("plain", the MY reference's reading) and UPPER(hex MD5(plain)) ("md5", one MY SDK).
    # An account whose password is itself 32 hex characters (a "ready" value from the PIC) is compared as is.
    password_forms: list[str] = field(default_factory=lambda: ["salted_md5", "plain", "md5"])
    # |timestamp - now| limit in seconds; 0 = not checked (J&T's tolerance, if any, is not published).
    timestamp_max_skew_s: float = 0.0
