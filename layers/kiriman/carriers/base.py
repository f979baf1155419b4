"""One interface for every carrier (karrio's connector shape: I/O in one class, pure mappers beside it).

The domain only sees these types; each adapter turns them into its carrier's wire format. Money-spending
calls (``create_shipment``) are never retried blindly: on an ambiguous failure the caller asks
``find_by_reference`` first (see docs/decisions.md, "Money is spent once").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from kiriman.carriers.tracking import TrackingEvent
from kiriman.domain.parcels import Address, Money, Parcel

CARRIER_SLUGS = ("ninjavan", "jnt", "flash", "fourpx", "shopee")
IDENTITY_PREFIX = "KRM1"


# --- errors ---------------------------------------------------------------------------------------
class CarrierError(Exception):
    """A carrier said no or could not be reached. ``retryable``: the same call may succeed later."""

    retryable = False

    def __init__(
        self,
        carrier: str,
        message: str,
        *,
        code: str = "",
        field: str = "",
        status: int = 0,
        request_id: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{carrier}: {message}" + (f" ({field})" if field else ""))
        self.carrier = carrier
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.request_id = request_id
        self.retry_after_s = retry_after_s


class CarrierUnavailable(CarrierError):
    """Network failure, timeout or 5xx. For a create this is *ambiguous*: the order may exist."""

    retryable = True


class CarrierThrottled(CarrierError):
    """429 or the carrier's rate-limit code; ``retry_after_s`` when the carrier said how long."""

    retryable = True


class CarrierAuthError(CarrierError):
    """Credentials refused (after one token refresh): an operator must fix the carrier account."""


class CarrierRejected(CarrierError):
    """The carrier validated the request and refused it; ``field`` names the culprit when it says."""


class DuplicateReference(CarrierRejected):
    """The client reference was used before: look the shipment up instead of buying again."""


class ShipmentNotFound(CarrierError):
    pass


class PickupAlreadyOpen(CarrierRejected):
    """An earlier pickup request is still open (Flash code 1010): a courier is already coming, so the pickup
    counts as booked. ``ticket`` is the open request's id when the carrier named it."""

    ticket: str = ""


class NotCancellable(CarrierRejected):
    """Too late to void (picked up, or the carrier never cancels through the API)."""


class NotSupported(CarrierError):
    """The carrier has no such operation; callers branch on this, never on the carrier's name."""

    def __init__(self, carrier: str, operation: str, why: str = "") -> None:
        super().__init__(carrier, f"{operation} is not supported" + (f": {why}" if why else ""), code="not_supported")
        self.operation = operation


# --- requests and results -------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageRef:
    """Which Shopee package and which leg a purchase is for (design: the purchase claim key)."""

    shop_id: int
    order_sn: str
    package_number: str
    leg: str = "outbound"  # outbound | line_haul | return:<sn> | exchange:<sn>

    @property
    def identity(self) -> str:
        """Sent in a free-text field of the create request so a carrier's ledger can tell packages apart."""
        return "|".join((IDENTITY_PREFIX, str(self.shop_id), self.order_sn, self.package_number, self.leg))


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # deterministic client reference from the purchase claim, [A-Z0-9]
    package: PackageRef
    service: str
    sender: Address
    recipient: Address
    parcel: Parcel
    pickup: bool = True
    ship_date: date | None = None
    instructions: str = ""
    seller_id: str = ""  # marketplace seller (the Shopee shop) when the account ships for many sellers
    seller_name: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreatedShipment:
    carrier: str
    account_id: str
    reference: str
    tracking_number: str
    service: str = ""
    charge: Money | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Label:
    content: bytes
    format: str = "pdf"  # pdf | zpl | png
    size: str = "A6"  # A6 | 4x6 | 100x100 | A4
    tracking_number: str = ""


@dataclass(frozen=True)
class CarrierQuote:
    """A price the carrier's own API gave (4PX price trial); contract rates come from rate cards."""

    service: str
    price: Money
    transit_days: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class PickupRequest:
    address: Address
    pickup_date: date
    parcels: int = 1
    ready_time: str = "09:00"
    close_time: str = "18:00"
    instructions: str = ""


@dataclass(frozen=True)
class Pickup:
    confirmation: str
    pickup_date: date
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class WebhookAck:
    status: int = 200
    body: str = ""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class CarrierInfo:
    """The registry entry: what a carrier is and offers, read by routing, rating and the API."""

    slug: str
    name: str
    countries: frozenset[str]
    services: tuple[str, ...]
    volumetric_divisor: int
    reference_max_len: int
    searchable_by_reference: bool  # False: an unknown purchase is parked for an operator (design guide)
    operations: frozenset[str]
    credential_fields: tuple[str, ...]
    setting_fields: tuple[str, ...] = ()
    webhook_signature_header: str = ""
    docs: str = ""
    # The carrier keys its once-only guard on the package itself (Shopee arranges a package once), so the
    # purchase reference is the package identity rather than a hash of the claim key.
    reference_is_package: bool = False
    # The carrier reserves a pickup from the order itself (Ninja Van: parcel_job.is_pickup_required), so there
    # is nothing to book separately; a pickup booking is recorded as "with_order".
    pickup_with_order: bool = False


OPERATIONS = ("quote", "create_shipment", "find_by_reference", "get_label", "cancel", "track", "book_pickup",
              "verify_webhook", "parse_webhook", "webhook_ack")


class Carrier(Protocol):
    """What every adapter offers. Unsupported operations raise :class:`NotSupported`."""

    info: CarrierInfo
    account_id: str

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]: ...
    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment: ...
    def find_by_reference(self, reference: str) -> CreatedShipment | None: ...
    # ``package`` and ``reference`` are passed by callers that know them (the purchase claim does): Shopee
    # logistics keys labels and tracking by the package, J&T its print and cancel calls by our reference
    # (txlogisticId); the other carriers ignore them.
    def get_label(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> Label: ...
    def cancel(self, tracking_number: str, package: PackageRef | None = None, reference: str = "") -> None: ...
    def track(self, tracking_number: str, package: PackageRef | None = None) -> list[TrackingEvent]: ...
    def book_pickup(self, request: PickupRequest) -> Pickup: ...
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool: ...
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]: ...
    def webhook_ack(self, events: list[TrackingEvent]) -> WebhookAck: ...


@dataclass(frozen=True)
class AccountConfig:
    """What an adapter needs to know about the carrier account it speaks for (credentials apart)."""

    account_id: str
    carrier: str
    country: str  # ISO-2, upper case
    environment: str = "production"  # production | sandbox
    settings: Mapping[str, str] = field(default_factory=dict)

    def setting(self, name: str, default: str = "") -> str:
        return str(self.settings.get(name, default) or default)
