"""J&T Express in the carrier contract suite: its sandbox, a seeded Malaysian account, and its fault switches."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from kiriman.carriers.base import AccountConfig, PackageRef, ShipmentRequest
from kiriman.carriers.jnt.info import INFO
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from tests.contract.harness import Harness, control


class JntHarness(Harness):
    slug = "jnt"

    def start(self) -> None:
        from local.sandboxes.jnt.server import JntSandbox

        self.sandbox = JntSandbox(clock_file=self.clock_file, seed="demo")
        self.sandbox.start()
        accounts = self._control("GET", "/accounts")
        listed = accounts["accounts"] if isinstance(accounts, dict) else accounts
        self._acct = next(a for a in listed if {"MY", "MYS"} & {str(c).upper() for c in a["countries"]})
        self._control("POST", "/webhook-config", {"url": self.receiver.url})

    def stop(self) -> None:
        self.sandbox.stop()
        super().stop()

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        base = str(self.sandbox.control_url).rstrip("/")
        if not base.endswith("/_sandbox"):
            base += "/_sandbox"
        return control(base, method, path, body)

    @property
    def base_url(self) -> str:
        return str(self.sandbox.base_url)

    def account(self) -> AccountConfig:
        settings = {k: str(self._acct[k]) for k in INFO.setting_fields if self._acct.get(k)}
        return AccountConfig("ca_jnt_my", "jnt", "MY", "production", settings)

    def credentials(self) -> dict[str, str]:
        return {k: str(self._acct[k]) for k in INFO.credential_fields}

    def request(self, reference: str, package: PackageRef, **changes: Any) -> ShipmentRequest:
        """A Malaysian parcel in ringgit (the shared request is Singaporean)."""
        sender = Address(name="Kiriman Fulfilment", country="MY", line1="No 32, Jalan Kempas 4", city="Johor Bahru",
                         state="Johor", postcode="81200", phone="+60123456789", email="ops@kiriman.example")
        recipient = Address(name="Nur Aisyah", country="MY", line1="4678, Laluan Sentang 35", line2="Taman Seri",
                            city="Batu Gajah", state="Perak", postcode="31000", phone="+60198765432")
        parcel = Parcel(items=(Item("USB-C cable 1m", 2, 60, Decimal("5.90"), sku="CBL-1"),),
                        declared_value=Money.of("11.80", "MYR"), packaging_weight_g=80,
                        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(5)))
        fields: dict[str, Any] = {"reference": reference, "package": package, "service": "EZ", "sender": sender,
                                  "recipient": recipient, "parcel": parcel, "ship_date": date.today()}
        fields.update(changes)
        return ShipmentRequest(**fields)

    def throttle_next(self, count: int, retry_after_s: int) -> None:
        self._control("POST", "/faults", {"throttle": {"count": count, "retry_after_s": retry_after_s}})

    def fail_after_create(self, count: int) -> None:
        self._control("POST", "/faults", {"create_then_fail": count})

    def next_create_error(self, status: int, count: int) -> None:
        self._control("POST", "/faults", {"next_errors": [
            {"path_contains": "order/addOrder", "method": "POST", "status": status, "count": count}]})

    def reset_faults(self) -> None:
        self._control("DELETE", "/faults")

    def _ledger_count(self, name: str, package: PackageRef) -> int:
        ledger = self._control("GET", "/ledger")
        key = "|".join((str(package.shop_id), package.order_sn, package.package_number, package.leg))
        return int((ledger.get(name) or {}).get(key, 0))

    def purchases(self, package: PackageRef) -> int:
        return self._ledger_count("purchases_by_package", package)

    def active_purchases(self, package: PackageRef) -> int:
        return self._ledger_count("active_purchases_by_package", package)

    def invalid_request(self, req: ShipmentRequest) -> tuple[ShipmentRequest, str]:
        """No street address for the buyer: J&T's ``receiver.address`` is required ("address is required")."""
        return replace(req, recipient=replace(req.recipient, line1="", line2="")), "recipient.line1"


HARNESS = JntHarness
