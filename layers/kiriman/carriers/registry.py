"""The carriers we speak to, and how to build an adapter for one carrier account.

A shipment always records the account it used, and adapters are built from that account, never from a
carrier's name alone. Hosts are settings: ``endpoints`` (from the environment) overrides a carrier's
host, which is how the local stack points adapters at its sandboxes. Each carrier package's ``client``
module exposes ``ADAPTER`` (the class) next to its ``info`` module (see :mod:`kiriman.carriers.catalog`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kiriman.carriers.base import AccountConfig, Carrier, CarrierInfo
from kiriman.carriers.catalog import CARRIERS
from kiriman.carriers.transport import CarrierHttp
from kiriman.retry import RetryPolicy

Factory = Callable[[AccountConfig, Mapping[str, str], CarrierHttp], Carrier]


@dataclass(frozen=True)
class Entry:
    info: CarrierInfo
    factory: Factory
    hosts: Mapping[str, str]
    request_id_header: str = ""


def _entry(slug: str) -> Entry:
    info_module = importlib.import_module(f"kiriman.carriers.{slug}.info")
    client_module = importlib.import_module(f"kiriman.carriers.{slug}.client")
    return Entry(CARRIERS[slug], client_module.ADAPTER, info_module.HOSTS,
                 getattr(info_module, "REQUEST_ID_HEADER", ""))


REGISTRY: dict[str, Entry] = {slug: _entry(slug) for slug in CARRIERS}


def build(
    account: AccountConfig,
    credentials: Mapping[str, str],
    endpoints: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> Carrier:
    entry = REGISTRY[account.carrier]
    host = (endpoints or {}).get(account.carrier) or entry.hosts.get(account.environment) or entry.hosts["production"]
    http = CarrierHttp(account.carrier, host, policy=policy, request_id_header=entry.request_id_header)
    return entry.factory(account, credentials, http)
