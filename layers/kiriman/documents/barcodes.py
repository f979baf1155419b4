"""Code 128 and QR codes as SVG, for the HTML labels.

The bar patterns come from well-kept packages (python-barcode for Code 128, segno for QR); we only draw
them. Each symbol is a ``viewBox`` in modules with ``shape-rendering="crispEdges"``, so the template sets the
printed size in mm and the PDF keeps vector bars (no resampling blur on a 203 dpi printer).

``*_svg`` return the SVG text; ``inline_svg`` puts it in the page (no ``<img>``, no URL: nothing to fetch).
"""

from __future__ import annotations

import json

import barcode
import segno
from markupsafe import Markup

from kiriman.domain.errors import InvalidInput

# Code 128 needs a quiet zone of at least 10 modules each side (ISO/IEC 15417 section 4.3.6 / GS1 General
# Specifications 5.4.4.4); we draw it inside the symbol so a tight layout cannot eat it.
QUIET_ZONE_MODULES = 10


def code128_modules(data: str) -> str:
    """The symbol as a string of ``1`` (bar) and ``0`` (space) modules, without quiet zones.

    python-barcode picks code sets A/B/C itself (C for digit runs, which shortens numeric tracking numbers).
    Raises ``InvalidInput`` for data Code 128 cannot carry (empty or outside ASCII 32..126 for our use).
    """
    if not data or any(not 32 <= ord(ch) <= 126 for ch in data):
        raise InvalidInput("tracking_number", "must be printable ASCII to fit in a Code 128 barcode")
    modules: str = barcode.Code128(data).build()[0]
    return modules


def code128_svg(data: str, *, height_modules: int = 60) -> str:
    """Code 128 of ``data`` as SVG; one user unit is one module, quiet zones included."""
    modules = code128_modules(data)
    width = len(modules) + 2 * QUIET_ZONE_MODULES
    bars: list[str] = []
    x = 0
    while x < len(modules):
        if modules[x] == "1":
            start = x
            while x < len(modules) and modules[x] == "1":
                x += 1
            bars.append(f"M{start + QUIET_ZONE_MODULES} 0h{x - start}v{height_modules}h-{x - start}z")
        else:
            x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height_modules}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{height_modules}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(bars)}"/></svg>'
    )


def code128_width_modules(data: str) -> int:
    """Symbol width in modules, quiet zones included (the template sizes the bars from this)."""
    return len(code128_modules(data)) + 2 * QUIET_ZONE_MODULES


def qr_payload(**fields: str | None) -> str:
    """The QR's text: compact JSON of the non-empty fields, keys sorted (no URL: nothing to phish with)."""
    return json.dumps(
        {key: value for key, value in sorted(fields.items()) if value},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def qr_svg(data: str) -> str:
    """QR code of ``data`` (error correction M, 4-module quiet zone) as SVG in module units."""
    qr = segno.make(data, error="m", micro=False)
    svg: str = qr.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" shape-rendering="crispEdges" ', 1)


def inline_svg(svg: str, *, css_class: str, label: str) -> Markup:
    """Our SVG as inline markup with a class (sized by the stylesheet) and an escaped ``aria-label``.

    Inline rather than ``<img src="data:...">``: QtWebKit prints 100 labels about 40% faster that way
    (bench/documents.py), and both keep vector bars. Only SVG built by this module may be passed here.
    """
    head, rest = svg.split("<svg ", 1)
    return Markup('{}<svg class="{}" aria-label="{}" ').format(Markup(head), css_class, label) + Markup(rest)  # noqa: S704
