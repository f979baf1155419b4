"""Small but valid, hand-written label files: PDF (one page per part) and, for ``response_label_format: IMG``,
a PNG.

``ds.xms.label.get`` answers with URLs (``label_url_info.logistics_label``, ``custom_label``, ``package_label``);
the sandbox serves them itself under ``/label-files/``. Page sizes follow 4PX's ``label_size`` values: label_80x90
is 80.5 x 90 mm, label_90x100 85 x 98 mm, label_100x100 98 x 98 mm, label_100x150 100 x 150 mm, label_100x200
100 x 200 mm. Parts: the shipping label (4PX number large with a decorative, not scannable, bar pattern; last-mile
carrier and number once assigned; recipient; sender; weight), the customs declaration (CN22-style item list) and
the package (picking) list. Helvetica/WinAnsi text: accents are stripped, other scripts print as ``?``.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from typing import Any

from .config import DESTINATIONS, PRODUCTS
from .events import occur
from .model import Order

MM = 72 / 25.4
LABEL_SIZES: dict[str, tuple[float, float]] = {  # mm (width, height)
    "label_80x90": (80.5, 90.0),
    "label_90x100": (85.0, 98.0),
    "label_100x100": (98.0, 98.0),
    "label_100x150": (100.0, 150.0),
    "label_100x200": (100.0, 200.0),
}
DEFAULT_LABEL_SIZE = "label_80x90"
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"})


def page_points(label_size: str) -> tuple[float, float]:
    w, h = LABEL_SIZES[label_size]
    return round(w * MM, 1), round(h * MM, 1)


def latin(text: str) -> str:
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
            width = 1.4 if bit == "1" else 0.7
            if pos + width > x + max_width:
                break
            ops.append(f"{pos:.1f} {y:.1f} {width:.1f} {height:.1f} re f")
            pos += width + 0.8
    return ("\n".join(ops) + "\n").encode()


def _get(obj: Any, *path: str) -> str:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return "" if obj is None else str(obj)


def _declarations(order: Order) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    parcels = order.request.get("parcel_list")
    for parcel in parcels if isinstance(parcels, list) else []:
        items = parcel.get("declare_product_info") if isinstance(parcel, dict) else None
        out.extend(i for i in (items if isinstance(items, list) else []) if isinstance(i, dict))
    return out


def label_lines(order: Order) -> list[str]:
    r = order.request
    dest = DESTINATIONS[order.destination]
    product = PRODUCTS[order.product_code]
    to_place = " ".join(
        v for v in (_get(r, "recipient_info", k) for k in ("district", "city", "state", "post_code")) if v
    )
    lines = [
        f"Ref: {order.ref_no}",
        f"Product: {product.code} {product.name_en}",
        f"Last mile: {order.channel_name} {order.channel_no}" if order.channel_no else "Last mile: (not assigned yet)",
        "",
        f"TO: {_get(r, 'recipient_info', 'first_name')} {_get(r, 'recipient_info', 'last_name')}".rstrip(),
        f"    {_get(r, 'recipient_info', 'phone')}",
        f"    {_get(r, 'recipient_info', 'street')} {_get(r, 'recipient_info', 'house_number')}".rstrip(),
        f"    {to_place}",
        f"    {dest.code}",
        "",
        f"FROM: {_get(r, 'sender', 'first_name')} {_get(r, 'sender', 'company')}".rstrip(),
        f"    {order.sender_city} {order.sender_country}",
        "",
        f"Weight: {order.weight_g} g   Pieces: {max(1, len(r.get('parcel_list') or []))}",
        f"Created: {occur(order.created_at)} (UTC+8)",
    ]
    return lines


def declaration_lines(order: Order) -> list[str]:
    lines = ["CUSTOMS DECLARATION (CN22)", f"Ref: {order.ref_no}", ""]
    total = 0.0
    for item in _declarations(order):
        qty = item.get("declare_product_code_qty") or 1
        price = item.get("declare_unit_price_export") or 0
        try:
            value = float(qty) * float(price)
        except (TypeError, ValueError):
            value = 0.0
        total += value
        hs = _get(item, "hscode_export")
        lines.append(f"{qty} x {_get(item, 'declare_product_name_en')}  HS {hs or '-'}  {value:.2f}")
    lines += ["", f"Total value: {total:.2f} {order.currency}", f"Origin: {order.sender_country}", "Gift: N"]
    return lines


def package_lines(order: Order) -> list[str]:
    lines = ["PACKAGE LIST", f"Ref: {order.ref_no}", ""]
    for item in _declarations(order):
        remark = _get(item, "package_remarks") or _get(item, "declare_product_name_en")
        lines.append(f"{_get(item, 'declare_product_code_qty') or 1} x {remark}")
    return lines


def _page(order: Order, part: str, width: float, height: float) -> bytes:
    top = height - 22
    small = max(6.0, min(8.0, width / 32))
    content = bytearray()
    content += b"0.6 w 6 6 m %.1f 6 l %.1f %.1f l 6 %.1f l h S\n" % (width - 6, width - 6, height - 6, height - 6)
    if part == "label":
        content += b"BT /F2 11 Tf 14 %.1f Td " % top + _pdf_text("4PX  sandbox label") + b" Tj ET\n"
        content += b"BT /F2 12 Tf 14 %.1f Td " % (top - 18) + _pdf_text(order.tracking_number) + b" Tj ET\n"
        content += _bars(order.tracking_number, 14, top - 58, 34, width - 28)
        lines = label_lines(order)
        y = top - 72
    else:
        lines = declaration_lines(order) if part == "declaration" else package_lines(order)
        content += b"BT /F2 9 Tf 14 %.1f Td " % top + _pdf_text(order.tracking_number) + b" Tj ET\n"
        y = top - 16
    max_chars = int((width - 28) / (small * 0.5))
    for line in lines:
        if y < 12:
            break
        content += b"BT /F1 %.1f Tf 14 %.1f Td " % (small, y) + _pdf_text(line[:max_chars]) + b" Tj ET\n"
        y -= small + 3
    return bytes(content)


def render_pdf(order: Order, parts: list[str], label_size: str) -> bytes:
    return render_pages([(order, part) for part in parts], label_size)


def render_many(orders: list[Order], label_size: str) -> bytes:
    return render_pages([(order, "label") for order in orders], label_size)


def render_pages(pages: list[tuple[Order, str]], label_size: str) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog_id = add(b"")
    pages_id = add(b"")
    font_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold_id = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    width, height = page_points(label_size)
    page_ids = []
    for order, part in pages:
        stream = zlib.compress(_page(order, part, width, height))
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
    title = "; ".join(dict.fromkeys(f"4PX label {o.tracking_number} {o.ref_no}" for o, _ in pages))
    info_id = add(b"<< /Title " + _pdf_unicode(title) + b" /Producer (4PX sandbox) >>")
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


def render_png(order: Order, label_size: str) -> bytes:
    """A grayscale PNG at ~4 px/mm: a border and the 4PX number's bar pattern (no text: no font rasteriser)."""
    w_mm, h_mm = LABEL_SIZES[label_size]
    width, height = int(w_mm * 4), int(h_mm * 4)
    pixels = [bytearray(b"\xff" * width) for _ in range(height)]
    for x in range(width):
        for y in (0, 1, height - 2, height - 1):
            pixels[y][x] = 0
    for row in pixels:
        row[0] = row[1] = row[width - 2] = row[width - 1] = 0
    pos = 16
    for ch in order.tracking_number:
        for bit in f"{ord(ch) & 0x7F:07b}":
            bar = 3 if bit == "1" else 1
            if pos + bar >= width - 16:
                break
            for y in range(24, 24 + height // 4):
                for x in range(pos, pos + bar):
                    pixels[y][x] = 0
            pos += bar + 2
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
