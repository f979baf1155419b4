"""Parameter checks for the create, estimate and notify calls (form fields are strings).

Flash answers one problem at a time: the first failing check raises its :class:`~.errors.FlashError` (HTTP 200,
``code`` != 1). Field lengths and the required set are from Flash's parameter tables (``string(50)`` ...);
where the sources differ the sandbox takes the tolerant reading (noted inline, UNCONFIRMED).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .config import ARTICLE_CATEGORIES, EXPRESS_CATEGORIES, SandboxConfig
from .errors import FlashError, invalid
from .model import Account
from .signing import is_blank

INTEGER = re.compile(r"^-?\d+$")
POSTCODE = re.compile(r"^\d{5}$")
# Thai postcodes run from 10xxx (Bangkok) to 96xxx (Narathiwat). Flash matches names against its location tree
# (codes 1004 / 1005); the sandbox has no tree and only refuses postcodes outside that range.
THAI_POSTCODE_PREFIXES = range(10, 97)

# (parameter, key in the address dict, max length); all six make a complete sender address.
SRC_FIELDS = (
    ("srcName", "name", 50),
    ("srcPhone", "phone", 20),
    ("srcProvinceName", "province", 150),
    ("srcCityName", "city", 150),
    ("srcPostalCode", "postal_code", 20),
    ("srcDetailAddress", "detail_address", 200),
)
DST_FIELDS = (
    ("dstName", "name", 50),
    ("dstPhone", "phone", 20),
    ("dstProvinceName", "province", 150),
    ("dstCityName", "city", 150),
    ("dstPostalCode", "postal_code", 20),
    ("dstDetailAddress", "detail_address", 200),
)
RETURN_FIELDS = (
    ("returnName", "name", 50),
    ("returnPhone", "phone", 20),
    ("returnProvinceName", "province", 150),
    ("returnCityName", "city", 150),
    ("returnDistrictName", "district", 150),
    ("returnPostalCode", "postal_code", 20),
    ("returnDetailAddress", "detail_address", 200),
)


class Form:
    """Typed reads of the received parameters (all strings); blank counts as absent."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params

    def has(self, name: str) -> bool:
        return not is_blank(self.params.get(name, ""))

    def text(self, name: str, *, required: bool = False, max_len: int | None = None) -> str:
        value = self.params.get(name, "")
        if is_blank(value):
            if required:
                raise invalid(name)
            return ""
        if max_len is not None and len(value) > max_len:
            raise invalid(name, f"must be at most {max_len} characters")
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None, default: int | None = None
    ) -> int | None:
        if not self.has(name):
            if required:
                raise invalid(name)
            return default
        value = self.params[name].strip()
        if not INTEGER.match(value):
            raise invalid(name, "must be an integer")
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(name, f"must be at least {minimum}")
        return number

    def flag(self, name: str, *, required: bool = False) -> int:
        value = self.integer(name, required=required, default=0)
        if value not in (0, 1):
            raise invalid(name, "must be 0 or 1")
        return int(value or 0)


def check_postcode(value: str, name: str, unmatched_code: int) -> None:
    if not POSTCODE.match(value):
        raise FlashError(1021, f"{name} must be 5 digits")
    if int(value[:2]) not in THAI_POSTCODE_PREFIXES:
        raise FlashError(unmatched_code, f"{name} {value} is not a Thai postcode")


def sender(form: Form, account: Account, cfg: SandboxConfig) -> tuple[str, dict[str, str]]:
    """(warehouseNo or "", the sender address): the six src* fields when all are given, else the warehouse."""
    warehouse_no = form.text("warehouseNo", max_len=32)
    warehouse = None
    if warehouse_no:
        warehouse = next((w for w in account.warehouses if w.warehouse_no == warehouse_no), None)
        if warehouse is None:
            raise FlashError(1007, f"warehouseNo {warehouse_no} is not a warehouse of {account.mch_id}")
    given = [name for name, _, _ in SRC_FIELDS if form.has(name)]
    if len(given) == len(SRC_FIELDS):
        src = {key: form.text(name, max_len=limit) for name, key, limit in SRC_FIELDS}
        src["district"] = form.text("srcDistrictName", max_len=150)
    elif warehouse is not None:
        src = {
            "name": warehouse.src_name,
            "phone": warehouse.phone,
            "province": warehouse.province,
            "city": warehouse.city,
            "district": warehouse.district,
            "postal_code": warehouse.postal_code,
            "detail_address": warehouse.detail_address,
        }
    else:
        missing = next(name for name, _, _ in SRC_FIELDS if name not in given)
        detail = "warehouseNo or srcName, srcPhone, srcProvinceName, srcCityName, srcPostalCode, srcDetailAddress"
        if given:
            detail = f"{missing} is required when warehouseNo is not sent"
        raise FlashError(1018, detail)
    check_postcode(src["postal_code"], "srcPostalCode", 1004)
    if src["postal_code"] in cfg.unserviced_postcodes:
        raise FlashError(1022, f"srcPostalCode {src['postal_code']} is outside the service area")
    return warehouse_no, src


def receiver(form: Form) -> dict[str, str]:
    dst = {key: form.text(name, required=True, max_len=limit) for name, key, limit in DST_FIELDS}
    # dstDistrictName and dstHomePhone: required in some versions of the tables, optional in others
    # (UNCONFIRMED): optional here.
    dst["district"] = form.text("dstDistrictName", max_len=150)
    dst["home_phone"] = form.text("dstHomePhone", max_len=20)
    check_postcode(dst["postal_code"], "dstPostalCode", 1005)
    return dst


def category(form: Form, name: str, allowed: tuple[int, ...], *, required: bool = True, default: int = 1) -> int:
    value = form.integer(name, required=required, default=default)
    if value not in allowed:
        raise invalid(name, "must be one of " + ", ".join(str(v) for v in allowed))
    return int(value)


def dimensions(form: Form) -> dict[str, int]:
    dims: dict[str, int] = {}
    for name in ("length", "width", "height"):
        value = form.integer(name, minimum=0)
        if value is not None:
            dims[name] = value
    return dims


def money(form: Form, account: Account) -> tuple[int, int, int, int]:
    """(insured, insureDeclareValue, codEnabled, codAmount), satang."""
    insured = form.flag("insured", required=True)
    declared = form.integer("insureDeclareValue", default=0) or 0
    if declared < 0:
        raise FlashError(1020, "insureDeclareValue must not be negative")
    if insured and declared <= 0:
        raise invalid("insureDeclareValue", "is required when insured is 1")
    cod_enabled = form.flag("codEnabled", required=True)
    cod_amount = form.integer("codAmount", default=0) or 0
    if cod_amount < 0:
        raise FlashError(1009, "codAmount must not be negative")
    if cod_enabled and not account.cod_enabled:
        raise FlashError(1008, f"COD is not enabled for {account.mch_id}")
    if cod_enabled and cod_amount <= 0:
        raise invalid("codAmount", "is required when codEnabled is 1")
    return insured, declared if insured else 0, cod_enabled, cod_amount if cod_enabled else 0


@dataclass
class OrderInput:
    out_trade_no: str
    express_category: int
    article_category: int
    warehouse_no: str
    src: dict[str, str]
    dst: dict[str, str]
    weight_g: int
    dims: dict[str, int]
    insured: int
    insure_declare_value: int
    cod_enabled: int
    cod_amount: int
    remark: str
    return_address: dict[str, str] = field(default_factory=dict)


def validate_create(params: Mapping[str, str], account: Account, cfg: SandboxConfig) -> OrderInput:
    """``/open/v3/orders``: the first problem raises (1000 naming the parameter, or 1004/1005/1007/1008/1009/
    1018/1020/1021/1022)."""
    form = Form(params)
    out_trade_no = form.text("outTradeNo", required=True, max_len=64)
    express = category(form, "expressCategory", tuple(EXPRESS_CATEGORIES))
    article = category(form, "articleCategory", ARTICLE_CATEGORIES)
    warehouse_no, src = sender(form, account, cfg)
    dst = receiver(form)
    returning = {key: form.text(name, max_len=limit) for name, key, limit in RETURN_FIELDS if form.has(name)}
    if "postal_code" in returning:
        check_postcode(returning["postal_code"], "returnPostalCode", 1005)
    weight = form.integer("weight", required=True, minimum=1)
    dims = dimensions(form)
    insured, declared, cod_enabled, cod_amount = money(form, account)
    form.flag("opdInsureEnabled")
    remark = form.text("remark", max_len=200)
    return OrderInput(
        out_trade_no=out_trade_no,
        express_category=express,
        article_category=article,
        warehouse_no=warehouse_no,
        src=src,
        dst=dst,
        weight_g=int(weight or 0),
        dims=dims,
        insured=insured,
        insure_declare_value=declared,
        cod_enabled=cod_enabled,
        cod_amount=cod_amount,
        remark=remark,
        return_address=returning,
    )


@dataclass
class EstimateInput:
    weight_g: int
    dims: dict[str, int]
    express_category: int
    dst_postal_code: str
    cod_amount: int
    insure_declare_value: int


def validate_estimate(params: Mapping[str, str], account: Account, cfg: SandboxConfig) -> EstimateInput:
    """``/open/v1/orders/estimate_rate``: weight and dstPostalCode are required; the sender (warehouseNo or
    srcPostalCode) is optional here (UNCONFIRMED which fields Flash requires for an estimate)."""
    form = Form(params)
    express = category(form, "expressCategory", tuple(EXPRESS_CATEGORIES), required=False)
    if form.has("warehouseNo"):
        sender(form, account, cfg)
    elif form.has("srcPostalCode"):
        check_postcode(form.text("srcPostalCode"), "srcPostalCode", 1004)
    dst_postcode = form.text("dstPostalCode", required=True, max_len=20)
    check_postcode(dst_postcode, "dstPostalCode", 1005)
    weight = form.integer("weight", required=True, minimum=1)
    dims = dimensions(form)
    declared = form.integer("insureDeclareValue", default=0) or 0
    if declared < 0:
        raise FlashError(1020, "insureDeclareValue must not be negative")
    cod_amount = form.integer("codAmount", default=0) or 0
    if cod_amount < 0:
        raise FlashError(1009, "codAmount must not be negative")
    insured = form.flag("insured")
    cod_enabled = form.flag("codEnabled")
    return EstimateInput(
        weight_g=int(weight or 0),
        dims=dims,
        express_category=express,
        dst_postal_code=dst_postcode,
        cod_amount=cod_amount if cod_enabled else 0,
        insure_declare_value=declared if insured else 0,
    )


def validate_notify(params: Mapping[str, str], account: Account, cfg: SandboxConfig) -> tuple[str, dict[str, str], int]:
    """``/open/v1/notify``: (warehouseNo, pickup address, estimateParcelNumber)."""
    form = Form(params)
    warehouse_no, src = sender(form, account, cfg)
    count = form.integer("estimateParcelNumber", required=True, minimum=1)
    form.text("remark", max_len=200)
    return warehouse_no, src, int(count or 1)
