"""Customs declarations (UPU CN22 / CN23) and the commercial invoice for cross-border parcels.

Which form (``choose_form``), from /work/shared/reference/carriers.md §9 ("CN22 / CN23 customs
declarations"): **CN22 for items declared up to 300 SDR; CN23 above that, and whenever the CN22 space is
not enough or the operator asks for it** (sources there: Hongkong Post's CN23 page and the OECD 2018 annex
reproducing the UPU form; the WCO-UPU Postal Customs Guide, June 2018, §IV.j says the same). The reference
says nothing about weight. The weight rule here comes from the UPU Convention Regulations, not from the
reference: a CN22 goes on letter-post items, and a letter-post small packet weighs at most 2 kg. Anything
heavier travels as a postal parcel, and parcels always carry a CN23 (also in the WCO-UPU guide). The exact
Regulations article number is UNCONFIRMED here.
"Up to 300 SDR" is read as inclusive (300.00 SDR is still a CN22) and 2 kg as inclusive (2,000 g is still a
small packet). How many lines fit on a CN22 depends on the print edition. We allow ``CN22_MAX_LINES`` (3, our
own choice, UNCONFIRMED against the UPU form), and more lines move the parcel to a CN23.

SDR conversion: the caller passes ``units_per_sdr`` (currency units for one SDR, as the IMF publishes daily
under "Currency units per SDR"). Nothing is fetched here. A currency without a rate is refused (field
``currency``), never guessed.

Fields (carriers.md §9): category tick-box (gift, documents, commercial sample, returned goods, sale of goods,
other plus an explanation); per line the description, quantity, net weight and value with currency; for
commercial items (sale of goods, commercial sample) the HS tariff number (6 digits minimum) and country of
origin per line; total gross weight and total value; date and sender's signature. A CN23 adds the full sender and
addressee blocks, the importer's reference and contact, postal charges, comments, licence, certificate and
invoice numbers (an invoice must go with every commercial item) and the item's barcode (tracking number).

The commercial invoice carries the same lines with seller and buyer, invoice number and date, the Incoterm
(DAP: the buyer pays import duties, DDP: the seller does; 4PX's ``duty_type`` U/P in carriers.md is the same
choice) and totals in one currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from kiriman.documents import templates
from kiriman.documents.packing import address_lines, package_items
from kiriman.documents.pdf import PageSize, html_to_pdf
from kiriman.domain.errors import InvalidInput
from kiriman.domain.orders import Order
from kiriman.domain.parcels import MINOR_UNITS, Address

CN22_LIMIT_SDR = Decimal(300)  # carriers.md §9: "CN22 for items declared up to 300 SDR"
SMALL_PACKET_MAX_G = 2000  # UPU letter-post small packet weight limit (Regulations; article UNCONFIRMED)
CN22_MAX_LINES = 3  # our layout's room on the CN22 (UNCONFIRMED against the UPU print edition)
HS_CODE = re.compile(r"\d{6,10}")  # carriers.md §9: "HS tariff number (6 digits minimum)"
COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217


class Form(StrEnum):
    CN22 = "CN22"
    CN23 = "CN23"


class Category(StrEnum):
    """The CN22/CN23 category tick-boxes."""

    GIFT = "gift"
    DOCUMENTS = "documents"
    COMMERCIAL_SAMPLE = "commercial_sample"
    RETURNED_GOODS = "returned_goods"
    SALE_OF_GOODS = "sale_of_goods"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def commercial(self) -> bool:
        """Commercial items need an HS code and an origin per line, and an invoice (carriers.md §9)."""
        return self in (Category.SALE_OF_GOODS, Category.COMMERCIAL_SAMPLE)


class Incoterm(StrEnum):
    DAP = "DAP"  # delivered at place: the buyer pays duties and taxes on import
    DDP = "DDP"  # delivered duty paid: the seller pays them


@dataclass(frozen=True)
class FormChoice:
    form: Form
    value_sdr: Decimal
    reasons: tuple[str, ...]  # why a CN23 (empty for a CN22)


def _decimal(value: Decimal | int | str, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput(name, f"not a number: {value!r}") from exc
    if not d.is_finite():
        raise InvalidInput(name, "must be a finite number")
    return d


def to_sdr(value: Decimal, currency: str, units_per_sdr: Mapping[str, Decimal]) -> Decimal:
    cur = currency.upper()
    if cur == "XDR":
        return value
    rate = units_per_sdr.get(cur)
    if rate is None:
        raise InvalidInput("currency", f"no SDR rate given for {cur}")
    rate = _decimal(rate, f"units_per_sdr.{cur}")
    if rate <= 0:
        raise InvalidInput(f"units_per_sdr.{cur}", "must be greater than 0")
    return value / rate


def choose_form(
    value: Decimal | int | str,
    currency: str,
    weight_g: int,
    units_per_sdr: Mapping[str, Decimal],
    lines: int = 1,
    parcel_post: bool = False,
    require_cn23: bool = False,
) -> FormChoice:
    """CN22 up to 300 SDR and 2 kg (both inclusive) on a letter-post item with room for its lines, else CN23.

    ``parcel_post``: the item travels as a postal parcel (always CN23); ``require_cn23``: the operator or
    carrier asks for a CN23 whatever the value.
    """
    amount = _decimal(value, "value")
    if amount < 0:
        raise InvalidInput("value", "must not be negative")
    if weight_g < 0:
        raise InvalidInput("weight_g", "must not be negative")
    if lines < 1:
        raise InvalidInput("lines", "a declaration needs at least one line")
    sdr = to_sdr(amount, currency, units_per_sdr)
    reasons: list[str] = []
    if sdr > CN22_LIMIT_SDR:
        reasons.append(f"value {sdr:.2f} SDR is above {CN22_LIMIT_SDR} SDR")
    if weight_g > SMALL_PACKET_MAX_G:
        reasons.append(f"weight {weight_g} g is above the {SMALL_PACKET_MAX_G} g small-packet limit")
    if lines > CN22_MAX_LINES:
        reasons.append(f"{lines} lines do not fit the CN22's {CN22_MAX_LINES}")
    if parcel_post:
        reasons.append("postal parcels carry a CN23")
    if require_cn23:
        reasons.append("a CN23 was asked for")
    return FormChoice(Form.CN23 if reasons else Form.CN22, sdr, tuple(reasons))


@dataclass(frozen=True)
class CustomsLine:
    description: str
    quantity: int
    net_weight_g: int  # the whole line, not one unit
    value: Decimal  # the whole line, in the declaration's currency
    hs_code: str = ""
    origin_country: str = ""  # ISO 3166-1 alpha-2
    sku: str = ""


@dataclass(frozen=True)
class CustomsInfo:
    """What the merchant tells us about a SKU for customs: shop titles are rarely usable descriptions."""

    hs_code: str = ""
    origin_country: str = ""
    description: str = ""  # in English or French (or a language the destination accepts); else the item name


def _check_lines(lines: Sequence[CustomsLine], commercial: bool) -> None:
    if not lines:
        raise InvalidInput("lines", "at least one line is needed")
    for n, line in enumerate(lines):
        f = f"lines[{n}]"
        if not line.description.strip():
            raise InvalidInput(f"{f}.description", "required")
        if line.quantity < 1:
            raise InvalidInput(f"{f}.quantity", "must be at least 1")
        if line.net_weight_g < 0:
            raise InvalidInput(f"{f}.net_weight_g", "must not be negative")
        if not line.value.is_finite() or line.value < 0:
            raise InvalidInput(f"{f}.value", "must be a number, not negative")
        if line.hs_code and not HS_CODE.fullmatch(line.hs_code):
            raise InvalidInput(f"{f}.hs_code", "6 to 10 digits, no dots or spaces")
        if line.origin_country and not COUNTRY.fullmatch(line.origin_country):
            raise InvalidInput(f"{f}.origin_country", "an ISO 3166-1 alpha-2 code such as CN")
        if commercial and not line.hs_code:
            raise InvalidInput(f"{f}.hs_code", "required for commercial items (6 digits minimum)")
        if commercial and not line.origin_country:
            raise InvalidInput(f"{f}.origin_country", "required for commercial items")


def _check_currency(currency: str) -> str:
    cur = currency.upper()
    if not CURRENCY.fullmatch(cur):
        raise InvalidInput("currency", "an ISO 4217 code such as MYR")
    return cur


def places(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


class _Lines:
    """What a declaration and an invoice both total over their lines."""

    lines: tuple[CustomsLine, ...]
    currency: str

    @property
    def lines_value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal(0))

    @property
    def net_weight_g(self) -> int:
        return sum(line.net_weight_g for line in self.lines)

    @property
    def places(self) -> int:
        return places(self.currency)


@dataclass(frozen=True)
class CustomsDeclaration(_Lines):
    form: Form
    category: Category
    sender: Address
    addressee: Address
    lines: tuple[CustomsLine, ...]
    currency: str
    gross_weight_g: int
    value_sdr: Decimal
    signer: str
    signed_on: date
    category_explanation: str = ""
    reasons: tuple[str, ...] = ()  # why a CN23
    item_id: str = ""  # the tracking number / UPU S10 id printed as the item's barcode reference
    invoice_number: str = ""
    sender_reference: str = ""  # sender's customs reference
    importer_reference: str = ""  # tax code / VAT no. / importer code
    importer_contact: str = ""  # phone / e-mail of the importer
    postal_charges: Decimal | None = None
    comments: str = ""  # quarantine, sanitary / phytosanitary or other restrictions
    licences: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    office_of_origin: str = ""

    @property
    def total_value(self) -> Decimal:
        return self.lines_value


def declaration(
    category: Category,
    sender: Address,
    addressee: Address,
    lines: Sequence[CustomsLine],
    currency: str,
    gross_weight_g: int,
    units_per_sdr: Mapping[str, Decimal],
    signer: str,
    signed_on: date,
    *,
    category_explanation: str = "",
    parcel_post: bool = False,
    require_cn23: bool = False,
    item_id: str = "",
    invoice_number: str = "",
    sender_reference: str = "",
    importer_reference: str = "",
    importer_contact: str = "",
    postal_charges: Decimal | None = None,
    comments: str = "",
    licences: Sequence[str] = (),
    certificates: Sequence[str] = (),
    office_of_origin: str = "",
) -> CustomsDeclaration:
    """A checked declaration on the right form. Bad input raises ``InvalidInput`` naming the field."""
    cur = _check_currency(currency)
    _check_lines(lines, category.commercial)
    if category is Category.OTHER and not category_explanation.strip():
        raise InvalidInput("category_explanation", "required when the category is other")
    net = sum(line.net_weight_g for line in lines)
    if gross_weight_g < net:
        raise InvalidInput("gross_weight_g", f"{gross_weight_g} g is less than the lines' net weight {net} g")
    if not signer.strip():
        raise InvalidInput("signer", "the sender's signature (name) is required")
    if not sender.name.strip():
        raise InvalidInput("sender.name", "required")
    if not addressee.name.strip():
        raise InvalidInput("addressee.name", "required")
    total = sum((line.value for line in lines), Decimal(0))
    choice = choose_form(total, cur, gross_weight_g, units_per_sdr, lines=len(lines), parcel_post=parcel_post,
                         require_cn23=require_cn23)
    if choice.form is Form.CN23 and category.commercial and not invoice_number.strip():
        raise InvalidInput("invoice_number", "an invoice must accompany commercial items on a CN23")
    return CustomsDeclaration(
        form=choice.form, category=category, sender=sender, addressee=addressee, lines=tuple(lines), currency=cur,
        gross_weight_g=gross_weight_g, value_sdr=choice.value_sdr, signer=signer, signed_on=signed_on,
        category_explanation=category_explanation, reasons=choice.reasons, item_id=item_id,
        invoice_number=invoice_number, sender_reference=sender_reference, importer_reference=importer_reference,
        importer_contact=importer_contact, postal_charges=postal_charges, comments=comments,
        licences=tuple(licences), certificates=tuple(certificates), office_of_origin=office_of_origin,
    )


def lines_from_order(
    order: Order,
    package_number: str | None,
    catalogue: Mapping[str, CustomsInfo],
    default_origin: str = "",
) -> list[CustomsLine]:
    """Customs lines for a package: Shopee's item name (plus variation), quantity, weight (kg -> g) and the
    price paid (``model_discounted_price``, else ``model_original_price``) times quantity, in the order's
    currency; HS code, origin and an English description from the merchant's ``catalogue`` by SKU."""
    out: list[CustomsLine] = []
    for n, item in enumerate(package_items(order, package_number)):
        info = catalogue.get(item.sku, CustomsInfo())
        description = info.description or (f"{item.name} ({item.model})" if item.model else item.name)
        try:
            unit = Decimal(item.unit_price or 0)
        except InvalidOperation as exc:
            raise InvalidInput(f"items[{n}].model_discounted_price", f"not a number: {item.unit_price!r}") from exc
        out.append(CustomsLine(
            description=description,
            quantity=item.quantity,
            net_weight_g=item.unit_weight_g * item.quantity,
            value=unit * item.quantity,
            hs_code=info.hs_code,
            origin_country=(info.origin_country or default_origin).upper(),
            sku=item.sku,
        ))
    return out


def declaration_html(decl: CustomsDeclaration) -> str:
    name = "cn22.html" if decl.form is Form.CN22 else "cn23.html"
    return str(templates.render(name, d=decl, categories=list(Category), address_lines=address_lines))


def render_declaration(decl: CustomsDeclaration, copies: int = 1) -> bytes:
    """CN22 on an A6 sheet (it is a small label, stuck on the parcel); CN23 on A4. Postal operators usually
    want several CN23 copies in the pouch: ``copies`` prints that many sheets in one run."""
    if copies < 1:
        raise InvalidInput("copies", "at least 1")
    size = PageSize.A6 if decl.form is Form.CN22 else PageSize.A4
    return html_to_pdf([declaration_html(decl)] * copies, size)


# --- commercial invoice -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommercialInvoice(_Lines):
    invoice_number: str
    invoice_date: date
    seller: Address
    buyer: Address
    incoterm: Incoterm
    currency: str
    lines: tuple[CustomsLine, ...]
    reason: Category = Category.SALE_OF_GOODS
    shipping: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    order_sn: str = ""
    tracking_number: str = ""
    seller_tax_id: str = ""
    buyer_tax_id: str = ""
    signer: str = ""
    gross_weight_g: int = 0
    packages: int = 1
    extra: Mapping[str, str] = field(default_factory=dict)  # further references printed as label: value

    @property
    def subtotal(self) -> Decimal:
        return self.lines_value

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.insurance


def commercial_invoice(
    invoice_number: str,
    invoice_date: date,
    seller: Address,
    buyer: Address,
    incoterm: Incoterm | str,
    currency: str,
    lines: Sequence[CustomsLine],
    *,
    reason: Category = Category.SALE_OF_GOODS,
    shipping: Decimal = Decimal(0),
    insurance: Decimal = Decimal(0),
    order_sn: str = "",
    tracking_number: str = "",
    seller_tax_id: str = "",
    buyer_tax_id: str = "",
    signer: str = "",
    gross_weight_g: int = 0,
    packages: int = 1,
    extra: Mapping[str, str] | None = None,
) -> CommercialInvoice:
    """A checked invoice: every line needs an HS code and an origin (it is a commercial document)."""
    if not invoice_number.strip():
        raise InvalidInput("invoice_number", "required")
    try:
        term = Incoterm(str(incoterm).upper())
    except ValueError as exc:
        raise InvalidInput("incoterm", "DAP or DDP") from exc
    cur = _check_currency(currency)
    _check_lines(lines, commercial=True)
    if not seller.name.strip():
        raise InvalidInput("seller.name", "required")
    if not buyer.name.strip():
        raise InvalidInput("buyer.name", "required")
    for name, amount in (("shipping", shipping), ("insurance", insurance)):
        if not amount.is_finite() or amount < 0:
            raise InvalidInput(name, "must be a number, not negative")
    if packages < 1:
        raise InvalidInput("packages", "at least 1")
    net = sum(line.net_weight_g for line in lines)
    if gross_weight_g and gross_weight_g < net:
        raise InvalidInput("gross_weight_g", f"{gross_weight_g} g is less than the lines' net weight {net} g")
    return CommercialInvoice(
        invoice_number=invoice_number, invoice_date=invoice_date, seller=seller, buyer=buyer, incoterm=term,
        currency=cur, lines=tuple(lines), reason=reason, shipping=shipping, insurance=insurance, order_sn=order_sn,
        tracking_number=tracking_number, seller_tax_id=seller_tax_id, buyer_tax_id=buyer_tax_id, signer=signer,
        gross_weight_g=gross_weight_g, packages=packages, extra=dict(extra or {}),
    )


def invoice_html(inv: CommercialInvoice) -> str:
    return str(templates.render("commercial_invoice.html", inv=inv, address_lines=address_lines))


def render_invoice(inv: CommercialInvoice, copies: int = 1) -> bytes:
    """A4; carriers commonly ask for several signed copies, printed here as ``copies`` sheets in one run."""
    if copies < 1:
        raise InvalidInput("copies", "at least 1")
    return html_to_pdf([invoice_html(inv)] * copies, PageSize.A4)
