"""Order-create validation (``POST /{cc}/4.2/orders``), from the Order / Address / ParcelJob / Timeslot /
Marketplace schemas of Ninja Van's Order API docs.

Every problem is collected (not just the first) as ``{"field": "<dotted path>", "message", "reason"}``.
``reason`` values are the sandbox's own (REQUIRED, INVALID_TYPE, INVALID_FORMAT, INVALID_VALUE, MIN_LENGTH,
MAX_LENGTH, MINIMUM); Ninja Van publishes no list.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .config import SandboxConfig
from .errors import detail

SERVICE_TYPES = (
    "Parcel",
    "Document",
    "Return",
    "Marketplace",
    "Corporate",
    "Corporate Document",
    "Bulky",
    "International",
)
SERVICE_LEVELS = ("Standard", "Express", "Sameday", "Nextday")
ADDRESS_COUNTRIES = ("SG", "MY", "TH", "ID", "VN", "PH", "MM")
PICKUP_SERVICE_TYPES = ("Scheduled", "On-Demand")
PICKUP_SERVICE_LEVELS = ("Standard", "Premium")
PICKUP_VOLUMES = (
    "Less than 3 Parcels",
    "Less than 10 Parcels",
    "Trolley Required",
    "Half-Van Load",
    "Full-Van Load",
    "Larger than Van Load",
)
SIZES = ("S", "M", "L", "XL", "XXL")
TIMESLOTS = {
    ("09:00", "12:00"),
    ("09:00", "18:00"),
    ("09:00", "22:00"),
    ("12:00", "15:00"),
    ("15:00", "18:00"),
    ("18:00", "22:00"),
}
TIMEZONES = (
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Jakarta",
    "Asia/Jayapura",
    "Asia/Makassar",
    "Asia/Bangkok",
    "Asia/Manila",
    "Asia/Ho_Chi_Minh",
    "Asia/Yangon",
)
TRACKING_PATTERN = re.compile(r"^([a-zA-Z0-9]+[-])*[a-zA-Z0-9]+$")
DATE_PATTERN = re.compile(r"^([12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))$")
TIME_PATTERN = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADDRESS_TEXT_FIELDS = ("address2", "postcode", "city", "state", "area", "ward", "district", "province")


class Checker:
    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, field: str, reason: str, message: str) -> None:
        self.details.append(detail(field, reason, message))

    def obj(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> dict[str, Any] | None:
        value = parent.get(name)
        if value is None:
            if required:
                self.add(path, "REQUIRED", f"{path} is required")
            return None
        if not isinstance(value, dict):
            self.add(path, "INVALID_TYPE", f"{path} must be an object")
            return None
        return value

    def string(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        required: bool = False,
        lo: int = 0,
        hi: int | None = None,
        enum: tuple[str, ...] | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        value = parent.get(name)
        if value is None or value == "":  # an empty string counts as absent
            if required:
                self.add(path, "REQUIRED", f"{path} is required")
            return None
        if not isinstance(value, str):
            self.add(path, "INVALID_TYPE", f"{path} must be a string")
            return None
        if enum is not None and value not in enum:
            self.add(path, "INVALID_VALUE", f"{path} must be one of: {', '.join(enum)}")
            return None
        if len(value) < lo:
            self.add(path, "MIN_LENGTH", f"{path} must be at least {lo} characters long")
            return None
        if hi is not None and len(value) > hi:
            self.add(path, "MAX_LENGTH", f"{path} must be at most {hi} characters long")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(path, "INVALID_FORMAT", f"{path} must match the pattern {pattern.pattern}")
            return None
        return value

    def boolean(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> bool | None:
        value = parent.get(name)
        if value is None:
            if required:
                self.add(path, "REQUIRED", f"{path} is required")
            return None
        if not isinstance(value, bool):
            self.add(path, "INVALID_TYPE", f"{path} must be true or false")
            return None
        return value

    def number(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        minimum: float | None = None,
        exclusive: bool = False,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float | None:
        value = parent.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and int(value) != value):
            self.add(path, "INVALID_TYPE", f"{path} must be {'an integer' if integer else 'a number'}")
            return None
        if minimum is not None and (value <= minimum if exclusive else value < minimum):
            self.add(path, "MINIMUM", f"{path} must be {'greater than' if exclusive else 'at least'} {minimum:g}")
            return None
        if maximum is not None and value > maximum:
            self.add(path, "MAXIMUM", f"{path} must be at most {maximum:g}")
            return None
        return float(value)

    def date(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> str | None:
        value = self.string(parent, name, path, required=required)
        if value is None:
            return None
        if DATE_PATTERN.match(value):
            try:
                dt.date.fromisoformat(value)
                return value
            except ValueError:
                pass
        self.add(path, "INVALID_FORMAT", f"{path} must be a date in the format yyyy-MM-dd")
        return None

    def timeslot(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> None:
        slot = self.obj(parent, name, path, required)
        if slot is None:
            return
        start = self.string(slot, "start_time", f"{path}.start_time", required=True, pattern=TIME_PATTERN)
        end = self.string(slot, "end_time", f"{path}.end_time", required=True, pattern=TIME_PATTERN)
        self.string(slot, "timezone", f"{path}.timezone", enum=TIMEZONES)
        if start is not None and end is not None and (start, end) not in TIMESLOTS:
            allowed = ", ".join(f"{a}-{b}" for a, b in sorted(TIMESLOTS))
            self.add(path, "INVALID_VALUE", f"{path} {start}-{end} is not an allowed timeslot ({allowed})")

    def contact(self, parent: dict[str, Any], name: str, path: str, required: bool = True) -> None:
        """The from / to / pickup_address object: name, phone_number or email, address."""
        who = self.obj(parent, name, path, required)
        if who is None:
            return
        self.string(who, "name", f"{path}.name", required=True, lo=3, hi=255)
        self.string(who, "phone_number", f"{path}.phone_number", lo=6, hi=32)
        self.string(who, "email", f"{path}.email", hi=255, pattern=EMAIL_PATTERN)
        if who.get("phone_number") in (None, "") and who.get("email") in (None, ""):
            self.add(f"{path}.phone_number", "REQUIRED", f"{path}.phone_number or {path}.email is required")
        address = self.obj(who, "address", f"{path}.address", required=True)
        if address is None:
            return
        a = f"{path}.address"
        self.string(address, "address1", f"{a}.address1", required=True, hi=255)
        self.string(address, "country", f"{a}.country", required=True, enum=ADDRESS_COUNTRIES)
        self.string(address, "address_type", f"{a}.address_type", enum=("home", "office"))
        for text in ADDRESS_TEXT_FIELDS:
            self.string(address, text, f"{a}.{text}", hi=255)
        self.number(address, "latitude", f"{a}.latitude", minimum=-90, maximum=90)
        self.number(address, "longitude", f"{a}.longitude", minimum=-180, maximum=180)
        # Which of postcode / city / state / area (ward / district / city for VN) are mandatory per country is
        # UNCONFIRMED: none is enforced.


def validate_order(body: dict[str, Any], cfg: SandboxConfig) -> list[dict[str, str]]:
    c = Checker()
    service_type = c.string(body, "service_type", "service_type", required=True, enum=SERVICE_TYPES)
    c.string(body, "service_level", "service_level", required=True, enum=SERVICE_LEVELS)
    # Every sandbox account is "prefixless": requested_tracking_number is mandatory. minLength 9 is from the
    # published schema's example (UNCONFIRMED as a server rule; see config requested_tracking_number_min_length).
    c.string(
        body,
        "requested_tracking_number",
        "requested_tracking_number",
        required=True,
        lo=cfg.requested_tracking_number_min_length,
        hi=255,
        pattern=TRACKING_PATTERN,
    )
    reference = c.obj(body, "reference", "reference")
    if reference is not None:
        c.string(reference, "merchant_order_number", "reference.merchant_order_number", hi=255)
    c.contact(body, "from", "from")
    c.contact(body, "to", "to")
    job = c.obj(body, "parcel_job", "parcel_job", required=True)
    if job is not None:
        p = "parcel_job"
        pickup = c.boolean(job, "is_pickup_required", f"{p}.is_pickup_required", required=True)
        pickup_type = c.string(job, "pickup_service_type", f"{p}.pickup_service_type", enum=PICKUP_SERVICE_TYPES)
        c.string(job, "pickup_service_level", f"{p}.pickup_service_level", enum=PICKUP_SERVICE_LEVELS)
        c.string(job, "pickup_address_id", f"{p}.pickup_address_id", lo=1, hi=64, pattern=TRACKING_PATTERN)
        if job.get("pickup_address") is not None:
            c.contact(job, "pickup_address", f"{p}.pickup_address")
        scheduled = pickup is True and (pickup_type or "Scheduled") == "Scheduled" and cfg.require_pickup_details
        c.date(job, "pickup_date", f"{p}.pickup_date", required=scheduled)
        c.timeslot(job, "pickup_timeslot", f"{p}.pickup_timeslot", required=scheduled)
        c.string(job, "pickup_approx_volume", f"{p}.pickup_approx_volume", enum=PICKUP_VOLUMES)
        c.string(job, "pickup_instructions", f"{p}.pickup_instructions")
        c.date(job, "delivery_start_date", f"{p}.delivery_start_date", required=True)
        c.timeslot(job, "delivery_timeslot", f"{p}.delivery_timeslot", required=True)
        c.string(job, "delivery_instructions", f"{p}.delivery_instructions")
        c.boolean(job, "allow_weekend_delivery", f"{p}.allow_weekend_delivery")
        c.number(job, "cash_on_delivery", f"{p}.cash_on_delivery", minimum=0)
        c.number(job, "insured_value", f"{p}.insured_value", minimum=0)
        items = job.get("items")
        if items is not None:
            if not isinstance(items, list):
                c.add(f"{p}.items", "INVALID_TYPE", f"{p}.items must be an array")
            else:
                for i, item in enumerate(items):
                    path = f"{p}.items[{i}]"
                    if not isinstance(item, dict):
                        c.add(path, "INVALID_TYPE", f"{path} must be an object")
                        continue
                    c.string(item, "item_description", f"{path}.item_description", required=True, hi=255)
                    c.number(item, "quantity", f"{path}.quantity", minimum=1, integer=True)
                    c.boolean(item, "is_dangerous_good", f"{path}.is_dangerous_good")
        dims = c.obj(job, "dimensions", f"{p}.dimensions")
        if dims is not None:
            c.string(dims, "size", f"{p}.dimensions.size", enum=SIZES)
            for name in ("weight", "length", "width", "height"):
                c.number(dims, name, f"{p}.dimensions.{name}", minimum=0, exclusive=True)
    marketplace = c.obj(body, "marketplace", "marketplace", required=service_type == "Marketplace")
    if marketplace is not None:
        seller = "marketplace.seller_id"
        c.string(marketplace, "seller_id", seller, required=True, lo=1, hi=255, pattern=TRACKING_PATTERN)
        c.string(marketplace, "seller_company_name", "marketplace.seller_company_name", required=True, lo=2, hi=255)
    international = c.obj(body, "international", "international", required=service_type == "International")
    if international is not None:
        # Only ``portation`` is seen in public material; other international fields are UNCONFIRMED.
        c.string(international, "portation", "international.portation", required=True, enum=("import", "export"))
    return c.details
