"""Test-side helpers: the shared-clock writer, a small Ninja Van client with a token cache, an independent webhook
signer, a webhook receiver and an order-body builder.

The signer here is written from the published rule (base64 HMAC-SHA256 of the raw body with the client secret),
not imported from the sandbox, so the tests check the sandbox against the rule rather than against itself.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Ninjavan-Hmac-Sha256"
DEMO = {
    cc: (f"nv-demo-{cc}", f"nv-demo-{cc}-secret", f"NV{cc.upper()}KRM") for cc in ("sg", "my", "th", "id", "vn", "ph")
}


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def rtn(prefix: str = "T") -> str:
    """A fresh requested_tracking_number (pattern ^([a-zA-Z0-9]+[-])*[a-zA-Z0-9]+$, >= 9 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:11].upper()}"


class Clock:
    """The runner's side of the shared clock: writes the offset file (atomically, new inode each time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0.0
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(f"{self.offset!r}\n")
        os.replace(tmp, self.path)

    def now(self) -> float:
        return time.time() + self.offset

    def jump(self, seconds: float) -> None:
        self.offset += seconds
        self._write()


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def order_body(requested: str | None = None, cc: str = "sg", **extra: Any) -> dict[str, Any]:
    country = cc.upper()
    body: dict[str, Any] = {
        "service_type": "Parcel",
        "service_level": "Standard",
        "requested_tracking_number": requested or rtn(),
        "reference": {"merchant_order_number": "SHIP-0001"},
        "from": {
            "name": "Merlion Gadgets",
            "phone_number": "+6561234567",
            "email": "ops@merlion.example",
            "address": {"address1": "10 Jurong West St 1", "country": country, "postcode": "640010", "city": "Jurong"},
        },
        "to": {
            "name": "Tan Ah Kow",
            "phone_number": "+6598765432",
            "address": {
                "address1": "2 Orchard Road",
                "address2": "#05-01",
                "country": country,
                "postcode": "238801",
                "city": "Orchard",
            },
        },
        "parcel_job": {
            "is_pickup_required": False,
            "delivery_start_date": "2026-11-26",
            "delivery_timeslot": {"start_time": "09:00", "end_time": "22:00", "timezone": "Asia/Singapore"},
            "cash_on_delivery": 0,
            "items": [{"item_description": "Phone case", "quantity": 1, "is_dangerous_good": False}],
            "dimensions": {"weight": 1.2, "length": 20, "width": 15, "height": 10},
        },
    }
    return deep_merge(body, extra)


class Api:
    def __init__(self, base_url: str, clock: Clock) -> None:
        self.base_url = base_url
        self.clock = clock
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def close(self) -> None:
        self.http.close()

    # -- Ninja Van API ----------------------------------------------------------------------------------------
    def oauth(self, cc: str, client_id: str, secret: str, grant_type: str = "client_credentials") -> httpx.Response:
        body = {"client_id": client_id, "client_secret": secret, "grant_type": grant_type}
        return self.http.post(f"/{cc}/2.0/oauth/access_token", json=body)

    def token(self, cc: str = "sg", client_id: str | None = None, secret: str | None = None) -> str:
        client_id = client_id or DEMO[cc][0]
        secret = secret or DEMO[cc][1]
        cached = self._tokens.get((client_id, cc))
        if cached is not None and self.clock.now() < cached[1] - 60:
            return cached[0]
        resp = self.oauth(cc, client_id, secret)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        self._tokens[(client_id, cc)] = (data["access_token"], float(data["expires"]))
        return str(data["access_token"])

    def auth(self, cc: str = "sg", client_id: str | None = None, secret: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(cc, client_id, secret)}"}

    def create(
        self,
        body: dict[str, Any],
        cc: str = "sg",
        client_id: str | None = None,
        version: str = "4.2",
        secret: str | None = None,
    ) -> httpx.Response:
        return self.http.post(f"/{cc}/{version}/orders", json=body, headers=self.auth(cc, client_id, secret))

    def create_ok(
        self, cc: str = "sg", client_id: str | None = None, secret: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        resp = self.create(order_body(cc=cc, **extra), cc, client_id, secret=secret)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def events(self, tracking_number: str, cc: str = "sg", client_id: str | None = None) -> list[dict[str, Any]]:
        resp = self.http.get(f"/{cc}/1.0/orders/tracking-events/{tracking_number}", headers=self.auth(cc, client_id))
        assert resp.status_code == 200, resp.text
        return list(resp.json()["events"])

    def cancel(self, tracking_number: str, cc: str = "sg") -> httpx.Response:
        return self.http.delete(f"/{cc}/2.2/orders/{tracking_number}", headers=self.auth(cc))

    # -- control API --------------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        resp = self.http.request(method, f"/_sandbox/{path}", json=body)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json()

    def ledger(self) -> dict[str, Any]:
        return dict(self.control("GET", "ledger"))

    def shipment(self, tracking_number: str) -> dict[str, Any]:
        return next(s for s in self.ledger()["shipments"] if s["tracking_number"] == tracking_number)

    def webhooks_for(self, tracking_number: str) -> list[dict[str, Any]]:
        return [m for m in self.control("GET", "webhooks")["messages"] if m["tracking_id"] == tracking_number]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A tiny webhook endpoint. ``policy(n, body)`` -> (status, delay_s) for the n-th request (0-based)."""

    policy: Callable[[int, dict[str, Any]], tuple[int, float]] = field(default=lambda n, body: (200, 0.0))
    received: list[Received] = field(default_factory=list)
    path: str = "/webhooks/ninjavan/sg"

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = {}
                status, delay = receiver.policy(n, parsed if isinstance(parsed, dict) else {})
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def bodies(self, tracking_id: str | None = None) -> list[dict[str, Any]]:
        out = [json.loads(r.body) for r in self.all()]
        return [b for b in out if tracking_id is None or b.get("tracking_id") == tracking_id]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], tracking_id: str | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies(tracking_id)
            if predicate(bodies):
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {self.bodies(tracking_id)}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
