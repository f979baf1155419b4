"""What each carrier is and offers (registry entries), importable without any network code."""

from __future__ import annotations

from kiriman.carriers.base import CarrierInfo
from kiriman.carriers.ninjavan.info import INFO as NINJAVAN

CARRIERS: dict[str, CarrierInfo] = {i.slug: i for i in (NINJAVAN,)}


def info(slug: str) -> CarrierInfo | None:
    return CARRIERS.get(slug)
