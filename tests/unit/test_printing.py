"""domain/printing.py without AWS or wkhtmltopdf: shipment ids, jobs, pick order, batching and recording."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from kiriman.carriers.base import PackageRef
from kiriman.clock import FixedClock
from kiriman.domain import printing
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.domain.orders import Order, Package
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Address, Warehouse

NOW = 1_790_000_000.0
WAREHOUSE = Warehouse("wh_1", "mer_1", "Bangna DC", Address("Bangna DC", "+6620000000", "99 Bangna-Trad Rd", None,
                                                            "Bangkok", None, "10260", "TH"), ("TH",), True, 1.0, 1.0)


def order(sn: str = "2611250001ABCD", skus: Sequence[str] = ("SKU-B",), cod: bool = True,
          name: str = "สมชาย ใจดี") -> Order:
    items = [{"item_id": n + 1, "model_id": 0, "item_sku": sku, "item_name": f"item {sku}", "weight": 0.25,
              "model_quantity_purchased": 2, "model_discounted_price": 99.5} for n, sku in enumerate(skus)]
    pkg_items = [{"item_id": n + 1, "model_id": 0, "model_quantity": 2} for n in range(len(skus))]
    return Order("mer_1", 7, sn, "READY_TO_SHIP", "TH", "THB", cod, 398.0, int(NOW), int(NOW), int(NOW), None, 2,
                 "Flash", "fulfilled_by_local_seller", None, False, [], False, items,
                 [Package("OFG1", "LOGISTICS_READY", 18098, "Flash", pkg_items)],
                 {"name": name, "phone": "66812345678", "full_address": "1 Sukhumvit Rd", "city": "Bangkok",
                  "zipcode": "10110", "region": "TH", "district": "Khlong Toei"})


def claim(sn: str = "2611250001ABCD", state: ClaimState = ClaimState.BOUGHT, raw: dict[str, Any] | None = None,
          tn: str = "TH0123456789A", warehouse: str = "wh_1", version: int = 3) -> Claim:
    return Claim(PackageRef(7, sn, "OFG1"), 1, "mer_1", state, "flash", "acc_1", "KREF1", NOW - 60, NOW - 30,
                 tracking_number=tn, raw={"warehouse_id": warehouse, "warehouse_owner": "mer_1", **(raw or {})},
                 version=version)


# --- ids and jobs -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pkg", [PackageRef(7, "2611250001ABCD", "OFG1"), PackageRef(7, "2611250001ABCD", ""),
                                 PackageRef(123456, "2611250001ABCD", "OFG_2-x", "return:RS123")])
def test_shipment_id_round_trips(pkg: PackageRef) -> None:
    assert printing.parse_shipment_id(printing.shipment_id(pkg)) == pkg


def test_shipment_id_defaults_to_the_outbound_leg() -> None:
    assert printing.shipment_id(PackageRef(7, "2611250001ABCD", "OFG1")) == "7.2611250001ABCD.OFG1"
    assert printing.parse_shipment_id("7.2611250001ABCD.-").package_number == ""


@pytest.mark.parametrize("bad,why", [
    ("", "required"), ("7.2611250001ABCD", "is not"), ("x.2611250001ABCD.OFG1", "shop id"),
    ("0.2611250001ABCD.OFG1", "shop id"), ("7.26/11.OFG1", "order_sn"), ("7.2611250001ABCD.OF G", "package_number"),
    ("7.2611250001ABCD.OFG1.sideways", "leg"), ("7.a.b.c.d", "is not"), ("٣.2611250001ABCD.OFG1", "shop id"),
])
def test_bad_shipment_ids_name_the_field_and_reason(bad: str, why: str) -> None:
    with pytest.raises(InvalidInput) as err:
        printing.parse_shipment_id(bad, "shipments[3]")
    assert err.value.details[0].field == "shipments[3]" and why in err.value.details[0].reason


def test_render_job_round_trips_and_rejects_bad_messages() -> None:
    job = printing.job_for(claim())
    assert printing.RenderJob.from_json(job.to_json()) == job
    assert job.package == PackageRef(7, "2611250001ABCD", "OFG1")
    for field, value in [("shop_id", "7"), ("attempt", 0), ("merchant_id", ""), ("kind", "pick_list"),
                         ("shop_id", True)]:
        with pytest.raises(InvalidInput) as err:
            printing.RenderJob.from_json({**job.to_json(), field: value})
        assert err.value.details[0].field == field


def test_wants_render_only_bought_numbered_unrendered_claims() -> None:
    assert printing.wants_render(claim())
    assert not printing.wants_render(claim(tn=""))
    assert not printing.wants_render(claim(state=ClaimState.VOIDED))
    assert not printing.wants_render(claim(raw={"documents": {"pdf": "k"}}))


def test_document_key_is_per_attempt_and_tracking_number() -> None:
    key = printing.document_key("mer_1", PackageRef(7, "SN1", "", "return:RS1"), 2, "TN/1 2", "zpl")
    assert key == "documents/mer_1/7/SN1/-/return:RS1/2-TN_1_2.zpl"


# --- what our label says -------------------------------------------------------------------------------------------
def test_sort_codes_from_the_carriers_answer() -> None:
    assert printing.sort_code_of({"sortCode": "BKK-03", "dstStoreName": "Bangna DC"}) == "BKK-03 Bangna DC"
    assert printing.sort_code_of({"sortingCode": "K01", "thirdSortingCode": "7"}) == "K01 7"
    assert printing.sort_code_of({"pno": "TH1"}) == ""


def test_label_document_from_order_warehouse_and_claim() -> None:
    doc = printing.label_document(order(), WAREHOUSE, claim(raw={"sortCode": "BKK-03"}), NOW)
    assert doc.tracking_number == "TH0123456789A" and doc.carrier == "flash"
    assert doc.sender.name == "Bangna DC" and doc.sender.lines == ("99 Bangna-Trad Rd",)
    assert doc.recipient.name == "สมชาย ใจดี" and doc.recipient.lines == ("1 Sukhumvit Rd", "Khlong Toei")
    assert doc.cod_amount == Decimal("398.00") and doc.currency == "THB"
    assert doc.sort_code == "BKK-03" and doc.items_count == 2 and doc.weight_g == 500
    assert doc.order_sn == "2611250001ABCD" and doc.package_number == "OFG1" and doc.reference == "KREF1"
    assert printing.label_document(order(cod=False), WAREHOUSE, claim(), NOW).cod_amount == 0


# --- pick order ----------------------------------------------------------------------------------------------------
class Orders:
    def __init__(self, *orders: Order) -> None:
        self.orders = {o.order_sn: o for o in orders}
        self.claims: dict[tuple[PackageRef, int], Claim] = {}
        self.reads = 0

    def current_attempt(self, package: PackageRef) -> int:
        return 1

    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None:
        return self.claims.get((package, attempt))

    def get_order(self, merchant_id: str, order_sn: str) -> Order | None:
        self.reads += 1
        return self.orders.get(order_sn)


def test_pick_order_is_warehouse_then_lowest_sku_then_order_sn() -> None:
    store = Orders(order("SN00000001", ("Z-9",)), order("SN00000002", ("B-2", "A-1")), order("SN00000003", ("A-1",)),
                   order("SN00000004", ("A-0",)))
    claims = [claim("SN00000001"), claim("SN00000002"), claim("SN00000003"), claim("SN00000004", warehouse="wh_2")]
    rendered = [replace(c, raw={**c.raw, "documents": {"pdf": f"k/{c.package.order_sn}"}}) for c in claims]
    sel = printing.select(store, "mer_1", [(printing.shipment_id(c.package), c) for c in rendered], "pdf")
    assert [p.claim.package.order_sn for p in sel.items] == ["SN00000002", "SN00000003", "SN00000001", "SN00000004"]
    assert sel.missing == []


def test_select_lists_what_cannot_be_printed_and_why() -> None:
    store = Orders(order())
    carrier = claim(raw={"label_key": "labels/x.pdf"})
    ours = claim(raw={"documents": {"pdf": "documents/a.pdf", "zpl": "documents/a.zpl"}})
    rows = [("a", None), ("b", claim(state=ClaimState.VOIDED)), ("c", claim()), ("d", replace(ours, merchant_id="m2")),
            ("e", carrier), ("f", ours)]
    sel = printing.select(store, "mer_1", rows, "pdf")
    assert [(p.shipment_id, p.file.source, p.file.key) for p in sel.items] == [
        ("e", "carrier", "labels/x.pdf"), ("f", "ours", "documents/a.pdf")]
    assert sel.missing == [{"shipment_id": "a", "reason": "not_found"},
                           {"shipment_id": "b", "reason": "not_bought (VOIDED)"},
                           {"shipment_id": "c", "reason": "not_rendered"}, {"shipment_id": "d", "reason": "not_found"}]
    assert store.reads == 1  # one order read per order, not per label
    zpl = printing.select(store, "mer_1", rows, "zpl")
    assert [p.shipment_id for p in zpl.items] == ["f"]  # ZPL is always ours


def test_label_for_distinguishes_unknown_unbought_and_unrendered() -> None:
    store = Orders(order())
    pkg = PackageRef(7, "2611250001ABCD", "OFG1")
    with pytest.raises(NotFound):
        printing.label_for(store, "mer_1", pkg, "pdf")
    store.claims[(pkg, 1)] = replace(claim(), merchant_id="other")
    with pytest.raises(NotFound):
        printing.label_for(store, "mer_1", pkg, "pdf")
    store.claims[(pkg, 1)] = claim(state=ClaimState.CALLING)
    with pytest.raises(Conflict, match="CALLING"):
        printing.label_for(store, "mer_1", pkg, "pdf")
    store.claims[(pkg, 1)] = claim()
    with pytest.raises(Conflict, match="not rendered"):
        printing.label_for(store, "mer_1", pkg, "zpl")
    store.claims[(pkg, 1)] = claim(raw={"label_key": "labels/c.pdf", "documents": {"pdf": "d.pdf", "zpl": "d.zpl"}})
    assert printing.label_for(store, "mer_1", pkg, "pdf") == printing.LabelFile("labels/c.pdf", "carrier", "pdf")
    assert printing.label_for(store, "mer_1", pkg, "zpl") == printing.LabelFile("d.zpl", "ours", "zpl")


# --- rendering a batch ----------------------------------------------------------------------------------------------
class FakeStore(Orders):
    def __init__(self, *orders: Order) -> None:
        super().__init__(*orders)
        self.moves = 0
        self.race = 0  # make the next N moves fail as if another writer got there first

    def move_claim(self, c: Claim) -> bool:
        stored = self.claims[(c.package, c.attempt)]
        if self.race:
            self.race -= 1
            self.claims[(c.package, c.attempt)] = replace(stored, version=stored.version + 1)
            return False
        if stored.version != c.version - 1:
            return False
        self.claims[(c.package, c.attempt)] = c
        self.moves += 1
        return True

    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None:
        return WAREHOUSE if warehouse_id == "wh_1" else None


class FakeRenderer:
    def __init__(self, poison: str = "") -> None:
        self.calls: list[int] = []
        self.poison = poison

    def pdf_pages(self, docs: Sequence[Any]) -> list[bytes]:
        self.calls.append(len(docs))
        if any(d.order_sn == self.poison for d in docs):
            raise RuntimeError("renderer crashed")
        return [f"%PDF {d.tracking_number}".encode() for d in docs]

    def zpl(self, doc: Any) -> str:
        return f"^XA^FD{doc.tracking_number}^FS^XZ"


class FakeBucket:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def url(self, key: str, expires_s: int, filename: str) -> str:
        return f"https://bucket/{key}?X-Amz-Expires={expires_s}"


def seeded(n: int) -> tuple[FakeStore, list[printing.RenderJob]]:
    sns = [f"SN{k:08d}" for k in range(n)]
    store = FakeStore(*(order(sn) for sn in sns))
    for k, sn in enumerate(sns):
        c = claim(sn, tn=f"TH{k:010d}")
        store.claims[(c.package, 1)] = c
    return store, [printing.job_for(store.claims[(PackageRef(7, sn, "OFG1"), 1)]) for sn in sns]


def test_a_batch_is_rendered_in_one_call_and_each_label_stored_and_recorded() -> None:
    store, jobs = seeded(5)
    renderer, bucket = FakeRenderer(), FakeBucket()
    results = printing.render_jobs(store, renderer, bucket, FixedClock(NOW), jobs)
    assert renderer.calls == [5]
    assert all(isinstance(r, printing.Rendered) and not r.skipped for r in results)
    first = results[0]
    assert isinstance(first, printing.Rendered)
    assert bucket.objects[first.pdf_key] == b"%PDF TH0000000000"
    assert bucket.objects[first.zpl_key] == b"^XA^FDTH0000000000^FS^XZ"
    stored = store.claims[(jobs[0].package, 1)]
    assert stored.raw["documents"] == {"pdf": first.pdf_key, "zpl": first.zpl_key, "rendered_at": NOW}
    assert stored.updated_at == NOW - 30 and stored.version == 4  # the GSI1 time is the purchase's, not ours
    # the same jobs again: same keys, nothing new recorded
    again = printing.render_jobs(store, renderer, bucket, FixedClock(NOW + 5), jobs)
    assert [r.pdf_key for r in again if isinstance(r, printing.Rendered)] == [
        r.pdf_key for r in results if isinstance(r, printing.Rendered)]
    assert store.moves == 5


def test_one_bad_job_fails_alone() -> None:
    store, jobs = seeded(4)
    store.orders.pop("SN00000001")  # order gone
    voided = store.claims[(jobs[2].package, 1)]
    store.claims[(jobs[2].package, 1)] = replace(voided, state=ClaimState.VOIDED)
    renderer = FakeRenderer(poison="SN00000003")  # breaks the batch render
    results = printing.render_jobs(store, renderer, FakeBucket(), FixedClock(NOW), jobs)
    assert renderer.calls == [2, 1, 1]  # the batch, then one by one
    assert isinstance(results[0], printing.Rendered) and results[0].pdf_key
    assert isinstance(results[1], LookupError)
    assert isinstance(results[2], printing.Rendered) and results[2].skipped == "claim is VOIDED"
    assert isinstance(results[3], RuntimeError)


def test_recording_reads_again_after_a_race() -> None:
    store, jobs = seeded(1)
    store.race = 2
    [result] = printing.render_jobs(store, FakeRenderer(), FakeBucket(), FixedClock(NOW), jobs)
    assert isinstance(result, printing.Rendered)
    assert store.claims[(jobs[0].package, 1)].raw["documents"]["pdf"] == result.pdf_key
    store.race = 10
    with pytest.raises(Conflict, match="kept moving"):
        printing.record_documents(store, store.claims[(jobs[0].package, 1)], {"pdf": "other"}, NOW)


def test_merge_batch_joins_in_pick_order_and_notes_vanished_files() -> None:
    bucket = FakeBucket()
    store = Orders(order("SN00000001", ("B",)), order("SN00000002", ("A",)), order("SN00000003", ("C",)))
    rows = []
    for sn in ("SN00000001", "SN00000002", "SN00000003"):
        c = claim(sn, raw={"documents": {"zpl": f"z/{sn}"}})
        rows.append((sn, c))
        if sn != "SN00000003":
            bucket.objects[f"z/{sn}"] = f"^XA{sn}^XZ".encode()
    sel = printing.select(store, "mer_1", rows, "zpl")
    batch = printing.merge_batch(bucket, "mer_1", "b1", sel, "zpl", lambda parts: b"unused")
    assert batch.key == "documents/batches/mer_1/b1.zpl" and batch.count == 2
    assert bucket.objects[batch.key] == b"^XASN00000002^XZ\n^XASN00000001^XZ\n"
    assert batch.shipment_ids == ["SN00000002", "SN00000001"]
    assert batch.missing == [{"shipment_id": "SN00000003", "reason": "file_missing"}]
    with pytest.raises(Conflict, match="none of the shipments"):
        printing.merge_batch(bucket, "mer_1", "b2", printing.Selection(), "pdf", lambda parts: b"")
