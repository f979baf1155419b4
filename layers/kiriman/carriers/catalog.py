"""What each carrier is and offers (registry entries), importable without any network code.

Each carrier package ``kiriman.carriers.<slug>`` has an ``info`` module with ``INFO`` (a
:class:`CarrierInfo`), ``HOSTS`` (environment -> base URL) and ``REQUEST_ID_HEADER``; a carrier joins
by having that package, nothing else to edit.
"""

from __future__ import annotations

import importlib
import importlib.util

from kiriman.carriers.base import CARRIER_SLUGS, CarrierInfo


def _load() -> dict[str, CarrierInfo]:
    found: dict[str, CarrierInfo] = {}
    for slug in CARRIER_SLUGS:
        package = f"kiriman.carriers.{slug}"
        if importlib.util.find_spec(package) is None:
            continue
        if any(importlib.util.find_spec(f"{package}.{m}") is None for m in ("info", "client")):
            continue  # a carrier joins when both halves are there
        found[slug] = importlib.import_module(f"{package}.info").INFO
    return found


CARRIERS: dict[str, CarrierInfo] = _load()


def info(slug: str) -> CarrierInfo | None:
    return CARRIERS.get(slug)
