"""domain/paperwork.py without AWS or wkhtmltopdf: jobs, requests, the manifest's day, and render_request's
outcomes (done, skipped, failed at once on bad data, retried then failed on renderer errors)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from kiriman.carriers.base import PackageRef
from kiriman.domain import paperwork, pickups
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.domain.orders import Order, Package
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Address, Warehouse

SHOP = 880001
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z = 07:00 in Bangkok


def order(sn: str, sku: str, region: str = "TH") -> Order:
    return Order("mA", SHOP, sn, "READY_TO_SHIP", region, "THB", False, 100.0, 1, 1, 1, None, 2, "Flash", "x", None,
                 False, [], False,
                 [{"item_id": 1, "model_id": 0, "item_sku": sku, "item_name": "Mug", "weight": 0.4,
                   "model_quantity_purchased": 1, "model_discounted_price": 100.0}],
                 [Package(f"P{sn[-4:]}", "LOGISTICS_READY", 1, "Flash", [{"item_id": 1, "model_quantity": 1}])],
                 {"name": "N", "city": "Bangkok", "zipcode": "10500", "region": region, "full_address": "1 Rd"})


def claim(sn: str, state: ClaimState = ClaimState.BOUGHT, at: float = NOW, carrier: str = "flash",
          account: str = "ca_1", leg: str = "outbound", warehouse: str = "wh_1") -> Claim:
    return Claim(PackageRef(SHOP, sn, f"P{sn[-4:]}", leg), 1, "mA", state, carrier, account, "R", at, at,
                 tracking_number=f"T{sn[-4:]}" if state == ClaimState.BOUGHT else "",
                 raw={"warehouse_id": warehouse, "warehouse_owner": "mA"})


WH = Warehouse("wh_1", "mA", "Bangna DC", Address("Bangna DC", "+66", "88 Rd", None, "Bangkok", None, "10260", "TH"),
               ("TH",), True, 1.0, 1.0)


@dataclass
class FakeStore:
    claims: dict[str, Claim] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    requests: dict[str, paperwork.DocumentRequest] = field(default_factory=dict)

    def current_attempt(self, package: PackageRef) -> int:
        return 1

    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None:
        return self.claims.get(package.order_sn)

    def get_order(self, merchant_id: str, order_sn: str) -> Order | None:
        return self.orders.get(order_sn)

    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None:
        return WH if (owner, warehouse_id) == ("mA", "wh_1") else None

    def get_shop(self, merchant_id: str, shop_id: int) -> Any:
        return None

    def get_carrier_account(self, owner: str | None, account_id: str) -> Any:
        return None

    def claims_by_state_between(self, merchant_id: str, state: str, since: float, until: float, limit: int,
                                cursor: str | None) -> tuple[list[Claim], str | None]:
        return [c for c in self.claims.values() if c.state.value == state and since <= c.updated_at <= until], None

    def create_document_request(self, req: paperwork.DocumentRequest) -> None:
        if req.document_id in self.requests:
            raise Conflict("exists")
        self.requests[req.document_id] = req

    def get_document_request(self, merchant_id: str, document_id: str) -> paperwork.DocumentRequest | None:
        r = self.requests.get(document_id)
        return r if r is not None and r.merchant_id == merchant_id else None

    def move_document_request(self, req: paperwork.DocumentRequest) -> bool:
        if self.requests[req.document_id].version != req.version - 1:
            return False
        self.requests[req.document_id] = req
        return True


class Bucket:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.files[key] = body


class Clock:
    def time(self) -> float:
        return NOW


def printer(calls: list[tuple[list[str], str]]) -> paperwork.Printer:
    def run(pages: Any, size: str) -> bytes:
        calls.append((list(pages), size))
        return b"%PDF-fake"
    return run


def seeded(*sns_skus: tuple[str, str]) -> FakeStore:
    s = FakeStore()
    for sn, sku in sns_skus:
        s.claims[sn] = claim(sn)
        s.orders[sn] = order(sn, sku)
    return s


def request(store: FakeStore, kind: str, ids: list[str], fmt: str = "pdf", **options: Any) -> paperwork.DocumentJob:
    sel = {"manifest": {"date": "2026-01-01"}} if kind == "manifest" else {"shipments": ids}
    req = paperwork.new_request("mA", kind, fmt, sel, ids, [], options, NOW)
    store.create_document_request(req)
    return paperwork.DocumentJob("mA", req.document_id)


def test_jobs_round_trip_and_refuse_malformed_bodies() -> None:
    job = paperwork.DocumentJob("mA", "doc_" + "0" * 26)
    assert paperwork.is_document_job(job.to_json())
    assert paperwork.DocumentJob.from_json(job.to_json()) == job
    assert not paperwork.is_document_job({"kind": "label"})
    with pytest.raises(InvalidInput) as err:
        paperwork.DocumentJob.from_json({**job.to_json(), "document_id": "../x"})
    assert err.value.details[0].field == "document_id"
    with pytest.raises(InvalidInput):
        paperwork.DocumentJob.from_json({**job.to_json(), "merchant_id": ""})


def test_new_request_checks_kind_and_format() -> None:
    with pytest.raises(InvalidInput, match="format"):
        paperwork.new_request("mA", "pick_list", "csv", {}, ["x"], [], {}, NOW)
    with pytest.raises(InvalidInput, match="kind"):
        paperwork.new_request("mA", "poster", "pdf", {}, ["x"], [], {}, NOW)
    r = paperwork.new_request("mA", "manifest", "csv", {}, ["x"], [], {}, NOW)
    assert r.status == paperwork.DocumentStatus.QUEUED and r.document_id.startswith("doc_")
    assert paperwork.document_key("mA", r.document_id, "csv") == f"documents/mA/docs/{r.document_id}.csv"


def test_submit_marks_the_request_failed_when_the_job_cannot_be_sent() -> None:
    class Broken:
        def send(self, queue: str, messages: list[dict[str, Any]], delay_s: int = 0) -> None:
            raise RuntimeError("sqs down")

    store = FakeStore()
    req = paperwork.new_request("mA", "pick_list", "pdf", {}, ["x"], [], {}, NOW)
    with pytest.raises(RuntimeError):
        paperwork.submit(store, Broken(), req, NOW)
    stored = store.requests[req.document_id]
    assert stored.status == paperwork.DocumentStatus.FAILED and "could not be queued" in stored.error


def test_read_hides_other_merchants_documents() -> None:
    store = FakeStore()
    job = request(store, "pick_list", ["x"])
    assert paperwork.read(store, "mA", job.document_id).document_id == job.document_id
    with pytest.raises(NotFound):
        paperwork.read(store, "mB", job.document_id)
    with pytest.raises(InvalidInput):
        paperwork.read(store, "mA", "nope")


def test_manifest_claims_follow_the_pickup_day() -> None:
    store = FakeStore()
    day = pickups.pickup_day(NOW, "TH")  # 07:00 local: today
    store.claims = {
        "SN000001": claim("SN000001"),
        "SN000002": claim("SN000002", at=NOW + 12 * 3600),  # 19:00 local: tomorrow's pickup
        "SN000003": claim("SN000003", carrier="jnt"),
        "SN000004": claim("SN000004", account="ca_2"),
        "SN000005": claim("SN000005", warehouse="wh_2"),
        "SN000006": claim("SN000006", leg="return:SN000006"),
        "SN000007": claim("SN000007", state=ClaimState.VOIDED),
        "SN000008": claim("SN000008", at=NOW - 14 * 3600),  # 17:00 local the day before: yesterday's
    }
    got = paperwork.manifest_claims(store, "mA", WH, "flash", None, day)
    assert sorted(c.package.order_sn for c in got) == ["SN000001", "SN000004"]
    assert [c.package.order_sn for c in paperwork.manifest_claims(store, "mA", WH, "flash", "ca_2", day)] == [
        "SN000004"]
    tomorrow = paperwork.manifest_claims(store, "mA", WH, "flash", None, date.fromordinal(day.toordinal() + 1))
    assert [c.package.order_sn for c in tomorrow] == ["SN000002"]


def test_a_pick_list_skips_what_is_not_bought_and_prints_one_list_per_warehouse() -> None:
    store = seeded(("SNAA000001", "SKU-B"), ("SNAA000002", "SKU-A"))
    store.claims["SNAA000003"] = claim("SNAA000003", state=ClaimState.VOIDED)
    ids = [f"{SHOP}.SNAA000001.P0001", f"{SHOP}.SNAA000002.P0002", f"{SHOP}.SNAA000003.P0003"]
    job = request(store, "pick_list", ids)
    calls: list[tuple[list[str], str]] = []
    bucket = Bucket()
    out = paperwork.render_request(store, bucket, printer(calls), Clock(), job)
    assert out.status == paperwork.DocumentStatus.DONE and out.count == 2
    assert out.skipped == ({"shipment_id": ids[2], "reason": "not_bought (VOIDED)"},)
    assert len(calls) == 1 and calls[0][1] == "a4"  # one wkhtmltopdf run
    html = "".join(calls[0][0])
    assert html.index("SKU-A") < html.index("SKU-B") and "no bin" in html
    assert bucket.files == {out.key: b"%PDF-fake"} and out.key.endswith(".pdf")
    # a repeated job finds it done and prints nothing again
    again = paperwork.render_request(store, bucket, printer(calls), Clock(), job)
    assert again.status == paperwork.DocumentStatus.DONE and len(calls) == 1


def test_bad_data_fails_at_once_and_renderer_errors_retry_then_fail_on_the_last_delivery() -> None:
    store = seeded(("SNAA000001", "SKU-A"))
    # nothing bought: failed with the reason, no exception (retrying cannot help)
    store.claims["SNAA000001"] = replace(store.claims["SNAA000001"], state=ClaimState.FAILED, tracking_number="")
    job = request(store, "packing_slips", [f"{SHOP}.SNAA000001.P0001"], size="a6")
    out = paperwork.render_request(store, Bucket(), printer([]), Clock(), job)
    assert out.status == paperwork.DocumentStatus.FAILED and "none of the shipments is bought" in out.error

    store = seeded(("SNAA000001", "SKU-A"))
    job = request(store, "packing_slips", [f"{SHOP}.SNAA000001.P0001"], size="a6")

    def broken(pages: Any, size: str) -> bytes:
        raise RuntimeError("wkhtmltopdf died")

    with pytest.raises(RuntimeError):
        paperwork.render_request(store, Bucket(), broken, Clock(), job)
    assert store.requests[job.document_id].status == paperwork.DocumentStatus.QUEUED  # SQS tries again
    with pytest.raises(RuntimeError):
        paperwork.render_request(store, Bucket(), broken, Clock(), job, final_attempt=True)
    stored = store.requests[job.document_id]
    assert stored.status == paperwork.DocumentStatus.FAILED and "wkhtmltopdf died" in stored.error


def test_a_csv_manifest_needs_one_account() -> None:
    store = seeded(("SNAA000001", "SKU-A"), ("SNAA000002", "SKU-B"))
    store.claims["SNAA000002"] = claim("SNAA000002", account="ca_2")
    job = request(store, "manifest", [f"{SHOP}.SNAA000001.P0001", f"{SHOP}.SNAA000002.P0002"], fmt="csv")
    out = paperwork.render_request(store, Bucket(), printer([]), Clock(), job)
    assert out.status == paperwork.DocumentStatus.FAILED and out.error.startswith("manifest.account_id:")


def test_customs_skips_domestic_parcels() -> None:
    store = seeded(("SNAA000001", "SKU-A"))
    job = request(store, "customs", [f"{SHOP}.SNAA000001.P0001"],
                  customs={"signer": "S", "units_per_sdr": {"THB": "45"}})
    out = paperwork.render_request(store, Bucket(), printer([]), Clock(), job)
    assert out.status == paperwork.DocumentStatus.FAILED and "no cross-border parcel" in out.error
    assert out.skipped[0]["reason"] == "domestic (TH -> TH): no customs form"
