"""POST /v1/documents -> render-documents -> document_render -> GET /v1/documents/{id}, against moto (DynamoDB, SQS,
S3) and the real wkhtmltopdf; the files are read back from the bucket with boto3 and checked with pdftotext.

A few renders only: one SQS event carries the pick list and both manifests; a second one packing slips and customs.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import unquote, urlparse

import boto3
import pytest

from kiriman.domain.orders import Order, Package
from tests.conftest import REGION
from tests.gateway import Gateway
from tests.integration.conftest import Tenant
from tests.integration.test_printing import NAMES, SHOP, check_url, pdf_text, s3_get, seed, sqs_event

pytestmark = pytest.mark.skipif(not __import__("shutil").which("wkhtmltopdf"), reason="needs wkhtmltopdf")


def drain(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message waiting on render-documents (deleted), as SQS event bodies."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = aws["queues"]["render-documents"]
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def key_of(url: str, bucket: str) -> str:
    return unquote(urlparse(url).path).split(f"{bucket}/", 1)[-1].lstrip("/")


def done(gw: Gateway, a: Tenant, document_id: str, aws: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    status, body, _ = gw.call("GET", f"/v1/documents/{document_id}", key=a.key)
    assert status == 200 and body["status"] == "done", body
    key = key_of(body["url"], aws["bucket"])
    assert key.startswith(f"documents/{a.merchant_id}/docs/{document_id}.")
    check_url(body["url"], aws["bucket"], key)
    return body, s3_get(aws["bucket"], key)


def test_pick_list_and_manifests_are_queued_rendered_and_served(
    gw: Gateway, tenants: tuple[Tenant, Tenant], renderer: Any, aws: dict[str, Any]
) -> None:
    from kiriman.domain import pickups, printing

    a, b = tenants
    store = gw.api.RUNTIME.store
    pkgs = {sn: seed(gw, a, sn, name, sku) for sn, (name, sku) in NAMES.items()}
    ids = [printing.shipment_id(p) for p in pkgs.values()]
    tracking = {sn: store.get_claim(p, 1).tracking_number for sn, p in pkgs.items()}
    unknown = f"{SHOP}.SNNOPE000001.-"
    # the warehouse's shelves: SKU-D on A-2, SKU-B on A-10 (natural order: A-2 first); A and C have no bin
    status, wh, _ = gw.call("PATCH", "/v1/warehouses/wh_print", {"bin_locations": {"SKU-D": "A-2",
                                                                                  "SKU-B": "A-10"}}, key=a.key)
    assert status == 200 and wh["bin_locations"] == {"SKU-D": "A-2", "SKU-B": "A-10"}, wh

    status, pick, _ = gw.call("POST", "/v1/documents", {"kind": "pick_list", "shipments": [*ids, unknown]},
                              key=a.key, headers_extra={"Idempotency-Key": "pick-1"})
    assert status == 202 and pick["status"] == "queued", pick
    assert pick["skipped"] == [{"shipment_id": unknown, "reason": "not_found"}]
    again = gw.call("POST", "/v1/documents", {"kind": "pick_list", "shipments": [*ids, unknown]}, key=a.key,
                    headers_extra={"Idempotency-Key": "pick-1"})
    assert again[0] == 202 and again[1]["document_id"] == pick["document_id"]  # one request, one job

    day = pickups.pickup_day(gw.api.RUNTIME.clock.time(), "TH").isoformat()
    selection = {"warehouse_id": "wh_print", "carrier": "flash", "date": day}
    status, man_pdf, _ = gw.call("POST", "/v1/documents", {"kind": "manifest", "manifest": selection}, key=a.key)
    assert status == 202 and sorted(man_pdf["shipments"]) == sorted(ids), man_pdf
    status, man_csv, _ = gw.call("POST", "/v1/documents", {"kind": "manifest", "format": "csv",
                                                           "manifest": {**selection, "account_id": "ca_1"}}, key=a.key)
    assert status == 202, man_csv
    # queued, not rendered yet: no URL; B cannot see A's document
    status, body, _ = gw.call("GET", f"/v1/documents/{pick['document_id']}", key=a.key)
    assert status == 200 and body["status"] == "queued" and body["url"] is None
    assert gw.call("GET", f"/v1/documents/{pick['document_id']}", key=b.key)[0] == 404

    jobs = drain(aws)
    assert [j["document_id"] for j in jobs] == [pick["document_id"], man_pdf["document_id"], man_csv["document_id"]]
    out = renderer.handler(sqs_event(jobs), None)
    assert out["batchItemFailures"] == []

    # pick list: one line per SKU, by bin, then the unshelved by SKU, each naming its package
    body, pdf = done(gw, a, pick["document_id"], aws)
    assert body["count"] == 4 and body["skipped"] == [{"shipment_id": unknown, "reason": "not_found"}]
    text = pdf_text(pdf)
    assert "Pick list" in text and "no bin" in text and pick["document_id"] in text and "A-10" in text
    in_pick_order = ["SNXX00000004", "SNVN00000003", "SNCN00000002", "SNTH00000001"]  # D@A-2, B@A-10, A, C
    positions = [text.index(sn) for sn in in_pick_order]
    assert positions == sorted(positions), text

    # manifest PDF: every tracking number, sorted, with the carrier and warehouse
    body, pdf = done(gw, a, man_pdf["document_id"], aws)
    text = pdf_text(pdf)
    assert body["count"] == 4 and "Bangna DC" in text
    positions = [text.index(t) for t in sorted(tracking.values())]
    assert positions == sorted(positions), text

    # manifest CSV: UTF-8 with BOM, one line per parcel, sorted by tracking number
    body, raw = done(gw, a, man_csv["document_id"], aws)
    assert raw.startswith(b"\xef\xbb\xbf") and body["format"] == "csv"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["tracking_number"] for r in rows] == sorted(tracking.values())
    assert {r["order_sn"] for r in rows} == set(NAMES) and all(r["recipient_city"] == "Bangkok" for r in rows)

    # a repeated delivery of a done job changes nothing
    assert renderer.handler(sqs_event(jobs[:1]), None)["batchItemFailures"] == []
    assert gw.call("GET", f"/v1/documents/{pick['document_id']}", key=a.key)[1]["status"] == "done"
    # another day's or another carrier's manifest has nothing to print
    status, body, _ = gw.call("POST", "/v1/documents", {"kind": "manifest", "manifest": {**selection,
                                                        "carrier": "jnt"}}, key=a.key)
    assert status == 409, body
    assert gw.call("POST", "/v1/documents", {"kind": "manifest", "manifest": selection}, key=b.key)[0] == 404


def cross_border_order(merchant: str, sn: str, name: str, sku: str, price: float) -> Order:
    """Shipped from the Bangkok warehouse to Singapore (a cross-border parcel)."""
    return Order(merchant, SHOP, sn, "READY_TO_SHIP", "SG", "SGD", False, price, 1_700_000_000, 1_700_000_000,
                 1_700_000_000, None, 2, "Flash", "fulfilled_by_local_seller", None, False, [], False,
                 [{"item_id": 7, "model_id": 0, "item_sku": sku, "item_name": "Ceramic mug", "weight": 0.4,
                   "model_quantity_purchased": 2, "model_discounted_price": price}],
                 [Package(f"OFG{sn[-4:]}", "LOGISTICS_READY", 18098, "Flash", [{"item_id": 7, "model_quantity": 2}])],
                 {"name": name, "phone": "6591234567", "full_address": "1 Orchard Rd", "city": "Singapore",
                  "zipcode": "238801", "region": "SG"})


def test_packing_slips_and_customs_skip_what_they_cannot_print(
    gw: Gateway, tenants: tuple[Tenant, Tenant], renderer: Any, aws: dict[str, Any]
) -> None:
    from kiriman.domain import printing

    a, _b = tenants
    store = gw.api.RUNTIME.store
    th = seed(gw, a, "SNTH00000001", *NAMES["SNTH00000001"])
    cn = seed(gw, a, "SNCN00000002", *NAMES["SNCN00000002"])
    sg = seed(gw, a, "SNSG00000009", "陳大文", "SKU-SG")
    store.upsert_order(cross_border_order(a.merchant_id, "SNSG00000009", "陳大文", "SKU-SG", 25.0))
    no_hs = seed(gw, a, "SNSG00000010", "Tan Ah Kow", "SKU-NOHS")
    store.upsert_order(cross_border_order(a.merchant_id, "SNSG00000010", "Tan Ah Kow", "SKU-NOHS", 30.0))
    ids = {k: printing.shipment_id(p) for k, p in (("th", th), ("cn", cn), ("sg", sg), ("no_hs", no_hs))}

    status, slips, _ = gw.call("POST", "/v1/documents", {"kind": "packing_slips", "shipments": [ids["th"], ids["cn"]]},
                               key=a.key)
    assert status == 202, slips
    customs = {"signer": "Somchai K.", "units_per_sdr": {"SGD": "1.79"}, "default_origin": "TH",
               "catalogue": {"SKU-SG": {"hs_code": "691200", "description": "Ceramic mug"}}}
    status, cus, _ = gw.call("POST", "/v1/documents", {"kind": "customs", "shipments": list(ids.values()),
                                                       "customs": customs}, key=a.key)
    assert status == 202, cus
    jobs = drain(aws)
    assert renderer.handler(sqs_event(jobs), None)["batchItemFailures"] == []

    body, pdf = done(gw, a, slips["document_id"], aws)
    text = " ".join(pdf_text(pdf).split())
    assert body["count"] == 2 and "สมชาย ใจดี" in text and "王小明" in text
    assert text.index("SNCN00000002") < text.index("SNTH00000001")  # pick order: SKU-A before SKU-C

    body, pdf = done(gw, a, cus["document_id"], aws)
    text = pdf_text(pdf)
    flat = text.replace(" ", "")
    assert body["count"] == 1 and "CN22" in flat and "691200" in text
    assert store.get_claim(sg, 1).tracking_number in text and "陳大文" in " ".join(text.split())
    assert "commercialinvoice" in flat.casefold() and "INV-SNSG00000009" in text
    reasons = {s["shipment_id"]: s["reason"] for s in body["skipped"]}
    assert reasons[ids["th"]].startswith("domestic (TH -> TH)") and reasons[ids["cn"]].startswith("domestic")
    assert reasons[ids["no_hs"]] == "lines[0].hs_code: required for commercial items (6 digits minimum)"

    # nothing left to print: the request fails with the reason (and the job is done, not retried)
    status, bad, _ = gw.call("POST", "/v1/documents", {"kind": "customs", "shipments": [ids["th"]],
                                                       "customs": customs}, key=a.key)
    assert status == 202
    assert renderer.handler(sqs_event(drain(aws)), None)["batchItemFailures"] == []
    status, body, _ = gw.call("GET", f"/v1/documents/{bad['document_id']}", key=a.key)
    assert body["status"] == "failed" and "no cross-border parcel" in body["error"] and body["url"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "pick_list"}, "shipments"),
    ({"kind": "pick_list", "shipments": ["nope"]}, "shipments[0]"),
    ({"kind": "pick_list", "shipments": []}, "shipments"),
    ({"kind": "poster", "shipments": ["7.SNBAD00001.-"]}, "kind"),
    ({"kind": "pick_list", "shipments": ["7.SNBAD00001.-"], "format": "csv"}, "format"),
    ({"kind": "pick_list", "shipments": ["7.SNBAD00001.-"], "size": "a4"}, "size"),
    ({"kind": "manifest"}, "manifest"),
    ({"kind": "manifest", "manifest": {"warehouse_id": "w", "carrier": "flash", "date": "2026-13-01"}},
     "manifest.date"),
    ({"kind": "manifest", "manifest": {"warehouse_id": "w", "carrier": "flash", "date": "2026-01-01"},
      "shipments": ["7.SNBAD00001.-"]}, "shipments"),
    ({"kind": "customs", "shipments": ["7.SNBAD00001.-"]}, "customs"),
    ({"kind": "customs", "shipments": ["7.SNBAD00001.-"], "customs": {"signer": "x", "units_per_sdr": {"SGD": 0}}},
     "customs.units_per_sdr.SGD"),
    ({"kind": "customs", "shipments": ["7.SNBAD00001.-"], "customs": {
        "signer": "x", "units_per_sdr": {}, "catalogue": {"S": {"hs_code": "69.12"}}}}, "customs.catalogue.S.hs_code"),
])
def test_bad_requests_name_the_field(gw: Gateway, tenants: tuple[Tenant, Tenant], body: Any, field: str) -> None:
    status, out, _ = gw.call("POST", "/v1/documents", body, key=tenants[0].key)
    assert status == 400, out
    fields = [d["field"] for d in out["error"]["details"]]
    assert any(f == field or f.startswith(field) for f in fields), fields


def test_get_document_refuses_a_malformed_id_and_hides_unknown_ones(gw: Gateway,
                                                                   tenants: tuple[Tenant, Tenant]) -> None:
    status, out, _ = gw.call("GET", "/v1/documents/not-an-id", key=tenants[0].key)
    assert status == 400 and out["error"]["details"][0]["field"] == "document_id", out
    assert gw.call("GET", f"/v1/documents/doc_{'0' * 26}", key=tenants[0].key)[0] == 404


def requested_document(gw: Gateway, a: Tenant) -> str:
    """A queued pick list of ``a`` (for the cross-tenant harness)."""
    from kiriman.domain import printing

    pkg = seed(gw, a, f"SNDC{abs(hash(a.merchant_id)) % 10**8:08d}", "Tenancy", "SKU-T")
    status, body, _ = gw.call("POST", "/v1/documents", {"kind": "pick_list", "shipments": [
        printing.shipment_id(pkg)]}, key=a.key)
    assert status == 202, body
    return str(body["document_id"])
