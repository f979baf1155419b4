"""The sandbox's built-in tariff (config.COUNTRIES): first kg + each further started kg, times a service-level
factor, plus 1 % of the COD amount and 0.5 % of the insured value, in the country's currency.

Chargeable weight = max(declared ``dimensions.weight`` (default 1 kg), L x W x H / 5000). Real Ninja Van prices
come from each account's rate card; only the shape of the idea is modelled here.
"""

from __future__ import annotations

import math
from typing import Any

from .config import (
    COD_FEE_RATE,
    COUNTRIES,
    DEFAULT_WEIGHT_KG,
    INSURANCE_FEE_RATE,
    SERVICE_LEVEL_FACTOR,
    VOLUMETRIC_DIVISOR,
)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def chargeable_weight(dimensions: Any) -> float:
    dims = dimensions if isinstance(dimensions, dict) else {}
    actual = _num(dims.get("weight")) or DEFAULT_WEIGHT_KG
    sides = [_num(dims.get(k)) for k in ("length", "width", "height")]
    volumetric = 0.0
    if all(s is not None and s > 0 for s in sides):
        volumetric = math.prod(s for s in sides if s is not None) / VOLUMETRIC_DIVISOR
    return round(max(actual, volumetric), 3)


def money(amount: float, decimals: int) -> float | int:
    return round(amount) if decimals == 0 else round(amount, decimals)


def quote(country: str, weight_kg: float, service_level: str, cod: float = 0.0, insured: float = 0.0) -> dict[str, Any]:
    c = COUNTRIES[country]
    billable_kg = max(1, math.ceil(weight_kg - 1e-9))
    factor = SERVICE_LEVEL_FACTOR.get(service_level, 1.0)
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
