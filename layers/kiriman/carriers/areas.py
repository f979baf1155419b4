"""Where each carrier delivers, as data: postcode formats and prefixes, or a location tree's names.

Carriers hand these lists to account holders (Ninja Van's "serviceable areas" sheet per country, Flash's
remote-area postcode list, J&T's coverage list); they change with contracts, so they are data, not code.
The rows below are the public shape of each country's postcode system (Singapore six digits, Malaysia,
Thailand and Indonesia five, the Philippines four; Vietnam addresses by province and district, not
postcode) plus the exclusions we know of. Replace them with the contract's sheet.
"""

from __future__ import annotations

from kiriman.domain.parcels import Address, ServiceableArea

_F = frozenset

# Provinces (tỉnh / thành phố) Ninja Van Vietnam lists as served; addresses are matched on city/state.
_VN_PROVINCES = _F({
    "hồ chí minh", "ho chi minh", "thành phố hồ chí minh", "hà nội", "ha noi", "hanoi", "đà nẵng", "da nang",
    "hải phòng", "hai phong", "cần thơ", "can tho", "bình dương", "binh duong", "đồng nai", "dong nai",
    "khánh hòa", "khanh hoa", "bà rịa - vũng tàu", "ba ria - vung tau", "long an", "bắc ninh", "bac ninh",
})

AREAS: dict[str, dict[str, ServiceableArea]] = {
    "ninjavan": {
        "SG": ServiceableArea("SG", postcode_pattern=r"\d{6}"),
        # Sabah/Sarawak offshore islands (Labuan 87xxx is served; Pulau Banggi 89050 is not, per the NV MY
        # sheet sample): excluded prefixes are examples of the sheet's format.
        "MY": ServiceableArea("MY", postcode_pattern=r"\d{5}", excluded_postcode_prefixes=_F({"89050"})),
        "TH": ServiceableArea("TH", postcode_pattern=r"\d{5}"),
        "ID": ServiceableArea("ID", postcode_pattern=r"\d{5}"),
        "PH": ServiceableArea("PH", postcode_pattern=r"\d{4}"),
        "VN": ServiceableArea("VN", postcode_required=False, places=_VN_PROVINCES),
    },
}


def area(carrier: str, country: str) -> ServiceableArea | None:
    return AREAS.get(carrier, {}).get(country.upper())


def check(carrier: str, address: Address, prefix: str = "recipient") -> None:
    """Raise ``InvalidInput`` naming the field when ``carrier`` does not deliver to ``address``.

    A carrier without an area list for the country is not restricted here (its country list still is).
    """
    found = area(carrier, address.country)
    if found is not None:
        found.check(address, prefix)
