"""4PX in the carrier contract suite: its sandbox, a seeded account shipping China -> Singapore, and its fault
switches. 4PX has no webhooks, so the receiver is never configured."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from kiriman.carriers.base import AccountConfig, PackageRef, ShipmentRequest
from kiriman.carriers.fourpx import mapping
from kiriman.carriers.fourpx.info import INFO
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from tests.contract.harness import Harness, control

# Used when the sandbox's account listing names no product code of its own.
DEFAULT_PRODUCT = "F3"


class FourPxHarness(Harness):
    slug = "fourpx"

    def start(self) -> None:
        from local.sandboxes.fourpx.server import FourPxSandbox

        self.sandbox = FourPxSandbox(clock_file=self.clock_file, seed="demo")
        self.sandbox.start()
        accounts = self._control("GET", "/accounts")
        listed = accounts["accounts"] if isinstance(accounts, dict) else accounts
        self._acct = next((a for a in listed if "SG" in {str(c).upper() for c in a.get("countries") or ()}),
                          listed[0])

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

    def _country(self) -> str:
        countries = [str(c).upper() for c in self._acct.get("countries") or ()]
        return "SG" if "SG" in countries or not countries else countries[0]

    def account(self) -> AccountConfig:
        settings = {k: str(self._acct[k]) for k in INFO.setting_fields if self._acct.get(k)}
        if "logistics_product_code" not in settings:
            products = self._acct.get("logistics_product_codes") or self._acct.get("products") or []
            first = products[0] if products else DEFAULT_PRODUCT
            settings["logistics_product_code"] = str(first.get("logistics_product_code") if isinstance(first, dict)
                                                     else first)
        return AccountConfig("ca_4px_sg", "fourpx", self._country(), "production", settings)

    def credentials(self) -> dict[str, str]:
        return {k: str(self._acct[k]) for k in INFO.credential_fields}

    def request(self, reference: str, package: PackageRef, **changes: Any) -> ShipmentRequest:
        """A line-haul parcel: a Shenzhen seller to a buyer in the account's country, declared in USD with
        HS codes (the shared request is a domestic Singapore parcel)."""
        sender = Address(name="Shenzhen Kiriman Trading", country="CN", line1="1001 Bao'an Avenue",
                         line2="Building B 3F", city="Shenzhen", state="Guangdong", district="Bao'an",
                         postcode="518101", phone="+8613800138000", email="ops@kiriman.example")
        recipient = Address(name="Tan Wei Ling", country=self._country(), line1="Blk 123 Ang Mo Kio Ave 3",
                            line2="#07-89", city="Singapore", state="Singapore", postcode="560123",
                            phone="+6591234567")
        parcel = Parcel(items=(Item("USB-C cable 1m", 2, 60, Decimal("1.50"), sku="CBL-1", hs_code="854442"),),
                        declared_value=Money.of("3.00", "USD"), packaging_weight_g=80,
                        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(5)))
        fields: dict[str, Any] = {"reference": reference, "package": package, "service": "Standard",
                                  "sender": sender, "recipient": recipient, "parcel": parcel,
                                  "ship_date": date.today()}
        fields.update(changes)
        return ShipmentRequest(**fields)

    def throttle_next(self, count: int, retry_after_s: int) -> None:
        self._control("POST", "/faults", {"throttle": {"count": count, "retry_after_s": retry_after_s}})

    def fail_after_create(self, count: int) -> None:
        self._control("POST", "/faults", {"create_then_fail": count})

    def next_create_error(self, status: int, count: int) -> None:
        self._control("POST", "/faults", {"next_errors": [
            {"path_contains": mapping.CREATE, "method": "POST", "status": status, "count": count}]})

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
        """No city for the buyer: 4PX requires ``recipient_info.city``; the adapter reports it in our terms."""
        return replace(req, recipient=replace(req.recipient, city="")), "recipient.city"


HARNESS = FourPxHarness
