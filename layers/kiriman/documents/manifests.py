"""End-of-day manifest (handover list): the parcels one carrier account collects from one warehouse on one
day, as an A4 PDF the driver and the warehouse sign, and as a CSV for the carrier's or merchant's systems.

Rows are sorted by tracking number, so running the same day twice gives identical files. A tracking number
may appear once; a second row with it is refused (field ``rows[n].tracking_number``), because a handover
list that counts a parcel twice cannot be signed off.

CSV: UTF-8 with a byte-order mark (Excel opens it as UTF-8 only with the BOM, so Thai, Chinese and Vietnamese
city names survive), comma-separated, ``\\r\\n`` line ends (the csv module's default, RFC 4180), one header row
with the fixed ``CSV_COLUMNS``; totals are in the PDF only, so every CSV line is a parcel. Text cells that
start with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading ``'`` (OWASP "CSV Injection"):
a recipient city typed by a buyer must not become a spreadsheet formula. Numbers are written by us and never
start with those characters (weights and COD amounts are not negative).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from kiriman.documents import templates
from kiriman.documents.packing import package_items, paginate, recipient_of, text_lines
from kiriman.documents.pdf import PageSize, html_to_pdf
from kiriman.domain.errors import InvalidInput
from kiriman.domain.orders import Order
from kiriman.domain.parcels import MINOR_UNITS, Address

CSV_COLUMNS: tuple[str, ...] = (
    "tracking_number",
    "order_sn",
    "package_number",
    "recipient_city",
    "recipient_postcode",
    "weight_kg",
    "cod_amount",
    "cod_currency",
    "parcels",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ManifestRow:
    tracking_number: str
    order_sn: str
    package_number: str
    recipient_city: str
    recipient_postcode: str
    weight_g: int
    cod_amount: Decimal | None = None  # None: not a COD parcel
    cod_currency: str = ""
    parcels: int = 1  # boxes under this tracking number (multi-piece shipments)

    def csv_cells(self) -> list[str]:
        cod = ""
        if self.cod_amount is not None:
            cod = f"{self.cod_amount:.{MINOR_UNITS.get(self.cod_currency, 2)}f}"
        cells = [
            self.tracking_number,
            self.order_sn,
            self.package_number,
            self.recipient_city,
            self.recipient_postcode,
            f"{self.weight_g / 1000:.3f}",
            cod,
            self.cod_currency if self.cod_amount is not None else "",
            str(self.parcels),
        ]
        return [neutralise(c) for c in cells]


def neutralise(cell: str) -> str:
    """Keep a text cell from being read as a spreadsheet formula (OWASP CSV Injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


@dataclass(frozen=True)
class Manifest:
    manifest_id: str
    carrier: str
    account_id: str
    account_name: str
    warehouse_id: str
    warehouse_name: str
    day: date
    rows: tuple[ManifestRow, ...]
    generated_at: datetime
    warehouse_address: Address | None = None
    cod_totals: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> sum

    @property
    def parcels(self) -> int:
        return sum(r.parcels for r in self.rows)

    @property
    def weight_g(self) -> int:
        return sum(r.weight_g for r in self.rows)

    @property
    def cod_count(self) -> int:
        return sum(1 for r in self.rows if r.cod_amount is not None)


def manifest(
    carrier: str,
    account_id: str,
    warehouse_id: str,
    day: date,
    rows: Iterable[ManifestRow],
    *,
    account_name: str = "",
    warehouse_name: str = "",
    warehouse_address: Address | None = None,
    generated_at: datetime | None = None,
) -> Manifest:
    """A checked manifest. Its id is ``<day>-<warehouse>-<carrier>-<account>`` (one per handover)."""
    for name, value in (("carrier", carrier), ("account_id", account_id), ("warehouse_id", warehouse_id)):
        if not value.strip():
            raise InvalidInput(name, "required")
    checked: list[ManifestRow] = []
    seen: set[str] = set()
    totals: dict[str, Decimal] = {}
    for n, row in enumerate(rows):
        f = f"rows[{n}]"
        if not row.tracking_number.strip():
            raise InvalidInput(f"{f}.tracking_number", "required")
        if row.tracking_number in seen:
            raise InvalidInput(f"{f}.tracking_number", f"{row.tracking_number} is on the manifest twice")
        seen.add(row.tracking_number)
        if row.weight_g < 0:
            raise InvalidInput(f"{f}.weight_g", "must not be negative")
        if row.parcels < 1:
            raise InvalidInput(f"{f}.parcels", "at least 1")
        if row.cod_amount is not None:
            if not row.cod_amount.is_finite() or row.cod_amount < 0:
                raise InvalidInput(f"{f}.cod_amount", "must be a number, not negative")
            if len(row.cod_currency) != 3 or not row.cod_currency.isalpha() or not row.cod_currency.isupper():
                raise InvalidInput(f"{f}.cod_currency", "an ISO 4217 code such as THB")
            totals[row.cod_currency] = totals.get(row.cod_currency, Decimal(0)) + row.cod_amount
        checked.append(row)
    checked.sort(key=lambda r: r.tracking_number)
    return Manifest(
        manifest_id=f"{day.isoformat()}-{warehouse_id}-{carrier}-{account_id}",
        carrier=carrier,
        account_id=account_id,
        account_name=account_name,
        warehouse_id=warehouse_id,
        warehouse_name=warehouse_name,
        day=day,
        rows=tuple(checked),
        generated_at=generated_at or datetime.now(UTC),
        warehouse_address=warehouse_address,
        cod_totals=dict(sorted(totals.items())),
    )


def row_for(order: Order, package_number: str, tracking_number: str, weight_g: int | None = None,
            parcels: int = 1) -> ManifestRow:
    """A manifest row from a stored order: recipient city and postcode from Shopee's ``recipient_address``,
    COD = the order's ``total_amount`` when ``cod`` is set (the amount the buyer pays the courier), weight =
    ``weight_g`` if given (what the carrier was told), else Shopee's ``parcel_chargeable_weight_gram``, else
    the sum of the package's item weights."""
    package = next((p for p in order.packages if p.package_number == package_number), None)
    if weight_g is None:
        if package is not None and package.parcel_chargeable_weight_gram:
            weight_g = package.parcel_chargeable_weight_gram
        else:
            weight_g = sum(i.unit_weight_g * i.quantity for i in package_items(order, package_number))
    recipient = recipient_of(order)
    cod = Decimal(str(order.total_amount or 0)) if order.cod else None
    return ManifestRow(
        tracking_number=tracking_number,
        order_sn=order.order_sn,
        package_number=package_number,
        recipient_city=recipient.city,
        recipient_postcode=recipient.postcode,
        weight_g=weight_g,
        cod_amount=cod,
        cod_currency=order.currency.upper() if cod is not None else "",
        parcels=parcels,
    )


def manifest_csv(m: Manifest) -> bytes:
    """UTF-8 with BOM, header then one line per tracking number, columns in ``CSV_COLUMNS`` order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in m.rows:
        writer.writerow(row.csv_cells())
    return out.getvalue().encode("utf-8-sig")


# A4 at 7.5 pt: 297 mm less 20 mm padding, ~30 mm of carrier / warehouse facts, ~6 mm of table header, spare.
MANIFEST_SHEET_MM = 228.0
MANIFEST_FOOTER_MM = 62.0  # totals row and the two signature boxes, on the last sheet


def _row_mm(row: ManifestRow) -> float:
    return 1.8 + 3.3 * text_lines(row.recipient_city, 26)


def manifest_html(m: Manifest) -> list[str]:
    """One fragment per A4 sheet (see ``packing.paginate``); rows are numbered across sheets, totals and
    signature boxes are on the last."""
    sheets = paginate(m.rows, MANIFEST_SHEET_MM, _row_mm, MANIFEST_FOOTER_MM)
    pages: list[str] = []
    first = 1
    for n, sheet in enumerate(sheets, start=1):
        pages.append(str(templates.render("manifest.html", m=m, rows=sheet, first=first, sheet_no=n,
                                          sheets=len(sheets), places=MINOR_UNITS)))
        first += len(sheet)
    return pages


def render_manifest_pdf(m: Manifest, copies: int = 1) -> bytes:
    """A4; ``copies=2`` prints one for the driver and one for the warehouse in the same run."""
    if copies < 1:
        raise InvalidInput("copies", "at least 1")
    pages: Sequence[str] = manifest_html(m) * copies
    return html_to_pdf(pages, PageSize.A4)
