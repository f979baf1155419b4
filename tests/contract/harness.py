"""What the contract suite needs from each carrier: its sandbox, an account, and a way to capture webhooks.

A carrier joins the suite with one :class:`Harness` subclass registered in ``HARNESSES``; the suite then
runs every operation of the interface against that carrier's sandbox, through the adapter the registry
builds, with only the sleep function swapped so Retry-After waits are recorded instead of slept.
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from kiriman.carriers.base import AccountConfig, Carrier, PackageRef, ShipmentRequest
from kiriman.carriers.registry import REGISTRY
from kiriman.carriers.transport import CarrierHttp
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel
from kiriman.retry import RetryPolicy


@dataclass
class Captured:
    body: bytes
    headers: dict[str, str]


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 that keeps every POST it gets and answers 200."""

    def __init__(self) -> None:
        self.received: queue.Queue[Captured] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.put(Captured(body, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def next(self, timeout: float = 10.0) -> Captured:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Harness:
    slug: ClassVar[str]

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock_file = folder / "clock-offset"
        self.offset = 0.0
        self.sleeps = Sleeps()
        self.receiver = WebhookReceiver()

    # --- to implement per carrier -------------------------------------------------------------------
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.receiver.close()

    def account(self) -> AccountConfig:
        raise NotImplementedError

    def credentials(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def throttle_next(self, count: int, retry_after_s: int) -> None:
        raise NotImplementedError

    def fail_after_create(self, count: int) -> None:
        """The next creations happen at the carrier but the client sees a failure."""
        raise NotImplementedError

    def next_create_error(self, status: int, count: int) -> None:
        """The next ``count`` create calls fail with HTTP ``status`` before the carrier acts on them."""
        raise NotImplementedError

    def purchases(self, package: PackageRef) -> int:
        """How many labels the carrier's ledger holds for one package and leg, across references."""
        raise NotImplementedError

    def active_purchases(self, package: PackageRef) -> int:
        """Purchases for one package and leg that were not cancelled."""
        raise NotImplementedError

    def reset_faults(self) -> None:
        raise NotImplementedError

    def invalid_request(self, req: ShipmentRequest) -> tuple[ShipmentRequest, str]:
        """A request the carrier refuses, and the field it names."""
        raise NotImplementedError

    def without_signature(self, body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """The webhook with its signature removed (a header for most carriers; Flash overrides: a form field)."""
        header = REGISTRY[self.slug].info.webhook_signature_header.lower()
        return body, {k: v for k, v in headers.items() if k.lower() != header}

    # --- shared -------------------------------------------------------------------------------------
    def adapter(self, attempts: int = 4) -> Carrier:
        entry = REGISTRY[self.slug]
        http = CarrierHttp(self.slug, self.base_url, sleep=self.sleeps,
                           policy=RetryPolicy(attempts=attempts, base_delay_s=0.01, deadline_s=30, timeout_s=5),
                           request_id_header=entry.request_id_header)
        return entry.factory(self.account(), self.credentials(), http)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.clock_file.write_text(repr(self.offset))

    def request(self, reference: str, package: PackageRef, **changes: Any) -> ShipmentRequest:
        country = self.account().country
        sender = Address(name="Kiriman Fulfilment", country=country, line1="10 Ubi Crescent", line2="#05-01",
                         city="Singapore", state="Singapore", postcode="408564", phone="+6560000001",
                         email="ops@kiriman.example")
        recipient = Address(name="Tan Wei Ling", country=country, line1="Blk 123 Ang Mo Kio Ave 3", line2="#07-89",
                            city="Singapore", state="Singapore", postcode="560123", phone="+6591234567")
        parcel = Parcel(items=(Item("USB-C cable 1m", 2, 60, Decimal("5.90"), sku="CBL-1"),),
                        declared_value=Money.of("11.80", "SGD"), packaging_weight_g=80,
                        dimensions=Dimensions(Decimal(20), Decimal(15), Decimal(5)))
        fields: dict[str, Any] = {"reference": reference, "package": package, "service": "Standard",
                                  "sender": sender, "recipient": recipient, "parcel": parcel,
                                  "ship_date": date.today()}
        fields.update(changes)
        return ShipmentRequest(**fields)


def control(base: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def _discover() -> dict[str, type[Harness]]:
    """Each carrier brings ``tests/contract/harness_<slug>.py`` with ``HARNESS = <its Harness subclass>``."""
    import importlib

    found: dict[str, type[Harness]] = {}
    for path in sorted(Path(__file__).parent.glob("harness_*.py")):
        module = importlib.import_module(f"tests.contract.{path.stem}")
        harness: type[Harness] = module.HARNESS
        found[harness.slug] = harness
    return found


HARNESSES: dict[str, type[Harness]] = _discover()


@contextmanager
def running(slug: str, folder: Path) -> Iterator[Harness]:
    harness = HARNESSES[slug](folder)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()
