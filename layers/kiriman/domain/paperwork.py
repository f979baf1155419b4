"""Paperwork on request: pick lists, packing slips, customs forms and end-of-day manifests (issue #9 item 1).

Flow (docs/architecture.md, "Documents"):

1. ``POST /v1/documents`` (the ``api`` function, a zip package without wkhtmltopdf) checks the body, resolves
   the selection to shipment ids (listed ids, a wave of bought claims by time, or a manifest's warehouse,
   carrier, account and pickup day), records a :class:`DocumentRequest` (status ``queued``) and sends one
   :class:`DocumentJob` to ``render-documents``. If the send fails the request is marked ``failed`` at once.
2. ``document_render`` tells document jobs from label jobs by ``kind``; labels stay batched as before, each
   document is built here (:func:`render_request`) from what is stored NOW (the claim in force, the order,
   the warehouse, the shop), with the builders of ``kiriman.documents`` (packing, customs, manifests), printed
   with ONE wkhtmltopdf run per sheet size, stored under ``documents/<merchant>/docs/<document_id>.<ext>``,
   and the request moved to ``done`` (or ``failed`` with the reason) by a conditional write.
3. ``GET /v1/documents/{document_id}`` answers with the status and, once done, a presigned URL (minutes).

Decisions (docs/decisions.md):

- Only BOUGHT claims go on paperwork (the tracking number is on every document but the pick list, and a wave
  is the bought claims anyway). A shipment that is not (or no longer) bought is listed in ``skipped`` with
  the reason; the document fails only when nothing is left.
- Customs forms are printed only for cross-border parcels: the warehouse's country differs from the
  recipient's. Domestic parcels are SKIPPED with the reason ``domestic (TH -> TH)``, not refused with a 400,
  because a wave mixes both and the API cannot tell without reading every order.
- Pick lists and packing slips use the warehouse's bin locations (``Warehouse.bin_locations``, SKU -> bin,
  set with ``PATCH /v1/warehouses/{id}``); a SKU without one prints "no bin" and sorts last
  (``documents/packing.py``).
- The manifest's parcels are the pickup's: BOUGHT outbound claims of the warehouse, carrier (and account)
  whose pickup day (``domain/pickups.pickup_day``: the warehouse's local day, 18:00 close) is ``date``.
  Without ``account_id`` a PDF holds one manifest per account (each signed separately); a CSV needs one.

Pure Python: the store, the bucket and the printer come in through the Protocols below; the document builders
are imported where they are used (the api function never imports jinja2 or pdfkit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Protocol

from kiriman.carriers.base import PackageRef
from kiriman.domain import pickups, printing
from kiriman.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from kiriman.domain.orders import Order
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Warehouse
from kiriman.ids import new_id
from kiriman.logs import get_logger

log = get_logger()

Kind = Literal["pick_list", "packing_slips", "manifest", "customs"]
KINDS: tuple[str, ...] = ("pick_list", "packing_slips", "manifest", "customs")
JOB_KIND = "document"  # RenderJob's kind is "label"
RETENTION_S = 30 * 86400  # a request is kept (and readable) this long; the file itself stays in the bucket
CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
_DOCUMENT_ID = re.compile(r"^doc_[0-9A-HJKMNP-TV-Z]{26}$")


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class DocumentRequest:
    """One asked-for document. ``shipments`` are the ids resolved when it was asked for (in that order);
    ``skipped`` holds ``{"shipment_id", "reason"}`` for those left out, at request or at render time."""

    document_id: str
    merchant_id: str
    kind: str
    format: str  # pdf | csv
    selection: Mapping[str, Any]  # as asked (shipments, wave or manifest), for the record
    shipments: tuple[str, ...]
    status: DocumentStatus
    created_at: float
    updated_at: float
    options: Mapping[str, Any] = field(default_factory=dict)  # size, customs
    skipped: tuple[Mapping[str, str], ...] = ()
    key: str = ""
    error: str = ""
    count: int = 0  # shipments on the document
    version: int = 1

    @property
    def expires_at(self) -> float:
        return self.created_at + RETENTION_S


def new_request(merchant_id: str, kind: str, fmt: str, selection: Mapping[str, Any], shipments: Sequence[str],
                skipped: Sequence[Mapping[str, str]], options: Mapping[str, Any], now: float) -> DocumentRequest:
    if kind not in KINDS:
        raise InvalidInput("kind", f"one of {', '.join(KINDS)}")
    if fmt not in CONTENT_TYPES or (fmt == "csv" and kind != "manifest"):
        raise InvalidInput("format", "pdf, or csv for a manifest")
    return DocumentRequest(new_id("doc", now), merchant_id, kind, fmt, dict(selection), tuple(shipments),
                           DocumentStatus.QUEUED, now, now, dict(options), tuple(dict(s) for s in skipped))


def check_document_id(value: str) -> str:
    if not _DOCUMENT_ID.match(value or ""):
        raise InvalidInput("document_id", "doc_ followed by 26 letters and digits")
    return value


def document_key(merchant_id: str, document_id: str, fmt: str) -> str:
    return f"documents/{merchant_id}/docs/{document_id}.{fmt}"


@dataclass(frozen=True)
class DocumentJob:
    """One message on ``render-documents`` for a requested document (``kind: document``)."""

    merchant_id: str
    document_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": JOB_KIND, "merchant_id": self.merchant_id, "document_id": self.document_id}

    @staticmethod
    def from_json(d: Any) -> DocumentJob:
        if not isinstance(d, Mapping) or d.get("kind") != JOB_KIND:
            raise InvalidInput("kind", f"a document job has kind {JOB_KIND!r}")
        merchant = d.get("merchant_id")
        if not isinstance(merchant, str) or not merchant:
            raise InvalidInput("merchant_id", "required, a non-empty string")
        return DocumentJob(merchant, check_document_id(str(d.get("document_id") or "")))


def is_document_job(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("kind") == JOB_KIND


# --- ports ----------------------------------------------------------------------------------------------------
class PaperStore(Protocol):
    def current_attempt(self, package: PackageRef) -> int: ...
    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None: ...
    def get_order(self, merchant_id: str, order_sn: str) -> Order | None: ...
    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None: ...
    def get_shop(self, merchant_id: str, shop_id: int) -> Any: ...
    def get_carrier_account(self, owner: str | None, account_id: str) -> Any: ...
    def claims_by_state_between(self, merchant_id: str, state: str, since: float, until: float, limit: int,
                                cursor: str | None) -> tuple[list[Claim], str | None]: ...
    def create_document_request(self, req: DocumentRequest) -> None: ...
    def get_document_request(self, merchant_id: str, document_id: str) -> DocumentRequest | None: ...
    def move_document_request(self, req: DocumentRequest) -> bool: ...


class Bucket(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...


class Dispatcher(Protocol):
    def send(self, queue: str, messages: list[dict[str, Any]], delay_s: int = 0) -> None: ...


class Clock(Protocol):
    def time(self) -> float: ...


Printer = Callable[[Sequence[str], str], bytes]  # (body fragments, "a4" | "a6") -> one PDF, one process


def html_printer(timeout_s: float = 60.0) -> Printer:
    """The real printer: ``documents.pdf.html_to_pdf`` (one wkhtmltopdf process, safe options always on)."""

    def run(pages: Sequence[str], size: str) -> bytes:
        from kiriman.documents import pdf

        return pdf.html_to_pdf(list(pages), pdf.PageSize(size), timeout_s=timeout_s)

    return run


# --- asking for a document (api) -----------------------------------------------------------------------------
def submit(store: PaperStore, dispatcher: Dispatcher, req: DocumentRequest, now: float) -> DocumentRequest:
    """Record the request, then queue its job; a job that cannot be sent leaves the request ``failed``, never
    ``queued`` forever (and the caller gets the error)."""
    store.create_document_request(req)
    try:
        dispatcher.send(printing.RENDER_QUEUE, [DocumentJob(req.merchant_id, req.document_id).to_json()])
    except Exception as exc:
        finish(store, req, now, error=f"could not be queued: {exc}")
        raise
    return req


def read(store: PaperStore, merchant_id: str, document_id: str) -> DocumentRequest:
    """``NotFound`` for an unknown id and for another merchant's (the merchant is in the key)."""
    req = store.get_document_request(merchant_id, check_document_id(document_id))
    if req is None:
        raise NotFound("document not found")
    return req


def manifest_window(day: date, country: str) -> tuple[float, float]:
    """The GSI1 time range that holds every parcel of ``day``'s pickup: from the previous local day's start
    (a parcel bought after the 18:00 close goes to the next day) to the end of ``day``, local time."""
    tz = pickups.offset_of(country)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start.timestamp(), end.timestamp() - 0.001


def manifest_claims(store: PaperStore, merchant_id: str, warehouse: Warehouse, carrier: str,
                    account_id: str | None, day: date, limit: int = printing.MAX_BATCH) -> list[Claim]:
    """The merchant's parcels for one pickup: BOUGHT outbound claims with a tracking number, of this warehouse,
    carrier (and account), whose pickup day is ``day`` (the same rule as ``domain/pickups.plan``)."""
    since, until = manifest_window(day, warehouse.address.country)
    out: list[Claim] = []
    cursor: str | None = None
    while True:
        page, cursor = store.claims_by_state_between(merchant_id, ClaimState.BOUGHT.value, since, until, 100, cursor)
        for c in page:
            if (c.package.leg != pickups.OUTBOUND or not c.tracking_number or c.carrier != carrier
                    or str(c.raw.get("warehouse_id") or "") != warehouse.warehouse_id
                    or (account_id and c.account_id != account_id)
                    or pickups.pickup_day(c.updated_at, warehouse.address.country) != day):
                continue
            out.append(c)
            if len(out) > limit:
                raise InvalidInput("manifest", f"more than {limit} parcels; name the account_id")
        if not cursor:
            return out


# --- rendering (document_render) -----------------------------------------------------------------------------
@dataclass
class _Picked:
    shipment_id: str
    claim: Claim
    order: Order
    pick_key: tuple[str, ...]


@dataclass
class _Context:
    store: PaperStore
    req: DocumentRequest
    now: float
    skipped: list[dict[str, str]]
    warehouses: dict[tuple[str | None, str], Warehouse | None] = field(default_factory=dict)

    def skip(self, ident: str, reason: str) -> None:
        self.skipped.append({"shipment_id": ident, "reason": reason})

    def warehouse(self, claim: Claim) -> Warehouse | None:
        wid = str(claim.raw.get("warehouse_id") or "")
        owner = claim.raw.get("warehouse_owner") or None
        if not wid:
            return None
        k = (str(owner) if owner else None, wid)
        if k not in self.warehouses:
            self.warehouses[k] = self.store.get_warehouse(k[0], wid)
        return self.warehouses[k]


@dataclass(frozen=True)
class Outcome:
    document_id: str
    status: DocumentStatus
    key: str = ""
    count: int = 0
    error: str = ""
    skipped: tuple[Mapping[str, str], ...] = ()


def _collect(ctx: _Context) -> list[_Picked]:
    """The claims in force for the request's shipments, BOUGHT ones only, in pick order (warehouse, lowest SKU,
    order_sn: ``printing.pick_key``, the order labels are merged in)."""
    out: list[_Picked] = []
    orders: dict[str, Order | None] = {}
    for ident in ctx.req.shipments:
        try:
            pkg = printing.parse_shipment_id(ident)
        except InvalidInput:
            ctx.skip(ident, "not_found")
            continue
        claim = ctx.store.get_claim(pkg, ctx.store.current_attempt(pkg))
        if claim is None or claim.merchant_id != ctx.req.merchant_id:
            ctx.skip(ident, "not_found")
            continue
        if claim.state != ClaimState.BOUGHT or not claim.tracking_number:
            ctx.skip(ident, f"not_bought ({claim.state.value})")
            continue
        if pkg.order_sn not in orders:
            orders[pkg.order_sn] = ctx.store.get_order(ctx.req.merchant_id, pkg.order_sn)
        order = orders[pkg.order_sn]
        if order is None:
            ctx.skip(ident, "order_not_stored")
            continue
        out.append(_Picked(ident, claim, order, printing.pick_key(claim, order)))
    out.sort(key=lambda p: p.pick_key)
    return out


def _package_number(p: _Picked) -> str:
    """Shopee's package number, or the order's only package for claims made before packages were split."""
    number = p.claim.package.package_number
    if not number and len(p.order.packages) == 1:
        return p.order.packages[0].package_number
    return number


def _printed_at(ctx: _Context) -> datetime:
    return datetime.fromtimestamp(ctx.now, tz=UTC)


def _pick_list(ctx: _Context, picked: list[_Picked], printer: Printer) -> tuple[bytes, int]:
    """One pick list per warehouse (each its own walk), all in one PDF, warehouses in pick order."""
    from kiriman.documents import packing

    pages: list[str] = []
    count = 0
    groups: dict[str, list[_Picked]] = {}
    for p in picked:
        groups.setdefault(p.pick_key[0], []).append(p)
    for wid, group in groups.items():
        w = ctx.warehouse(group[0].claim)
        pl = packing.pick_list([(p.order, _package_number(p)) for p in group], w.bin_locations if w else {},
                               ctx.req.document_id,
                               w.name if w else wid, printed_at=_printed_at(ctx))
        pages += packing.pick_list_html(pl)
        count += len(group)
    return printer(pages, "a4"), count


def _packing_slips(ctx: _Context, picked: list[_Picked], printer: Printer) -> tuple[bytes, int]:
    from kiriman.documents import packing
    from kiriman.documents.pdf import PageSize

    size = str(ctx.req.options.get("size") or "a6")
    shops: dict[int, str] = {}
    pages: list[str] = []
    for p in picked:
        sid = p.claim.package.shop_id
        if sid not in shops:
            shop = ctx.store.get_shop(ctx.req.merchant_id, sid)
            shops[sid] = str(getattr(shop, "name", "") or sid)
        w = ctx.warehouse(p.claim)
        slip = packing.packing_slip(p.order, _package_number(p), shops[sid], w.bin_locations if w else {},
                                    p.claim.tracking_number,
                                    p.claim.carrier, printed_at=_printed_at(ctx))
        pages += packing.packing_slip_html(slip, PageSize(size))
    return printer(pages, size), len(picked)


def _manifests(ctx: _Context, picked: list[_Picked], printer: Printer) -> tuple[bytes, int]:
    from kiriman.documents import manifests
    from kiriman.domain.parcels import Address

    sel = ctx.req.selection.get("manifest") or {}
    day = date.fromisoformat(str(sel.get("date")))
    groups: dict[tuple[str, str, str], list[_Picked]] = {}
    for p in sorted(picked, key=lambda p: p.claim.tracking_number):
        groups.setdefault((str(p.claim.raw.get("warehouse_id") or ""), p.claim.carrier, p.claim.account_id),
                          []).append(p)
    if ctx.req.format == "csv" and len(groups) > 1:
        raise InvalidInput("manifest.account_id", f"the day's parcels are on {len(groups)} accounts "
                           f"({', '.join(sorted(a for _, _, a in groups))}); a CSV holds one: name it")
    built = []
    for (wid, carrier, account_id), group in sorted(groups.items()):
        w = ctx.warehouse(group[0].claim)
        account = ctx.store.get_carrier_account(ctx.req.merchant_id, account_id) or ctx.store.get_carrier_account(
            None, account_id)
        a = w.address if w else None
        addr = Address(name=a.name, country=a.country, line1=a.line1, line2=a.line2 or "", city=a.city,
                       state=a.state or "", postcode=a.postcode, phone=a.phone) if a else None
        rows = [manifests.row_for(p.order, _package_number(p), p.claim.tracking_number) for p in group]
        built.append(manifests.manifest(carrier, account_id, wid, day, rows,
                                        account_name=str(getattr(account, "name", "") or ""),
                                        warehouse_name=w.name if w else wid, warehouse_address=addr,
                                        generated_at=_printed_at(ctx)))
    if ctx.req.format == "csv":
        return manifests.manifest_csv(built[0]), len(picked)
    return printer([page for m in built for page in manifests.manifest_html(m)], "a4"), len(picked)


def _customs(ctx: _Context, picked: list[_Picked], printer: Printer) -> tuple[bytes, int]:
    """Per cross-border parcel: its CN22 (A6) or CN23 (A4, the form chosen by ``documents.customs``), and for
    commercial categories a commercial invoice (A4). CN22s come first (one A6 run), then the A4 sheets (one
    A4 run), each part in pick order; domestic parcels and parcels whose data the forms refuse are skipped
    with the reason (the field and what is wrong)."""
    from kiriman.documents import customs, packing
    from kiriman.domain.parcels import Address

    opts = ctx.req.options.get("customs") or {}
    category = customs.Category(str(opts.get("category") or "sale_of_goods"))
    rates = {str(k): Decimal(str(v)) for k, v in (opts.get("units_per_sdr") or {}).items()}
    catalogue = {str(sku): customs.CustomsInfo(str(i.get("hs_code") or ""), str(i.get("origin_country") or ""),
                                               str(i.get("description") or ""))
                 for sku, i in (opts.get("catalogue") or {}).items()}
    signer = str(opts.get("signer") or "")
    today = _printed_at(ctx).date()
    a6: list[str] = []
    a4: list[str] = []
    count = 0
    for p in picked:
        w = ctx.warehouse(p.claim)
        if w is None:
            ctx.skip(p.shipment_id, "warehouse_not_stored")
            continue
        addressee = packing.recipient_of(p.order)
        if addressee.country == w.address.country.upper():
            ctx.skip(p.shipment_id, f"domestic ({w.address.country} -> {addressee.country}): no customs form")
            continue
        wa = w.address
        sender = Address(name=wa.name or w.name, country=wa.country, line1=wa.line1, line2=wa.line2 or "",
                         city=wa.city, state=wa.state or "", postcode=wa.postcode, phone=wa.phone)
        number = _package_number(p)
        invoice_no = f"INV-{p.order.order_sn}" + (f"-{number}" if number else "")
        try:
            lines = customs.lines_from_order(p.order, number or None, catalogue, str(opts.get("default_origin") or ""))
            pkg = next((x for x in p.order.packages if x.package_number == number), None)
            net = sum(line.net_weight_g for line in lines)
            gross = max(net, int(pkg.parcel_chargeable_weight_gram or 0) if pkg else 0)
            decl = customs.declaration(
                category, sender, addressee, lines, p.order.currency, gross, rates, signer, today,
                category_explanation=str(opts.get("category_explanation") or ""),
                require_cn23=bool(opts.get("require_cn23")), item_id=p.claim.tracking_number,
                invoice_number=invoice_no if category.commercial else "",
                importer_contact=addressee.phone)
            pages = [customs.declaration_html(decl)]
            if category.commercial and opts.get("invoice", True):
                inv = customs.commercial_invoice(
                    invoice_no, today, sender, addressee, str(opts.get("incoterm") or "DAP"), p.order.currency,
                    lines, reason=category, order_sn=p.order.order_sn, tracking_number=p.claim.tracking_number,
                    signer=signer, gross_weight_g=gross)
                pages.append(customs.invoice_html(inv))
        except (InvalidInput, NotFound) as exc:
            ctx.skip(p.shipment_id, _reason(exc))  # e.g. "lines[0].hs_code: required for commercial items"
            continue
        (a6 if decl.form is customs.Form.CN22 else a4).append(pages[0])
        a4.extend(pages[1:])
        count += 1
    if not count:
        raise Conflict("no cross-border parcel with complete customs data in the selection")
    parts = ([printer(a6, "a6")] if a6 else []) + ([printer(a4, "a4")] if a4 else [])
    if len(parts) == 1:
        return parts[0], count
    from kiriman.documents.pdf import merge

    return merge(parts), count


BUILDERS: dict[str, Callable[[_Context, list[_Picked], Printer], tuple[bytes, int]]] = {
    "pick_list": _pick_list, "packing_slips": _packing_slips, "manifest": _manifests, "customs": _customs,
}


def _reason(exc: DomainError) -> str:
    """``<field>: <reason>`` for refused input (``InvalidInput``'s message), the message otherwise."""
    return exc.message


def render_request(store: PaperStore, bucket: Bucket, printer: Printer, clock: Clock, job: DocumentJob,
                   final_attempt: bool = False) -> Outcome:
    """Build, print and store one requested document, then mark the request done (or failed).

    Bad data (a refused field, nothing left to print) fails the request with the reason and returns: another
    try would fail the same way. A renderer or storage error is raised so SQS tries again; on the last
    delivery (``final_attempt``) the request is first marked failed, so it never stays ``queued``.
    """
    req = store.get_document_request(job.merchant_id, job.document_id)
    if req is None:
        return Outcome(job.document_id, DocumentStatus.FAILED, error="no such document request")
    if req.status != DocumentStatus.QUEUED:
        return Outcome(req.document_id, req.status, req.key, req.count, req.error, req.skipped)  # a repeated job
    now = clock.time()
    ctx = _Context(store, req, now, [dict(s) for s in req.skipped])
    try:
        picked = _collect(ctx)
        if not picked:
            raise Conflict("none of the shipments is bought (see skipped)")
        body, count = BUILDERS[req.kind](ctx, picked, printer)
    except DomainError as exc:
        done = finish(store, req, now, error=_reason(exc), skipped=ctx.skipped)
        return Outcome(req.document_id, done.status, error=done.error, skipped=done.skipped)
    except Exception as exc:
        if final_attempt:
            finish(store, req, now, error=f"rendering failed: {exc}", skipped=ctx.skipped)
        raise
    key = document_key(req.merchant_id, req.document_id, req.format)
    bucket.put(key, body, CONTENT_TYPES[req.format])
    done = finish(store, req, now, key=key, count=count, skipped=ctx.skipped)
    log.info("document rendered", extra={"document_id": req.document_id, "kind": req.kind, "count": count,
                                         "skipped": len(ctx.skipped), "bytes": len(body)})
    return Outcome(req.document_id, done.status, done.key, done.count, done.error, done.skipped)


def finish(store: PaperStore, req: DocumentRequest, now: float, *, key: str = "", count: int = 0, error: str = "",
           skipped: Sequence[Mapping[str, str]] | None = None) -> DocumentRequest:
    """Move a queued request to done (a key) or failed (an error), conditional on the version read. If it
    moved meanwhile (a parallel delivery finished first) the stored one is returned."""
    status = DocumentStatus.FAILED if error or not key else DocumentStatus.DONE
    moved = replace(req, status=status, key=key, count=count, error=error[:1000], updated_at=now,
                    skipped=tuple(dict(s) for s in (req.skipped if skipped is None else skipped)),
                    version=req.version + 1)
    if store.move_document_request(moved):
        return moved
    return store.get_document_request(req.merchant_id, req.document_id) or moved
