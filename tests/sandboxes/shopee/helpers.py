"""Test-side helpers: an independent signer/client, the shared clock writer, a push receiver, shape checks.

Signing here is written from Shopee's published rule, not imported from the sandbox, so the tests check the
sandbox against the rule rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

SAMPLES = Path(__file__).parent / "samples"
PARTNER_ID = 2001234
PARTNER_KEY = "sandbox-test-partner-key-5f2e"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def hmac_hex(key: str, message: str | bytes) -> str:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


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


@dataclass
class Grant:
    shop_id: int
    access_token: str
    refresh_token: str
    kind: str = "shop"


class Api:
    def __init__(self, base_url: str, clock: Clock) -> None:
        self.base_url = base_url
        self.clock = clock
        self.http = httpx.Client(base_url=base_url, timeout=15, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def common(
        self,
        path: str,
        grant: Grant | None = None,
        *,
        ts: int | None = None,
        partner_id: int = PARTNER_ID,
        key: str = PARTNER_KEY,
    ) -> dict[str, Any]:
        ts = int(self.clock.now()) if ts is None else ts
        params: dict[str, Any] = {"partner_id": partner_id, "timestamp": ts}
        if grant is None:
            params["sign"] = hmac_hex(key, f"{partner_id}{path}{ts}")
        else:
            id_name = "shop_id" if grant.kind == "shop" else "merchant_id"
            params["access_token"] = grant.access_token
            params[id_name] = grant.shop_id
            params["sign"] = hmac_hex(key, f"{partner_id}{path}{ts}{grant.access_token}{grant.shop_id}")
        return params

    def raw_get(
        self, path: str, params: dict[str, Any] | None = None, grant: Grant | None = None, **common: Any
    ) -> httpx.Response:
        return self.http.get(path, params={**self.common(path, grant, **common), **(params or {})})

    def raw_post(self, path: str, body: Any, grant: Grant | None = None, **common: Any) -> httpx.Response:
        return self.http.post(path, params=self.common(path, grant, **common), json=body)

    def get(
        self, path: str, params: dict[str, Any] | None = None, grant: Grant | None = None, **common: Any
    ) -> dict[str, Any]:
        resp = self.raw_get(path, params, grant, **common)
        return dict(resp.json())

    def post(self, path: str, body: Any, grant: Grant | None = None, **common: Any) -> dict[str, Any]:
        resp = self.raw_post(path, body, grant, **common)
        return dict(resp.json())

    # -- control API --------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        resp = self.http.request(method, f"/_sandbox/{path}", json=body if body is not None else None)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json()

    def authorize(self, shop_id: int) -> Grant:
        out = self.control("POST", "authorize", {"shop_id": shop_id, "issue_tokens": True})
        return Grant(shop_id, out["access_token"], out["refresh_token"])

    def new_shop(self, region: str = "SG", **extra: Any) -> int:
        return int(self.control("POST", "shops", {"region": region, **extra})["shop_id"])

    def new_orders(self, shop_id: int, count: int = 1, **options: Any) -> list[str]:
        out = self.control("POST", "orders", {"shop_id": shop_id, "count": count, **options})
        return list(out["order_sns"])

    def order(self, order_sn: str) -> dict[str, Any]:
        return dict(self.control("GET", f"orders/{order_sn}"))

    def action(self, order_sn: str, action: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        return self.control("POST", f"orders/{order_sn}/{action}", body or {}, expect=expect)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class PushReceiver:
    """A tiny webhook endpoint. ``policy(n)`` -> (status, body, delay_s) for the n-th request (0-based)."""

    policy: Callable[[int], tuple[int, bytes, float]] = field(default=lambda n: (204, b"", 0.0))
    received: list[Received] = field(default_factory=list)
    path: str = "/webhooks/shopee?tenant=t1"

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
                status, reply, delay = receiver.policy(n)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the sandbox gave up waiting (timeout test)

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

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r.body) for r in self.received]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies()
            if predicate(bodies):
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {self.bodies()}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def same_shape(expected: Any, actual: Any, path: str = "$", *, allow_extra: frozenset[str] = frozenset()) -> None:
    """Every key of ``expected`` exists in ``actual`` with the same JSON kind (recursively; lists compared by
    their first element). Keys only in ``actual`` must be listed in ``allow_extra``. ``None`` in the sample
    matches anything (the samples use null for optional objects)."""
    if expected is None:
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {type(actual).__name__}"
        missing = set(expected) - set(actual)
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        extra = set(actual) - set(expected) - allow_extra
        assert not extra, f"{path}: unexpected keys {sorted(extra)}"
        for key, value in expected.items():
            same_shape(value, actual[key], f"{path}.{key}", allow_extra=allow_extra)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {type(actual).__name__}"
        if expected and actual:
            same_shape(expected[0], actual[0], f"{path}[0]", allow_extra=allow_extra)
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{path}: expected a boolean, got {actual!r}"
    elif isinstance(expected, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), f"{path}: expected a number"
    elif isinstance(expected, str):
        assert isinstance(actual, str), f"{path}: expected a string, got {actual!r}"
