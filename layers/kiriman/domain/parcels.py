"""What goes in a box and where it goes: the parcel facts every carrier, rate card and rule reads.

Units are fixed inside the system (grams, centimetres, ``Decimal`` money with an ISO 4217 currency) and
converted at each carrier's edge (kg for Ninja Van, grams for Flash, satang for Flash money).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kiriman.domain.errors import InvalidInput

# ISO 4217 minor units for the currencies the markets use (TWD and VND have none in practice).
MINOR_UNITS = {"SGD": 2, "MYR": 2, "THB": 2, "IDR": 0, "PHP": 2, "VND": 0, "TWD": 0, "CNY": 2, "USD": 2, "BRL": 2}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @staticmethod
    def of(amount: Decimal | int | str | float, currency: str) -> Money:
        return Money(Decimal(str(amount)), currency.upper())

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit: how carriers print prices on invoices."""
        places = MINOR_UNITS.get(self.currency, 2)
        return Money(self.amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


@dataclass(frozen=True)
class Address:
    name: str
    country: str  # ISO 3166-1 alpha-2
    line1: str
    line2: str = ""
    city: str = ""
    state: str = ""
    district: str = ""
    ward: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    company: str = ""


@dataclass(frozen=True)
class Item:
    description: str
    quantity: int
    unit_weight_g: int
    unit_value: Decimal = Decimal(0)
    sku: str = ""
    category: str = ""
    hs_code: str = ""
    origin_country: str = ""
    dangerous: bool = False


@dataclass(frozen=True)
class Dimensions:
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def sides(self) -> tuple[Decimal, Decimal, Decimal]:
        """Longest first: size limits are stated on the longest side and on the sum."""
        a, b, c = sorted((self.length_cm, self.width_cm, self.height_cm), reverse=True)
        return a, b, c


@dataclass(frozen=True)
class Parcel:
    items: tuple[Item, ...]
    declared_value: Money
    packaging_weight_g: int = 0
    dimensions: Dimensions | None = None
    cod: Money | None = None
    measured_weight_g: int | None = None  # a scale or the carrier's re-weigh wins over the item sum

    @property
    def actual_weight_g(self) -> int:
        if self.measured_weight_g is not None:
            return self.measured_weight_g
        return sum(i.unit_weight_g * i.quantity for i in self.items) + self.packaging_weight_g

    def volumetric_weight_g(self, divisor: int) -> int:
        """L x W x H (cm) / divisor gives kg; rounded up to the gram. 0 without dimensions."""
        if self.dimensions is None or divisor <= 0:
            return 0
        return math.ceil(self.dimensions.volume_cm3 * 1000 / divisor)

    @property
    def is_cod(self) -> bool:
        return self.cod is not None and self.cod.amount > 0

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(i.category for i in self.items if i.category)

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(i.sku for i in self.items if i.sku)


def normalise_postcode(postcode: str) -> str:
    """Spaces and dashes are formatting, not part of the code ("01310-100" and "01310100" are one CEP)."""
    return postcode.replace(" ", "").replace("-", "").upper()


@dataclass(frozen=True)
class ServiceableArea:
    """Where a carrier delivers in one country: postcode prefixes, or named places (a location tree).

    Empty sets mean "not restricted at that level". Kept as data per carrier (carriers publish these
    as downloadable lists; ours are samples to be replaced with the contract's list).
    """

    country: str
    postcode_prefixes: frozenset[str] = field(default_factory=frozenset)
    excluded_postcode_prefixes: frozenset[str] = field(default_factory=frozenset)
    places: frozenset[str] = field(default_factory=frozenset)  # lower-case city / district / state names
    postcode_required: bool = True
    postcode_pattern: str = ""  # the country's postcode format, e.g. six digits in Singapore

    def check(self, address: Address, prefix: str = "recipient") -> None:
        """Raise :class:`InvalidInput` naming the field that puts the address outside the area."""
        if address.country.upper() != self.country:
            raise InvalidInput(f"{prefix}.country", f"not served: {address.country}")
        postcode = normalise_postcode(address.postcode)
        if self.postcode_required and not postcode:
            raise InvalidInput(f"{prefix}.postcode", "required for this carrier in " + self.country)
        if postcode and self.postcode_pattern and not re.fullmatch(self.postcode_pattern, postcode):
            raise InvalidInput(f"{prefix}.postcode", f"{postcode} is not a {self.country} postcode")
        if postcode:
            if any(postcode.startswith(p) for p in self.excluded_postcode_prefixes):
                raise InvalidInput(f"{prefix}.postcode", f"{postcode} is outside the carrier's service area")
            if self.postcode_prefixes and not any(postcode.startswith(p) for p in self.postcode_prefixes):
                raise InvalidInput(f"{prefix}.postcode", f"{postcode} is outside the carrier's service area")
        if self.places:
            names = {n.strip().lower() for n in (address.city, address.district, address.state, address.ward) if n}
            if not names & self.places:
                raise InvalidInput(f"{prefix}.city", "no served city, district or state matches")
