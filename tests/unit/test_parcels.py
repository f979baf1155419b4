"""Parcel facts: weights, volumetric rounding, money rounding and serviceable areas naming the field."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kiriman.domain.errors import InvalidInput
from kiriman.domain.parcels import Address, Dimensions, Item, Money, Parcel, ServiceableArea

ADDR = Address("Ali", "MY", "1 Jalan Ampang", city="Kuala Lumpur", state="Wilayah Persekutuan", postcode="50450")


def box(l: str, w: str, h: str) -> Dimensions:  # noqa: E741
    return Dimensions(D(l), D(w), D(h))


def test_actual_weight_is_items_times_quantity_plus_packaging() -> None:
    p = Parcel((Item("mug", 3, 250), Item("card", 2, 10)), Money.of(30, "MYR"), packaging_weight_g=80)
    assert p.actual_weight_g == 3 * 250 + 2 * 10 + 80


def test_measured_weight_overrides_the_item_sum() -> None:
    p = Parcel((Item("mug", 3, 250),), Money.of(30, "MYR"), packaging_weight_g=80, measured_weight_g=1234)
    assert p.actual_weight_g == 1234
    assert Parcel((Item("mug", 1, 250),), Money.of(1, "MYR"), measured_weight_g=0).actual_weight_g == 0


@pytest.mark.parametrize(
    ("dims", "divisor", "grams"),
    [
        (("30", "20", "10"), 5000, 1200),
        (("30", "20", "10"), 6000, 1000),
        (("10", "10", "10.01"), 5000, 201),  # 200.2 g rounds up to the gram
        (("10.5", "10", "10"), 6000, 175),
        (("1", "1", "1"), 6000, 1),  # 0.166 g rounds up, never down to 0
    ],
)
def test_volumetric_weight_rounds_up_to_the_gram(dims: tuple[str, str, str], divisor: int, grams: int) -> None:
    p = Parcel((), Money.of(0, "MYR"), dimensions=box(*dims))
    assert p.volumetric_weight_g(divisor) == grams


def test_no_dimensions_or_no_divisor_means_no_volumetric_weight() -> None:
    assert Parcel((), Money.of(0, "MYR")).volumetric_weight_g(5000) == 0
    assert Parcel((), Money.of(0, "MYR"), dimensions=box("30", "20", "10")).volumetric_weight_g(0) == 0


def test_sides_are_longest_first() -> None:
    d = box("10", "40", "25")
    assert d.sides == (D(40), D(25), D(10))
    assert d.volume_cm3 == D(10000)


def test_cod_categories_and_skus() -> None:
    items = (Item("a", 1, 1, sku="S1", category="Toys"), Item("b", 1, 1), Item("c", 1, 1, sku="S2"))
    p = Parcel(items, Money.of(5, "PHP"), cod=Money.of(5, "PHP"))
    assert p.is_cod and p.categories == frozenset({"Toys"}) and p.skus == frozenset({"S1", "S2"})
    assert not Parcel(items, Money.of(5, "PHP"), cod=Money.of(0, "PHP")).is_cod
    assert not Parcel(items, Money.of(5, "PHP")).is_cod


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "THB", "1.01"),  # half-up, not banker's
        ("1.004", "THB", "1.00"),
        ("2.5", "VND", "3"),
        ("3.5", "IDR", "4"),
        ("12345.4", "TWD", "12345"),
        ("0.125", "XXX", "0.13"),  # unknown currencies get 2 places
    ],
)
def test_money_rounds_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    got = Money(D(amount), currency).rounded()
    assert got.amount == D(expected) and str(got.amount) == expected


def test_money_of_and_addition() -> None:
    assert Money.of(1.1, "thb") == Money(D("1.1"), "THB")
    assert Money.of("1.10", "SGD") + Money.of(2, "SGD") == Money(D("3.10"), "SGD")
    with pytest.raises(ValueError, match="cannot add"):
        Money.of(1, "SGD") + Money.of(1, "MYR")


AREA = ServiceableArea(
    "MY",
    postcode_prefixes=frozenset({"4", "5"}),
    excluded_postcode_prefixes=frozenset({"509"}),
)


def test_serviceable_area_accepts_an_address_inside() -> None:
    AREA.check(ADDR)
    AREA.check(Address("A", "my", "x", postcode="40 100"))  # country case and spaces do not matter


@pytest.mark.parametrize(
    ("address", "field", "reason"),
    [
        (Address("A", "SG", "x", postcode="018989"), "recipient.country", "not served"),
        (Address("A", "MY", "x"), "recipient.postcode", "required"),
        (Address("A", "MY", "x", postcode="50900"), "recipient.postcode", "outside"),
        (Address("A", "MY", "x", postcode="88000"), "recipient.postcode", "outside"),
    ],
)
def test_serviceable_area_names_the_field(address: Address, field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        AREA.check(address)
    assert err.value.details[0].field == field
    assert reason in err.value.details[0].reason
    assert err.value.message.startswith(field)


def test_serviceable_area_by_places_and_prefix() -> None:
    area = ServiceableArea("TH", places=frozenset({"bangkok", "nonthaburi"}), postcode_required=False)
    area.check(Address("S", "TH", "x", city=" Bangkok "))
    area.check(Address("S", "TH", "x", state="Nonthaburi"))
    with pytest.raises(InvalidInput) as err:
        area.check(Address("S", "TH", "x", city="Chiang Mai"), prefix="sender")
    assert err.value.details[0].field == "sender.city"
