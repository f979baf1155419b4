"""The four-step shipping-document (AWB) flow and a small, real PDF waybill.

open.shopee.com v2.logistics.get_shipping_document_parameter -> create_shipping_document ->
get_shipping_document_result (poll until READY, or push 15) -> download_shipping_document (the file).
Batch rules from those pages: ``order_list`` of 1-50; element failures go to ``result_list[].fail_error`` /
``fail_message`` and ``warning[]``; when every element fails the top-level error is
``common.batch_api_all_failed`` and ``response`` is still returned. The AWB can be created only once the
package has its tracking number and before the parcel is picked up ("Order Management", step 5).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from . import catalog, lifecycle
from .api import ApiResult, Ctx, Endpoint, ok
from .errors import ApiError, param_error
from .model import (
    DOCUMENT_TYPES,
    FULFILLED_BY_CB_SELLER,
    FULFILLED_BY_SHOPEE,
    L_REQUEST_CREATED,
    Order,
    Package,
)

ALL_FAILED = ("common.batch_api_all_failed", "Failed, please check result_list for more details.")


@dataclass
class Element:
    order_sn: str
    package_number: str | None  # as the caller sent it (None = omitted)
    raw: dict[str, Any]
    order: Order | None = None
    pkg: Package | None = None
    fail_error: str = ""
    fail_message: str = ""

    def fail(self, error: str, message: str) -> None:
        if not self.fail_error:
            self.fail_error, self.fail_message = error, message

    def row(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"order_sn": self.order_sn}
        number = self.package_number or (self.pkg.package_number if self.pkg else None)
        if number:
            out["package_number"] = number
        if self.fail_error:
            out["fail_error"] = self.fail_error
            out["fail_message"] = self.fail_message
        else:
            out.update(extra)
        return out


def _elements(ctx: Ctx) -> list[Element]:
    order_list = ctx.b_list("order_list", required=True)
    if not 1 <= len(order_list) <= 50:
        raise param_error("order_list length should be in [1,50]")
    out = []
    for raw in order_list:
        if not isinstance(raw, dict):
            raise param_error("order_list[] should be objects")
        sn = raw.get("order_sn")
        if not isinstance(sn, str) or not sn:
            raise param_error("order_list[].order_sn is a required field")
        pn = raw.get("package_number")
        el = Element(order_sn=sn, package_number=pn if isinstance(pn, str) and pn else None, raw=raw)
        el.order = ctx.find_order(sn)
        if el.order is None:
            el.fail("logistics.order_not_exist", f"The order_sn {sn} is not exist.")
        elif el.package_number:
            el.pkg = ctx.find_package(el.order, el.package_number)
            if el.pkg is None:
                el.fail("logistics.package_number_not_found", f"The package_number {el.package_number} is not exist.")
        elif len(el.order.packages) > 1:
            el.fail("logistics.package_number_not_exist", "Please request with package_number for this split order.")
        else:
            el.pkg = el.order.packages[0]
        out.append(el)
    return out


def _document_types(pkg: Package) -> tuple[str, ...]:
    channel = catalog.CHANNELS.get(pkg.channel_id)
    return channel.document_types if channel else ("THERMAL_AIR_WAYBILL",)


def _check_printable(el: Element) -> None:
    order, pkg = el.order, el.pkg
    if order is None or pkg is None:
        return
    if order.advance_package:
        el.fail(
            "logistics.error_booking_order",
            "This order is matched order with booking, don't need arrange shipment through seller side.",
        )
    elif order.fulfillment_flag == FULFILLED_BY_SHOPEE:
        el.fail("logistics.package_can_not_print", "The package can not print now.")
    elif pkg.logistics_status != L_REQUEST_CREATED:
        # before arrangement, after pickup, cancelled ...
        el.fail("logistics.order_status_error", "Order status does not support awb printing.")
    elif not pkg.tracking_number:
        el.fail("logistics.error_param", "The order is being allocated, please wait until the allocate is completed.")


def _finish(rows: list[dict[str, Any]], elements: list[Element]) -> ApiResult:
    failed = [el for el in elements if el.fail_error]
    warning = [
        {"order_sn": el.order_sn, **({"package_number": el.package_number} if el.package_number else {})}
        for el in failed
    ] or None
    result = ok({"result_list": rows}, warning=warning)
    if failed and len(failed) == len(elements):
        result.error, result.message = ALL_FAILED
    return result


def get_shipping_document_parameter(ctx: Ctx) -> ApiResult:
    elements = _elements(ctx)
    rows = []
    for el in elements:
        _check_printable(el)
        types = _document_types(el.pkg) if el.pkg else ()
        rows.append(
            el.row(
                suggest_shipping_document_type=types[0] if types else "", selectable_shipping_document_type=list(types)
            )
        )
    return _finish(rows, elements)


def create_shipping_document(ctx: Ctx) -> ApiResult:
    elements = _elements(ctx)
    for el in elements:
        _check_printable(el)
        if el.fail_error or el.pkg is None or el.order is None:
            continue
        doc_type = el.raw.get("shipping_document_type") or _document_types(el.pkg)[0]
        if doc_type not in DOCUMENT_TYPES or doc_type not in _document_types(el.pkg):
            el.fail(
                "logistics.shipping_document_type_invalid",
                "The shipping_document_type is not invalid. Please check the shipping_document_type.",
            )
            continue
        # "Required except for the channel allow print before arrange shipment" - no sandbox channel pre-prints.
        tracking = el.raw.get("tracking_number")
        if tracking != el.pkg.tracking_number:
            el.fail(
                "logistics.tracking_number_invalid", "The tracking number is invalid. Please check the tracking number."
            )
            continue
        doc = el.pkg.document
        if doc is not None and doc.document_type == doc_type and doc.status in ("PROCESSING", "READY"):
            continue  # creating it again is harmless
        lifecycle.start_document(ctx.state, el.order, el.pkg, doc_type, ctx.now)
    return _finish([el.row() for el in elements], elements)


def get_shipping_document_result(ctx: Ctx) -> ApiResult:
    elements = _elements(ctx)
    rows = []
    for el in elements:
        doc = el.pkg.document if el.pkg else None
        if not el.fail_error and doc is None:
            el.fail(
                "logistics.shipping_document_should_print_first",
                "The package can not print now, please create shipping document first.Detail: order_sn",
            )
        rows.append(el.row(status=doc.status if doc else ""))
        if doc is not None and doc.status == "FAILED" and not el.fail_error:
            rows[-1]["fail_error"] = doc.fail_error
            rows[-1]["fail_message"] = doc.fail_message
    return _finish(rows, elements)


def download_shipping_document(ctx: Ctx) -> ApiResult:
    elements = _elements(ctx)
    wanted = ctx.b_str("shipping_document_type")
    if wanted is not None and wanted not in DOCUMENT_TYPES:
        raise ApiError(
            "logistics.shipping_document_type_invalid",
            "The shipping_document_type is not invalid. Please check the shipping_document_type.",
        )
    labels = []
    types = set()
    for el in elements:
        if el.fail_error:
            raise ApiError(el.fail_error, el.fail_message)
        assert el.order is not None and el.pkg is not None
        doc = el.pkg.document
        if doc is None or (wanted is not None and doc.document_type != wanted):
            raise ApiError(
                "logistics.shipping_document_should_print_first",
                f"The package can not print now, please create shipping document first.Detail: {el.order_sn}",
            )
        if doc.status == "PROCESSING":
            raise ApiError("logistics.download_later", f"Processing, please download later. Detail: {el.order_sn}")
        if doc.status == "FAILED":
            raise ApiError(
                "logistics.package_print_failed",
                f"Some package failed to print, please try again later. Detail: {el.order_sn}",
            )
        types.add(doc.document_type)
        labels.append(_label(ctx, el.order, el.pkg, doc.document_type))
    if len(types) > 1:
        raise ApiError(
            "logistics.packages_can_not_download_together",
            "Packages can not download together. Detail: different shipping_document_type",
        )
    return ApiResult(binary=render_pdf(labels), content_type="application/pdf")


# -- the PDF ---------------------------------------------------------------------------------------------
@dataclass
class Label:
    document_type: str
    title: str
    lines: list[str]
    tracking_number: str


def _label(ctx: Ctx, order: Order, pkg: Package, document_type: str) -> Label:
    channel = catalog.CHANNELS.get(pkg.channel_id)
    shop = ctx.state.shop(order.shop_id)
    r = order.recipient
    weights = {i.order_item_id: i.weight_kg for i in order.items}
    grams = round(sum(weights.get(it.order_item_id, 0) * it.quantity for it in pkg.items) * 1000)
    lines = [
        f"{channel.name if channel else 'Shopee'}  ({document_type})",
        f"Tracking: {pkg.tracking_number}",
        f"Order: {order.order_sn}   Package: {pkg.package_number}",
        f"To: {r.name}  {r.phone}",
        f"   {r.full_address}",
        f"   {r.city} {r.state} {r.zipcode} {r.region}",
        f"From: {shop.name if shop else order.shop_id}",
        f"Weight: {grams} g   Items: {sum(it.quantity for it in pkg.items)}",
        f"COD: {order.currency} {order.total_amount}" if order.cod else "COD: no",
    ]
    if order.fulfillment_flag == FULFILLED_BY_CB_SELLER:
        lines.append(
            f"Service code: {order.region}-SLS  Lane: S-{order.region}01  Goods to declare: "
            f"{'T' if order.goods_to_declare else 'P'}"
        )
    return Label(document_type, f"AWB {pkg.tracking_number} {r.name}", lines, pkg.tracking_number)


def _pdf_text(text: str) -> bytes:
    """A PDF literal string in WinAnsi (Latin-1); characters outside it print as '?'."""
    raw = text.encode("latin-1", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _pdf_unicode(text: str) -> bytes:
    """A PDF text string in UTF-16BE (for the document info, where any script is allowed)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _bars(code: str, x: float, y: float, height: float) -> bytes:
    """A decorative barcode: two bars per bit of each character (not a scannable symbology)."""
    ops = []
    pos = x
    for ch in code:
        for bit in f"{ord(ch) & 0x7F:07b}":
            width = 2.0 if bit == "1" else 1.0
            ops.append(f"{pos:.1f} {y:.1f} {width:.1f} {height:.1f} re f")
            pos += width + 1.2
    return ("\n".join(ops) + "\n").encode()


def render_pdf(labels: list[Label]) -> bytes:
    """One page per label: 100 x 150 mm for thermal documents, A4 otherwise."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog_id = add(b"")  # filled in below
    pages_id = add(b"")
    font_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for label in labels:
        width, height = (283.5, 425.2) if label.document_type.startswith("THERMAL") else (595.3, 841.9)
        top = height - 40
        content = bytearray()
        content += b"0.5 w 20 20 m %.1f 20 l %.1f %.1f l 20 %.1f l h S\n" % (
            width - 20,
            width - 20,
            height - 20,
            height - 20,
        )
        content += b"BT /F2 14 Tf 30 %.1f Td " % top + _pdf_text("SHOPEE SANDBOX WAYBILL") + b" Tj ET\n"
        y = top - 24
        for line in label.lines:
            content += b"BT /F1 8 Tf 30 %.1f Td " % y + _pdf_text(line[:90]) + b" Tj ET\n"
            y -= 13
        content += _bars(label.tracking_number[:20], 30, max(40.0, y - 60), 45)
        stream = zlib.compress(bytes(content))
        content_id = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.1f %.1f] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                % (pages_id, width, height, content_id, font_id, bold_id)
            )
        )
    objects[catalog_id - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    title = "; ".join(label.title for label in labels)
    info_id = add(b"<< /Title " + _pdf_unicode(title) + b" /Producer (Shopee Open Platform sandbox) >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog_id,
        info_id,
        xref_at,
    )
    return bytes(out)


ENDPOINTS = [
    Endpoint("/api/v2/logistics/get_shipping_document_parameter", "POST", "shop", get_shipping_document_parameter),
    Endpoint("/api/v2/logistics/create_shipping_document", "POST", "shop", create_shipping_document),
    Endpoint("/api/v2/logistics/get_shipping_document_result", "POST", "shop", get_shipping_document_result),
    Endpoint("/api/v2/logistics/download_shipping_document", "POST", "shop", download_shipping_document),
]
