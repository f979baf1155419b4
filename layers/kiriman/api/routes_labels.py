"""Labels: one shipment's label, or many merged into one file in pick order, always as a presigned URL.

A shipment id is the purchase claim's own key, ``<shop_id>.<order_sn>.<package_number or ->[.<leg>]`` (leg
``outbound`` when left out), read under the attempt in force: it needs no index of its own
(``domain/printing.parse_shipment_id``). The files stay in the private documents bucket; a response carries a
presigned GET URL valid for ``DOCUMENT_URL_TTL_S`` (minutes), never the file (Lambda responses stop at 6 MB).

Reading and printing labels is a read of the merchant's orders (``orders:read``); a batch writes only a
merged copy of files that already exist.
"""

import hashlib
import json
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints, model_validator

from kiriman.api.models import StrictBody
from kiriman.api.resolver import acting, requires, runtime
from kiriman.domain import printing
from kiriman.domain.access import Permission
from kiriman.domain.errors import InvalidInput
from kiriman.domain.purchases import Claim, ClaimState

router = Router()
MerchantQuery = Annotated[str | None, Query(max_length=40, description="Operators: the merchant to act on.")]
ShipmentId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
FormatName = Literal["pdf", "zpl"]


class LabelLink(BaseModel):
    url: str = Field(description="Presigned GET URL of the file; expires at expires_at.")
    expires_at: float = Field(description="Epoch seconds.")
    source: Literal["carrier", "ours"] = Field(description="carrier: the carrier's own label (Ninja Van waybill, "
                                               "Shopee AWB, ...); ours: rendered by us (always for zpl).")
    format: FormatName
    shipment_id: str
    tracking_number: str


def _link(key: str, filename: str) -> tuple[str, float]:
    rt = runtime()
    ttl = int(rt.settings.document_url_ttl_s)
    return rt.documents.url(key, ttl, filename), rt.clock.time() + ttl


@router.get("/v1/shipments/<shipment_id>/label", summary="The label of one shipment, as a presigned URL")
@requires(router, Permission.ORDERS_READ)
def get_label(
    shipment_id: str,
    format: Annotated[FormatName, Query(description="pdf (the carrier's label if it gave one, else ours) or "
                                        "zpl (ours, for thermal printers)")] = "pdf",
    source: Annotated[printing.Source, Query(description="auto (the carrier's PDF when it gave one), carrier, "
                                             "or ours (our own 100x150 mm label)")] = "auto",
    merchant_id: MerchantQuery = None,
) -> LabelLink:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    pkg = printing.parse_shipment_id(shipment_id)
    store = runtime().store
    found = printing.label_for(store, merchant, pkg, format, source)
    claim = printing.shipment_claim(store, merchant, pkg)
    ident = printing.shipment_id(pkg)
    url, expires_at = _link(found.key, f"{claim.tracking_number or ident}.{format}")
    return LabelLink(url=url, expires_at=expires_at, source=found.source, format=found.format, shipment_id=ident,
                     tracking_number=claim.tracking_number)


class Wave(StrictBody):
    """The merchant's bought shipments changed (bought, labelled) within [since, until], optionally of one
    warehouse and one carrier: e.g. everything waiting for today's pickup."""

    status: Literal["bought"] = "bought"
    warehouse_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    carrier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,20}$")] | None = None
    since: float | None = Field(None, ge=0, description="Epoch seconds; default 24 hours before until.")
    until: float | None = Field(None, ge=0, description="Epoch seconds; default now.")


class BatchIn(StrictBody):
    shipments: list[ShipmentId] | None = Field(
        None, description=f"Shipment ids (at most {printing.MAX_BATCH}); printed in pick order, not as listed."
    )
    wave: Wave | None = None
    format: FormatName = "pdf"

    @model_validator(mode="after")
    def _one_source(self) -> "BatchIn":
        if (self.shipments is None) == (self.wave is None):
            raise ValueError("give exactly one of shipments or wave")
        return self


class Missing(BaseModel):
    shipment_id: str
    reason: str = Field(description="not_found, not_bought (<state>), not_rendered or file_missing")


class BatchOut(BaseModel):
    url: str
    expires_at: float
    format: FormatName
    count: int = Field(description="Labels in the file (PDF: one or more pages each; ZPL: one format each).")
    shipments: list[str] = Field(description="The shipment ids in the file, in print (pick) order.")
    missing: list[Missing]


def _wave_claims(merchant: str, wave: Wave) -> list[tuple[str, Claim | None]]:
    rt = runtime()
    until = wave.until if wave.until is not None else rt.clock.time()
    since = wave.since if wave.since is not None else until - 86400
    if since > until:
        raise InvalidInput("wave.since", "must not be after wave.until")
    out: list[tuple[str, Claim | None]] = []
    cursor: str | None = None
    while True:
        page, cursor = rt.store.claims_by_state_between(merchant, ClaimState.BOUGHT.value, since, until, 100, cursor)
        for claim in page:
            if wave.warehouse_id and claim.raw.get("warehouse_id") != wave.warehouse_id:
                continue
            if wave.carrier and claim.carrier != wave.carrier:
                continue
            out.append((printing.shipment_id(claim.package), claim))
            if len(out) > printing.MAX_BATCH:
                raise InvalidInput("wave", f"more than {printing.MAX_BATCH} shipments; narrow it with "
                                   "warehouse_id, carrier, since or until")
        if not cursor:
            return out


def _listed_claims(merchant: str, ids: list[str]) -> list[tuple[str, Claim | None]]:
    if not ids:
        raise InvalidInput("shipments", "at least one shipment id")
    if len(ids) > printing.MAX_BATCH:
        raise InvalidInput("shipments", f"at most {printing.MAX_BATCH} shipments per batch, got {len(ids)}")
    store = runtime().store
    out: list[tuple[str, Claim | None]] = []
    seen: set[str] = set()
    for n, raw in enumerate(ids):
        pkg = printing.parse_shipment_id(raw, f"shipments[{n}]")
        ident = printing.shipment_id(pkg)
        if ident in seen:
            continue  # the same label twice would print twice
        seen.add(ident)
        out.append((ident, store.get_claim(pkg, store.current_attempt(pkg))))
    return out


@router.post("/v1/labels/batch", summary="Many labels merged into one PDF (or ZPL stream) in pick order")
@requires(router, Permission.ORDERS_READ)
def batch_labels(body: Annotated[BatchIn, Body()], merchant_id: MerchantQuery = None) -> BatchOut:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    rt = runtime()
    if body.shipments is not None:
        claims = _listed_claims(merchant, body.shipments)
    else:
        assert body.wave is not None
        claims = _wave_claims(merchant, body.wave)
    selection = printing.select(rt.store, merchant, claims, body.format)
    # The same request prints to the same key (a retried click overwrites, never piles up files).
    digest = hashlib.sha256(json.dumps([body.format, [i for i, _ in claims], rt.clock.time() // 60]).encode())
    batch_id = digest.hexdigest()[:24]
    from kiriman.documents.pdf import merge

    batch = printing.merge_batch(rt.documents, merchant, batch_id, selection, body.format, merge)
    url, expires_at = _link(batch.key, f"labels-{batch_id}.{body.format}")
    return BatchOut(url=url, expires_at=expires_at, format=body.format, count=batch.count,
                    shipments=batch.shipment_ids, missing=[Missing(**m) for m in batch.missing])
