"""Shopee payloads as tolerant pydantic models.

Tolerance rules, from the documented inconsistencies: ``ordersn`` and ``order_sn`` both accepted;
numbers may arrive as strings; unknown enum values are kept as strings; unknown keys are ignored;
``package_number`` is never empty or ``-`` (samples use ``-`` as a placeholder).
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)


def _opt_number(v: Any) -> Any:
    return None if v in ("", None) else v


class TokenPair(_Tolerant):
    """``auth/token/get`` and ``auth/access_token/get`` answers (top-level, not under ``response``)."""

    access_token: str
    refresh_token: str
    expire_in: int = Field(14400, description="seconds")
    shop_id: int | None = None
    merchant_id: int | None = None
    shop_id_list: list[int] = Field(default_factory=list)
    merchant_id_list: list[int] = Field(default_factory=list)

    @field_validator("expire_in", mode="before")
    @classmethod
    def _seconds(cls, v: Any) -> int:
        # One published sample shows a 10-digit value; access tokens live at most 4 h.
        n = int(v or 14400)
        return n if 0 < n <= 14400 else 14400


class OrderRef(_Tolerant):
    order_sn: str = Field(validation_alias=AliasChoices("order_sn", "ordersn"))
    order_status: str | None = None
    booking_sn: str | None = None


class OrderListPage(_Tolerant):
    order_list: list[OrderRef] = Field(default_factory=list)
    more: bool = False
    next_cursor: str = ""


class Item(_Tolerant):
    item_id: int
    item_name: str = ""
    item_sku: str = ""
    model_id: int = 0
    model_name: str = ""
    model_sku: str = ""
    model_quantity_purchased: int = 1
    model_original_price: float | None = None
    model_discounted_price: float | None = None
    weight: float | None = Field(None, description="kg (the product API states item weight in KG)")
    order_item_id: int | None = None
    promotion_group_id: int | None = None
    add_on_deal_id: int | None = None

    _num = field_validator("weight", "model_original_price", "model_discounted_price", mode="before")(_opt_number)


class PackageItem(_Tolerant):
    item_id: int
    model_id: int = 0
    model_quantity: int = 1
    order_item_id: int | None = None
    promotion_group_id: int | None = None


class Package(_Tolerant):
    package_number: str
    logistics_status: str = ""
    logistics_channel_id: int | None = None
    shipping_carrier: str = ""
    allow_self_design_awb: bool | None = None
    parcel_chargeable_weight_gram: int | None = Field(
        None, validation_alias=AliasChoices("parcel_chargeable_weight_gram", "parcel_chargeable_weight")
    )
    item_list: list[PackageItem] = Field(default_factory=list)

    @field_validator("package_number")
    @classmethod
    def _real_number(cls, v: str) -> str:
        if v.strip() in ("", "-"):
            raise ValueError("package_number is empty or a placeholder")
        return v.strip()


class RecipientAddress(_Tolerant):
    name: str = ""
    phone: str = ""
    town: str = ""
    district: str = ""
    city: str = ""
    state: str = ""
    region: str = ""
    zipcode: str = ""
    full_address: str = ""


class OrderDetail(_Tolerant):
    order_sn: str = Field(validation_alias=AliasChoices("order_sn", "ordersn"))
    region: str = ""
    currency: str = ""
    cod: bool = False
    order_status: str
    create_time: int
    update_time: int
    pay_time: int | None = None
    days_to_ship: int | None = None
    ship_by_date: int | None = None
    pickup_done_time: int | None = None
    shipping_carrier: str = ""
    total_amount: float | None = None
    fulfillment_flag: str = ""
    split_up: bool = False
    booking_sn: str | None = None
    advance_package: bool = False
    pending_terms: list[str] = Field(default_factory=list)
    goods_to_declare: bool | None = None
    order_chargeable_weight_gram: int | None = None
    cancel_by: str = ""
    cancel_reason: str = ""
    recipient_address: RecipientAddress | None = None
    item_list: list[Item] = Field(default_factory=list)
    package_list: list[Package] = Field(default_factory=list)

    _num = field_validator("pay_time", "ship_by_date", "pickup_done_time", "total_amount", mode="before")(_opt_number)

    @field_validator("pending_terms", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("booking_sn", mode="before")
    @classmethod
    def _booking(cls, v: Any) -> Any:
        return None if v in ("", None) else v


class PushEnvelope(_Tolerant):
    """``{"data": {...}, "shop_id", "code", "timestamp"}``; codes 1/2 carry ``partner_id`` instead."""

    code: int
    shop_id: int | None = None
    partner_id: int | None = None
    timestamp: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)


ORDER_DETAIL_FIELDS = (
    "item_list,package_list,recipient_address,shipping_carrier,total_amount,pay_time,pickup_done_time,"
    "goods_to_declare,fulfillment_flag,order_chargeable_weight_gram,cancel_by,cancel_reason,split_up"
)
