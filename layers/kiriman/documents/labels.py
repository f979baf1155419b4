"""Our own shipping label for carriers that return none (issue #9 item 1): HTML -> PDF.

Layout (``templates/label.html`` + ``label.css``), top to bottom: carrier and service with the sort/route code
in a large inverted box when the carrier gives one (carriers.md 8.2: J&T ``sortingCode``, Flash ``sortCode``
"must print them"); the Code 128 of the tracking number with the number under it; the recipient (large);
the sender; the COD amount, inverted and large when there is one, else "NO COD"; then the QR code next to
the order, package and our reference, the weight, the item count and the print time.

Sizes (``PageSize``): ``LABEL_4X6`` 100 x 150 mm and ``A6`` 105 x 148 mm print one label per sheet. ``A4`` prints
FOUR A6-sized labels per sheet (2 x 2 cells of 105 x 148.5 mm, the usual A4 sticker sheet; carriers.md 8.1
lists A4 multi-label sheets), in the order given; so ``split_pages`` on an A4 PDF gives sheets, not labels.

Barcode size: the module (narrow bar) is a whole number of 203 dpi printer dots (1 dot = 25.4 / 203 mm), the
widest of 4, 3 or 2 dots whose symbol (with its 10-module quiet zones) fits the label's width; 2 dots is
0.25 mm (~9.8 mil), still within what handheld scanners read. Bars are 20 mm tall.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from kiriman.documents import barcodes
from kiriman.documents.pdf import PageSize, html_to_pdf
from kiriman.documents.templates import render
from kiriman.domain.errors import InvalidInput

DOT_MM = 25.4 / 203  # one dot of a 203 dpi thermal printer
PADDING_MM = 3.0
BAR_HEIGHT_MM = 20.0
QR_MM = 26.0
A4_CELL = (105.0, 148.5)  # 2 x 2 on 210 x 297
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# ISO 4217 minor units for the currencies whose COD we print without decimals (VND, JPY, KRW: 0). IDR and
# TWD have 2 in ISO 4217 but are collected in whole units (Shopee ID/TW prices are whole numbers), so 0 too.
_NO_DECIMALS = frozenset({"VND", "JPY", "KRW", "IDR", "TWD", "CLP"})


@dataclass(frozen=True)
class Party:
    """A sender or recipient as printed. ``lines`` are the street lines; ``country`` an ISO 3166 alpha-2 code."""

    name: str
    phone: str = ""
    lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""

    def locality(self) -> str:
        return " ".join(part for part in (self.postcode, self.city, self.state) if part)


@dataclass(frozen=True)
class LabelDocument:
    tracking_number: str
    carrier: str
    service: str
    sender: Party
    recipient: Party
    cod_amount: Decimal = Decimal(0)
    currency: str = ""
    order_sn: str = ""
    package_number: str = ""
    reference: str = ""
    sort_code: str = ""
    weight_g: int | None = None
    items_count: int | None = None
    printed_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tn = self.tracking_number
        if not tn or len(tn) > 40 or any(not 32 <= ord(ch) <= 126 for ch in tn):
            raise InvalidInput("tracking_number", "1 to 40 printable ASCII characters (Code 128)")
        if not self.recipient.name.strip():
            raise InvalidInput("recipient.name", "required")
        if not self.sender.name.strip():
            raise InvalidInput("sender.name", "required")
        if self.cod_amount < 0:
            raise InvalidInput("cod_amount", "must not be negative")
        if self.cod_amount > 0 and not _CURRENCY.match(self.currency):
            raise InvalidInput("currency", "an ISO 4217 code is required with a COD amount")
        if self.weight_g is not None and self.weight_g < 0:
            raise InvalidInput("weight_g", "must not be negative")
        if self.items_count is not None and self.items_count < 0:
            raise InvalidInput("items_count", "must not be negative")

    @property
    def has_cod(self) -> bool:
        return self.cod_amount > 0

    def qr_payload(self) -> str:
        """JSON, no URL: the tracking number and our purchase reference, which names the shop, order, package
        and leg (the order and package are printed beside it). Kept short on purpose: a version-4 symbol
        instead of version 7 scans more easily and halves segno's mask evaluation (bench/documents.py)."""
        return barcodes.qr_payload(tn=self.tracking_number, ref=self.reference)


def cod_text(doc: LabelDocument) -> str:
    """``COD THB 1,234.50``; whole units for VND, IDR, TWD and the like; ``""`` without COD."""
    if not doc.has_cod:
        return ""
    places = 0 if doc.currency in _NO_DECIMALS else 2
    return f"COD {doc.currency} {doc.cod_amount:,.{places}f}"


def label_box_mm(size: PageSize) -> tuple[float, float]:
    """The label's own width and height in mm (an A4 sheet holds four A6-sized labels)."""
    if size is PageSize.A4:
        return 105.0, 148.0
    return float(size.width_mm), float(size.height_mm)


def module_dots(tracking_number: str, width_mm: float) -> int:
    """Narrow-bar width in printer dots: the widest of 4, 3, 2 that fits; 2 (and a squeeze) as a last resort."""
    modules = barcodes.code128_width_modules(tracking_number)
    usable = width_mm - 2 * PADDING_MM
    for dots in (4, 3, 2):
        if modules * dots * DOT_MM <= usable:
            return dots
    return 2


def _view(doc: LabelDocument, size: PageSize) -> dict[str, Any]:
    width, _ = label_box_mm(size)
    dots = module_dots(doc.tracking_number, width)
    bar_width = min(barcodes.code128_width_modules(doc.tracking_number) * dots * DOT_MM, width - 2 * PADDING_MM)
    return {
        "doc": doc,
        "barcode": barcodes.inline_svg(
            barcodes.code128_svg(doc.tracking_number), css_class="bc", label=doc.tracking_number
        ),
        "barcode_width_mm": f"{bar_width:.3f}",
        "qr": barcodes.inline_svg(barcodes.qr_svg(doc.qr_payload()), css_class="qr", label="QR"),
        "cod": cod_text(doc),
        "printed_at": doc.printed_at.strftime("%Y-%m-%d %H:%M %z") if doc.printed_at else "",
        "weight_kg": f"{Decimal(doc.weight_g) / 1000:.3f}" if doc.weight_g is not None else "",
    }


def label_css(size: PageSize) -> str:
    width, height = label_box_mm(size)
    return str(
        render(
            "label.css",
            width=f"{width:.2f}",
            height=f"{height - 0.5:.2f}",  # half a mm of slack: no rounding spill onto a blank sheet
            inner_width=f"{width - 2 * PADDING_MM:.2f}",
            pad=f"{PADDING_MM:.2f}",
            bar_height=f"{BAR_HEIGHT_MM:.2f}",
            qr=f"{QR_MM:.2f}",
            cell_w=f"{A4_CELL[0]:.2f}",
            cell_h=f"{A4_CELL[1]:.2f}",
        )
    )


def label_html(doc: LabelDocument, size: PageSize) -> Markup:
    """One label as a body fragment (for A4, a sheet with this one label in its first cell)."""
    return label_sheets([doc], size)[0]


def label_sheets(docs: Sequence[LabelDocument], size: PageSize) -> list[Markup]:
    """Body fragments, one per sheet: one label each, or up to four per A4 sheet."""
    per_sheet = 4 if size is PageSize.A4 else 1
    views = [_view(doc, size) for doc in docs]
    return [
        render("label.html", labels=views[start : start + per_sheet], a4=size is PageSize.A4)
        for start in range(0, len(views), per_sheet)
    ]


def render_labels(docs: Sequence[LabelDocument], size: PageSize = PageSize.LABEL_4X6) -> bytes:
    """All ``docs`` in one PDF, in the order given, with one wkhtmltopdf process."""
    if not docs:
        raise InvalidInput("labels", "at least one label is required")
    return html_to_pdf(label_sheets(docs, size), size, css=[label_css(size)], title="labels")
