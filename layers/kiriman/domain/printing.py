"""What is printed when, where it is kept, and how a batch is merged in pick order (issue #9 items 1, 3, 4).

Flow (docs/architecture.md, "Documents"):

1. ``label_purchase`` sends one :class:`RenderJob` to the ``render-documents`` queue once a claim is BOUGHT
   with a tracking number (``job_for``). The job names the claim only; the renderer reads the claim, the
   order and the warehouse, so a re-delivered or re-sent job always prints what is stored now.
2. ``document_render`` gets up to ``batch_size`` jobs per invocation (the queue's batching window holds a
   lone job a few seconds at most), builds one :class:`~kiriman.documents.labels.LabelDocument` per job and
   prints ALL of them with ONE wkhtmltopdf process (``LabelRenderer.pdf_pages``), then stores each label's
   PDF and ZPL under :func:`document_key` and records the keys on the claim (``raw["documents"]``) with a
   conditional write. Re-rendering writes the same keys again, so a repeated job is harmless.
3. The API hands out presigned URLs (minutes) to one label, or to one merged file of many, written under
   ``documents/batches/<merchant>/<batch id>.<ext>``: never the file itself (Lambda responses stop at 6 MB).

Which PDF is "the label": the carrier's own (Ninja Van waybill, Shopee AWB, Flash pre-print: ``label_key``,
stored by ``domain/fulfilment.buy``) when the carrier gave one, else ours. ZPL is always ours.

Pure Python: storage, the renderer and the bucket come in through the Protocols below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from kiriman.carriers.base import PackageRef
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.domain.orders import Order
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Warehouse
from kiriman.logs import get_logger

log = get_logger()

RENDER_QUEUE = "render-documents"
MAX_BATCH = 500  # shipments in one POST /v1/labels/batch (a wave larger than this is split by the caller)
Format = Literal["pdf", "zpl"]
CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "text/plain; charset=utf-8"}

# Sort codes printed large on our own label (docs: /work/shared/reference/carriers.md, "Sorting codes printed
# large for hub sorting: J&T sortingCode / thirdSortingCode, Flash sortCode / dstStoreName"). The names are
# the carriers' create-order response fields kept in ``claim.raw``; Flash's ``sortingLineCode`` is marked
# UNCONFIRMED in the reference, so it is only a fallback.
SORT_CODE_FIELDS = ("sortCode", "sortingCode", "sort_code", "sortingLineCode")
SECOND_SORT_FIELDS = ("thirdSortingCode", "dstStoreName")


# --- render jobs --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RenderJob:
    """One message on ``render-documents``: which claim to print (the label of one package, leg, attempt)."""

    merchant_id: str
    shop_id: int
    order_sn: str
    package_number: str
    leg: str
    attempt: int
    kind: str = "label"

    @property
    def package(self) -> PackageRef:
        return PackageRef(self.shop_id, self.order_sn, self.package_number, self.leg)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> RenderJob:
        """Raises ``InvalidInput`` naming the field for a malformed message (it goes to the DLQ)."""
        if not isinstance(d, Mapping):
            raise InvalidInput("body", "a render job is a JSON object")
        for name in ("merchant_id", "order_sn", "leg"):
            if not isinstance(d.get(name), str) or not d.get(name):
                raise InvalidInput(name, "required, a non-empty string")
        if not isinstance(d.get("package_number", ""), str):
            raise InvalidInput("package_number", "a string")
        for name in ("shop_id", "attempt"):
            value = d.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(name, "required, a positive integer")
        kind = d.get("kind", "label")
        if kind != "label":
            raise InvalidInput("kind", f"unknown document kind {kind!r}; only 'label' is rendered from the queue")
        return RenderJob(str(d["merchant_id"]), int(d["shop_id"]), str(d["order_sn"]), str(d.get("package_number")
                         or ""), str(d["leg"]), int(d["attempt"]), kind)


def job_for(claim: Claim) -> RenderJob:
    p = claim.package
    return RenderJob(claim.merchant_id, p.shop_id, p.order_sn, p.package_number, p.leg, claim.attempt)


def wants_render(claim: Claim) -> bool:
    """A bought label with its tracking number, whose documents are not stored yet."""
    return claim.state == ClaimState.BOUGHT and bool(claim.tracking_number) and not claim.raw.get("documents")


def document_key(merchant_id: str, package: PackageRef, attempt: int, tracking_number: str, ext: str) -> str:
    """``documents/<merchant>/<shop>/<order_sn>/<package or ->/<leg>/<attempt>-<tracking>.<ext>`` (the same
    shape as the carrier's ``labels/...`` key, so a re-render overwrites, never duplicates)."""
    return (f"documents/{merchant_id}/{package.shop_id}/{package.order_sn}/{package.package_number or '-'}/"
            f"{package.leg}/{attempt}-{_safe(tracking_number)}.{ext}")


def batch_key(merchant_id: str, batch_id: str, fmt: Format) -> str:
    return f"documents/batches/{merchant_id}/{batch_id}.{fmt}"


def _safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", value)


# --- shipment ids ---------------------------------------------------------------------------------------------
# "<shop_id>.<order_sn>.<package_number or ->[.<leg>]": the purchase claim's own key (PackageRef), so it needs no
# index; the attempt is always the one in force. Shopee's order_sn and package_number are letters and digits.
_ORDER_SN = re.compile(r"^[A-Za-z0-9]{6,32}$")
_PACKAGE = re.compile(r"^(-|[A-Za-z0-9_-]{1,64})$")
_LEG = re.compile(r"^(outbound|line_haul|return:\w{1,40}|exchange:\w{1,40})$")


def shipment_id(package: PackageRef) -> str:
    ident = f"{package.shop_id}.{package.order_sn}.{package.package_number or '-'}"
    return ident if package.leg == "outbound" else f"{ident}.{package.leg}"


def parse_shipment_id(value: Any, field: str = "shipment_id") -> PackageRef:
    """``InvalidInput(field, reason)`` unless ``value`` is ``<shop_id>.<order_sn>.<package_number|->[.<leg>]``."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(field, "required: <shop_id>.<order_sn>.<package_number or ->[.<leg>]")
    parts = value.split(".")
    if len(parts) not in (3, 4):
        raise InvalidInput(field, f"{value!r} is not <shop_id>.<order_sn>.<package_number or ->[.<leg>]")
    shop, order_sn, package = parts[0], parts[1], parts[2]
    leg = parts[3] if len(parts) == 4 else "outbound"
    if not shop.isascii() or not shop.isdigit() or int(shop) < 1 or len(shop) > 20:
        raise InvalidInput(field, f"shop id {shop!r} must be a positive integer")
    if not _ORDER_SN.match(order_sn):
        raise InvalidInput(field, f"order_sn {order_sn!r} must be 6-32 letters or digits")
    if not _PACKAGE.match(package):
        raise InvalidInput(field, f"package_number {package!r} must be letters, digits, '_' or '-' (or '-' alone)")
    if not _LEG.match(leg):
        raise InvalidInput(field, f"leg {leg!r} must be outbound, line_haul, return:<sn> or exchange:<sn>")
    return PackageRef(int(shop), order_sn, "" if package == "-" else package, leg)


# --- what our label says --------------------------------------------------------------------------------------
def sort_code_of(raw: Mapping[str, Any]) -> str:
    """The carrier's sort or route code from its create-order answer (``claim.raw``), if it gave one."""
    first = next((str(raw[k]).strip() for k in SORT_CODE_FIELDS if str(raw.get(k) or "").strip()), "")
    second = next((str(raw[k]).strip() for k in SECOND_SORT_FIELDS if str(raw.get(k) or "").strip()), "")
    return " ".join(p for p in (first, second) if p)[:40]


def _cod_amount(order: Order) -> Decimal:
    """What the courier collects: the order total when the buyer pays on delivery (Shopee ``cod`` and
    ``total_amount``, as ``domain/quoting.order_facts`` also reads them), else nothing."""
    if not order.cod:
        return Decimal(0)
    try:
        return Decimal(str(order.total_amount or 0)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidInput("total_amount", f"order {order.order_sn}: not a number: {order.total_amount!r}") from None


def label_document(order: Order, warehouse: Warehouse, claim: Claim, printed_at: float) -> Any:
    """Our label for a bought claim: sender = the warehouse, recipient = the order's, COD from the order."""
    from kiriman.documents import labels, packing

    items = packing.package_items(order, claim.package.package_number or None)
    weight_g = sum(i.unit_weight_g * i.quantity for i in items)
    pkg = next((p for p in order.packages if p.package_number == claim.package.package_number), None)
    if pkg is not None and pkg.parcel_chargeable_weight_gram:
        weight_g = int(pkg.parcel_chargeable_weight_gram)
    a = warehouse.address
    sender = labels.Party(name=a.name or warehouse.name, phone=a.phone,
                          lines=tuple(x for x in (a.line1, a.line2 or "") if x), city=a.city, state=a.state or "",
                          postcode=a.postcode, country=a.country)
    r = packing.recipient_of(order)
    # Shopee's full_address usually holds the district already; it is added only when it does not
    street = (r.line1,) + ((r.district,) if r.district and r.district not in r.line1 else ())
    recipient = labels.Party(name=r.name, phone=r.phone, lines=tuple(x for x in street if x), city=r.city,
                             state=r.state, postcode=r.postcode, country=r.country)
    return labels.LabelDocument(
        tracking_number=claim.tracking_number, carrier=claim.carrier, service=str(claim.raw.get("service") or ""),
        sender=sender, recipient=recipient, cod_amount=_cod_amount(order), currency=order.currency,
        order_sn=order.order_sn, package_number=claim.package.package_number, reference=claim.reference,
        sort_code=sort_code_of(claim.raw), weight_g=weight_g, items_count=sum(i.quantity for i in items),
        printed_at=datetime.fromtimestamp(printed_at, tz=UTC),
    )


# --- rendering a batch of jobs -------------------------------------------------------------------------------
class LabelRenderer(Protocol):
    def pdf_pages(self, docs: Sequence[Any]) -> list[bytes]:
        """One single-page PDF per document, in order, printed by ONE renderer process."""
        ...

    def zpl(self, doc: Any) -> str: ...


class LabelPrinter:
    """The real renderer: our 100 x 150 mm label through ``documents.labels`` and ONE wkhtmltopdf process per
    batch, cut back into one PDF per label (``pdf.split_pages``); ZPL from ``documents.zpl``."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s

    def pdf_pages(self, docs: Sequence[Any]) -> list[bytes]:
        from kiriman.documents import labels, pdf

        size = pdf.PageSize.LABEL_4X6
        printed = pdf.html_to_pdf(labels.label_sheets(docs, size), size, css=[labels.label_css(size)],
                                  title="labels", timeout_s=self.timeout_s)
        return pdf.split_pages(printed)

    def zpl(self, doc: Any) -> str:
        from kiriman.documents import zpl

        return str(zpl.label_zpl(doc))


class DocumentBucket(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def url(self, key: str, expires_s: int, filename: str) -> str: ...


class RenderStore(Protocol):
    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None: ...
    def move_claim(self, claim: Claim) -> bool: ...
    def get_order(self, merchant_id: str, order_sn: str) -> Order | None: ...
    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None: ...


class Clock(Protocol):
    def time(self) -> float: ...


@dataclass(frozen=True)
class Rendered:
    job: RenderJob
    pdf_key: str = ""
    zpl_key: str = ""
    skipped: str = ""  # why nothing was printed (voided, not bought): the message is done


JobResult = Rendered | Exception


def _prepare(store: RenderStore, job: RenderJob, now: float) -> tuple[Claim, Any] | Rendered:
    claim = store.get_claim(job.package, job.attempt)
    if claim is None or claim.merchant_id != job.merchant_id:
        return Rendered(job, skipped="no such purchase claim")
    if claim.state != ClaimState.BOUGHT or not claim.tracking_number:
        return Rendered(job, skipped=f"claim is {claim.state.value}" + ("" if claim.tracking_number else
                                                                         " without a tracking number"))
    order = store.get_order(job.merchant_id, job.order_sn)
    if order is None:
        raise LookupError(f"order {job.order_sn} is not stored")
    warehouse_id = str(claim.raw.get("warehouse_id") or "")
    owner = claim.raw.get("warehouse_owner")
    warehouse = store.get_warehouse(str(owner) if owner else None, warehouse_id) if warehouse_id else None
    if warehouse is None:
        raise LookupError(f"claim {claim.key} names no stored warehouse ({warehouse_id or 'none'})")
    return claim, label_document(order, warehouse, claim, now)


def render_jobs(store: RenderStore, renderer: LabelRenderer, bucket: DocumentBucket, clock: Clock,
                jobs: Sequence[RenderJob]) -> list[JobResult]:
    """Render every job's label, PDF in ONE renderer call for the whole batch, and store each one.

    Returns one result per job, in order: ``Rendered`` or the exception that job failed with (the handler
    reports those records as failed, so SQS brings back only them). If the batch render itself fails, each
    label is rendered alone, so one document that breaks the renderer fails only its own job.
    """
    now = clock.time()
    results: list[JobResult | None] = [None] * len(jobs)
    ready: list[tuple[int, Claim, Any]] = []
    for n, job in enumerate(jobs):
        try:
            prepared = _prepare(store, job, now)
        except Exception as exc:  # one job's missing order must not fail the others
            results[n] = exc
            continue
        if isinstance(prepared, Rendered):
            results[n] = prepared
        else:
            ready.append((n, *prepared))
    pages: list[bytes | Exception] = []
    if ready:
        try:
            batch = renderer.pdf_pages([doc for _, _, doc in ready])
            if len(batch) != len(ready):
                raise RuntimeError(f"renderer returned {len(batch)} pages for {len(ready)} labels")
            pages = list(batch)
        except Exception as exc:
            log.warning("batch render failed; rendering one by one", extra={"labels": len(ready), "error": str(exc)})
            pages = [_alone(renderer, doc) for _, _, doc in ready]
    for (n, claim, doc), page in zip(ready, pages, strict=True):
        if isinstance(page, Exception):
            results[n] = page
            continue
        try:
            results[n] = _store(store, bucket, clock, jobs[n], claim, doc, page, renderer.zpl(doc))
        except Exception as exc:
            results[n] = exc
    return [r if r is not None else RuntimeError("not rendered") for r in results]


def _alone(renderer: LabelRenderer, doc: Any) -> bytes | Exception:
    try:
        [page] = renderer.pdf_pages([doc])
        return page
    except Exception as exc:
        return exc


def _store(store: RenderStore, bucket: DocumentBucket, clock: Clock, job: RenderJob, claim: Claim, doc: Any,
           pdf: bytes, zpl: str) -> Rendered:
    pdf_key = document_key(job.merchant_id, job.package, job.attempt, claim.tracking_number, "pdf")
    zpl_key = document_key(job.merchant_id, job.package, job.attempt, claim.tracking_number, "zpl")
    bucket.put(pdf_key, pdf, CONTENT_TYPES["pdf"])
    bucket.put(zpl_key, zpl.encode("utf-8"), CONTENT_TYPES["zpl"])
    record_documents(store, claim, {"pdf": pdf_key, "zpl": zpl_key}, clock.time())
    return Rendered(job, pdf_key, zpl_key)


def record_documents(store: RenderStore, claim: Claim, keys: Mapping[str, str], now: float, tries: int = 5) -> Claim:
    """Keep the keys on the claim (``raw["documents"]``), conditional on the version read; on a race, read again.

    ``updated_at`` is left alone on purpose: it is the claim's GSI1 sort key, and the day's bought parcels
    (pickups, batch waves) are found by it; printing a label is not a change of the shipment.
    """
    current: Claim | None = claim
    for _ in range(tries):
        if current is None or current.state != ClaimState.BOUGHT:
            raise Conflict(f"claim {claim.key} is no longer BOUGHT; documents not recorded")
        docs = dict(current.raw.get("documents") or {})
        if all(docs.get(k) == v for k, v in keys.items()):
            return current  # already recorded (a repeated job)
        updated = replace(current, raw={**current.raw, "documents": {**docs, **keys, "rendered_at": now}},
                          version=current.version + 1)
        if store.move_claim(updated):
            return updated
        current = store.get_claim(claim.package, claim.attempt)
    raise Conflict(f"claim {claim.key} kept moving while its documents were recorded")


# --- reading and merging ------------------------------------------------------------------------------------
class ReadStore(Protocol):
    def current_attempt(self, package: PackageRef) -> int: ...
    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None: ...
    def get_order(self, merchant_id: str, order_sn: str) -> Order | None: ...


@dataclass(frozen=True)
class LabelFile:
    key: str
    source: Literal["carrier", "ours"]
    format: Format


Source = Literal["auto", "carrier", "ours"]


def label_file(claim: Claim, fmt: Format, source: Source = "auto") -> LabelFile | None:
    """The stored label of a bought claim in ``fmt``: the carrier's PDF if any, else ours; None if not yet.
    ``source`` asks for one of the two (ours: e.g. to print every carrier on the same thermal stock)."""
    ours = dict(claim.raw.get("documents") or {})
    if source == "carrier":
        return LabelFile(str(claim.raw["label_key"]), "carrier", "pdf") if fmt == "pdf" and claim.raw.get(
            "label_key") else None
    if source == "auto" and fmt == "pdf" and claim.raw.get("label_key"):
        return LabelFile(str(claim.raw["label_key"]), "carrier", "pdf")
    if ours.get(fmt):
        return LabelFile(str(ours[fmt]), "ours", fmt)
    return None


def shipment_claim(store: ReadStore, merchant_id: str, package: PackageRef) -> Claim:
    """The claim in force for ``package`` if it is this merchant's; ``NotFound`` otherwise (no leak)."""
    claim = store.get_claim(package, store.current_attempt(package))
    if claim is None or claim.merchant_id != merchant_id:
        raise NotFound("shipment not found")
    return claim


def label_for(store: ReadStore, merchant_id: str, package: PackageRef, fmt: Format,
              source: Source = "auto") -> LabelFile:
    """``NotFound`` (unknown or another merchant's), ``Conflict`` (not bought, voided, not rendered yet)."""
    claim = shipment_claim(store, merchant_id, package)
    if claim.state != ClaimState.BOUGHT:
        raise Conflict(f"the shipment is {claim.state.value}: there is no label to print")
    found = label_file(claim, fmt, source)
    if found is None:
        if source == "carrier":
            raise Conflict(f"the carrier supplied no {fmt} label for this shipment")
        raise Conflict(f"the {fmt} label is not rendered yet; try again in a few seconds")
    return found


@dataclass(frozen=True)
class Printable:
    shipment_id: str
    claim: Claim
    file: LabelFile
    pick_key: tuple[str, ...]


@dataclass
class Selection:
    items: list[Printable] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)


def pick_key(claim: Claim, order: Order | None) -> tuple[str, ...]:
    """Pick order: warehouse, then the package's lowest SKU (its first line on the pick list when bins are
    not known), then order_sn, package and leg. Bins are not stored yet (documents/packing.py), so the SKU
    stands in for the shelf: same-SKU parcels come out of the printer together."""
    sku = "\uffff"  # packages without a readable item list go last in their warehouse
    if order is not None:
        from kiriman.documents import packing

        try:
            skus = sorted(i.sku for i in packing.package_items(order, claim.package.package_number or None))
            sku = skus[0] if skus else sku
        except (NotFound, InvalidInput):
            pass
    p = claim.package
    return (str(claim.raw.get("warehouse_id") or "\uffff"), sku, p.order_sn, p.package_number, p.leg)


def select(store: ReadStore, merchant_id: str, claims: Sequence[tuple[str, Claim | None]], fmt: Format) -> Selection:
    """Printable labels of ``claims`` (id, claim or None when unknown), in pick order; the rest with a reason."""
    out = Selection()
    orders: dict[str, Order | None] = {}
    for ident, claim in claims:
        if claim is None or claim.merchant_id != merchant_id:
            out.missing.append({"shipment_id": ident, "reason": "not_found"})
            continue
        if claim.state != ClaimState.BOUGHT:
            out.missing.append({"shipment_id": ident, "reason": f"not_bought ({claim.state.value})"})
            continue
        found = label_file(claim, fmt)
        if found is None:
            out.missing.append({"shipment_id": ident, "reason": "not_rendered"})
            continue
        sn = claim.package.order_sn
        if sn not in orders:
            orders[sn] = store.get_order(merchant_id, sn)
        out.items.append(Printable(ident, claim, found, pick_key(claim, orders[sn])))
    out.items.sort(key=lambda p: p.pick_key)
    return out


@dataclass(frozen=True)
class Batch:
    key: str
    count: int
    shipment_ids: list[str]
    missing: list[dict[str, str]]


def merge_batch(bucket: DocumentBucket, merchant_id: str, batch_id: str, selection: Selection, fmt: Format,
                merge_pdfs: Callable[[list[bytes]], bytes], workers: int = 8) -> Batch:
    """Read every selected label (a few in parallel), join them in pick order, store the one file.

    PDF: pages appended (``merge_pdfs``, pypdf); ZPL: the label programs one after another (each is a whole
    ``^XA ... ^XZ`` format, so a printer prints them in turn). A label that vanished from the bucket is listed
    as missing rather than failing the batch. ``NotFound`` when no shipment exists (for this merchant),
    ``Conflict`` when none of them has a label yet.
    """
    keys = [p.file.key for p in selection.items]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(keys) or 1))) as pool:
        bodies = list(pool.map(bucket.get, keys))
    parts: list[bytes] = []
    ids: list[str] = []
    missing = list(selection.missing)
    for item, body in zip(selection.items, bodies, strict=True):
        if body is None:
            missing.append({"shipment_id": item.shipment_id, "reason": "file_missing"})
            continue
        parts.append(body)
        ids.append(item.shipment_id)
    if not parts and missing and all(m["reason"] == "not_found" for m in missing):
        raise NotFound("none of these shipments exists")  # another merchant's ids look exactly like unknown ones
    if not parts:
        raise Conflict(f"none of the shipments has a {fmt} label to print yet ({len(missing)} missing)")
    zpl_stream = b"".join(p if p.endswith(b"\n") else p + b"\n" for p in parts) if fmt == "zpl" else b""
    merged = merge_pdfs(parts) if fmt == "pdf" else zpl_stream
    key = batch_key(merchant_id, batch_id, fmt)
    bucket.put(key, merged, CONTENT_TYPES[fmt])
    return Batch(key, len(parts), ids, missing)
