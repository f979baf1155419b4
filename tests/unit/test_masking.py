"""The log filter masks personal data in the message, in extra fields and inside nested dicts."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kiriman.logs import MASK, mask, mask_text, personal_scope, register_personal

NAME = "Somchai Jaidee"
PHONE = "+66 81 234 5678"
ADDRESS = "99/1 Sukhumvit Soi 11, Khlong Toei Nuea, Watthana, Bangkok 10110"


def _capture() -> tuple[logging.Logger, io.StringIO]:
    from kiriman.logs import MaskingFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter())
    logger = logging.getLogger(f"mask-test-{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def _line(stream: io.StringIO) -> tuple[str, dict]:
    raw = stream.getvalue().strip().splitlines()[-1]
    return raw, json.loads(raw)


def test_message_text_with_registered_values_and_patterns() -> None:
    logger, stream = _capture()
    with personal_scope():
        register_personal(NAME, ADDRESS)
        logger.info(f"label for {NAME}, {ADDRESS}, call {PHONE} or mail somchai@example.co.th")
    raw, rec = _line(stream)
    for secret in (NAME, ADDRESS, PHONE, "somchai@example.co.th", "81 234"):
        assert secret not in raw
    assert rec["message"].startswith("label for ***")
    assert rec["level"] == "INFO"


def test_extra_fields_by_name_and_nested_dicts() -> None:
    logger, stream = _capture()
    order = {
        "order_sn": "2611250ABCDEF",
        "recipient_address": {"name": NAME, "phone": "0812345678", "full_address": ADDRESS, "region": "TH"},
        "items": [{"sku": "A-1", "buyer": {"email": "x@y.example", "nickname": "ok"}}],
        "access_token": "4e4c5a6b7c8d9e0f",
        "notes": f"ring {PHONE}",
    }
    logger.info("order synced", extra={"order": order, "recipient_name": NAME, "shop_id": 123456})
    raw, rec = _line(stream)
    for secret in (NAME, ADDRESS, "0812345678", "x@y.example", "4e4c5a6b7c8d9e0f", "234 5678"):
        assert secret not in raw
    assert rec["order"]["order_sn"] == "2611250ABCDEF"
    assert rec["order"]["recipient_address"]["region"] == MASK  # the whole address block is personal
    assert rec["order"]["items"][0]["sku"] == "A-1"
    assert rec["order"]["items"][0]["buyer"]["nickname"] == "ok"
    assert rec["recipient_name"] == MASK
    assert rec["shop_id"] == 123456


def test_registered_values_are_forgotten_after_the_invocation() -> None:
    with personal_scope():
        register_personal("Nguyễn Thị Lan")
        assert mask_text("giao cho Nguyễn Thị Lan") == "giao cho ***"
    assert mask_text("giao cho Nguyễn Thị Lan") == "giao cho Nguyễn Thị Lan"


@pytest.mark.parametrize(
    "phone",
    [
        "+6591234567",
        "+60 12-345 6789",
        "0912345678",
        "09171234567",
        "13812345678",
        "91234567",
        "081-234-5678",
        "(02) 2345-6789",
    ],
)
def test_phone_patterns_of_the_markets(phone: str) -> None:
    assert phone not in mask_text(f"tel {phone} end")


@pytest.mark.parametrize(
    "keep", ["epoch 1795600800", "order 2611250ABCDEF", "2026-11-25T10:00:00Z", "weight 1250 g", "shop_id 123456"]
)
def test_ordinary_numbers_stay(keep: str) -> None:
    assert mask_text(keep) == keep


def test_tokens_and_keys_by_pattern() -> None:
    text = "Authorization: Bearer abcdefghijklmnop and key kf_live_AbCdEfGh_0123456789abcdef0123456789abcdef"
    out = mask_text(text)
    assert "abcdefghijklmnop" not in out and "kf_live_" not in out


def test_chinese_name_registered_inside_text() -> None:
    with personal_scope():
        register_personal("王小明", "广东省深圳市南山区科技园")
        out = mask({"msg": "收件人王小明，地址广东省深圳市南山区科技园", "list": ["王小明"]})
    assert "王小明" not in json.dumps(out, ensure_ascii=False)
    assert "科技园" not in json.dumps(out, ensure_ascii=False)


def test_powertools_logger_uses_the_masking_formatter() -> None:
    from kiriman.logs import MaskingFormatter, get_logger

    logger = get_logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    try:
        logger.info("courier called", extra={"phone": "0812345678", "tracking_no": "NVSG000123"})
    finally:
        logger._logger.removeHandler(handler)
    assert isinstance(logger.registered_formatter, MaskingFormatter)
    out = stream.getvalue()
    assert "0812345678" not in out and "NVSG000123" in out
