"""The sandbox's world: accounts, parcels with their scan plans, callback messages and pushes, and the ledger.

Plain dataclasses of JSON-friendly values, so ``persist`` can snapshot and restore them as they are.
Times are epoch seconds on the shared clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Parcel statuses kept by the sandbox (J&T has no status field: these summarise the latest scan).
PENDING_PICKUP = "pending_pickup"
PICKED_UP = "picked_up"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
PROBLEM = "problem"
RETURNING = "returning"
RETURNED = "returned"
LOST = "lost"
CANCELLED = "cancelled"

CANCELLABLE = (PENDING_PICKUP,)  # "only before pickup"


@dataclass
class Account:
    api_account: str  # header apiAccount (a number in J&T's console)
    private_key: str  # signs the header digest (requests and callbacks)
    customer_code: str  # bizContent.customerCode
    password: str  # the plain business password (or a ready 32-hex value issued by the PIC)
    countries: list[str]  # lower-case ISO-2
    business_auth: str = "password"  # "password" (MY/VN) | "digest" (CN/EG business digest)
    country_iso3: str = "MYS"
    currency: str = "MYR"
    service_type: str = "1"  # default for clients: 1 door-to-door pickup, 6 walk-in drop-off
    express_type: str = "EZ"
    pay_type: str = "PP_PM"
    bill_prefix: str = "63"  # billCode = prefix + digits (MY waybills look like 630002864925)
    webhook_url: str | None = None
    label_allowed: bool = True  # order/printOrder permission
    tracking_allowed: bool = True  # logistics/trace permission


@dataclass
class ScanEvent:
    key: str  # the plan step ("pickup", "fail_1" ...), stable across scenario changes
    at: float
    code: str  # scanTypeCode
    status: str  # the parcel status once this scan happened
    info: dict[str, Any] = field(default_factory=dict)  # desc, network, problemType, realWeight ...
    done: bool = False  # its time has come: visible to logistics/trace, callback emitted


@dataclass
class Parcel:
    tracking_number: str  # billCode
    reference: str  # txlogisticId
    account: str  # api_account
    customer_code: str
    country: str  # the account's country (ISO-2)
    order: dict[str, Any]  # bizContent as received, without password / digest
    remark: str | None
    package: dict[str, str] | None  # parsed KRM1 identity
    service_type: str
    express_type: str
    pay_type: str
    cod: float
    weight: float  # declared packageInfo.weight, kg
    chargeable_weight: float
    created_at: float
    request_id: str
    sorting_code: str = ""
    third_sorting_code: str = ""
    sub_bill_codes: list[str] = field(default_factory=list)  # multipleVotes
    status: str = PENDING_PICKUP
    scenario: str = "delivered"
    charge: dict[str, Any] = field(default_factory=dict)
    cancelled_at: float | None = None
    cancel_reason: str = ""
    measured: dict[str, Any] | None = None  # realWeight after the re-weigh ("measurement")
    adjusted_charge: dict[str, Any] | None = None
    events: list[ScanEvent] = field(default_factory=list)


@dataclass
class WebhookAttempt:
    at: float
    delivery_id: int
    url: str
    http_status: int | None
    ok: bool
    error: str


@dataclass
class WebhookMessage:
    """One scan detail to push. Several messages travel together in one push (a :class:`WebhookDelivery`)."""

    id: int
    account: str
    tracking_number: str
    reference: str
    code: str
    event: str  # scanType
    event_at: float
    detail: dict[str, Any]
    created_at: float
    url: str | None
    state: str = "pending"  # pending | in_flight | acked | gave_up | dropped | no_url
    next_attempt_at: float = 0.0
    attempts: list[WebhookAttempt] = field(default_factory=list)
    duplicate_of: int | None = None
    held: bool = False  # webhook_out_of_order: waiting for a later scan of the parcel to go first


@dataclass
class WebhookDelivery:
    """One POST to the callback URL: bizContent = JSON array of {billCode, txlogisticId, details[]}."""

    id: int
    account: str
    url: str
    at: float
    message_ids: list[int]
    parcels: list[str]
    biz_content: str
    digest: str
    timestamp: str
    http_status: int | None = None
    ok: bool = False
    error: str = ""
    response: str = ""
    elapsed_ms: int = 0
    done: bool = False


@dataclass
class LabelRecord:
    tracking_number: str
    reference: str
    account: str
    at: float
    request_id: str
    form: str  # both | base64 | url
    template: str
    url: str


@dataclass
class CancelRecord:
    tracking_number: str
    reference: str
    account: str
    at: float
    request_id: str
    ok: bool
    reason: str = ""
    code: str = ""


@dataclass
class DuplicateRecord:
    reference: str
    account: str
    at: float
    request_id: str
    remark: str | None
    existing_tracking_number: str


@dataclass
class CallRecord:
    seq: int
    at: float
    method: str
    path: str
    route: str
    http_status: int
    code: str  # the envelope code answered ("1" = success)
    account: str | None
    request_id: str
    fault: str = ""
    auth_form: str = ""  # which business credential form the call used (salted_md5, plain, business_digest ...)


@dataclass
class World:
    seed: str = "demo"
    accounts: dict[str, Account] = field(default_factory=dict)  # by api_account
    parcels: dict[str, Parcel] = field(default_factory=dict)  # by billCode, in creation order
    # scenarios set before the parcel exists: "tn:<billCode>" / "ref:<txlogisticId>"
    pending_scenarios: dict[str, str] = field(default_factory=dict)
    label_files: dict[str, list[str]] = field(default_factory=dict)  # urlContent token -> [billCode, template]
    webhooks: list[WebhookMessage] = field(default_factory=list)
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    labels: list[LabelRecord] = field(default_factory=list)
    cancellations: list[CancelRecord] = field(default_factory=list)
    duplicates: list[DuplicateRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    call_counts: dict[str, int] = field(default_factory=dict)
    bill_base: int = 0  # random per world, so billCodes do not repeat after a reset
    next_bill_seq: int = 1
    next_webhook_id: int = 1
    next_delivery_id: int = 1
    next_call_seq: int = 1
