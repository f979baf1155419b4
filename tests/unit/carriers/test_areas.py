"""Serviceable areas: addresses outside a carrier's area fail naming the field, and routing leaves it out."""

from __future__ import annotations

import pytest

from kiriman.carriers import areas
from kiriman.domain.errors import InvalidInput
from kiriman.domain.parcels import Address


def addr(country: str, postcode: str = "", city: str = "", state: str = "") -> Address:
    return Address(name="Buyer", country=country, line1="1 Road", postcode=postcode, city=city, state=state)


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (addr("SG", "56012"), "recipient.postcode"),  # five digits is not a Singapore postcode
        (addr("SG", ""), "recipient.postcode"),
        (addr("MY", "89050"), "recipient.postcode"),  # excluded island
        (addr("PH", "123456"), "recipient.postcode"),
        (addr("VN", city="Điện Biên Phủ", state="Điện Biên"), "recipient.city"),
    ],
)
def test_outside_the_area_names_the_field(address: Address, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        areas.check("ninjavan", address)
    assert err.value.details[0].field == field


@pytest.mark.parametrize(
    "address",
    [addr("SG", "560 123"), addr("MY", "50450"), addr("TH", "10260"), addr("PH", "1226"),
     addr("VN", city="Quận 10", state="Hồ Chí Minh")],
)
def test_inside_the_area(address: Address) -> None:
    areas.check("ninjavan", address)


def test_a_carrier_without_a_list_is_not_restricted_here() -> None:
    areas.check("fourpx", addr("BR", ""))
