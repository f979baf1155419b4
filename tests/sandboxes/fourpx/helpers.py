"""Test-side helpers: the shared-clock writer, a small FOP client with its own signer, a webhook receiver and a
create-order body builder.

The signer here is written from the published rule (MD5 of ``app_key..format..method..timestamp..v..`` + body +
secret), not imported from the sandbox, so the tests check the sandbox against the rule rather than against
itself.
"""

from __future__ import annotations

import copy
import hashlib
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

GATEWAY = "/router/api/service"
COUNTRIES = ("sg", "my", "th", "id", "vn", "ph")
DEMO = {cc: (f"fpx-demo-{cc}", f"fpx-demo-{cc}-secret") for cc in (*COUNTRIES, "sea")}
LOCAL = {"sg": "SGD", "my": "MYR", "th": "THB", "id": "IDR", "vn": "VND", "ph": "PHP"}


def md5_sign(app_key: str, fmt: str, method: str, timestamp: str, v: str, body: bytes, secret: str) -> str:
    text = b"app_key" + app_key.encode() + b"format" + fmt.encode() + b"method" + method.encode()
    text += b"timestamp" + timestamp.encode() + b"v" + v.encode() + body + secret.encode()
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


def ref(prefix: str = "K") -> str:
    """A fresh client reference (ref_no), [A-Z0-9] like the project's."""
    return f"{prefix}{uuid.uuid4().hex[:13].upper()}"


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


def order_body(ref_no: str | None = None, cc: str = "sg", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ref_no": ref_no or ref(),
        "business_type": "BDS",
        "duty_type": "U",
        "logistics_service_info": {"logistics_product_code": "PX"},
        "return_info": {"is_return_on_domestic": "U", "is_return_on_oversea": "N"},
        "parcel_list": [
            {
                "weight": 1120,
                "length": 20,
                "width": 15,
                "height": 5,
                "parcel_value": 11.8,
                "currency": "USD",
                "include_battery": "N",
                "declare_product_info": [
                    {
                        "declare_product_name_cn": "数据线",
                        "declare_product_name_en": "USB-C cable 1m",
                        "declare_product_code_qty": 2,
                        "declare_unit_price_export": 5.9,
                        "currency_export": "USD",
                        "declare_unit_price_import": 5.9,
                        "currency_import": "USD",
                        "hscode_export": "854442",
                        "brand_export": "none",
                        "brand_import": "none",
                        "package_remarks": "CBL-1",
                    }
                ],
            }
        ],
        "is_insure": "N",
        "sender": {
            "first_name": "Li Wei",
            "company": "Merlion Gadgets Shenzhen",
            "phone": "13800000000",
            "post_code": "518000",
            "country": "CN",
            "state": "Guangdong",
            "city": "Shenzhen",
            "street": "Caifugang Building 25",
        },
        "recipient_info": {
            "first_name": "Tan",
            "last_name": "Wei Ling",
            "phone": "+6591234567",
            "post_code": "560123",
            "country": cc.upper(),
            "state": "Central",
            "city": "Singapore" if cc == "sg" else "Capital",
            "street": "Blk 123 Ang Mo Kio Ave 3 #07-89",
        },
        "deliver_type_info": {"deliver_type": "1"},
        "remark": "KRM1|220000101|2511DEMO0001|OFG0001|line_haul",
    }
    return deep_merge(body, extra)


@dataclass
class Fop:
    """A decoded gateway answer."""

    status: int
    body: dict[str, Any]
    response: httpx.Response

    @property
    def ok(self) -> bool:
        return self.body.get("result") == "1"

    @property
    def data(self) -> Any:
        data = self.body.get("data")
        return json.loads(data) if isinstance(data, str) and data[:1] in ("{", "[") else data

    @property
    def codes(self) -> list[str]:
        return [str(e["error_code"]) for e in self.body.get("errors") or []]

    @property
    def fields(self) -> list[str | None]:
        return [e.get("error_data") for e in self.body.get("errors") or []]


class Api:
    def __init__(self, base_url: str, clock: Clock) -> None:
        self.base_url = base_url
        self.clock = clock
        self.http = httpx.Client(base_url=base_url, timeout=15)

    def close(self) -> None:
        self.http.close()

    # -- the FOP gateway -------------------------------------------------------------------------------------
    def params(
        self,
        method: str,
        body: bytes,
        app_key: str,
        secret: str,
        v: str = "1.1.0",
        language: str | None = "en",
        timestamp: str | None = None,
    ) -> dict[str, str]:
        ts = timestamp or str(int(time.time() * 1000))
        params = {"app_key": app_key, "format": "json", "method": method, "timestamp": ts, "v": v}
        params["sign"] = md5_sign(app_key, "json", method, ts, v, body, secret)
        if language is not None:
            params["language"] = language
        return params

    def raw_call(self, params: dict[str, str], body: bytes) -> httpx.Response:
        return self.http.post(GATEWAY, params=params, content=body, headers={"Content-Type": "application/json"})

    def call(
        self,
        method: str,
        body: Any = None,
        cc: str = "sg",
        app_key: str | None = None,
        secret: str | None = None,
        **kwargs: Any,
    ) -> Fop:
        raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        key = app_key or DEMO[cc][0]
        params = self.params(method, raw, key, secret or DEMO.get(cc, ("", ""))[1], **kwargs)
        resp = self.raw_call(params, raw)
        try:
            decoded = resp.json()
        except ValueError:
            decoded = {}
        return Fop(resp.status_code, decoded if isinstance(decoded, dict) else {}, resp)

    def ok(self, method: str, body: Any = None, cc: str = "sg", **kwargs: Any) -> Any:
        fop = self.call(method, body, cc, **kwargs)
        assert fop.status == 200 and fop.ok, (fop.status, fop.body)
        return fop.data

    def create(self, body: dict[str, Any], cc: str = "sg", **kwargs: Any) -> Fop:
        return self.call("ds.xms.order.create", body, cc, **kwargs)

    def create_ok(self, cc: str = "sg", **extra: Any) -> dict[str, Any]:
        return dict(self.ok("ds.xms.order.create", order_body(cc=cc, **extra), cc))

    def track(self, number: str, cc: str = "sg") -> list[dict[str, Any]]:
        """Oldest first (the sandbox answers newest first by default; same-second events keep their order)."""
        data = self.ok("tr.order.tracking.get", {"deliveryOrderNo": number}, cc)
        items = list(data["trackingList"])
        if len(items) > 1 and items[0]["occurDatetime"] >= items[-1]["occurDatetime"]:
            items.reverse()
        return sorted(items, key=lambda e: e["occurDatetime"])

    def order(self, request_no: str, cc: str = "sg") -> dict[str, Any] | None:
        data = self.ok("ds.xms.order.get", {"request_no": request_no}, cc)
        return dict(data[0]) if data else None

    def cancel(self, request_no: str, cc: str = "sg") -> Fop:
        return self.call("ds.xms.order.cancel", {"request_no": request_no, "cancel_reason": "test"}, cc)

    # -- control API ---------------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        resp = self.http.request(method, f"/_sandbox/{path}", json=body)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json()

    def ledger(self) -> dict[str, Any]:
        return dict(self.control("GET", "ledger"))

    def shipment(self, tracking_number: str) -> dict[str, Any]:
        """The ledger's view of one order (``GET parcels/<tn>`` carries the same fields, cheaper)."""
        return dict(self.control("GET", f"parcels/{tracking_number}"))

    def shipments_with_ref(self, ref_no: str) -> list[dict[str, Any]]:
        return list(self.control("GET", f"ledger?reference={ref_no}")["shipments"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A tiny webhook endpoint that records every POST and answers 200."""

    received: list[Received] = field(default_factory=list)

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
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/4px"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
