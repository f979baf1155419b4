"""``ds.xms.order.create`` validation, from the field lists of 4PX's create-order page as re-published by public
FOP clients (required markers, units, Y/N flags, the customs block).

Every problem is collected (not just the first) as a :class:`~.errors.Problem` with code ``DS000000`` and the
dotted field path (``parcel_list[0].declare_product_info[0].declare_product_name_en``). Where the public sources
disagree about a field being required, the tolerant reading is applied (see the README's UNCONFIRMED table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .config import DESTINATIONS, PRODUCTS, SandboxConfig
from .errors import VALIDATION, Problem
from .model import Account

REF_NO_MAX = 50  # UNCONFIRMED: 4PX publishes no length; client references here are far shorter
REMARK_MAX = 500
NAME_MAX = 200
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
HSCODE = re.compile(r"^\d{6,13}$")
DELIVER_TYPES = ("1", "2", "3", "5")  # 1 pickup, 2 courier to warehouse, 3 self-delivered, 5 to a store
BATTERY_TYPES = ("966", "967")  # PI966 built-in, PI967 packed with the equipment
RECIPIENT_TEXT = ("first_name", "last_name", "company", "street", "city", "state", "district", "house_number")


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def is_latin(text: str) -> bool:
    """Latin script (with accents, Vietnamese included), digits, punctuation and spaces only."""
    for ch in text:
        code = ord(ch)
        if code < 0x250 or 0x1E00 <= code <= 0x1EFF or 0x0300 <= code <= 0x036F or 0x2000 <= code <= 0x206F:
            continue
        return False
    return True


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, en: str, cn: str) -> None:
        self.problems.append(Problem(VALIDATION, en, cn, field))

    def required(self, field: str) -> None:
        self.add(field, "is required", "不能为空")

    def obj(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> dict[str, Any] | None:
        value = parent.get(name)
        if value is None:
            if required:
                self.required(path)
            return None
        if not isinstance(value, dict):
            self.add(path, "must be an object", "必须是对象")
            return None
        return value

    def items(self, parent: dict[str, Any], name: str, path: str, required: bool = False) -> list[Any] | None:
        value = parent.get(name)
        if value is None or value == []:
            if required:
                self.required(path)
            return None
        if not isinstance(value, list):
            self.add(path, "must be an array", "必须是数组")
            return None
        return value

    def string(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        required: bool = False,
        hi: int | None = None,
        enum: Sequence[str] | None = None,
        pattern: re.Pattern[str] | None = None,
        pattern_text: tuple[str, str] = ("has an invalid format", "格式不正确"),
    ) -> str | None:
        value = parent.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and (enum is not None or pattern is not None):
            value = str(int(value)) if float(value).is_integer() else str(value)  # "deliver_type": 1 is fine
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.required(path)
            return None
        if not isinstance(value, str):
            self.add(path, "must be a string", "必须是字符串")
            return None
        if enum is not None and value not in enum:
            self.add(path, f"must be one of: {', '.join(enum)}", f"取值必须为：{'、'.join(enum)}")
            return None
        if hi is not None and len(value) > hi:
            self.add(path, f"must be at most {hi} characters long", f"长度不能超过{hi}个字符")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(path, *pattern_text)
            return None
        return value

    def number(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        required: bool = False,
        positive: bool = False,
        integer: bool = False,
        below: float | None = None,
    ) -> float | None:
        """A JSON number or a numeric string ("1" is common in 4PX examples)."""
        value = parent.get(name)
        if value is None or value == "":
            if required:
                self.required(path)
            return None
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None or number != number:  # NaN
            self.add(path, "must be a number", "必须是数字")
            return None
        if integer and not number.is_integer():
            self.add(path, "must be a whole number (no decimals)", "必须为整数，不能有小数")
            return None
        if positive and number <= 0:
            self.add(path, "must be greater than 0", "必须大于0")
            return None
        if not positive and number < 0:
            self.add(path, "must not be negative", "不能为负数")
            return None
        if below is not None and number >= below:
            self.add(path, f"must be less than {below:g}", f"必须小于{below:g}")
            return None
        return number

    def yes_no(self, parent: dict[str, Any], name: str, path: str, choices: Sequence[str] = ("Y", "N")) -> str | None:
        return self.string(parent, name, path, enum=choices)

    def address(self, parent: dict[str, Any], name: str, path: str, *, recipient: bool, cfg: SandboxConfig) -> None:
        who = self.obj(parent, name, path, required=True)
        if who is None:
            return
        self.string(who, "first_name", f"{path}.first_name", required=True, hi=NAME_MAX)
        for text in ("last_name", "company", "email", "phone2", "state", "district", "street", "house_number"):
            self.string(who, text, f"{path}.{text}", hi=NAME_MAX)
        country = self.string(
            who,
            "country",
            f"{path}.country",
            required=True,
            pattern=COUNTRY,
            pattern_text=("must be an ISO 3166-1 two-letter country code", "必须为国家/地区二字码"),
        )
        self.string(who, "city", f"{path}.city", required=True, hi=NAME_MAX)
        if recipient:
            self.string(who, "phone", f"{path}.phone", required=True, hi=40)
            self.string(who, "state", f"{path}.state", required=True, hi=NAME_MAX)
            self.string(who, "street", f"{path}.street", required=True, hi=NAME_MAX)
            self.string(who, "post_code", f"{path}.post_code", hi=20)
            for text in RECIPIENT_TEXT:
                value = who.get(text)
                if isinstance(value, str) and not is_latin(value):
                    self.add(f"{path}.{text}", "must be written in Latin script", "只能使用英文（拉丁字母）填写")
        else:
            self.string(who, "phone", f"{path}.phone", hi=40)
            self.string(who, "post_code", f"{path}.post_code", required=cfg.require_sender_post_code, hi=20)
            if country and cfg.sender_countries and country not in cfg.sender_countries:
                allowed = ", ".join(cfg.sender_countries)
                self.add(f"{path}.country", f"must be one of: {allowed}", f"取值必须为：{allowed}")


def _declaration(c: Checker, item: Any, path: str, currency: str | None, cfg: SandboxConfig) -> None:
    if not isinstance(item, dict):
        c.add(path, "must be an object", "必须是对象")
        return
    name_en = c.string(item, "declare_product_name_en", f"{path}.declare_product_name_en", required=True, hi=NAME_MAX)
    if name_en and any(is_cjk(ch) for ch in name_en):
        c.add(f"{path}.declare_product_name_en", "must not contain Chinese characters", "不能包含中文")
    name_cn = c.string(item, "declare_product_name_cn", f"{path}.declare_product_name_cn", hi=NAME_MAX)
    if name_cn and cfg.require_cn_name_chinese and not any(is_cjk(ch) for ch in name_cn):
        c.add(f"{path}.declare_product_name_cn", "must contain at least one Chinese character", "必须至少包含一个中文")
    c.number(item, "declare_product_code_qty", f"{path}.declare_product_code_qty", required=True, positive=True,
             integer=True)  # fmt: skip
    c.number(item, "declare_unit_price_export", f"{path}.declare_unit_price_export", required=True)
    c.number(item, "declare_unit_price_import", f"{path}.declare_unit_price_import")
    for key, required in (("currency_export", True), ("currency_import", False)):
        value = c.string(item, key, f"{path}.{key}", required=required, pattern=CURRENCY,
                         pattern_text=("must be an ISO 4217 code", "必须为币种三字码"))  # fmt: skip
        if value and currency and value != currency:
            c.add(f"{path}.{key}", f"must equal the parcel currency {currency}", f"币种需与包裹申报币种{currency}一致")
    for key in ("hscode_export", "hscode_import"):
        c.string(item, key, f"{path}.{key}", pattern=HSCODE,
                 pattern_text=("must be 6 to 13 digits", "只支持数字（6-13位）"))  # fmt: skip
    for key in ("brand_export", "brand_import", "uses", "material", "specification", "package_remarks"):
        c.string(item, key, f"{path}.{key}", hi=NAME_MAX)
    c.string(item, "origin_country", f"{path}.origin_country", pattern=COUNTRY,
             pattern_text=("must be an ISO 3166-1 two-letter country code", "必须为国家/地区二字码"))  # fmt: skip


def _parcel(c: Checker, parcel: Any, path: str, product_code: str | None, destination: str | None,
            cfg: SandboxConfig) -> None:  # fmt: skip
    if not isinstance(parcel, dict):
        c.add(path, "must be an object", "必须是对象")
        return
    c.number(parcel, "weight", f"{path}.weight", required=True, positive=True, integer=True, below=1_000_000)
    for side in ("length", "width", "height"):
        c.number(parcel, side, f"{path}.{side}", positive=True, below=1000)
    given = [parcel.get(side) not in (None, "") for side in ("length", "width", "height")]
    if any(given) and not all(given):
        c.add(f"{path}.length", "length, width and height must be given together", "长宽高必须同时填写")
    c.number(parcel, "parcel_value", f"{path}.parcel_value", required=True)
    allowed = ["USD"]
    if destination in DESTINATIONS:
        allowed.append(DESTINATIONS[destination].currency)
    currency = c.string(parcel, "currency", f"{path}.currency", required=True, pattern=CURRENCY,
                        pattern_text=("must be an ISO 4217 code", "必须为币种三字码"))  # fmt: skip
    if currency and destination in DESTINATIONS and currency not in allowed:
        c.add(
            f"{path}.currency",
            f"currency {currency} is not supported for {destination.upper()}: use {' or '.join(allowed)}",
            f"{destination.upper()}不支持币种{currency}，请使用{'或'.join(allowed)}",
        )
        currency = None
    battery = c.yes_no(parcel, "include_battery", f"{path}.include_battery")
    battery_type = c.string(parcel, "battery_type", f"{path}.battery_type", enum=BATTERY_TYPES)
    if battery == "Y":
        if product_code in PRODUCTS and not PRODUCTS[product_code].batteries:
            c.add(
                f"{path}.include_battery",
                f"logistics product {product_code} does not accept batteries",
                f"物流产品{product_code}不接受带电货物",
            )
        elif battery_type is None and parcel.get("battery_type") in (None, ""):
            c.add(f"{path}.battery_type", "is required when include_battery is Y (966 or 967)",
                  "带电时必须填写带电类型（966或967）")  # fmt: skip
    products = c.items(parcel, "product_list", f"{path}.product_list")
    for i, product in enumerate(products or []):
        where = f"{path}.product_list[{i}]"
        if not isinstance(product, dict):
            c.add(where, "must be an object", "必须是对象")
            continue
        c.string(product, "product_name", f"{where}.product_name", hi=NAME_MAX)
        c.number(product, "qty", f"{where}.qty", positive=True, integer=True)
        c.number(product, "product_unit_price", f"{where}.product_unit_price")
    declarations = c.items(parcel, "declare_product_info", f"{path}.declare_product_info", required=True)
    for i, item in enumerate(declarations or []):
        _declaration(c, item, f"{path}.declare_product_info[{i}]", currency, cfg)


def validate_order(body: dict[str, Any], account: Account, cfg: SandboxConfig) -> list[Problem]:
    c = Checker()
    c.string(body, "ref_no", "ref_no", required=True, hi=REF_NO_MAX)
    c.string(body, "business_type", "business_type", enum=("BDS",))
    c.string(body, "duty_type", "duty_type", enum=("U", "P"))
    c.string(body, "cargo_type", "cargo_type", enum=("1", "2", "3", "5"))
    c.string(body, "remark", "remark", hi=REMARK_MAX)
    c.string(body, "4px_tracking_no", "4px_tracking_no", hi=40)
    product_code: str | None = None
    service = c.obj(body, "logistics_service_info", "logistics_service_info", required=True)
    if service is not None:
        path = "logistics_service_info.logistics_product_code"
        product_code = c.string(service, "logistics_product_code", path, required=True)
        if product_code is not None and product_code not in PRODUCTS:
            c.add(path, f"unknown logistics product {product_code}", f"物流产品代码{product_code}不存在")
            product_code = None
        elif product_code is not None and product_code not in account.products:
            c.add(path, f"logistics product {product_code} is not enabled for this account",
                  f"该账号未开通物流产品{product_code}")  # fmt: skip
            product_code = None
    c.address(body, "sender", "sender", recipient=False, cfg=cfg)
    c.address(body, "recipient_info", "recipient_info", recipient=True, cfg=cfg)
    recipient = body.get("recipient_info") if isinstance(body.get("recipient_info"), dict) else {}
    country = recipient.get("country") if isinstance(recipient, dict) else None
    destination: str | None = None
    if isinstance(country, str) and COUNTRY.match(country):
        if country.lower() not in DESTINATIONS or country.lower() not in account.countries:
            served = ", ".join(cc.upper() for cc in account.countries)
            c.add("recipient_info.country", f"destination {country} is not served by this account ({served})",
                  f"该账号不支持目的国{country}（可发：{served}）")  # fmt: skip
        else:
            destination = country.lower()
    parcels = c.items(body, "parcel_list", "parcel_list", required=True)
    for i, parcel in enumerate(parcels or []):
        _parcel(c, parcel, f"parcel_list[{i}]", product_code, destination, cfg)
    deliver = c.obj(body, "deliver_type_info", "deliver_type_info")
    if deliver is not None:
        c.string(deliver, "deliver_type", "deliver_type_info.deliver_type", enum=DELIVER_TYPES)
    returns = c.obj(body, "return_info", "return_info")
    if returns is not None:
        for key in ("is_return_on_domestic", "is_return_on_oversea"):
            c.yes_no(returns, key, f"return_info.{key}", ("Y", "N", "U"))
        for key in ("domestic_return_addr", "oversea_return_addr"):
            c.obj(returns, key, f"return_info.{key}")
    if c.yes_no(body, "is_insure", "is_insure") == "Y":
        insurance = c.obj(body, "insurance_info", "insurance_info", required=True)
        if insurance is not None:
            c.string(insurance, "insure_type", "insurance_info.insure_type", required=True)
            c.number(insurance, "insure_value", "insurance_info.insure_value", required=True, positive=True)
            c.string(insurance, "currency", "insurance_info.currency", required=True, pattern=CURRENCY)
    return c.problems


def as_int(value: Any, default: int = 0) -> int:
    """A validated number (JSON number or numeric string) as int."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def as_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
