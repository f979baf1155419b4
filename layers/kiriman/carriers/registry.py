"""The carriers we speak to, and how to build an adapter for one carrier account.

A shipment always records the account it used, and adapters are built from that account, never from a
carrier's name alone. Hosts are settings: ``endpoints`` (from the environment) overrides a carrier's
host, which is how the local stack points adapters at its sandboxes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kiriman.carriers.base import AccountConfig, Carrier, CarrierInfo
from kiriman.carriers.ninjavan import client as ninjavan
from kiriman.carriers.ninjavan import info as ninjavan_info
from kiriman.carriers.transport import CarrierHttp
from kiriman.retry import RetryPolicy

Factory = Callable[[AccountConfig, Mapping[str, str], CarrierHttp], Carrier]


@dataclass(frozen=True)
class Entry:
    info: CarrierInfo
    factory: Factory
    hosts: Mapping[str, str]
    request_id_header: str = ""


REGISTRY: dict[str, Entry] = {
    "ninjavan": Entry(ninjavan_info.INFO, ninjavan.NinjaVan, ninjavan_info.HOSTS, "x-nv-request-id"),
}


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
