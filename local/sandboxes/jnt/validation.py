"""``order/addOrder`` validation, from the MY "Create Order" page (field table and its error-code table).

J&T answers the **first** problem only, HTTP 200, code 999001010 (missing / too long / out of range / not one of
the allowed values) or 999001030 (an invalid country or postcode, customsInfo missing on an international parcel),
with a ``msg`` naming the field. J&T's own wording varies ("sender postCode is required", "name is required",
"items.itemName is required"); the sandbox always names the dotted path ("sender.postCode is required"), so a
client can show it but must not parse it.

Numbers are typed String(...) by J&T but its examples send JSON numbers too: both are accepted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import COUNTRIES, KNOWN_ISO3, SandboxConfig
from .errors import INVALID, REQUIRED, JntError, required, too_long
from .model import Account
from .pricing import number

ACTION_TYPES = ("add",)
SERVICE_TYPES = ("1", "6")
PAY_TYPES = ("PP_PM", "PP_CASH", "CC_CASH")
EXPRESS_TYPES = ("EZ", "FD", "EX", "DO", "JS")
GOODS_TYPES = ("ITN2", "ITN8")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _text(value: Any) -> str | None:
    """A string field; numbers are tolerated and turned into text (J&T's examples mix both)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class Checker:
    """Raises the first problem as J&T would."""

    def text(self, obj: dict[str, Any], name: str, path: str, limit: int, need: bool = False) -> str | None:
        value = obj.get(name)
        if value is None or value == "":
            if need:
                raise required(path)
            return None
        text = _text(value)
        if text is None:
            raise JntError(REQUIRED, f"{path} should be a string")
        if need and not text.strip():
            raise required(path)
        if len(text) > limit:
            raise too_long(path, limit)
        return text

    def choice(self, obj: dict[str, Any], name: str, path: str, allowed: tuple[str, ...]) -> str:
        text = self.text(obj, name, path, 30, need=True)
        assert text is not None
        if text not in allowed:
            raise JntError(REQUIRED, f"{path} only support {' or '.join(allowed)}")
        return text

    def amount(
        self,
        obj: dict[str, Any],
        name: str,
        path: str,
        low: float,
        high: float,
        need: bool = False,
        integer: bool = False,
    ) -> float | None:
        value = obj.get(name)
        if value is None or value == "":
            if need:
                raise required(path)
            return None
        parsed = number(value)
        if parsed is None or (integer and parsed != int(parsed)):
            raise JntError(REQUIRED, f"{path} information is not legal")
        if parsed < low:
            raise JntError(REQUIRED, f"{path} information is not legal, min {name} is {low:g}")
        if parsed > high:
            raise JntError(REQUIRED, f"{path} information is not legal, max {name} is {high:g}")
        return parsed

    def obj(self, parent: dict[str, Any], name: str, path: str, need: bool = False) -> dict[str, Any] | None:
        value = parent.get(name)
        if value is None:
            if need:
                raise required(path)
            return None
        if not isinstance(value, dict):
            raise JntError(REQUIRED, f"{path} should be an object")
        return value

    def time(self, obj: dict[str, Any], name: str) -> None:
        value = obj.get(name)
        if value is None or value == "":
            return
        try:
            dt.datetime.strptime(str(value), TIME_FORMAT)
        except ValueError:
            raise JntError(REQUIRED, f"{name} format not match yyyy-MM-dd HH:mm:ss") from None


def _party(c: Checker, party: dict[str, Any], path: str, domestic_iso3: str, full: bool) -> str:
    """sender / receiver / returnInfo. Returns the countryCode (upper case)."""
    c.text(party, "name", f"{path}.name", 100, need=True)
    c.text(party, "phone", f"{path}.phone", 30, need=True)
    c.text(party, "mobile", f"{path}.mobile", 30)
    c.text(party, "email", f"{path}.email", 150)
    iso3 = (c.text(party, "countryCode", f"{path}.countryCode", 3, need=full) or domestic_iso3).upper()
    if iso3 not in KNOWN_ISO3:
        raise JntError(INVALID, f"{path} countryCode invalid")
    c.text(party, "address", f"{path}.address", 200, need=True)
    postcode = c.text(party, "postCode", f"{path}.postCode", 10, need=True)
    assert postcode is not None
    digits = next((k.postcode_digits for k in COUNTRIES.values() if k.iso3 == iso3), 0)
    if digits and not (postcode.isdigit() and len(postcode) == digits):
        raise JntError(INVALID, f"{path} postcode invalid")
    international = iso3 != domestic_iso3
    for name in ("prov", "city", "area"):
        c.text(party, name, f"{path}.{name}", 60, need=full and international and path == "receiver")
    return iso3


def validate_order(biz: dict[str, Any], account: Account, cfg: SandboxConfig) -> None:
    """Raise the first problem of an addOrder bizContent (customerCode / password were checked by auth)."""
    del cfg  # no knob changes the rules today
    c = Checker()
    action = c.text(biz, "actionType", "actionType", 30, need=True)
    if action not in ACTION_TYPES:
        raise JntError(REQUIRED, "actionType only support add")
    c.text(biz, "txlogisticId", "txlogisticId", 50, need=True)
    c.choice(biz, "expressType", "expressType", EXPRESS_TYPES)
    c.choice(biz, "serviceType", "serviceType", SERVICE_TYPES)
    c.choice(biz, "payType", "payType", PAY_TYPES)
    sender = c.obj(biz, "sender", "sender", need=True)
    receiver = c.obj(biz, "receiver", "receiver", need=True)
    assert sender is not None and receiver is not None
    sender_iso3 = _party(c, sender, "sender", account.country_iso3, full=True)
    receiver_iso3 = _party(c, receiver, "receiver", account.country_iso3, full=True)
    return_info = c.obj(biz, "returnInfo", "returnInfo")
    if return_info is not None:
        _party(c, return_info, "returnInfo", account.country_iso3, full=False)
    for name in ("createOrderTime", "sendStartTime", "sendEndTime"):
        c.time(biz, name)
    c.text(biz, "remark", "remark", 200)
    items = biz.get("items")
    if not isinstance(items, list) or not items:
        raise required("items")
    for i, item in enumerate(items):
        path = f"items[{i}]"
        if not isinstance(item, dict):
            raise JntError(REQUIRED, f"{path} should be an object")
        c.text(item, "itemName", f"{path}.itemName", 100, need=True)
        c.text(item, "englishName", f"{path}.englishName", 100)
        c.amount(item, "number", f"{path}.number", 1, 9999999, need=True, integer=True)
        c.amount(item, "weight", f"{path}.weight", 0.01, 999, need=True)
        c.amount(item, "itemValue", f"{path}.itemValue", 0.01, 9999999, need=True)
        c.text(item, "itemCurrency", f"{path}.itemCurrency", 10)
        c.text(item, "itemDesc", f"{path}.itemDesc", 200)
    package = c.obj(biz, "packageInfo", "packageInfo", need=True)
    assert package is not None
    c.amount(package, "packageQuantity", "packageInfo.packageQuantity", 1, 999, need=True, integer=True)
    c.choice(package, "goodsType", "packageInfo.goodsType", GOODS_TYPES)
    c.amount(package, "weight", "packageInfo.weight", 0.01, 999.99, need=True)
    for side in ("length", "width", "height"):
        c.amount(package, side, f"packageInfo.{side}", 0.01, 999.99)
    c.amount(package, "packageValue", "packageInfo.packageValue", 0.01, 999999.99, need=True)
    offer = c.obj(biz, "offerFeeInfo", "offerFeeInfo")
    if offer is not None:
        # "only send offerValue to insure; 0.0 is not allowed"
        c.amount(offer, "offerValue", "offerFeeInfo.offerValue", 0.01, 999999.99, need=True)
    cod = c.obj(biz, "codInfo", "codInfo")
    if cod is not None:
        # J&T's own message says "offerFeeInfo.codValue ..." (sic); the sandbox names the real path.
        c.amount(cod, "codValue", "codInfo.codValue", 0.01, 999999.99, need=True)
    customs = c.obj(biz, "customsInfo", "customsInfo")
    if customs is None and receiver_iso3 != sender_iso3:
        raise JntError(INVALID, "customsInfo is required")
    if customs is not None:
        c.text(customs, "customsCode", "customsInfo.customsCode", 100)
        c.text(customs, "nationalInspectionNo", "customsInfo.nationalInspectionNo", 30)
        c.amount(customs, "number", "customsInfo.number", 1, 999999, need=True, integer=True)
        c.amount(customs, "weight", "customsInfo.weight", 0.01, 999.99, need=True)
        c.amount(customs, "totalValue", "customsInfo.totalValue", 0.01, 9999999.99)
        c.amount(customs, "unitPrice", "customsInfo.unitPrice", 0.01, 9999999.99, need=True)
        c.text(customs, "currency", "customsInfo.currency", 10, need=True)
        c.text(customs, "originPlace", "customsInfo.originPlace", 200)
        c.text(customs, "brandName", "customsInfo.brandName", 100)
        old = customs.get("oldItem")
        if old is not None and str(old) not in ("0", "1"):
            raise JntError(REQUIRED, "customsInfo.oldItem only 0 or 1")
    votes = biz.get("multipleVotes")
    if votes is not None:
        if not isinstance(votes, list):
            raise JntError(REQUIRED, "multipleVotes should be a list")
        for i, vote in enumerate(votes):
            if not isinstance(vote, dict):
                raise JntError(REQUIRED, f"multipleVotes[{i}] should be an object")
            c.amount(vote, "actualWeight", f"multipleVotes[{i}].actualWeight", 0.01, 999.99, need=True)
            for side in ("length", "width", "height"):
                c.amount(vote, side, f"multipleVotes[{i}].{side}", 0.01, 999.99)
