"""The raw exchange recorder (carriers/transport.py) and the archiving carrier (carriers/archive.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from kiriman.carriers.archive import ArchivingCarrier, raw_key
from kiriman.carriers.base import CarrierError, CarrierInfo, CarrierRejected, CreatedShipment, PackageRef
from kiriman.carriers.transport import REDACTED, CarrierHttp, Exchange, recording
from kiriman.clock import FixedClock
from kiriman.retry import RetryPolicy

SECRET = "s3cr3t-VALUE-do-not-store"


class Tape:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)


def refused(resp: httpx.Response) -> CarrierError:
    body = resp.json()
    return CarrierRejected("test", body["message"], code=body["code"], field=body.get("field", ""),
                           status=resp.status_code)


def http(handler: Any, **kw: Any) -> CarrierHttp:
    return CarrierHttp("test", "https://carrier.test", client=httpx.Client(transport=httpx.MockTransport(handler)),
                       sleep=lambda s: None, policy=RetryPolicy(attempts=3, base_delay_s=0.0, deadline_s=10), **kw)


def test_every_attempt_is_recorded_with_credentials_stripped() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}, json={"message": "slow down"}),
                    httpx.Response(200, json={"tracking_number": "TN1", "access_token": SECRET},
                                   headers={"x-request-id": "rq-1", "set-cookie": f"s={SECRET}"})])
    tape = Tape()
    client = http(lambda request: next(answers), recorder=tape)
    resp = client.request("POST", "/orders?sign=" + SECRET + "&page=1", errors=refused,
                          json={"client_secret": SECRET, "recipient": {"name": "Tan Wei Ling", "phone": "+6591234567"},
                                "nested": json.dumps({"password": SECRET, "customer": "C1"})},
                          headers={"Authorization": f"Bearer {SECRET}", "digest": SECRET, "X-Trace": "t1"})
    assert resp.json()["tracking_number"] == "TN1"
    assert [(e.attempt, e.status) for e in tape.exchanges] == [(1, 429), (2, 200)]
    ok = tape.exchanges[1]
    text = json.dumps([e.to_json() for e in tape.exchanges])
    assert SECRET not in text
    assert ok.method == "POST" and ok.url.startswith("https://carrier.test/orders?") and "page=1" in ok.url
    assert ok.request_headers["authorization"] == REDACTED and ok.request_headers["digest"] == REDACTED
    assert ok.request_headers["x-trace"] == "t1"
    # personal data is kept: the archive is private and short-lived, and logs never carry it
    assert ok.request_body["recipient"] == {"name": "Tan Wei Ling", "phone": "+6591234567"}
    assert ok.request_body["client_secret"] == REDACTED
    assert json.loads(ok.request_body["nested"]) == {"password": REDACTED, "customer": "C1"}
    assert ok.response_body == {"tracking_number": "TN1", "access_token": REDACTED}
    assert ok.response_headers["x-request-id"] == "rq-1" and ok.response_headers["set-cookie"] == REDACTED
    assert ok.elapsed_s >= 0 and ok.error == ""


def test_forms_pdfs_and_transport_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/label":
            return httpx.Response(200, content=b"%PDF-1.4 label", headers={"content-type": "application/pdf"})
        return httpx.Response(200, json={"code": 1})

    tape = Tape()
    client = http(handler)
    with recording(tape):  # a context recorder reaches every CarrierHttp used inside it
        client.request("POST", "/form", errors=refused, content=f"mchId=M1&sign={SECRET}&dstName=Somchai".encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        client.request("GET", "/label", errors=refused)
        with pytest.raises(CarrierError):
            client.request("GET", "/down", errors=refused)
    client.request("GET", "/form", errors=refused)  # outside the context: not recorded
    form, label, *down = tape.exchanges
    assert form.request_body == {"form": [["mchId", "M1"], ["sign", REDACTED], ["dstName", "Somchai"]]}
    assert label.response_body["omitted"] == "pdf" and label.response_body["bytes"] == 14
    assert len(down) == 3 and all(e.status == 0 and "ConnectError" in e.error for e in down)  # each retry
    assert [e.attempt for e in down] == [1, 2, 3]


def test_a_failing_recorder_never_fails_the_call() -> None:
    class Broken:
        def record(self, exchange: Exchange) -> None:
            raise OSError("disk full")

    client = http(lambda request: httpx.Response(200, json={"ok": True}), recorder=Broken())
    assert client.request("GET", "/x", errors=refused).json() == {"ok": True}


# --- the archiving carrier -------------------------------------------------------------------------
INFO = CarrierInfo("test", "Test", frozenset({"SG"}), ("std",), 5000, 20, True,
                   frozenset({"create_shipment", "find_by_reference"}), ())


class Inner:
    """An adapter whose calls go through CarrierHttp: refuses references starting with BAD."""

    info = INFO
    account_id = "acc_1"

    def __init__(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            ref = json.loads(request.content)["ref"]
            if ref.startswith("BAD"):
                return httpx.Response(400, json={"code": "E_ADDR", "message": "bad postcode", "field": "postcode"})
            return httpx.Response(200, json={"tracking": "TN-" + ref})

        self.http = http(handler)

    def create_shipment(self, request: Any) -> CreatedShipment:
        resp = self.http.request("POST", "/orders", errors=refused, json={"ref": request.reference,
                                                                          "key": SECRET})
        return CreatedShipment("test", self.account_id, request.reference, resp.json()["tracking"])

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        return None


class Archive:
    def __init__(self, fail: bool = False) -> None:
        self.objects: dict[str, Mapping[str, Any]] = {}
        self.fail = fail

    def put(self, key: str, exchange: Mapping[str, Any]) -> str:
        if self.fail:
            raise OSError("S3 unavailable")
        self.objects[key] = json.loads(json.dumps(exchange))
        return key


class Req:
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.package = PackageRef(1, "SN1", "PKG1")


def test_archiving_carrier_keys_and_refusals() -> None:
    archive, clock = Archive(), FixedClock(1_700_000_000.0)
    carrier = ArchivingCarrier(Inner(), archive, clock)  # type: ignore[arg-type]
    assert carrier.create_shipment(Req("K1")).tracking_number == "TN-K1"  # type: ignore[arg-type]
    (ok_key,) = carrier.last_keys
    assert ok_key.startswith("raw/test/2023/11/14/K1/1700000000000-001-create_shipment") and ok_key.endswith(".json")
    with pytest.raises(CarrierRejected) as err:
        carrier.create_shipment(Req("BAD1"))  # type: ignore[arg-type]
    keys = err.value.raw_keys  # type: ignore[attr-defined]
    assert len(keys) == 1 and keys[0] in archive.objects and "/BAD1/" in keys[0]
    stored = archive.objects[keys[0]]
    assert stored["operation"] == "create_shipment" and stored["reference"] == "BAD1"
    assert stored["status"] == 400 and stored["response_body"]["field"] == "postcode"
    assert stored["request_body"] == {"ref": "BAD1", "key": REDACTED}
    assert SECRET not in json.dumps(archive.objects)


def test_an_archive_failure_never_fails_the_purchase() -> None:
    carrier = ArchivingCarrier(Inner(), Archive(fail=True), FixedClock(1.0))  # type: ignore[arg-type]
    assert carrier.create_shipment(Req("K2")).tracking_number == "TN-K2"  # type: ignore[arg-type]
    with pytest.raises(CarrierRejected) as err:
        carrier.create_shipment(Req("BAD2"))  # type: ignore[arg-type]
    assert err.value.raw_keys == []  # type: ignore[attr-defined]


def test_raw_key_shape() -> None:
    assert raw_key("jnt", 0.0, "K/../x y", "0000000000000-001", "get_label") == \
        "raw/jnt/1970/01/01/K_.._x_y/0000000000000-001-get_label.json"
