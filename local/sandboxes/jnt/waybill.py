"""A small but valid, hand-written PDF waybill: one 100 x 150 mm page (the usual SEA thermal label; J&T's page
size is UNCONFIRMED) per billCode (multi-parcel orders: one page per sub billCode).

Shows the billCode (large, with a decorative - not scannable - bar pattern), the sorting codes, receiver, sender,
txlogisticId, express / service type, COD and weight. Text is Helvetica / WinAnsi, uncompressed: accents are
stripped and other scripts print as ``?``; the PDF's Title (UTF-16) keeps the full text.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .config import COUNTRIES
from .events import local_time
from .model import Parcel

PAGE = (283.5, 425.2)  # 100 x 150 mm in points
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


def label_lines(parcel: Parcel, template: str) -> list[str]:
    o = parcel.order
    currency = COUNTRIES[parcel.country].currency
    place = " ".join(v for v in (_get(o, "receiver", k) for k in ("area", "city", "prov", "postCode")) if v)
    cod = f"{currency} {parcel.cod:.2f}" if parcel.cod > 0 else "-"
    return [
        f"Sorting: {parcel.sorting_code}   {parcel.third_sorting_code}",
        f"Order: {parcel.reference}",
        f"Express: {parcel.express_type}   Service: {parcel.service_type}   Pay: {parcel.pay_type}",
        "",
        f"TO: {_get(o, 'receiver', 'name')}   {_get(o, 'receiver', 'phone')}",
        f"    {_get(o, 'receiver', 'address')}",
        f"    {place} {_get(o, 'receiver', 'countryCode')}",
        "",
        f"FROM: {_get(o, 'sender', 'name')}   {_get(o, 'sender', 'phone')}",
        f"    {_get(o, 'sender', 'address')} {_get(o, 'sender', 'postCode')}",
        "",
        f"COD: {cod}    Weight: {parcel.weight:g} kg    Charge wt: {parcel.chargeable_weight:g} kg",
        f"Created: {local_time(parcel.created_at, parcel.country)}",
        f"Template: {template or 'standard'}",
    ]


def render(parcel: Parcel, template: str = "") -> bytes:
    codes = parcel.sub_bill_codes or [parcel.tracking_number]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog_id = add(b"")
    pages_id = add(b"")
    font_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    width, height = PAGE
    page_ids = []
    for n, code in enumerate(codes, start=1):
        top = height - 30
        content = bytearray()
        content += b"0.6 w 10 10 m %.1f 10 l %.1f %.1f l 10 %.1f l h S\n" % (
            width - 10,
            width - 10,
            height - 10,
            height - 10,
        )
        content += b"BT /F2 11 Tf 20 %.1f Td " % top + _pdf_text("J&T EXPRESS  - sandbox waybill") + b" Tj ET\n"
        content += b"BT /F2 15 Tf 20 %.1f Td " % (top - 22) + _pdf_text(code) + b" Tj ET\n"
        content += _bars(code, 20, top - 72, 40, width - 40)
        y = top - 90
        lines = label_lines(parcel, template)
        if len(codes) > 1:
            lines.insert(0, f"Parcel {n} of {len(codes)} (main {parcel.tracking_number})")
        for line in lines:
            if y < 18:
                break
            content += b"BT /F1 8 Tf 20 %.1f Td " % y + _pdf_text(line[:60]) + b" Tj ET\n"
            y -= 11
        content_id = add(b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"\nendstream")
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
    title = f"Waybill {parcel.tracking_number} {_get(parcel.order, 'receiver', 'name')}"
    info_id = add(b"<< /Title " + _pdf_unicode(title) + b" /Producer (J&T sandbox) >>")

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
