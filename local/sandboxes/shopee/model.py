"""The sandbox's world as plain dataclasses (JSON-serialisable, see :mod:`.persist`).

Everything a handler may change lives in :class:`World`; :class:`..state.SandboxState` guards it with one lock.
Dict keys are strings so the world round-trips through JSON unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Order status values (open.shopee.com "V2.0 Data Definition" > OrderStatus)
UNPAID = "UNPAID"
READY_TO_SHIP = "READY_TO_SHIP"
PROCESSED = "PROCESSED"
RETRY_SHIP = "RETRY_SHIP"
SHIPPED = "SHIPPED"
TO_CONFIRM_RECEIVE = "TO_CONFIRM_RECEIVE"
IN_CANCEL = "IN_CANCEL"
CANCELLED = "CANCELLED"
TO_RETURN = "TO_RETURN"
COMPLETED = "COMPLETED"
INVOICE_PENDING = "INVOICE_PENDING"

ORDER_STATUSES = (
    UNPAID,
    READY_TO_SHIP,
    PROCESSED,
    RETRY_SHIP,
    SHIPPED,
    TO_CONFIRM_RECEIVE,
    IN_CANCEL,
    CANCELLED,
    TO_RETURN,
    COMPLETED,
    INVOICE_PENDING,
)
# Statuses that follow from the packages (the "paid flow")
FLOW_STATUSES = frozenset({READY_TO_SHIP, PROCESSED, RETRY_SHIP, SHIPPED, TO_CONFIRM_RECEIVE})

# Package fulfilment / logistics status ("V2.0 Data Definition" > LogisticsStatus, PackageFulfillmentStatus)
L_NOT_START = "LOGISTICS_NOT_START"
L_READY = "LOGISTICS_READY"
L_REQUEST_CREATED = "LOGISTICS_REQUEST_CREATED"
L_PICKUP_DONE = "LOGISTICS_PICKUP_DONE"
L_PICKUP_RETRY = "LOGISTICS_PICKUP_RETRY"
L_PICKUP_FAILED = "LOGISTICS_PICKUP_FAILED"
L_DELIVERY_DONE = "LOGISTICS_DELIVERY_DONE"
L_DELIVERY_FAILED = "LOGISTICS_DELIVERY_FAILED"
L_LOST = "LOGISTICS_LOST"
L_INVALID = "LOGISTICS_INVALID"
L_REQUEST_CANCELED = "LOGISTICS_REQUEST_CANCELED"
PACKAGE_CANCELLED = frozenset({L_INVALID, L_REQUEST_CANCELED, L_PICKUP_FAILED, L_DELIVERY_FAILED, L_LOST})

FULFILLED_BY_SHOPEE = "fulfilled_by_shopee"
FULFILLED_BY_CB_SELLER = "fulfilled_by_cb_seller"
FULFILLED_BY_LOCAL_SELLER = "fulfilled_by_local_seller"

DOCUMENT_TYPES = (
    "NORMAL_AIR_WAYBILL",
    "THERMAL_AIR_WAYBILL",
    "NORMAL_JOB_AIR_WAYBILL",
    "THERMAL_JOB_AIR_WAYBILL",
    "THERMAL_UNPACKAGED_LABEL",
)


@dataclass
class Address:
    address_id: int
    region: str
    state: str
    city: str
    district: str
    town: str
    address: str
    zipcode: str
    flags: list[str] = field(default_factory=list)  # default_address / pickup_address / return_address


@dataclass
class Shop:
    shop_id: int
    region: str
    name: str
    cross_border: bool
    currency: str
    warehouse_id: str
    channel_ids: list[int]
    addresses: list[Address]
    status: str = "NORMAL"  # NORMAL | BANNED | FROZEN (v2.shop.get_shop_info)
    main_account_id: int | None = None
    merchant_id: int | None = None
    can_split: bool = True
    authorized: bool = False
    auth_time: int = 0
    expire_time: int = 0
    expiry_warned: bool = False
    created_at: float = 0.0


@dataclass
class Merchant:
    merchant_id: int
    region: str
    name: str
    currency: str
    main_account_id: int
    authorized: bool = False
    auth_time: int = 0
    expire_time: int = 0


@dataclass
class MainAccount:
    main_account_id: int
    name: str


@dataclass
class Recipient:
    name: str
    phone: str
    town: str
    district: str
    city: str
    state: str
    region: str
    zipcode: str
    full_address: str


@dataclass
class OrderItem:
    order_item_id: int
    item_id: int
    item_name: str
    item_sku: str
    model_id: int
    model_name: str
    model_sku: str
    quantity: int
    original_price: float
    discounted_price: float
    weight_kg: float
    image_url: str
    product_location_id: str
    promotion_type: str = ""
    promotion_id: int = 0
    promotion_group_id: int = 0
    add_on_deal_id: int = 0


@dataclass
class PackageItem:
    item_id: int
    model_id: int
    order_item_id: int
    promotion_group_id: int
    quantity: int


@dataclass
class TrackingEvent:
    update_time: int
    description: str
    logistics_status: str


@dataclass
class ShippingDocument:
    document_type: str
    status: str  # PROCESSING | READY | FAILED
    created_at: float
    ready_at: float
    will_fail: bool = False
    fail_error: str = ""
    fail_message: str = ""


@dataclass
class Package:
    package_number: str
    channel_id: int
    logistics_status: str
    items: list[PackageItem]
    forder_id: str
    tracking_number: str = ""
    ship_method: str = ""  # pickup | dropoff | non_integrated ("" = not arranged)
    pickup_address_id: int = 0
    pickup_time_id: str = ""
    branch_id: int = 0
    sender_real_name: str = ""
    arranged_at: float | None = None
    tracking_at: float | None = None
    pickup_done_time: int = 0
    delivered_at: float | None = None
    retry_at: float | None = None
    update_time: int = 0
    sorting_group: str = ""
    first_mile_tracking_number: str = ""
    events: list[TrackingEvent] = field(default_factory=list)
    document: ShippingDocument | None = None


@dataclass
class Order:
    order_sn: str
    shop_id: int
    region: str
    currency: str
    status: str
    create_time: int
    update_time: int
    days_to_ship: int
    cod: bool
    payment_method: str
    channel_id: int
    items: list[OrderItem]
    packages: list[Package]
    recipient: Recipient
    buyer_user_id: int
    buyer_username: str
    estimated_shipping_fee: float
    actual_shipping_fee: float
    total_amount: float
    fulfillment_flag: str
    pay_time: int | None = None
    pay_at: float | None = None  # scheduled payment (UNPAID orders that get paid later on the clock)
    ship_by_date: int = 0
    message_to_seller: str = ""
    note: str = ""
    note_update_time: int = 0
    goods_to_declare: bool = False
    split_up: bool = False
    advance_package: bool = False
    booking_sn: str = ""
    pending_terms: list[str] = field(default_factory=list)
    cancel_by: str = ""
    cancel_reason: str = ""
    buyer_cancel_reason: str = ""
    status_before_cancel: str = ""
    completed_scenario: str = ""
    received_at: float | None = None  # reached TO_CONFIRM_RECEIVE
    completed_at: float | None = None

    @property
    def platform_fulfilled(self) -> bool:
        """Shopee (or the advance-fulfilment booking) ships it; the seller must not call ship_order."""
        return self.fulfillment_flag == FULFILLED_BY_SHOPEE or self.advance_package


@dataclass
class AuthCode:
    code: str
    created_at: float
    shop_id: int | None = None
    main_account_id: int | None = None
    used: bool = False


@dataclass
class AccessToken:
    token: str
    kind: str  # shop | merchant
    entity_id: int
    issued_at: float
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    kind: str
    entity_id: int
    issued_at: float
    expires_at: float
    used_at: float | None = None


@dataclass
class PushAttempt:
    at: float
    url: str
    http_status: int | None
    ok: bool
    error: str
    elapsed_ms: int


@dataclass
class PushMessage:
    message_id: int
    code: int
    shop_id: int | None
    body: str
    created_at: float
    timestamp: int
    # pending | in_flight | acked | lost | no_callback
    state: str = "pending"
    next_attempt_at: float = 0.0
    attempts: list[PushAttempt] = field(default_factory=list)
    duplicate_of: int | None = None
    held: bool = False  # out-of-order fault: held back (wall-clock) so later pushes overtake it
    lost_reason: str = ""
    lost_at: float | None = None
    consumed: bool = False


@dataclass
class ApiCall:
    seq: int
    time: float
    method: str
    path: str
    outcome: str  # "ok" or the error code
    http_status: int
    request_id: str
    shop_id: int | None = None
    merchant_id: int | None = None
    fault: str = ""


@dataclass
class Counter:
    total: int = 0
    ok: int = 0
    failed: int = 0


@dataclass
class ShipOrderCount:
    order_sn: str
    calls: int = 0
    ok: int = 0
    failed: int = 0
    outcomes: list[str] = field(default_factory=list)


@dataclass
class AuthMode:
    mode: str = "shop"  # shop | main_account
    shop_id: int | None = None
    main_account_id: int | None = None
    period_days: int = 365


@dataclass
class World:
    shops: dict[str, Shop] = field(default_factory=dict)
    merchants: dict[str, Merchant] = field(default_factory=dict)
    main_accounts: dict[str, MainAccount] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    package_index: dict[str, str] = field(default_factory=dict)  # package_number -> order_sn
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)  # "kind:id:token"
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    pushes: list[PushMessage] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    refresh_calls: dict[str, Counter] = field(default_factory=dict)  # "shop:<id>" / "merchant:<id>"
    ship_order_calls: dict[str, ShipOrderCount] = field(default_factory=dict)  # package_number
    push_url: str | None = None
    push_codes_off: list[int] = field(default_factory=list)
    blocked_shop_ids: list[int] = field(default_factory=list)
    auth_mode: AuthMode = field(default_factory=AuthMode)
    quota_used: dict[str, int] = field(default_factory=dict)  # "<shop_id>:<UTC+8 date>"
    quota_exhausted: dict[str, str] = field(default_factory=dict)  # shop_id -> UTC+8 date it was exhausted on
    next_message_id: int = 176600
    next_call_seq: int = 1
    id_counter: int = 0
    seed: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)
