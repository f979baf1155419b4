"""Signatures against fixed vectors, written here as literals (never produced by our own signer).

Base strings are Shopee's published examples ("API calls" guide); the hex values were computed from
the documented rule with the dummy key ``test_partner_key`` (tests/golden/shopee/api_signing_examples.json).
"""

from __future__ import annotations

from kiriman.shopee.signing import base_string, push_signature, sign, verify_push

KEY = "test_partner_key"


def test_shop_api_base_string_and_sign() -> None:
    args = (2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711)
    assert base_string(*args) == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    assert sign(KEY, *args) == "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"


def test_merchant_api_base_string_and_sign() -> None:
    args = (2001887, "/api/v2/global_product/get_category", 1655714431, "09777174636962737266615546704c6d", 1000000)
    assert (
        base_string(*args)
        == "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"
    )
    assert sign(KEY, *args) == "acd5a420a62ce9d730d869464ecd8e0cc66698e31175baf1b755007c90d0bd35"


def test_public_api_base_string_and_sign() -> None:
    args = (2001887, "/api/v2/public/get_shops_by_partner", 1655714431)
    assert base_string(*args) == "2001887/api/v2/public/get_shops_by_partner1655714431"
    assert sign(KEY, *args) == "bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09"


PUSH_URL = "http://www.example.com/example/uri"
PUSH_BODY = (
    b'{"shop_id": 123, "code": 1, "success": 1, "extra": "shop_id 123 is authorized successfully", '
    b'"data": {"more_info": "more info"}, "timestamp": 1470198856}'
)
PUSH_HEX = "32ad95ee30ee105f80e2ea52fc97c80853d6dcbe0c9a619a09e7914d70724070"


def test_push_signature_vector() -> None:
    assert push_signature(KEY, PUSH_URL, PUSH_BODY) == PUSH_HEX
    assert verify_push(KEY, PUSH_URL, PUSH_BODY, PUSH_HEX)
    assert verify_push(KEY, PUSH_URL, PUSH_BODY, PUSH_HEX.upper())


def test_push_signature_rejects_changes() -> None:
    assert not verify_push(KEY, PUSH_URL, PUSH_BODY, None)
    assert not verify_push(KEY, PUSH_URL, PUSH_BODY, "")
    assert not verify_push(KEY, PUSH_URL + "/", PUSH_BODY, PUSH_HEX)  # the configured URL, byte for byte
    assert not verify_push(KEY, PUSH_URL, PUSH_BODY.replace(b"123", b"124"), PUSH_HEX)
    assert not verify_push("other_key", PUSH_URL, PUSH_BODY, PUSH_HEX)
