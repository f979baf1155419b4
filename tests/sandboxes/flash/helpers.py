"""Test-side helpers: the shared-clock writer, a small Flash client with its own signer, a webhook receiver that
answers with a chosen body, and an order-parameter builder.

The signer here is written from Flash's published rule (sorted non-blank parameters, raw values, ``&key=``,
SHA-256 upper hex), not imported from the sandbox, so the tests check the sandbox against the rule rather than
against itself.
"""

from __future__ import annotations

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
from urllib.parse import parse_qsl

import httpx

DEMO = {"FLDEMO01": "flash-demo-01-key", "FLDEMO02": "flash-demo-02-key"}
MCH = "FLDEMO01"
ACK_BODY = b'{"errorCode": "1", "state": "success"}'
WHITESPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def flash_sign(params: dict[str, str], key: str, only: tuple[str, ...] | None = None) -> str:
    kept = {
        k: v for k, v in params.items() if k != "sign" and v.strip(WHITESPACE) != "" and (only is None or k in only)
    }
    text = "&".join(f"{k}={kept[k]}" for k in sorted(kept)) + f"&key={key}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def ref(prefix: str = "K") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


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


def order_params(reference: str | None = None, **overrides: str | None) -> dict[str, str]:
    """A valid ``/open/v3/orders`` parameter set (sender from the demo warehouse's address given in full)."""
    params: dict[str, str | None] = {
        "outTradeNo": reference or ref(),
        "expressCategory": "1",
        "articleCategory": "2",
        "srcName": "Siam Gadgets",
        "srcPhone": "0812345678",
        "srcProvinceName": "กรุงเทพมหานคร",
        "srcCityName": "คลองเตย",
        "srcDistrictName": "คลองตัน",
        "srcPostalCode": "10110",
        "srcDetailAddress": "99/9 ถนนสุขุมวิท ซอย 24",
        "dstName": "Somchai Jaidee",
        "dstPhone": "0898765432",
        "dstProvinceName": "เชียงใหม่",
        "dstCityName": "สันทราย",
        "dstDistrictName": "หนองแหย่ง",
        "dstPostalCode": "50210",
        "dstDetailAddress": "127 หมู่ 3",
        "weight": "1200",
        "length": "20",
        "width": "15",
        "height": "10",
        "insured": "0",
        "codEnabled": "0",
        "remark": "SHIP-0001",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


class Api:
    def __init__(self, base_url: str, clock: Clock) -> None:
        self.base_url = base_url
        self.clock = clock
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self._nonce = 0

    def close(self) -> None:
        self.http.close()

    def nonce(self) -> str:
        self._nonce += 1
        return f"{int(time.time() * 1000)}{self._nonce:04d}"

    # -- Flash API ------------------------------------------------------------------------------------------------
    def signed(self, params: dict[str, str], mch: str = MCH, key: str | None = None) -> dict[str, str]:
        full = {"mchId": mch, "nonceStr": self.nonce(), **params}
        full["sign"] = flash_sign(full, key if key is not None else DEMO.get(mch, "no-key"))
        return full

    def call(
        self, path: str, params: dict[str, str] | None = None, mch: str = MCH, key: str | None = None, **kw: Any
    ) -> httpx.Response:
        return self.http.post(path, data=self.signed(params or {}, mch, key), **kw)

    def ok(self, path: str, params: dict[str, str] | None = None, mch: str = MCH) -> Any:
        resp = self.call(path, params, mch)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["code"] == 1 and body["message"] == "success", body
        return body["data"]

    def error(self, path: str, params: dict[str, str] | None = None, mch: str = MCH) -> dict[str, Any]:
        """A business error: HTTP 200, code != 1, data null - or, for a 1000 naming a parameter,
        ``{"<parameter>": ["<problem>"]}``."""
        resp = self.call(path, params, mch)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert set(body) == {"code", "message", "data"} and body["code"] != 1, body
        data = body["data"]
        assert data is None or (body["code"] == 1000 and isinstance(data, dict) and len(data) == 1), body
        return dict(body)

    def create(self, params: dict[str, str], mch: str = MCH) -> httpx.Response:
        return self.call("/open/v3/orders", params, mch)

    def create_ok(self, mch: str = MCH, reference: str | None = None, **overrides: str | None) -> dict[str, Any]:
        return dict(self.ok("/open/v3/orders", order_params(reference, **overrides), mch))

    def routes(self, pno: str, mch: str = MCH) -> dict[str, Any]:
        return dict(self.ok(f"/open/v1/orders/{pno}/routes", {}, mch))

    def actions(self, pno: str, mch: str = MCH) -> list[str]:
        """Route actions oldest first."""
        return [r["routeAction"] for r in sorted(self.routes(pno, mch)["routes"], key=lambda r: r["routedAt"])]

    def cancel(self, pno: str, mch: str = MCH) -> dict[str, Any]:
        return dict(self.call(f"/open/v1/orders/{pno}/cancel", {}, mch).json())

    # -- control API --------------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        resp = self.http.request(method, f"/_sandbox/{path}", json=body)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json()

    def ledger(self) -> dict[str, Any]:
        return dict(self.control("GET", "ledger"))

    def shipment(self, pno: str) -> dict[str, Any]:
        """The parcel's ledger entry (``GET parcels/{pno}`` carries the same fields, and is cheaper)."""
        return dict(self.control("GET", f"parcels/{pno}"))

    def messages(self, pno: str) -> list[dict[str, Any]]:
        return list(self.control("GET", f"webhooks?pno={pno}")["messages"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]
    at: float

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.form["data"]))


@dataclass
class Receiver:
    """A tiny webhook endpoint. ``policy(n, form)`` -> (status, body) for the n-th request (0-based); by default
    Flash's success body."""

    policy: Callable[[int, dict[str, str]], tuple[int, bytes]] = field(default=lambda n, form: (200, ACK_BODY))
    received: list[Received] = field(default_factory=list)
    path: str = "/webhooks/flash"

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, form, time.time()))
                status, answer = receiver.policy(n, form)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
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

    def all(self, pno: str | None = None) -> list[Received]:
        with self.lock:
            out = list(self.received)
        return [r for r in out if pno is None or r.data.get("pno") == pno]

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], pno: str | None = None, timeout: float = 5.0
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.all(pno)
            if predicate(got):
                return got
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {[(r.form.get('webhookApiCode'), r.data) for r in self.all(pno)]}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
