"""Ninja Van in the carrier contract suite: its sandbox, a seeded SG account, and its fault switches."""

from __future__ import annotations

from dataclasses import replace

from kiriman.carriers.base import AccountConfig, PackageRef, ShipmentRequest
from tests.contract.harness import Harness, control


class NinjaVanHarness(Harness):
    slug = "ninjavan"

    def start(self) -> None:
        from local.sandboxes.ninjavan.server import NinjaVanSandbox

        self.sandbox = NinjaVanSandbox(clock_file=self.clock_file, seed="demo")
        self.sandbox.start()
        accounts = control(self.sandbox.control_url, "GET", "/accounts")
        listed = accounts["accounts"] if isinstance(accounts, dict) else accounts
        self._acct = next(a for a in listed if "sg" in [c.lower() for c in a["countries"]])
        control(self.sandbox.control_url, "POST", "/webhook-config", {"url": self.receiver.url})

    def stop(self) -> None:
        self.sandbox.stop()
        super().stop()

    @property
    def base_url(self) -> str:
        return str(self.sandbox.base_url)

    def account(self) -> AccountConfig:
        return AccountConfig("ca_nv_sg", "ninjavan", "SG", "production",
                             {"shipper_prefix": self._acct["shipper_prefix"]})

    def credentials(self) -> dict[str, str]:
        return {"client_id": self._acct["client_id"], "client_secret": self._acct["client_secret"]}

    def throttle_next(self, count: int, retry_after_s: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults",
                {"throttle": {"count": count, "retry_after_s": retry_after_s}})

    def fail_after_create(self, count: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults", {"create_then_fail": count})

    def next_create_error(self, status: int, count: int) -> None:
        control(self.sandbox.control_url, "POST", "/faults", {"next_errors": [
            {"path_contains": "/orders", "method": "POST", "status": status, "count": count}]})

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

    def invalid_request(self, req: ShipmentRequest) -> tuple[ShipmentRequest, str]:
        return replace(req, recipient=replace(req.recipient, line1="")), "to.address.address1"




HARNESS = NinjaVanHarness
