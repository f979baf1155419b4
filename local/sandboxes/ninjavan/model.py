"""The sandbox's world: accounts, tokens, parcels with their event plans, webhook messages and the ledger.

Plain dataclasses of JSON-friendly values, so ``persist`` can snapshot and restore them as they are.
Times are epoch seconds on the shared clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Coarse v2 statuses used by the sandbox (``status``); the fine name is ``event``.
PENDING_PICKUP = "Pending Pickup"
PICKUP_EXCEPTION = "Pickup Exception"
PICKED_UP = "Picked Up"
ARRIVED_AT_ORIGIN_HUB = "Arrived at Origin Hub"
IN_TRANSIT_TO_NEXT_HUB = "In Transit to Next Sorting Hub"
ARRIVED_AT_DESTINATION_HUB = "Arrived at Destination Hub"
ON_VEHICLE = "On Vehicle for Delivery"
DELIVERED = "Delivered"
DELIVERY_EXCEPTION = "Delivery Exception"
RETURNED_TO_SENDER = "Returned to Sender"
CANCELLED = "Cancelled"
MEASUREMENTS_UPDATE = "Parcel Measurements Update"

CANCELLABLE = (PENDING_PICKUP, PICKUP_EXCEPTION)  # "only before pickup"


@dataclass
class Account:
    client_id: str
    client_secret: str
    countries: list[str]  # lower-case country codes
    shipper_prefix: str
    webhook_url: str | None = None
    waybill_allowed: bool = True
    tracking_allowed: bool = True


@dataclass
class Token:
    access_token: str
    client_id: str
    country: str
    issued_at: float
    expires_at: float


@dataclass
class ParcelEvent:
    key: str  # the plan step ("picked_up", "delivery_fail_1" ...), stable across scenario changes
    at: float
    status: str
    event: str
    rts: bool = False
    comments: str = ""
    info: dict[str, Any] = field(default_factory=dict)  # the typed sub-objects (``*_information`` ...)
    done: bool = False  # its time has come: visible to the pull API, webhook emitted


@dataclass
class Parcel:
    tracking_number: str
    requested_tracking_number: str
    client_id: str
    country: str
    order: dict[str, Any]  # the order as answered (request echo + tracking_number, status, created_at)
    merchant_order_number: str | None
    package: dict[str, str] | None  # parsed KRM1 identity
    service_type: str
    service_level: str
    cod: float
    weight: float  # declared chargeable weight, kg
    created_at: float
    request_id: str
    status: str = PENDING_PICKUP
    scenario: str = "delivered"
    charge: dict[str, Any] = field(default_factory=dict)  # {amount, currency, chargeable_weight, ...}
    cancelled_at: float | None = None
    measured: dict[str, Any] | None = None  # parcel_measurements_information once measured
    adjusted_charge: dict[str, Any] | None = None  # re-rated after a measurement update
    events: list[ParcelEvent] = field(default_factory=list)


@dataclass
class WebhookAttempt:
    at: float
    url: str
    http_status: int | None
    ok: bool
    error: str
    elapsed_ms: int


@dataclass
class WebhookMessage:
    id: int
    client_id: str
    tracking_id: str
    event: str
    status: str
    event_at: float
    body: str  # the exact JSON text posted (signed as UTF-8 bytes)
    created_at: float
    url: str | None
    state: str = "pending"  # pending | in_flight | acked | gave_up | dropped | no_url
    next_attempt_at: float = 0.0
    attempts: list[WebhookAttempt] = field(default_factory=list)
    duplicate_of: int | None = None
    held: bool = False  # webhook_out_of_order: waiting for a later event of the parcel to go first


@dataclass
class LabelRecord:
    tracking_number: str
    client_id: str
    country: str
    at: float
    request_id: str
    orientation: str
    hide_shipper_details: bool


@dataclass
class CancelRecord:
    tracking_number: str
    client_id: str
    at: float
    request_id: str
    ok: bool
    reason: str = ""


@dataclass
class DuplicateRecord:
    requested_tracking_number: str
    client_id: str
    at: float
    request_id: str
    merchant_order_number: str | None


@dataclass
class CallRecord:
    seq: int
    at: float
    method: str
    path: str
    route: str
    status: int
    client_id: str | None
    request_id: str
    fault: str = ""


@dataclass
class World:
    seed: str = "demo"
    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    parcels: dict[str, Parcel] = field(default_factory=dict)  # by tracking number, in creation order
    # scenarios set before the parcel exists: "tn:<tracking number>" / "rtn:<requested tracking number>"
    pending_scenarios: dict[str, str] = field(default_factory=dict)
    webhooks: list[WebhookMessage] = field(default_factory=list)
    labels: list[LabelRecord] = field(default_factory=list)
    cancellations: list[CancelRecord] = field(default_factory=list)
    duplicates: list[DuplicateRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    call_counts: dict[str, int] = field(default_factory=dict)
    next_webhook_id: int = 1
    next_call_seq: int = 1
