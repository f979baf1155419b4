"""A small but valid, hand-written PDF label, one page per call.

Flash's ``/open/v1/orders/{pno}/pre_print`` answers the label as PDF bytes (100 x 180 mm);
``/small/pre_print`` gives the 100 x 75 mm label. The page shows the pno (large, with a decorative - not
scannable - bar pattern), the sort code, destination store, recipient, sender, COD and weight, and the merchant's
order number. Text is Helvetica / WinAnsi: Thai and other non-Latin scripts print as ``?`` (accents are stripped);
the PDF's Title (UTF-16) keeps the full text.
"""

from __future__ import annotations

import unicodedata
import zlib

from .events import local_text
from .model import Parcel

MM = 72 / 25.4
SIZES = {"large": (100 * MM, 180 * MM), "small": (100 * MM, 75 * MM)}


def latin(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
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


def label_lines(parcel: Parcel, size: str) -> list[str]:
    dst, src = parcel.dst, parcel.src
    cod = f"COD THB {parcel.cod_amount / 100:.2f}" if parcel.cod_amount > 0 else "COD -"
    lines = [
        f"Sort: {parcel.sort_code}   To store: {parcel.dst_store_name}",
        f"TO: {dst.get('name', '')}  {dst.get('phone', '')}",
        f"    {dst.get('detail_address', '')}",
        f"    {dst.get('district', '')} {dst.get('city', '')} {dst.get('province', '')} {dst.get('postal_code', '')}",
        f"{cod}    Weight: {parcel.weight_g} g",
    ]
    if size == "large":
        lines += [
            "",
            f"FROM: {src.get('name', '')}  {src.get('phone', '')}",
            f"    {src.get('detail_address', '')} {src.get('postal_code', '')}",
            "",
            f"Order: {parcel.out_trade_no}",
            f"Remark: {parcel.remark or '-'}",
            f"Created: {local_text(parcel.created_at)} (UTC+7)",
        ]
    return lines


def render(parcel: Parcel, size: str = "large") -> bytes:
    width, height = SIZES.get(size, SIZES["large"])
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog_id = add(b"")
    pages_id = add(b"")
    font_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    top = height - 26
    content = bytearray()
    content += b"0.6 w 8 8 m %.1f 8 l %.1f %.1f l 8 %.1f l h S\n" % (width - 8, width - 8, height - 8, height - 8)
    content += b"BT /F2 10 Tf 16 %.1f Td " % top + _pdf_text("FLASH EXPRESS - sandbox label") + b" Tj ET\n"
    content += b"BT /F2 14 Tf 16 %.1f Td " % (top - 18) + _pdf_text(parcel.pno) + b" Tj ET\n"
    bar_height = 30 if size == "large" else 18
    content += _bars(parcel.pno, 16, top - 24 - bar_height, bar_height, width - 32)
    y = top - 36 - bar_height
    for line in label_lines(parcel, size):
        if y < 14:
            break
        content += b"BT /F1 7 Tf 16 %.1f Td " % y + _pdf_text(line[:72]) + b" Tj ET\n"
        y -= 10
    stream = zlib.compress(bytes(content))
    content_id = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    page_id = add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.1f %.1f] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
        % (pages_id, width, height, content_id, font_id, bold_id)
    )
    objects[catalog_id - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page_id
    title = f"Flash label {parcel.pno} {parcel.dst.get('name', '')}"
    info_id = add(b"<< /Title " + _pdf_unicode(title) + b" /Producer (Flash Express sandbox) >>")

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
