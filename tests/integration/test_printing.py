"""The render pipeline and the printing API against moto (S3 + DynamoDB) and the real wkhtmltopdf.

A batch of render jobs goes through ``functions/document_render`` as one SQS event; the labels come back out of
the bucket as PDF (text checked with pdftotext) and ZPL; then the API hands out presigned URLs and merges
batches in pick order. moto intercepts boto3 in-process, not plain HTTP, so a URL is checked for its key and
expiry and the object is read with boto3.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import pytest

from kiriman.carriers.base import PackageRef
from kiriman.domain.orders import Order, Package
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Address, Warehouse
from tests.conftest import REGION, load_handler_module
from tests.gateway import Gateway
from tests.integration.conftest import Tenant

pytestmark = pytest.mark.skipif(not shutil.which("wkhtmltopdf") or not shutil.which("pdftotext"),
                                reason="needs wkhtmltopdf and poppler-utils (make system)")

SHOP = 880001
NAMES = {  # order_sn -> (recipient, SKU): pick order is by SKU, so the SKUs decide the merged order
    "SNTH00000001": ("สมชาย ใจดี", "SKU-C"),
    "SNCN00000002": ("王小明", "SKU-A"),
    "SNVN00000003": ("Nguyễn Thị Hương", "SKU-B"),
    "SNXX00000004": ('<iframe src="file:///etc/passwd"> & Co', "SKU-D"),
}


def order(merchant: str, sn: str, name: str, sku: str, cod: bool = True) -> Order:
    return Order(merchant, SHOP, sn, "READY_TO_SHIP", "TH", "THB", cod, 259.0, 1_700_000_000, 1_700_000_000,
                 1_700_000_000, None, 2, "Flash", "fulfilled_by_local_seller", None, False, [], False,
                 [{"item_id": 1, "model_id": 0, "item_sku": sku, "item_name": "Mug", "weight": 0.4,
                   "model_quantity_purchased": 1, "model_discounted_price": 259.0}],
                 [Package(f"OFG{sn[-4:]}", "LOGISTICS_READY", 18098, "Flash", [{"item_id": 1, "model_quantity": 1}])],
                 {"name": name, "phone": "66812345678", "full_address": "9 Rama IV Rd", "city": "Bangkok",
                  "zipcode": "10500", "region": "TH"})


def seed(gw: Gateway, a: Tenant, sn: str, name: str, sku: str, raw: dict[str, Any] | None = None,
         state: ClaimState = ClaimState.BOUGHT, warehouse_id: str = "wh_print") -> PackageRef:
    store = gw.api.RUNTIME.store
    if store.get_warehouse(a.merchant_id, warehouse_id) is None:
        store.create_warehouse(Warehouse(warehouse_id, a.merchant_id, "Bangna DC", Address(
            "Bangna DC", "+6621234567", "88 Bangna-Trad Rd", None, "Bangkok", None, "10260", "TH"), ("TH",), True,
            1.0, 1.0))
    store.upsert_order(order(a.merchant_id, sn, name, sku))
    pkg = PackageRef(SHOP, sn, f"OFG{sn[-4:]}")
    now = gw.api.RUNTIME.clock.time()
    store.create_claim(Claim(pkg, 1, a.merchant_id, state, "flash", "ca_1", f"KREF{sn[-4:]}", now, now,
                             tracking_number=f"TH{sn[-8:]}A" if state == ClaimState.BOUGHT else "",
                             raw={"sortCode": "BKK-03", "warehouse_id": warehouse_id,
                                  "warehouse_owner": a.merchant_id, **(raw or {})}))
    return pkg


def sqs_event(bodies: list[Any]) -> dict[str, Any]:
    records = []
    for body in bodies:
        records.append({
            "messageId": str(uuid.uuid4()), "receiptHandle": "h", "md5OfBody": "",
            "body": body if isinstance(body, str) else json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "x",
                           "ApproximateFirstReceiveTimestamp": "1"},
            "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": REGION,
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:kiriman-test-render-documents",
        })
    return {"Records": records}


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "x.pdf")
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
    # Noto Sans CJK maps some ideographs to their Kangxi radical look-alikes in its ToUnicode table (小 comes
    # back as U+2F29); NFKC folds them back, and composes Vietnamese diacritics the same way on both sides.
    return unicodedata.normalize("NFKC", text)


def pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def s3_get(bucket: str, key: str) -> bytes:
    return bytes(boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read())


def check_url(url: str, bucket: str, key: str, ttl: int = 300) -> None:
    parsed = urlparse(url)
    assert bucket in parsed.netloc + parsed.path and unquote(parsed.path).endswith(key)
    assert parse_qs(parsed.query)["X-Amz-Expires"] == [str(ttl)]


def test_a_batch_renders_in_one_event_and_the_api_serves_and_merges_it(
    gw: Gateway, tenants: tuple[Tenant, Tenant], renderer: Any, aws: dict[str, Any]
) -> None:
    from kiriman.domain import printing

    a, b = tenants
    store = gw.api.RUNTIME.store
    pkgs = {sn: seed(gw, a, sn, name, sku) for sn, (name, sku) in NAMES.items()}
    jobs = [printing.job_for(store.get_claim(p, 1)).to_json() for p in pkgs.values()]
    gone = seed(gw, a, "SNGONE000005", "Gone", "SKU-E")  # its warehouse is gone: that job fails alone
    moved = store.get_claim(gone, 1)
    assert store.move_claim(replace(moved, raw={**moved.raw, "warehouse_id": "wh_gone"}, version=moved.version + 1))
    voided = seed(gw, a, "SNVOID000006", "Void", "SKU-F", state=ClaimState.VOIDED)
    gone_job = printing.job_for(store.get_claim(gone, 1)).to_json()
    event = sqs_event([*jobs, jobs[0], gone_job, printing.job_for(store.get_claim(voided, 1)).to_json(), "{not json"])
    out = renderer.handler(event, None)
    failed = {f["itemIdentifier"] for f in out["batchItemFailures"]}
    ids = [r["messageId"] for r in event["Records"]]
    assert failed == {ids[5], ids[7]}  # the job without a warehouse and the malformed body; not the rest

    for sn, (name, _sku) in NAMES.items():
        claim = store.get_claim(pkgs[sn], 1)
        docs = claim.raw["documents"]
        assert docs["pdf"] == printing.document_key(a.merchant_id, pkgs[sn], 1, claim.tracking_number, "pdf")
        pdf = s3_get(aws["bucket"], docs["pdf"])
        assert len(pages(pdf)) == 1
        text = pdf_text(pdf)
        # Thai, Chinese, Vietnamese; the injection printed as text
        assert unicodedata.normalize("NFKC", name) in " ".join(text.split()), (name, text)
        assert claim.tracking_number in text and "BKK-03" in text
        zpl = s3_get(aws["bucket"], docs["zpl"]).decode()
        assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ") and claim.tracking_number in zpl
    assert "documents" not in store.get_claim(voided, 1).raw

    # --- one label ---------------------------------------------------------------------------------------------
    th = printing.shipment_id(pkgs["SNTH00000001"])
    status, body, _ = gw.call("GET", f"/v1/shipments/{th}/label", key=a.key)
    assert status == 200, body
    key = store.get_claim(pkgs["SNTH00000001"], 1).raw["documents"]["pdf"]
    check_url(body["url"], aws["bucket"], key)
    assert body["source"] == "ours" and body["format"] == "pdf" and body["shipment_id"] == th
    assert body["expires_at"] == pytest.approx(gw.api.RUNTIME.clock.time() + 300, abs=5)
    status, body, _ = gw.call("GET", f"/v1/shipments/{th}/label", key=a.key, query={"format": "zpl"})
    assert status == 200 and body["url"].split("?")[0].endswith(".zpl"), body
    assert gw.call("GET", f"/v1/shipments/{th}/label", key=b.key)[0] == 404  # not B's
    assert gw.call("GET", f"/v1/shipments/{th}/label", key=a.key, query={"format": "png"})[0] == 400
    status, body, _ = gw.call("GET", "/v1/shipments/7.SN-1.x/label", key=a.key)
    assert status == 400 and body["error"]["details"][0]["field"] == "shipment_id", body
    assert gw.call("GET", f"/v1/shipments/{SHOP}.SNNOPE000001.-/label", key=a.key)[0] == 404
    status, body, _ = gw.call("GET", f"/v1/shipments/{printing.shipment_id(gone)}/label", key=a.key)
    assert status == 409 and "not rendered" in body["error"]["message"]  # bought, the job has not run yet
    assert gw.call("GET", f"/v1/shipments/{printing.shipment_id(voided)}/label", key=a.key)[0] == 409

    # a carrier's own label wins for PDF (Ninja Van waybill, Shopee AWB); ZPL stays ours
    carrier_pkg = seed(gw, a, "SNNV00000008", "Carrier Label", "SKU-0", raw={"label_key": "labels/nv.pdf"})
    status, body, _ = gw.call("GET", f"/v1/shipments/{printing.shipment_id(carrier_pkg)}/label", key=a.key)
    assert status == 200 and body["source"] == "carrier" and body["url"].split("?")[0].endswith("labels/nv.pdf")
    cid = printing.shipment_id(carrier_pkg)
    assert gw.call("GET", f"/v1/shipments/{cid}/label", key=a.key, query={"source": "ours"})[0] == 409  # not yet
    status, body, _ = gw.call("GET", f"/v1/shipments/{th}/label", key=a.key, query={"source": "carrier"})
    assert status == 409 and "no pdf label" in body["error"]["message"]  # ours only: the carrier gave none
    status, body, _ = gw.call("GET", f"/v1/shipments/{th}/label", key=a.key, query={"source": "ours"})
    assert status == 200 and body["source"] == "ours"
    assert gw.call("GET", f"/v1/shipments/{th}/label", key=a.key, query={"source": "mine"})[0] == 400

    # --- a batch, in pick order -------------------------------------------------------------------------------
    from pypdf import PdfWriter

    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=283, height=425)
    writer.add_blank_page(width=283, height=425)  # a carrier label may have two pages
    writer.write(blank)
    boto3.client("s3", region_name=REGION).put_object(Bucket=aws["bucket"], Key="labels/nv.pdf",
                                                      Body=blank.getvalue())
    listed = [printing.shipment_id(p) for p in pkgs.values()] + [
        printing.shipment_id(carrier_pkg), printing.shipment_id(gone), f"{SHOP}.SNNOPE000001.-"]
    status, body, _ = gw.call("POST", "/v1/labels/batch", {"shipments": listed}, key=a.key)
    assert status == 200, body
    # SKU-0 (carrier), SKU-A (Chinese), SKU-B (Vietnamese), SKU-C (Thai), SKU-D (injection)
    expected = [printing.shipment_id(carrier_pkg)] + [printing.shipment_id(pkgs[sn]) for sn in (
        "SNCN00000002", "SNVN00000003", "SNTH00000001", "SNXX00000004")]
    assert body["shipments"] == expected and body["count"] == 5
    assert body["missing"] == [{"shipment_id": printing.shipment_id(gone), "reason": "not_rendered"},
                               {"shipment_id": f"{SHOP}.SNNOPE000001.-", "reason": "not_found"}]
    key = unquote(urlparse(body["url"]).path).split(f"{aws['bucket']}/", 1)[-1].lstrip("/")
    assert key.startswith(f"documents/batches/{a.merchant_id}/") and key.endswith(".pdf")
    check_url(body["url"], aws["bucket"], key)
    merged = pages(s3_get(aws["bucket"], key))
    assert len(merged) == 6  # 2 carrier pages + 4 of ours
    for page, sn in zip(merged[2:], ("SNCN00000002", "SNVN00000003", "SNTH00000001", "SNXX00000004"), strict=True):
        assert store.get_claim(pkgs[sn], 1).tracking_number in page

    status, body, _ = gw.call("POST", "/v1/labels/batch", {"shipments": listed, "format": "zpl"}, key=a.key)
    assert status == 200 and body["count"] == 4, body  # the carrier's PDF has no ZPL
    zkey = unquote(urlparse(body["url"]).path).split(f"{aws['bucket']}/", 1)[-1].lstrip("/")
    stream = s3_get(aws["bucket"], zkey).decode()
    assert stream.count("^XA") == stream.count("^XZ") >= 4
    order_in_stream = [stream.index(store.get_claim(pkgs[sn], 1).tracking_number) for sn in (
        "SNCN00000002", "SNVN00000003", "SNTH00000001", "SNXX00000004")]
    assert order_in_stream == sorted(order_in_stream)

    # a wave: the warehouse's bought shipments of the last day
    status, body, _ = gw.call("POST", "/v1/labels/batch", {"wave": {"warehouse_id": "wh_print"}}, key=a.key)
    assert status == 200 and body["shipments"] == expected and body["missing"] == [], body
    status, body, _ = gw.call("POST", "/v1/labels/batch", {"wave": {"warehouse_id": "wh_other"}}, key=a.key)
    assert status == 409, body  # nothing to print
    # B names A's shipments: nothing of B's exists
    assert gw.call("POST", "/v1/labels/batch", {"shipments": listed}, key=b.key)[0] == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"shipments": ["7.SNBAD00001.-", "nope"]}, "shipments[1]"),
    ({"shipments": []}, "shipments"),
    ({"shipments": [f"{SHOP}.SN{n:010d}.-" for n in range(501)]}, "shipments"),
    ({"shipments": ["7.SNBAD00001.-"], "format": "png"}, "format"),
    ({}, "body"),
    ({"shipments": ["7.SNBAD00001.-"], "wave": {}}, "body"),
    ({"wave": {"since": 10, "until": 5}}, "wave.since"),
    ({"wave": {"status": "voided"}}, "wave.status"),
    ({"shipments": ["7.SNBAD00001.-"], "extra": 1}, "extra"),
])
def test_batch_refuses_bad_input_naming_the_field(gw: Gateway, tenants: tuple[Tenant, Tenant], body: Any,
                                                  field: str) -> None:
    status, out, _ = gw.call("POST", "/v1/labels/batch", body, key=tenants[0].key)
    assert status == 400, out
    fields = [d["field"] for d in out["error"]["details"]]
    assert any(f == field or f.startswith(field) for f in fields), fields


def test_a_bought_label_queues_one_render_job(function_env: Any, aws: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from kiriman.carriers.base import CARRIER_SLUGS
    from kiriman.domain import printing
    from kiriman.domain.fulfilment import Bought
    from kiriman.domain.purchases import Outcome

    function_env("label_purchase", {f"purchase-{c}": f"https://sqs.{REGION}.amazonaws.com/1/purchase-{c}"
                                    for c in CARRIER_SLUGS})
    app = load_handler_module("functions/label_purchase")
    claim = Claim(PackageRef(SHOP, "SNTH00000001", "OFG0001"), 1, "mer_1", ClaimState.BOUGHT, "flash", "ca_1", "K1",
                  1.0, 1.0, tracking_number="TH1")
    results = [Bought(Outcome(claim, True), "", True),
               Bought(Outcome(replace(claim, raw={"documents": {"pdf": "k"}}), False), "", True)]
    monkeypatch.setattr(app, "run_job", lambda *args, **kw: results.pop(0))
    job = {"merchant_id": "mer_1", "shop_id": SHOP, "order_sn": "SNTH00000001", "package_number": "OFG0001",
           "leg": "outbound", "carrier": "flash", "account_id": "ca_1", "service": "", "warehouse_id": "wh_1",
           "warehouse_owner": "mer_1"}
    for _ in range(2):  # bought now, then a replay of a job whose label is already rendered
        assert app.handler(sqs_event([job]), None)["batchItemFailures"] == []
    sqs = boto3.client("sqs", region_name=REGION)
    got = sqs.receive_message(QueueUrl=aws["queues"]["render-documents"], MaxNumberOfMessages=10)["Messages"]
    assert [printing.RenderJob.from_json(json.loads(m["Body"])) for m in got] == [printing.job_for(claim)]


def labelled_shipment(gw: Gateway, a: Tenant) -> str:
    """A bought shipment of ``a`` with our label stored (a blank page): for the cross-tenant harness."""
    from pypdf import PdfWriter

    from kiriman.domain import printing

    sn = f"SNTN{abs(hash(a.merchant_id)) % 10**8:08d}"
    key = f"documents/{a.merchant_id}/tenancy.pdf"
    pkg = seed(gw, a, sn, "Tenancy", "SKU-T", raw={"documents": {"pdf": key}})
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=283, height=425)
    writer.write(blank)
    gw.api.RUNTIME.documents.put(key, blank.getvalue(), "application/pdf")
    return printing.shipment_id(pkg)
