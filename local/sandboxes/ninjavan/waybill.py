"""A small but valid, hand-written PDF waybill: one A6 page (105 x 148 mm) per tracking number.

Ninja Van's ``GET /{cc}/2.0/reports/waybill`` returns ``application/pdf``; its page size is not documented
(A6 / 4x6 thermal is what merchants print - UNCONFIRMED). The page shows the tracking number (with a decorative,
not scannable, bar pattern), the recipient, the merchant order number, service, COD and weight; the shipper block
is left out with ``hide_shipper_details=true``. Text is Helvetica / WinAnsi: accents are stripped and other
scripts print as ``?``; the PDF's Title (UTF-16) keeps the full text.
"""

from __future__ import annotations

import unicodedata
import zlib
from typing import Any

from .config import COUNTRIES
from .events import iso
from .model import Parcel

A6 = (297.6, 419.5)  # points, portrait
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"})


def latin(text: str) -> str:
    """Best-effort Latin-1 transliteration ("Nguyễn Văn Đức" -> "Nguyen Van Duc")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.encode("latin-1", errors="replace").decode("latin-1")


def _pdf_text(text: str) -> bytes:
    raw = latin(text).encode("latin-1", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _pdf_unicode(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _bars(code: str, x: float, y: float, height: float, max_width: float) -> bytes:
    ops = []
    pos = x
    for ch in code:
        for bit in f"{ord(ch) & 0x7F:07b}":
            width = 1.6 if bit == "1" else 0.8
            if pos + width > x + max_width:
                break
            ops.append(f"{pos:.1f} {y:.1f} {width:.1f} {height:.1f} re f")
            pos += width + 0.9
    return ("\n".join(ops) + "\n").encode()


def _get(obj: Any, *path: str) -> str:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return "" if obj is None else str(obj)


def label_lines(parcel: Parcel, hide_shipper_details: bool) -> list[str]:
    o = parcel.order
    currency = COUNTRIES[parcel.country].currency
    to_city = " ".join(
        v
        for v in (
            _get(o, "to", "address", k) for k in ("ward", "district", "area", "city", "state", "postcode", "country")
        )
        if v
    )
    lines = [
        f"Ref: {parcel.merchant_order_number or '-'}",
        f"Service: {parcel.service_type} / {parcel.service_level}",
        "",
        f"TO: {_get(o, 'to', 'name')}   {_get(o, 'to', 'phone_number') or _get(o, 'to', 'email')}",
        f"    {_get(o, 'to', 'address', 'address1')}",
    ]
    if _get(o, "to", "address", "address2"):
        lines.append(f"    {_get(o, 'to', 'address', 'address2')}")
    lines.append(f"    {to_city}")
    lines.append("")
    if hide_shipper_details:
        lines.append("FROM: (shipper details hidden)")
    else:
        lines.append(f"FROM: {_get(o, 'from', 'name')}   {_get(o, 'from', 'phone_number')}")
        lines.append(f"    {_get(o, 'from', 'address', 'address1')}")
    lines.append("")
    cod = f"{currency} {parcel.cod:.2f}" if parcel.cod > 0 else "-"
    lines.append(f"COD: {cod}    Weight: {parcel.weight:g} kg")
    slot = o.get("parcel_job", {}).get("delivery_timeslot") if isinstance(o.get("parcel_job"), dict) else None
    window = f"{_get(slot, 'start_time')}-{_get(slot, 'end_time')}" if isinstance(slot, dict) else ""
    lines.append(f"Delivery: {_get(o, 'parcel_job', 'delivery_start_date')} {window}")
    lines.append(f"Created: {iso(parcel.created_at, parcel.country)}")
    return lines


def render(parcels: list[Parcel], *, hide_shipper_details: bool = False, orientation: str = "portrait") -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog_id = add(b"")
    pages_id = add(b"")
    font_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    width, height = A6 if orientation != "landscape" else (A6[1], A6[0])
    max_chars = 58 if orientation != "landscape" else 90
    page_ids = []
    for parcel in parcels:
        top = height - 30
        content = bytearray()
        content += b"0.6 w 12 12 m %.1f 12 l %.1f %.1f l 12 %.1f l h S\n" % (
            width - 12,
            width - 12,
            height - 12,
            height - 12,
        )
        content += b"BT /F2 11 Tf 22 %.1f Td " % top + _pdf_text("NINJA VAN  - sandbox waybill") + b" Tj ET\n"
        content += b"BT /F2 13 Tf 22 %.1f Td " % (top - 20) + _pdf_text(parcel.tracking_number) + b" Tj ET\n"
        content += _bars(parcel.tracking_number, 22, top - 66, 36, width - 44)
        y = top - 84
        for line in label_lines(parcel, hide_shipper_details):
            if y < 20:
                break
            content += b"BT /F1 8 Tf 22 %.1f Td " % y + _pdf_text(line[:max_chars]) + b" Tj ET\n"
            y -= 11
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
    title = "; ".join(f"Waybill {p.tracking_number} {_get(p.order, 'to', 'name')}" for p in parcels)
    info_id = add(b"<< /Title " + _pdf_unicode(title) + b" /Producer (Ninja Van sandbox) >>")

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
