"""One logging setup for every function, with personal data masked before a line is written.

Masking happens on the finished structured record (message, extra keys, nested values), so no call
site can forget it. Three rules apply:

* by field name at any depth (recipient name, phone, address, tokens, secrets, keys, signatures);
* by pattern inside any string (phone numbers, e-mail addresses, bearer tokens, our API keys, long
  hex/base64 tokens);
* by value: the domain registers what it knows is personal for the current invocation (a recipient's
  name or street read from an order) with :func:`register_personal`; those values are masked wherever
  they appear, including inside the message text.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

MASK = "***"

# Field names (normalised: lower case, no separators) whose values are always personal or secret.
_SENSITIVE_NAMES = {
    "name",
    "fullname",
    "firstname",
    "lastname",
    "recipientname",
    "buyername",
    "buyerusername",
    "sendername",
    "contactname",
    "receivername",
    "consignee",
    "consigneename",
    "phone",
    "phonenumber",
    "mobile",
    "mobilenumber",
    "tel",
    "telephone",
    "contactphone",
    "recipientphone",
    "senderphone",
    "receiverphone",
    "email",
    "emailaddress",
    "address",
    "addressline",
    "addressline1",
    "addressline2",
    "fulladdress",
    "street",
    "streetaddress",
    "recipientaddress",
    "senderaddress",
    "receiveraddress",
    "detailaddress",
    "district",
    "town",
    "zipcode",
    "postcode",
    "postalcode",
    "accesstoken",
    "refreshtoken",
    "token",
    "idtoken",
    "apikey",
    "secret",
    "clientsecret",
    "partnerkey",
    "password",
    "authorization",
    "sign",
    "signature",
    "privatekey",
    "webhooksecret",
    "authcode",
}
# Name fragments: any field whose normalised name contains one of these is masked too.
_SENSITIVE_FRAGMENTS = ("token", "secret", "password", "apikey", "phone", "email", "address", "authoriz")

_PATTERNS = [
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bkf_[a-z]+_[A-Za-z0-9_-]{16,}"),  # our own API keys
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    # Phone numbers as the markets write them: international (+66 81 234 5678), trunk-prefixed local
    # numbers (0812345678, 09171234567), mainland mobiles (13812345678), Singapore's 8 digits, and
    # any grouped form (081-234-5678). Epoch seconds (10 digits from 1) and order numbers stay.
    re.compile(r"\+\d[\d\s().-]{6,18}\d"),
    re.compile(r"(?<![\w])0\d{8,10}(?![\w])"),
    re.compile(r"(?<![\w])1[3-9]\d{9}(?![\w])"),
    re.compile(r"(?<![\w])[689]\d{7}(?![\w])"),
    re.compile(r"(?<![\w])\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,5}(?![\w])"),
    re.compile(r"\b[A-Fa-f0-9]{32,}\b"),  # hex tokens, HMACs
    re.compile(r"\b[A-Za-z0-9+/_-]{40,}={0,2}"),  # base64 / url-safe tokens
]

_personal: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("kiriman_personal", default=())


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def is_sensitive_name(key: str) -> bool:
    n = _norm(key)
    return n in _SENSITIVE_NAMES or any(f in n for f in _SENSITIVE_FRAGMENTS)


def register_personal(*values: object) -> None:
    """Mask these values wherever they appear in this invocation's log lines."""
    keep = [str(v).strip() for v in values if v is not None and len(str(v).strip()) >= 3]
    if keep:
        # Longest first so a full name is masked before a part of it.
        merged = sorted({*_personal.get(), *keep}, key=len, reverse=True)
        _personal.set(tuple(merged))


def clear_personal() -> None:
    _personal.set(())


@contextmanager
def personal_scope() -> Iterator[None]:
    """An invocation's lifetime: registered values are forgotten when it ends."""
    token = _personal.set(())
    try:
        yield
    finally:
        _personal.reset(token)


def mask_text(text: str) -> str:
    for value in _personal.get():
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def mask(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` with personal data masked (dicts by key name, strings by pattern and value)."""
    if _depth > 20:
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and is_sensitive_name(k) and v not in (None, "", [], {}):
                out[k] = MASK if not isinstance(v, dict | list) else mask_all(v)
            else:
                out[k] = mask(v, _depth + 1)
        return out
    if isinstance(value, list | tuple | set):
        return [mask(v, _depth + 1) for v in value]
    return value


def mask_all(value: Any) -> Any:
    """Every leaf masked: the container was sensitive as a whole (e.g. ``recipient_address``)."""
    if isinstance(value, dict):
        return {k: mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_all(v) for v in value]
    return MASK


# Keys powertools itself adds; masking them would hide what the line is.
_STRUCTURAL = {
    "level",
    "location",
    "timestamp",
    "service",
    "sampling_rate",
    "xray_trace_id",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "cold_start",
    "exception_name",
    "correlation_id",
    "request_id",
}


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with :func:`mask` applied to the finished record."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        masked = mask({k: v for k, v in log.items() if k not in _STRUCTURAL})
        return super().serialize({k: (v if k in _STRUCTURAL else masked[k]) for k, v in log.items()})


@cache
def get_logger() -> Logger:
    """The project's one logger (service name from POWERTOOLS_SERVICE_NAME); everything logs through it."""
    return Logger(logger_formatter=MaskingFormatter(use_rfc3339=True))
