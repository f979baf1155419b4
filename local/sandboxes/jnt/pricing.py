"""The sandbox's built-in tariff (config.COUNTRIES): first kg + each further started kg, times an expressType
factor, plus 1 % of codValue and 0.5 % of offerValue, in the account's currency.

Chargeable weight (what addOrder answers as ``packageChargeWeight``) = max(packageInfo.weight,
L x W x H / 6000 domestic or / 5000 international). J&T publishes no rate API; real prices are per contract.
"""

from __future__ import annotations

import math
from typing import Any

from .config import (
    COD_FEE_RATE,
    COUNTRIES,
    DOMESTIC_DIVISOR,
    EXPRESS_FACTOR,
    INSURANCE_FEE_RATE,
    INTERNATIONAL_DIVISOR,
)


def number(value: Any) -> float | None:
    """J&T types numbers as strings ("10.5") but its examples also send JSON numbers: accept both."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def chargeable_weight(package_info: dict[str, Any], domestic: bool) -> float:
    actual = number(package_info.get("weight")) or 0.0
    sides = [number(package_info.get(k)) for k in ("length", "width", "height")]
    volumetric = 0.0
    if all(s is not None and s > 0 for s in sides):
        divisor = DOMESTIC_DIVISOR if domestic else INTERNATIONAL_DIVISOR
        volumetric = math.prod(s for s in sides if s is not None) / divisor
    return round(max(actual, volumetric), 2)


def money(amount: float, decimals: int) -> float | int:
    return round(amount) if decimals == 0 else round(amount, decimals)


def quote(country: str, weight_kg: float, express_type: str, cod: float = 0.0, insured: float = 0.0) -> dict[str, Any]:
    c = COUNTRIES[country]
    billable_kg = max(1, math.ceil(weight_kg - 1e-9))
    factor = EXPRESS_FACTOR.get(express_type, 1.0)
    base = (c.first_kg + c.next_kg * (billable_kg - 1)) * factor
    cod_fee = max(0.0, cod) * COD_FEE_RATE
    insurance_fee = max(0.0, insured) * INSURANCE_FEE_RATE
    return {
        "amount": money(base + cod_fee + insurance_fee, c.decimals),
        "currency": c.currency,
        "chargeable_weight": weight_kg,
        "billable_kg": billable_kg,
        "delivery_fee": money(base, c.decimals),
        "cod_fee": money(cod_fee, c.decimals),
        "insurance_fee": money(insurance_fee, c.decimals),
    }
