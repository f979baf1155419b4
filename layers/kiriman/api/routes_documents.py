"""Documents on request: pick lists, packing slips, customs forms (CN22/CN23 + commercial invoice) and
end-of-day manifests (PDF or CSV), rendered by ``document_render`` and handed out as presigned URLs.

``POST /v1/documents`` answers 202 with a ``document_id``: the api function is a zip package without
wkhtmltopdf, so it records the request and queues it (``domain/paperwork.py``); ``GET
/v1/documents/{document_id}`` says ``queued``, ``done`` (with a URL valid ``DOCUMENT_URL_TTL_S``) or ``failed``
(with the reason). Shipments left out (not found, not bought, domestic for customs, ...) are listed in
``skipped`` with the reason. Warehouse bin locations are not stored yet, so pick lines and slips print
"no bin" and go by SKU.

Reading orders is what these documents are (``orders:read``), as for labels.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints, model_validator

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import StrictBody
from kiriman.api.resolver import acting, requires, runtime
from kiriman.api.routes_labels import ShipmentId, Wave, _listed_claims, _wave_claims
from kiriman.domain import paperwork, printing
from kiriman.domain.access import Permission
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.domain.purchases import Claim, ClaimState

router = Router()
MerchantQuery = Annotated[str | None, Query(max_length=40, description="Operators: the merchant to act on.")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ManifestSelection(StrictBody):
    """One handover: the warehouse's parcels for one carrier (and account) on one pickup day (the warehouse's
    local day; a parcel bought after the 18:00 close goes to the next day, as for pickups)."""

    warehouse_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    carrier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,20}$")]
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="Without it a PDF holds one manifest per account; a CSV needs the day to have one.")
    date: date


class CustomsItem(StrictBody):
    hs_code: Annotated[str, StringConstraints(pattern=r"^\d{6,10}$")] | None = None
    origin_country: Country | None = None
    description: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="In English (or a language the destination accepts); default: Shopee's item name.")


class CustomsOptions(StrictBody):
    """What the forms need that Shopee's order does not say."""

    category: Literal["gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other"] = (
        "sale_of_goods")
    category_explanation: Annotated[str, StringConstraints(max_length=200)] = ""
    signer: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    units_per_sdr: dict[Currency, Decimal] = Field(
        description="Currency units per SDR (IMF, 'Currency units per SDR') for the orders' currencies: the "
        "CN22 limit is 300 SDR. Nothing is fetched; a currency without a rate is refused.")
    catalogue: dict[Sku, CustomsItem] = Field(
        default_factory=dict, max_length=1000, description="By SKU: HS code, origin, customs description.")
    default_origin: Country | None = None
    incoterm: Literal["DAP", "DDP"] = "DAP"
    invoice: bool = Field(True, description="A commercial invoice with each commercial parcel.")
    require_cn23: bool = False

    @model_validator(mode="after")
    def _rates(self) -> "CustomsOptions":
        for cur, rate in self.units_per_sdr.items():
            if not rate.is_finite() or rate <= 0:
                raise InvalidInput(f"customs.units_per_sdr.{cur}", "must be greater than 0")
        return self


class DocumentIn(StrictBody):
    kind: Literal["pick_list", "packing_slips", "manifest", "customs"]
    shipments: list[ShipmentId] | None = Field(
        None, description=f"Shipment ids (at most {printing.MAX_BATCH}): pick_list, packing_slips, customs.")
    wave: Wave | None = Field(None, description="Instead of shipments: bought shipments by time, warehouse, "
                              "carrier (as for POST /v1/labels/batch).")
    manifest: ManifestSelection | None = Field(None, description="Required for, and only for, kind manifest.")
    format: Literal["pdf", "csv"] = Field("pdf", description="csv only for a manifest")
    size: Literal["a6", "a4"] = Field("a6", description="packing_slips only: A6 (beside the 4x6 label) or A4.")
    customs: CustomsOptions | None = Field(None, description="Required for, and only for, kind customs.")

    @model_validator(mode="after")
    def _consistent(self) -> "DocumentIn":
        if self.kind == "manifest":
            if self.manifest is None:
                raise InvalidInput("manifest", "required for a manifest: warehouse_id, carrier, date")
            if self.shipments is not None or self.wave is not None:
                raise InvalidInput("shipments" if self.shipments is not None else "wave",
                                   "a manifest is selected by manifest (warehouse, carrier, date)")
        else:
            if self.manifest is not None:
                raise InvalidInput("manifest", "only for kind manifest")
            if (self.shipments is None) == (self.wave is None):
                raise InvalidInput("shipments", "give exactly one of shipments or wave")
        if self.format == "csv" and self.kind != "manifest":
            raise InvalidInput("format", "csv is only for a manifest")
        if (self.kind == "customs") != (self.customs is not None):
            raise InvalidInput("customs", "required for, and only for, kind customs")
        if self.size != "a6" and self.kind != "packing_slips":
            raise InvalidInput("size", "only for packing_slips")
        return self


class Skipped(BaseModel):
    shipment_id: str
    reason: str = Field(description="not_found, not_bought (<state>), order_not_stored, domestic (..), or the "
                        "field the customs forms refuse and why")


class DocumentOut(BaseModel):
    document_id: str
    kind: str
    format: str
    status: Literal["queued", "done", "failed"]
    url: str | None = Field(None, description="Presigned GET URL once done; expires at expires_at.")
    expires_at: float | None = Field(None, description="Epoch seconds.")
    error: str | None = None
    count: int = Field(description="Shipments on the document (once done).")
    shipments: list[str] = Field(description="The shipment ids asked for (resolved from a wave or manifest).")
    skipped: list[Skipped]
    created_at: float

    @classmethod
    def of(cls, r: paperwork.DocumentRequest, url: str | None = None,
           expires_at: float | None = None) -> "DocumentOut":
        return cls(document_id=r.document_id, kind=r.kind, format=r.format, status=r.status.value, url=url,
                   expires_at=expires_at, error=r.error or None, count=r.count, shipments=list(r.shipments),
                   skipped=[Skipped(**s) for s in r.skipped], created_at=r.created_at)


def _manifest_claims(merchant: str, sel: ManifestSelection) -> list[tuple[str, Claim | None]]:
    store = runtime().store
    warehouse = store.get_warehouse(merchant, sel.warehouse_id) or store.get_warehouse(None, sel.warehouse_id)
    if warehouse is None:
        raise NotFound("warehouse not found")
    claims = paperwork.manifest_claims(store, merchant, warehouse, sel.carrier, sel.account_id, sel.date)
    return [(printing.shipment_id(c.package), c) for c in claims]


def _split(claims: list[tuple[str, Claim | None]], merchant: str) -> tuple[list[str], list[dict[str, str]]]:
    """Bought shipments to print, the rest with a reason; ``NotFound`` / ``Conflict`` when nothing is left."""
    keep: list[str] = []
    skipped: list[dict[str, str]] = []
    for ident, claim in claims:
        if claim is None or claim.merchant_id != merchant:
            skipped.append({"shipment_id": ident, "reason": "not_found"})
        elif claim.state != ClaimState.BOUGHT or not claim.tracking_number:
            skipped.append({"shipment_id": ident, "reason": f"not_bought ({claim.state.value})"})
        else:
            keep.append(ident)
    if not keep and skipped and all(s["reason"] == "not_found" for s in skipped):
        raise NotFound("none of these shipments exists")  # another merchant's ids look exactly like unknown ones
    if not keep:
        raise Conflict(f"no bought shipment to print ({len(skipped)} skipped)")
    return keep, skipped


@router.post("/v1/documents", summary="Ask for a pick list, packing slips, customs forms or a manifest (202)")
@requires(router, Permission.ORDERS_READ)
@idempotent(router)
def create_document(body: Annotated[DocumentIn, Body()], merchant_id: MerchantQuery = None) -> Response[Any]:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    rt = runtime()
    if body.manifest is not None:
        claims = _manifest_claims(merchant, body.manifest)
        if not claims:
            raise Conflict(f"no bought {body.manifest.carrier} parcel of warehouse {body.manifest.warehouse_id} "
                           f"for the pickup of {body.manifest.date.isoformat()}")
    elif body.shipments is not None:
        claims = _listed_claims(merchant, body.shipments)
    else:
        assert body.wave is not None
        claims = _wave_claims(merchant, body.wave)
    keep, skipped = _split(claims, merchant)
    selection = body.model_dump(mode="json", include={"shipments", "wave", "manifest"}, exclude_none=True)
    options: dict[str, Any] = {"size": body.size} if body.kind == "packing_slips" else {}
    if body.customs is not None:
        options["customs"] = body.customs.model_dump(mode="json", exclude_none=True)
    now = rt.clock.time()
    req = paperwork.new_request(merchant, body.kind, body.format, selection, keep, skipped, options, now)
    paperwork.submit(rt.store, rt.dispatcher, req, now)
    return Response(status_code=202, content_type=JSON, body=DocumentOut.of(req).model_dump(mode="json"))


@router.get("/v1/documents/<document_id>", summary="A requested document's status and, once done, its URL")
@requires(router, Permission.ORDERS_READ)
def get_document(document_id: str, merchant_id: MerchantQuery = None) -> DocumentOut:
    merchant = acting(merchant_id, required=True)
    assert merchant is not None
    rt = runtime()
    req = paperwork.read(rt.store, merchant, document_id)
    if req.status != paperwork.DocumentStatus.DONE:
        return DocumentOut.of(req)
    ttl = int(rt.settings.document_url_ttl_s)
    url = rt.documents.url(req.key, ttl, f"{req.kind}-{req.document_id}.{req.format}")
    return DocumentOut.of(req, url, rt.clock.time() + ttl)
