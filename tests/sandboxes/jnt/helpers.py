"""Test-side helpers: the shared-clock writer, a small J&T JMS client with its own signer, a callback receiver
and an addOrder body builder.

The signer here is written from the published rules (Base64 of the raw MD5 of bizContent + privateKey; business
password = UPPER(hex MD5(plain + "jadada369t3")); CN/EG business digest), not imported from the sandbox, so the
tests check the sandbox against the rules rather than against itself.
"""

from __future__ import annotations

import base64
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
from urllib.parse import parse_qs

import httpx

BASE = "/webopenplatformapi/api/"
GOLDEN = Path(__file__).resolve().parent / "golden"
MY: dict[str, Any] = {
    "api_account": "640000000000000101",
    "private_key": "jnt-demo-my-private-key",
    "customer_code": "KRMDEMOMY",
    "password": "jnt-demo-my-pass",
    "business_auth": "password",
}
VN: dict[str, Any] = {
    "api_account": "640000000000000102",
    "private_key": "jnt-demo-vn-private-key",
    "customer_code": "KRMDEMOVN",
    "password": "jnt-demo-vn-pass",
    "business_auth": "password",
}
CN: dict[str, Any] = {
    "api_account": "640000000000000103",
    "private_key": "jnt-demo-cn-private-key",
    "customer_code": "KRMDEMOCN",
    "password": "jnt-demo-cn-pass",
    "business_auth": "digest",
}


def md5_b64(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode()  # noqa: S324 - J&T's rule


def md5_hex_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - J&T's rule


def sign(biz_content: str, private_key: str) -> str:
    """Header digest = Base64(MD5_raw(bizContent + privateKey))."""
    return md5_b64(biz_content + private_key)


def business_password(plain: str) -> str:
    return md5_hex_upper(plain + "jadada369t3")


def business_digest(customer_code: str, plain: str, private_key: str) -> str:
    return md5_b64(customer_code + md5_hex_upper(plain + "jadada236t2") + private_key)


def credentials(account: dict[str, Any]) -> dict[str, str]:
    """The business credentials a client puts inside bizContent."""
    if account["business_auth"] == "digest":
        return {
            "customerCode": account["customer_code"],
            "digest": business_digest(account["customer_code"], account["password"], account["private_key"]),
        }
    return {"customerCode": account["customer_code"], "password": business_password(account["password"])}


def ref(prefix: str = "T") -> str:
    """A fresh txlogisticId (<= 50 characters)."""
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


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def order_body(reference: str | None = None, **extra: Any) -> dict[str, Any]:
    """A valid MY domestic addOrder bizContent without the business credentials (the client adds them)."""
    body: dict[str, Any] = {
        "txlogisticId": reference or ref(),
        "actionType": "add",
        "serviceType": "1",
        "payType": "PP_PM",
        "expressType": "EZ",
        "sender": {
            "name": "Merdeka Gadgets",
            "phone": "60123456789",
            "countryCode": "MYS",
            "address": "No 32, Jalan Kempas 4",
            "postCode": "81930",
            "prov": "Johor",
            "city": "Bandar Penawar",
            "area": "Taman Desaru Utama",
        },
        "receiver": {
            "name": "Siti Aminah",
            "phone": "60198765432",
            "countryCode": "MYS",
            "address": "4678, Laluan Sentang 35",
            "postCode": "31000",
            "prov": "Perak",
            "city": "Batu Gajah",
            "area": "Kampung Seri Mariah",
        },
        "items": [{"itemName": "Phone case", "number": "1", "weight": "0.3", "itemValue": "25.00"}],
        "packageInfo": {"packageQuantity": "1", "weight": "1.2", "packageValue": "25.00", "goodsType": "ITN8"},
        "remark": "",
    }
    return deep_merge(body, extra)


def vn_body(reference: str | None = None, **extra: Any) -> dict[str, Any]:
    vn = {
        "sender": {"countryCode": "VNM", "postCode": "700000", "prov": "Ho Chi Minh", "city": "Quan 1",
                   "area": "Ben Nghe"},
        "receiver": {"countryCode": "VNM", "postCode": "100000", "prov": "Ha Noi", "city": "Ba Dinh", "area": "Kim Ma"},
    }  # fmt: skip
    return deep_merge(order_body(reference, **vn), extra)


def cn_body(reference: str | None = None, **extra: Any) -> dict[str, Any]:
    cn = {
        "sender": {"countryCode": "CHN", "postCode": "518000", "prov": "Guangdong", "city": "Shenzhen",
                   "area": "Futian"},
        "receiver": {"countryCode": "CHN", "postCode": "200000", "prov": "Shanghai", "city": "Shanghai",
                     "area": "Pudong"},
    }  # fmt: skip
    return deep_merge(order_body(reference, **cn), extra)


def envelope(resp: httpx.Response) -> tuple[str, str, Any]:
    """(code as text, msg, data) of a JMS answer; checks the envelope's shape and HTTP 200."""
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"code", "msg", "data", "requestId"}, body
    assert isinstance(body["requestId"], str) and len(body["requestId"]) == 32
    return str(body["code"]), str(body["msg"]), body["data"]


class Api:
    def __init__(self, base_url: str, clock: Clock) -> None:
        self.base_url = base_url
        self.clock = clock
        self.http = httpx.Client(base_url=base_url, timeout=15)

    def close(self) -> None:
        self.http.close()

    # -- J&T API ----------------------------------------------------------------------------------------------
    def post(
        self,
        name: str,
        biz: dict[str, Any] | str,
        account: dict[str, Any] | None = None,
        *,
        creds: bool = True,
        headers: dict[str, str] | None = None,
        digest: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Sign and send one call: form field bizContent, headers apiAccount / digest / timestamp."""
        account = account or MY
        if isinstance(biz, dict):
            payload = {**credentials(account), **biz} if creds else biz
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        else:
            text = biz
        sent = {
            "apiAccount": account["api_account"],
            "digest": digest if digest is not None else sign(text, account["private_key"]),
            "timestamp": str(int(time.time() * 1000)),
            **(headers or {}),
        }
        sent = {k: v for k, v in sent.items() if v is not None}
        kwargs: dict[str, Any] = {"data": {"bizContent": text}, "headers": sent}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.post(BASE + name, **kwargs)

    def create(self, body: dict[str, Any], account: dict[str, Any] | None = None) -> httpx.Response:
        return self.post("order/addOrder", body, account)

    def create_ok(self, account: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        account = account or MY
        build = {"640000000000000102": vn_body, "640000000000000103": cn_body}.get(account["api_account"], order_body)
        code, msg, data = envelope(self.create(build(**extra), account))
        assert code == "1", msg
        return dict(data)

    def trace(self, bill_code: str, account: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        code, msg, data = envelope(self.post("logistics/trace", {"billCode": bill_code}, account))
        assert code == "1", msg
        assert [d["billCode"] for d in data] == [bill_code]
        return list(data[0]["details"])

    def codes(self, bill_code: str, account: dict[str, Any] | None = None) -> list[str]:
        return [d["scanTypeCode"] for d in self.trace(bill_code, account)]

    def cancel(self, reference: str, reason: str = "customer cancelled", **extra: Any) -> httpx.Response:
        return self.post("order/cancelOrder", {"txlogisticId": reference, "reason": reason, **extra})

    # -- control API --------------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        resp = self.http.request(method, f"/_sandbox/{path}", json=body)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json()

    def ledger(self) -> dict[str, Any]:
        return dict(self.control("GET", "ledger"))

    def shipment(self, tracking_number: str) -> dict[str, Any]:
        """The ledger's shipment fields of one parcel (``GET parcels/{billCode}`` carries the same, and is cheap)."""
        return dict(self.control("GET", f"parcels/{tracking_number}"))


@dataclass
class Push:
    """One callback POST as received."""

    path: str
    headers: dict[str, str]
    body: bytes
    biz_content: str
    items: list[dict[str, Any]]
    at: float


Policy = Callable[[int, Push], tuple[int, bytes, float]]
ACK = (GOLDEN / "mx_trace_callback.response.reconstructed.json").read_bytes()  # {"code":"1",...,"data":"SUCCESS"}


@dataclass
class Receiver:
    """A tiny callback endpoint. ``policy(n, push)`` -> (status, body, delay_s) for the n-th push (0-based)."""

    policy: Policy = field(default=lambda n, push: (200, ACK, 0.0))
    received: list[Push] = field(default_factory=list)
    path: str = "/webhooks/jnt/my"

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
                biz = fields.get("bizContent", [""])[-1]
                try:
                    items = json.loads(biz)
                except ValueError:
                    items = []
                push = Push(self.path, dict(self.headers.items()), body, biz, items, time.time())
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append(push)
                status, answer, delay = receiver.policy(n, push)
                if delay:
                    time.sleep(delay)
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

    def pushes(self) -> list[Push]:
        with self.lock:
            return list(self.received)

    def details(self, bill_code: str | None = None) -> list[dict[str, Any]]:
        """Every detail received, in arrival order (optionally for one billCode)."""
        out = []
        for push in self.pushes():
            for item in push.items:
                if bill_code is None or item["billCode"] == bill_code:
                    out.extend(item["details"])
        return out

    def codes(self, bill_code: str) -> list[str]:
        return [d["scanTypeCode"] for d in self.details(bill_code)]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], bill_code: str | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            details = self.details(bill_code)
            if predicate(details):
                return details
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {self.details(bill_code)}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
