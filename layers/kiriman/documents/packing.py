"""Packing slips (one per package) and pick lists (one per wave of packages).

The data is plain dataclasses built from a stored Shopee order (``kiriman.domain.orders.Order``):
``item_list[]`` gives ``item_name``, ``item_sku``, ``model_name``, ``model_sku``, ``model_quantity_purchased``
and ``weight`` (kg); ``package_list[].item_list[]`` says which ``(item_id, model_id)`` and how many of each go
in a package (Open Platform v2 ``get_order_detail``; /work/shared/reference/shopee-open-platform.md). A package
without an item list (older copies) is taken to hold the whole order.

Every builder takes ``locations``: SKU -> bin (the warehouse's ``Warehouse.bin_locations``). A
line whose SKU has no bin sorts after every located line. Bins compare "naturally" (``A-2`` before
``A-10``, case-insensitive), because that is the order a picker walks shelves numbered without leading zeros.

A listing without any SKU is identified by Shopee's ids, shown as ``#<item_id>-<model_id>``: two such lines
are the same product exactly when Shopee's ids match.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from kiriman.documents import templates
from kiriman.documents.pdf import PageSize, html_to_pdf
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.domain.orders import Order
from kiriman.domain.parcels import Address

SLIP_TEMPLATE = "packing_slip.html"
PICK_TEMPLATE = "pick_list.html"


@dataclass(frozen=True)
class PackageItem:
    """One Shopee order item as far as it goes in one package."""

    item_id: int | None
    model_id: int | None
    sku: str
    name: str
    model: str
    quantity: int
    unit_weight_g: int
    unit_price: str  # as Shopee sent it (model_discounted_price, else model_original_price); "" if none


def sku_of(item: Mapping[str, Any]) -> str:
    """The variation's SKU, else the listing's, else Shopee's ids (``#<item_id>-<model_id>``)."""
    sku = str(item.get("model_sku") or item.get("item_sku") or "").strip()
    if sku:
        return sku
    return f"#{item.get('item_id') or 0}-{item.get('model_id') or 0}"


def package_items(order: Order, package_number: str | None) -> list[PackageItem]:
    """The items of one package of ``order`` with their quantities in that package, in Shopee's order.

    ``package_number=None`` means the whole order. Raises ``NotFound`` for a package the order does not
    have and ``InvalidInput("package_number", ...)`` for a package with nothing in it.
    """
    wanted: dict[tuple[Any, Any], int] | None = None
    if package_number is not None:
        package = next((p for p in order.packages if p.package_number == package_number), None)
        if package is None:
            raise NotFound(f"order {order.order_sn} has no package {package_number}")
        if package.items:
            wanted = {}
            for it in package.items:
                key = (it.get("item_id"), it.get("model_id") or 0)
                wanted[key] = wanted.get(key, 0) + int(it.get("model_quantity") or it.get("quantity") or 0)
    out: list[PackageItem] = []
    for it in order.items:
        key = (it.get("item_id"), it.get("model_id") or 0)
        qty = wanted.get(key, 0) if wanted is not None else int(it.get("model_quantity_purchased") or 0)
        if wanted is not None:
            wanted.pop(key, None)  # an item listed twice in the order (add-on deals) is packed once
        if qty <= 0:
            continue
        price = it.get("model_discounted_price") or it.get("model_original_price")
        out.append(PackageItem(
            item_id=it.get("item_id"),
            model_id=it.get("model_id"),
            sku=sku_of(it),
            name=str(it.get("item_name") or ""),
            model=str(it.get("model_name") or ""),
            quantity=qty,
            unit_weight_g=round(float(it.get("weight") or 0) * 1000),  # Shopee item weight is in kg
            unit_price="" if price in (None, "") else str(price),
        ))
    if not out:
        raise InvalidInput("package_number", f"package {package_number or order.order_sn} has no items to pack")
    return out


def recipient_of(order: Order) -> Address:
    """Shopee's ``recipient_address`` (name, phone, town, district, city, state, region, zipcode,
    full_address) as an address; masked values (``****``) are printed as Shopee gave them."""
    r = order.recipient or {}
    return Address(
        name=str(r.get("name") or ""),
        country=str(r.get("region") or order.region).upper(),
        line1=str(r.get("full_address") or ""),
        city=str(r.get("city") or r.get("town") or ""),
        state=str(r.get("state") or ""),
        district=str(r.get("district") or ""),
        postcode=str(r.get("zipcode") or ""),
        phone=str(r.get("phone") or ""),
    )


def address_lines(a: Address) -> list[str]:
    """An address as printed lines (street, then district / ward, then city, state and postcode, then
    country); empty parts are left out."""
    lines = [a.company, a.line1, a.line2, ", ".join(p for p in (a.ward, a.district) if p),
             " ".join(p for p in (a.postcode, a.city) if p), a.state, a.country]
    return [line.strip() for line in lines if line and line.strip()]


T = TypeVar("T")


def text_lines(text: str, units_per_line: float) -> int:
    """How many printed lines ``text`` takes in a column ``units_per_line`` Latin characters wide (CJK and other
    wide characters count double): an estimate for paginating, not layout."""
    units = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)
    return max(1, math.ceil(units / units_per_line))


def paginate(
    items: Sequence[T], capacity: float, cost: Callable[[T], float], last_reserve: float = 0.0
) -> list[list[T]]:
    """Split ``items`` into sheets whose estimated heights (``cost``, in mm) fit ``capacity``; the last sheet also
    keeps ``last_reserve`` free (totals, signatures). Each multi-sheet document is printed as one fragment per
    sheet, each with its own table header: the Debian wkhtmltopdf (unpatched Qt) neither repeats table headers
    nor keeps rows whole across sheets, and pages after the first get no margin."""
    sheets: list[list[T]] = [[]]
    used = 0.0
    for item in items:
        c = cost(item)
        if sheets[-1] and used + c > capacity:
            sheets.append([])
            used = 0.0
        sheets[-1].append(item)
        used += c
    if last_reserve and used + last_reserve > capacity and len(sheets[-1]) > 1:
        tail: list[T] = []
        while len(sheets[-1]) > 1 and used + last_reserve > capacity:
            moved = sheets[-1].pop()
            used -= cost(moved)
            tail.insert(0, moved)
        sheets.append(tail)
    return sheets


_DIGITS = re.compile(r"(\d+)")


def location_key(location: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """Sort key for warehouse bins: located before unlocated, then natural order (``A-2`` < ``A-10``)."""
    loc = location.strip()
    if not loc:
        return (1, ())
    parts: list[tuple[int, int | str]] = []
    for i, part in enumerate(_DIGITS.split(loc.casefold())):
        if part == "":
            continue
        parts.append((0, int(part)) if i % 2 else (1, part))
    return (0, tuple(parts))


def _location(locations: Mapping[str, str], sku: str) -> str:
    return str(locations.get(sku) or "").strip()


# --- packing slip -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    model: str
    quantity: int
    location: str = ""


@dataclass(frozen=True)
class PackingSlip:
    shop_name: str
    order_sn: str
    package_number: str
    recipient: Address
    lines: tuple[SlipLine, ...]
    printed_at: datetime
    tracking_number: str = ""
    carrier: str = ""
    note: str = ""  # e.g. the buyer's message to the seller

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def packing_slip(
    order: Order,
    package_number: str,
    shop_name: str,
    locations: Mapping[str, str] | None = None,
    tracking_number: str = "",
    carrier: str = "",
    note: str = "",
    printed_at: datetime | None = None,
) -> PackingSlip:
    """The slip that goes in (or on) one package: what the packer checks off, in bin order."""
    locs = locations or {}
    lines = [
        SlipLine(sku=i.sku, name=i.name, model=i.model, quantity=i.quantity, location=_location(locs, i.sku))
        for i in package_items(order, package_number)
    ]
    lines.sort(key=lambda line: (location_key(line.location), line.sku))
    return PackingSlip(
        shop_name=shop_name,
        order_sn=order.order_sn,
        package_number=package_number,
        recipient=recipient_of(order),
        lines=tuple(lines),
        printed_at=printed_at or datetime.now(UTC),
        tracking_number=tracking_number,
        carrier=carrier,
        note=note,
    )


# Room for item lines on a sheet: the height less padding, shop and order facts, recipient block, table header,
# totals and the printed-at line (~82 mm at 8.5 pt), and a few mm spare.
SLIP_OVERHEAD_MM = 88.0


def _slip_line_mm(line: SlipLine) -> float:
    return 2.0 + 3.6 * text_lines(line.name, 30) + (3.2 * text_lines(line.model, 34) if line.model else 0.0)


def packing_slip_html(slip: PackingSlip, size: PageSize = PageSize.A6) -> list[str]:
    """One fragment per sheet; a package with more lines than a sheet holds continues on the next one, with
    the order facts and recipient repeated and the total on the last."""
    sheets = paginate(slip.lines, size.height_mm - SLIP_OVERHEAD_MM, _slip_line_mm)
    return [
        str(templates.render(SLIP_TEMPLATE, slip=slip, lines=sheet, sheet_no=n, sheets=len(sheets),
                             address_lines=address_lines))
        for n, sheet in enumerate(sheets, start=1)
    ]


def render_packing_slips(slips: Sequence[PackingSlip], size: PageSize = PageSize.A6) -> bytes:
    """One PDF, each slip on its own sheet(s) (A6 fits beside the label on 4x6 stock; A4 for office printers)."""
    if not slips:
        raise InvalidInput("slips", "at least one packing slip is needed")
    return html_to_pdf([page for s in slips for page in packing_slip_html(s, size)], size)


# --- pick list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PickSource:
    """Which package needs how many of a pick line."""

    order_sn: str
    package_number: str
    quantity: int


@dataclass(frozen=True)
class PickLine:
    location: str  # "" when the SKU has no bin yet
    sku: str
    name: str
    model: str
    quantity: int
    sources: tuple[PickSource, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PickList:
    wave_id: str
    warehouse: str
    lines: tuple[PickLine, ...]
    packages: tuple[tuple[str, str], ...]  # (order_sn, package_number) in the wave
    printed_at: datetime

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def pick_list(
    packages: Iterable[tuple[Order, str]],
    locations: Mapping[str, str],
    wave_id: str,
    warehouse: str,
    printed_at: datetime | None = None,
) -> PickList:
    """One walk through the warehouse for a wave: quantities summed per (bin, SKU), sorted by bin then SKU,
    each line naming the packages it is for. A package named twice in the wave is refused (``packages``)."""
    seen: list[tuple[str, str]] = []
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for order, package_number in packages:
        ref = (order.order_sn, package_number)
        if ref in seen:
            raise InvalidInput("packages", f"package {order.order_sn}/{package_number} is in the wave twice")
        seen.append(ref)
        for item in package_items(order, package_number):
            loc = _location(locations, item.sku)
            line = acc.setdefault((loc, item.sku), {"name": item.name, "model": item.model, "qty": 0, "src": {}})
            line["qty"] += item.quantity
            line["src"][ref] = line["src"].get(ref, 0) + item.quantity
    if not seen:
        raise InvalidInput("packages", "a wave needs at least one package")
    lines = [
        PickLine(
            location=loc,
            sku=sku,
            name=v["name"],
            model=v["model"],
            quantity=v["qty"],
            sources=tuple(PickSource(o, p, q) for (o, p), q in v["src"].items()),
        )
        for (loc, sku), v in acc.items()
    ]
    lines.sort(key=lambda line: (location_key(line.location), line.sku))
    return PickList(wave_id=wave_id, warehouse=warehouse, lines=tuple(lines), packages=tuple(seen),
                    printed_at=printed_at or datetime.now(UTC))


# A4 at 9 pt: 297 mm less 20 mm padding, ~32 mm of title and wave facts, ~8 mm of table header, ~12 mm spare.
PICK_SHEET_MM = 225.0
PICK_FOOTER_MM = 16.0


def _pick_line_mm(line: PickLine) -> float:
    # Fixed column widths (pick_list.html): item 32% (~26 mixed Latin/Thai characters a line at 9 pt, measured),
    # SKU 13%, bin 10%; one package a line at 6.5 pt. tests/unit/documents/test_packing.py checks that no
    # sheet overflows (PDF page count == fragments).
    item = text_lines(line.name, 24) + (text_lines(line.model, 28) if line.model else 0)
    tall = max(4.2 * item, 4.0 * text_lines(line.sku, 11), 5.0 * text_lines(line.location, 7),
               2.9 * len(line.sources))
    return 2.8 + tall


def pick_list_html(pl: PickList) -> list[str]:
    """One fragment per A4 sheet, each with the wave's facts and the table header."""
    sheets = paginate(pl.lines, PICK_SHEET_MM, _pick_line_mm, PICK_FOOTER_MM)
    return [
        str(templates.render(PICK_TEMPLATE, pick=pl, lines=sheet, sheet_no=n, sheets=len(sheets)))
        for n, sheet in enumerate(sheets, start=1)
    ]


def render_pick_list(pl: PickList) -> bytes:
    """A4 portrait, as many sheets as the wave needs."""
    return html_to_pdf(pick_list_html(pl), PageSize.A4)
