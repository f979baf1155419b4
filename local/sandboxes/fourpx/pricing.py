"""The sandbox's built-in tariff (config.DESTINATIONS x config.PRODUCTS), in CNY like 4PX's ``lump_sum_fee``.

Chargeable weight = max(actual grams, L x W x H / 6000 kg), rounded up to 10 g, at least 50 g (cross-border
line-haul cards are per gram step with a minimum). Fee = chargeable kg x rate per kg x product factor + the
per-parcel registration fee + the product surcharge. The shape follows 4PX's rate trial answer
(``charge_weight``, ``is_volume_cargo``); the numbers are the sandbox's own, not a 4PX rate card.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .config import CNY, DESTINATIONS, MIN_CHARGEABLE_G, PRODUCTS, VOLUMETRIC_DIVISOR, WEIGHT_STEP_G


def volumetric_g(dimensions: list[float] | None) -> int:
    if not dimensions or len(dimensions) != 3 or not all(d > 0 for d in dimensions):
        return 0
    return math.ceil(dimensions[0] * dimensions[1] * dimensions[2] / VOLUMETRIC_DIVISOR * 1000)


def chargeable_g(weight_g: int, dimensions: list[float] | None) -> int:
    raw = max(weight_g, volumetric_g(dimensions))
    return max(MIN_CHARGEABLE_G, math.ceil(raw / WEIGHT_STEP_G) * WEIGHT_STEP_G)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def quote(destination: str, product_code: str, weight_g: int, dimensions: list[float] | None) -> dict[str, Any]:
    dest = DESTINATIONS[destination]
    product = PRODUCTS[product_code]
    grams = chargeable_g(weight_g, dimensions)
    volume = volumetric_g(dimensions)
    freight = cents(Decimal(grams) / 1000 * Decimal(str(dest.per_kg)) * Decimal(str(product.factor)))
    fees = cents(Decimal(str(dest.per_parcel)) + Decimal(str(product.surcharge)))
    total = cents(freight + fees)
    return {
        "amount": float(total),
        "amount_text": f"{total:.2f}",
        "currency": CNY,
        "logistics_product_code": product.code,
        "destination": dest.code,
        "actual_weight_g": weight_g,
        "volumetric_weight_g": volume,
        "chargeable_weight_g": grams,
        "is_volume_cargo": "Y" if volume > weight_g else "N",
        "freight": float(freight),
        "fees": float(fees),
    }
