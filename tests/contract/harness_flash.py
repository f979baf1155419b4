"""Flash Express in the carrier contract suite: its sandbox, a seeded TH account, Thai addresses, fault switches."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from kiriman.carriers.base import AccountConfig, PackageRef, ShipmentRequest
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from tests.contract.harness import Harness, control


class FlashHarness(Harness):
    slug = "flash"

    def start(self) -> None:
        from local.sandboxes.flash.server import FlashSandbox

        self.sandbox = FlashSandbox(clock_file=self.clock_file, seed="demo")
        self.sandbox.start()
        accounts = control(self.sandbox.control_url, "GET", "/accounts")
        listed = accounts["accounts"] if isinstance(accounts, dict) else accounts
        self._acct = next(a for a in listed if "th" in [c.lower() for c in a["countries"]])
        control(self.sandbox.control_url, "POST", "/webhook-config", {"url": self.receiver.url})

    def stop(self) -> None:
        self.sandbox.stop()
        super().stop()

    @property
    def base_url(self) -> str:
        return str(self.sandbox.base_url)

    def account(self) -> AccountConfig:
        return AccountConfig("ca_flash_th", "flash", "TH", "production", {"label_size": "large"})

    def credentials(self) -> dict[str, str]:
        return {"mch_id": str(self._acct["mch_id"]), "key": str(self._acct["key"])}

    def request(self, reference: str, package: PackageRef, **changes: Any) -> ShipmentRequest:
        """Flash serves Thailand only: Thai addresses (5-digit postcodes, province / amphoe / tambon) and baht."""
        sender = Address(name="Kiriman Fulfilment TH", country="TH", line1="123 Silom Road", line2="Floor 5",
                         city="เขตบางรัก", state="กรุงเทพมหานคร", district="แขวงสีลม", postcode="10500",
                         phone="+66 2 000 0001", email="ops@kiriman.example")
        recipient = Address(name="Somchai Jaidee", country="TH", line1="45 Nimmanhaemin Road Soi 9",
                            city="เมืองเชียงใหม่", state="เชียงใหม่", district="สุเทพ", postcode="50200",
                            phone="0891234567")
        parcel = Parcel(items=(Item("USB-C cable 1m", 2, 60, Decimal("190"), sku="CBL-1"),),
                        declared_value=Money.of("380", "THB"), packaging_weight_g=80,
                        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(5)))
        fields: dict[str, Any] = {"reference": reference, "package": package, "service": "Standard",
                                  "sender": sender, "recipient": recipient, "parcel": parcel,
                                  "ship_date": date.today()}
        fields.update(changes)
        return ShipmentRequest(**fields)

    def throttle_next(self, count: int, retry_after_s: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults",
                {"throttle": {"count": count, "retry_after_s": retry_after_s}})

    def fail_after_create(self, count: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults", {"create_then_fail": count})

    def next_create_error(self, status: int, count: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults", {"next_errors": [
            {"path_contains": "/open/v3/orders", "method": "POST", "status": status, "count": count}]})

    def reset_faults(self) -> None:
        control(self.sandbox.control_url, "DELETE", "/faults")

    def purchases(self, package: PackageRef) -> int:
        ledger = control(self.sandbox.control_url, "GET", "/ledger")
        key = "|".join((str(package.shop_id), package.order_sn, package.package_number, package.leg))
        return int(ledger["purchases_by_package"].get(key, 0))

    def active_purchases(self, package: PackageRef) -> int:
        ledger = control(self.sandbox.control_url, "GET", "/ledger")
        key = "|".join((str(package.shop_id), package.order_sn, package.package_number, package.leg))
        return int(ledger["active_purchases_by_package"].get(key, 0))

    def without_signature(self, body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """Flash signs in a form field, not a header: drop ``sign``."""
        from urllib.parse import parse_qsl, urlencode

        fields = [(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True) if k != "sign"]
        return urlencode(fields).encode(), dict(headers)

    def invalid_request(self, req: ShipmentRequest) -> tuple[ShipmentRequest, str]:
        """A 4-digit postcode: Flash refuses it (1021, or 1000 naming dstPostalCode)."""
        return replace(req, recipient=replace(req.recipient, postcode="5020")), "recipient.postcode"


HARNESS = FlashHarness
