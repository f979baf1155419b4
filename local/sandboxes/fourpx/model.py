"""The sandbox's world: accounts, consignments with their milestone plans, labels and the ledger.

Plain dataclasses of JSON-friendly values, so ``persist`` can snapshot and restore them as they are.
Times are epoch seconds on the shared clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import PRODUCTS

# Consignment statuses of ds.xms.order.get (4PX: 已预报 P, 已交接/已交货 V, 库内作业中 H, 已出库 C,
# 已完成 F, 已退件 R, 已关闭 X).
FORECAST = "P"
HANDED_OVER = "V"
IN_WAREHOUSE = "H"
OUT_OF_WAREHOUSE = "C"
FINISHED = "F"
RETURNED = "R"
CLOSED = "X"

CANCELLABLE = (FORECAST,)  # "only before pickup": a forecast the warehouse has not received yet


@dataclass
class Account:
    app_key: str
    app_secret: str
    countries: list[str]  # destination countries served, lower-case ISO-2
    webhook_url: str | None = None  # kept for the shared control API; 4PX pushes nothing (polling only)
    products: list[str] = field(default_factory=lambda: list(PRODUCTS))  # logistics_product_code enabled
    label_allowed: bool = True
    tracking_allowed: bool = True
    quote_allowed: bool = True


@dataclass
class Milestone:
    key: str  # the plan step ("picked_up", "delivery_failed_1" ...), stable across scenario changes
    at: float
    code: str  # businessLinkCode (Yanwen-style line-haul code)
    en: str  # trackingContent, language=en
    cn: str  # trackingContent, language=cn
    location: str  # occurLocation
    done: bool = False  # its time has come: visible in tr.order.tracking.get
    seq: int = 0  # world-wide order in which milestones were materialised (0: not yet)


@dataclass
class Order:
    tracking_number: str  # 4px_tracking_no
    ref_no: str
    app_key: str
    ds_consignment_no: str
    product_code: str
    destination: str  # lower-case ISO-2 of recipient_info.country
    sender_city: str
    sender_country: str
    request: dict[str, Any]  # the create body as received
    remark: str | None
    package: dict[str, str] | None  # parsed KRM1 identity
    weight_g: int  # declared (sum of parcel_list[].weight)
    dimensions: list[float] | None  # [l, w, h] cm of the first parcel, when given
    parcel_value: float
    currency: str
    created_at: float
    scenario: str = "delivered"
    channel_no: str = ""  # logistics_channel_no, once assigned
    channel_name: str = ""  # logistics_channel_name, once assigned
    consignment_status: str = FORECAST
    status: str = "forecast"  # coarse, for the ledger
    last_code: str = "OR10"
    charge: dict[str, Any] = field(default_factory=dict)  # {amount, currency, chargeable_weight_g, ...}
    cancelled_at: float | None = None
    inbound_at: float | None = None  # 4px_inbound_date
    outbound_at: float | None = None  # 4px_outbound_date
    confirmed: dict[str, Any] | None = None  # weighed at the warehouse (parcel_confirm_info source)
    measured: dict[str, Any] | None = None  # scenario "measurement": heavier than declared
    adjusted_charge: dict[str, Any] | None = None  # re-rated after weighing heavier
    events: list[Milestone] = field(default_factory=list)


@dataclass
class LabelFile:
    file_id: str
    tracking_number: str
    app_key: str
    kind: str  # logistics | custom | package
    label_size: str
    fmt: str  # PDF | IMG
    pages: list[str]  # "label", "declaration", "package" (a merged file has several)
    issued_at: float
    downloads: int = 0


@dataclass
class LabelRecord:
    tracking_number: str
    ref_no: str
    app_key: str
    at: float
    label_size: str
    fmt: str
    urls: dict[str, str]


@dataclass
class CancelRecord:
    tracking_number: str
    ref_no: str
    app_key: str
    at: float
    ok: bool
    reason: str = ""


@dataclass
class DuplicateRecord:
    ref_no: str
    app_key: str
    at: float
    existing_tracking_number: str
    remark: str | None


@dataclass
class CallRecord:
    seq: int
    at: float
    http_method: str
    path: str
    route: str  # "POST ds.xms.order.create", "GET /label-files/{file}", "UNMATCHED" ...
    http_status: int
    result: str  # envelope result "1" / "0" ("" for non-envelope answers)
    error_code: str
    app_key: str | None
    version: str
    fault: str = ""


@dataclass
class World:
    seed: str = "demo"
    accounts: dict[str, Account] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)  # by 4px_tracking_no, in creation order
    # scenarios set before the order exists: "tn:<4px number>" / "ref:<ref_no>"
    pending_scenarios: dict[str, str] = field(default_factory=dict)
    label_files: dict[str, LabelFile] = field(default_factory=dict)
    labels: list[LabelRecord] = field(default_factory=list)
    cancellations: list[CancelRecord] = field(default_factory=list)
    duplicates: list[DuplicateRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    call_counts: dict[str, int] = field(default_factory=dict)
    next_order_seq: int = 1
    next_call_seq: int = 1
    next_event_seq: int = 1
    number_salt: int = 10000  # 5 digits inside every 4PX number, drawn at reset: worlds do not reuse numbers
