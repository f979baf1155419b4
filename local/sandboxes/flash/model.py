"""The sandbox's world: merchant accounts, parcels with their route plans, pickup tickets, webhook messages and the
ledger.

Plain dataclasses of JSON-friendly values, so ``persist`` can snapshot and restore them as they are.
Times are epoch seconds on the shared clock; money is in satang (1 THB = 100), weights in grams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Warehouse:
    warehouse_no: str
    name: str
    province: str
    city: str
    district: str
    postal_code: str
    detail_address: str
    phone: str
    src_name: str


@dataclass
class Account:
    mch_id: str
    key: str  # the merchant's secret key
    countries: list[str]  # always ["th"]
    webhook_url: str | None = None
    # per-type settings made through /open/v1/setting/web_hook_service: "<webhookApiCode>" -> url (None = closed)
    webhook_settings: dict[str, str | None] = field(default_factory=dict)
    webhook_settings_at: dict[str, float] = field(default_factory=dict)
    warehouses: list[Warehouse] = field(default_factory=list)
    name: str = ""
    label_allowed: bool = True
    tracking_allowed: bool = True
    cod_enabled: bool = True  # off: codEnabled=1 is refused with 1008
    # settings the project keeps per account (handed out with the credentials)
    express_category: str = "1"
    article_category: str = "2"
    label_size: str = "large"


@dataclass
class RouteEvent:
    key: str  # plan step ("picked_up", "delivery_fail_1" ...), stable across scenario changes
    at: float
    action: str  # routeAction
    state: int  # the parcel state once this route happened
    message: str
    returned: bool = False  # on the return leg (rts)
    province: str = ""
    marker_category: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # {"weight": {...}} / {"price": {...}}
    done: bool = False  # its time has come: visible to /routes, webhooks emitted


@dataclass
class Parcel:
    pno: str
    out_trade_no: str
    mch_id: str
    order_id: str
    params: dict[str, str]  # the create call's parameters as received (sign, nonceStr dropped)
    remark: str
    package: dict[str, str] | None  # parsed KRM1 identity
    weight_g: int
    dims: dict[str, int]  # length / width / height in cm (only those sent)
    express_category: int
    article_category: int
    cod_amount: int  # satang, 0 without COD
    insure_declare_value: int  # satang, 0 when not insured
    src: dict[str, str]  # name, phone, province, city, district, postal_code, detail_address
    dst: dict[str, str]
    warehouse_no: str
    sort_code: str
    dst_store_name: str
    created_at: float
    state: int = 0
    state_changed_at: float = 0.0
    scenario: str = "delivered"
    charge: dict[str, Any] = field(default_factory=dict)
    cancelled_at: float | None = None
    measured: dict[str, Any] | None = None  # after a re-weigh: {weight, length, width, height}
    adjusted_charge: dict[str, Any] | None = None  # re-priced (re-weigh, return freight)
    returned_pno: str | None = None  # the return leg's number once the parcel goes back
    routes: list[RouteEvent] = field(default_factory=list)


@dataclass
class WebhookAttempt:
    at: float
    url: str
    http_status: int | None
    ok: bool
    error: str
    elapsed_ms: int
    response: str = ""  # the first 200 characters of the receiver's answer


@dataclass
class WebhookMessage:
    id: int
    mch_id: str
    pno: str
    api_code: int  # webhookApiCode
    event: str  # the routeAction, or "weight" / "price"
    event_at: float
    data: str  # the JSON text of the ``data`` form field
    body: str  # the exact form body posted (urlencoded)
    created_at: float
    url: str | None
    state: str = "pending"  # pending | in_flight | acked | gave_up | dropped | no_url
    next_attempt_at: float = 0.0
    attempts: list[WebhookAttempt] = field(default_factory=list)
    duplicate_of: int | None = None
    held: bool = False  # webhook_out_of_order: waiting for a later message of the parcel to go first


@dataclass
class PickupTicket:
    ticket_id: int
    mch_id: str
    created_at: float
    assign_at: float
    complete_at: float
    warehouse_no: str
    src: dict[str, str]
    estimate_parcel_number: int
    remark: str
    cancelled_at: float | None = None


@dataclass
class LabelRecord:
    tracking_number: str
    mch_id: str
    size: str  # large | small
    at: float


@dataclass
class CancelRecord:
    tracking_number: str
    mch_id: str
    at: float
    ok: bool
    code: int
    reason: str = ""


@dataclass
class DuplicateRecord:
    out_trade_no: str
    mch_id: str
    at: float
    remark: str


@dataclass
class CallRecord:
    seq: int
    at: float
    method: str
    path: str
    route: str
    status: int
    code: int | None  # the envelope code, when the answer was JSON
    mch_id: str | None
    fault: str = ""


@dataclass
class World:
    seed: str = "demo"
    accounts: dict[str, Account] = field(default_factory=dict)
    parcels: dict[str, Parcel] = field(default_factory=dict)  # by pno, in creation order
    aliases: dict[str, str] = field(default_factory=dict)  # return-leg pno -> pno
    # scenarios set before the parcel exists: "tn:<pno>" / "ref:<outTradeNo>"
    pending_scenarios: dict[str, str] = field(default_factory=dict)
    webhooks: list[WebhookMessage] = field(default_factory=list)
    pickups: list[PickupTicket] = field(default_factory=list)
    labels: list[LabelRecord] = field(default_factory=list)
    cancellations: list[CancelRecord] = field(default_factory=list)
    duplicates: list[DuplicateRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    call_counts: dict[str, int] = field(default_factory=dict)
    next_webhook_id: int = 1
    next_call_seq: int = 1
    next_pno_seq: int = 1
    next_ticket_id: int = 70001
