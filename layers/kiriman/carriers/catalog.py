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
        name = f"kiriman.carriers.{slug}.info"
        if importlib.util.find_spec(f"kiriman.carriers.{slug}") is None or importlib.util.find_spec(name) is None:
            continue
        found[slug] = importlib.import_module(name).INFO
    return found


CARRIERS: dict[str, CarrierInfo] = _load()


def info(slug: str) -> CarrierInfo | None:
    return CARRIERS.get(slug)
