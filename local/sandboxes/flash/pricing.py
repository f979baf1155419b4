"""The sandbox's own tariff, in satang (not a Flash rate card: real prices come from each merchant's contract).

Charge weight = max(actual grams, L x W x H / ``volumetric_divisor`` kg); ``pricePolicy`` 1 when the actual
weight decides, 2 when the dimensions do (Flash's own meaning of the field). Freight = first kg + each further
started kg, times the ``expressCategory`` factor; + ``upCountryAmount`` for a remote destination postcode; + COD fee
(``cod_fee_rate`` of the COD amount) + insurance fee (``insurance_fee_rate`` of ``insureDeclareValue`` when
insured). ``estimatePrice`` is the freight alone: integrations bill ``estimatePrice + upCountryAmount``, and some
read the COD and insurance fees from separate fields (``codTransferFee``, ``valueInsuranceFee``). The ledger's
``amount`` is the sum of all four.
"""

from __future__ import annotations

import math
from typing import Any

from .config import EXPRESS_CATEGORIES, SandboxConfig


def charge_weight(weight_g: int, dims: dict[str, int], cfg: SandboxConfig) -> tuple[int, int]:
    """(charge weight in grams, pricePolicy)."""
    sides = [dims.get(k, 0) for k in ("length", "width", "height")]
    volumetric_g = 0
    if all(s > 0 for s in sides) and cfg.volumetric_divisor > 0:
        volumetric_g = math.ceil(math.prod(sides) / cfg.volumetric_divisor * 1000)
    if volumetric_g > weight_g:
        return volumetric_g, 2
    return weight_g, 1


def quote(
    cfg: SandboxConfig,
    *,
    weight_g: int,
    dims: dict[str, int],
    express_category: int,
    dst_postal_code: str,
    cod_amount: int = 0,
    insure_declare_value: int = 0,
) -> dict[str, Any]:
    weight, policy = charge_weight(weight_g, dims, cfg)
    billable_kg = max(1, math.ceil(weight / 1000))
    factor = EXPRESS_CATEGORIES.get(express_category, 1.0)
    freight = round((cfg.first_kg_satang + cfg.next_kg_satang * (billable_kg - 1)) * factor)
    upcountry = cfg.upcountry_surcharge_satang if dst_postal_code in cfg.upcountry_postcodes else 0
    cod_fee = round(max(0, cod_amount) * cfg.cod_fee_rate)
    insurance_fee = round(max(0, insure_declare_value) * cfg.insurance_fee_rate)
    total = freight + upcountry + cod_fee + insurance_fee
    return {
        "amount": round(total / 100, 2),  # THB, for the ledger
        "currency": "THB",
        "amount_satang": total,
        "freight_satang": freight,
        "upcountry_satang": upcountry,
        "cod_fee_satang": cod_fee,
        "insurance_fee_satang": insurance_fee,
        "charge_weight_g": weight,
        "billable_kg": billable_kg,
        "price_policy": policy,
    }
