"""J&T's response envelope and its error codes, raised as exceptions by the handlers.

Every JMS answer is ``{"code", "msg", "data", "requestId"}``; ``code`` 1 = success, anything else = failure with
``msg``. Business and platform errors come back with **HTTP 200** (branch on ``code``). Only the sandbox's injected
faults (429 / 5xx) and routing errors use other HTTP statuses; their envelope ``code`` is the HTTP status as text
(the sandbox's own choice - J&T publishes nothing for them).

Codes from the MY open-platform pages (create / query / cancel / print / trace / callback):
"""

from __future__ import annotations

from typing import Any

SUCCESS = "1"
FAIL = "0"
API_ACCOUNT_DOES_NOT_EXIST = "145003010"
NO_INTERFACE_PERMISSION = "145003012"
HEADER_SIGNATURE_FAILED = "145003030"
BUSINESS_SIGNATURE_FAILED = "145003031"  # "业务参数签名失败" (query / cancel tables)
ILLEGAL_PARAMETERS = "145003050"
API_ACCOUNT_EMPTY = "145003051"
DIGEST_EMPTY = "145003052"
TIMESTAMP_EMPTY = "145003053"
TOO_MANY_BILL_CODES = "145003502"  # "运单号个数超过30" (trace)
REQUIRED = "999001010"  # missing / too long / out of range; msg names the field
INVALID = "999001030"  # invalid value (postcode, country ...); also "数据未找到" on trace
NOT_FOUND_CANCEL = "999002000"  # "数据未找到" on cancelOrder
NOT_CANCELLABLE = "999002010"  # "order status can not be cancel"

MESSAGES = {
    API_ACCOUNT_DOES_NOT_EXIST: "API account does not exist",
    NO_INTERFACE_PERMISSION: "API account has no interface permissions",
    HEADER_SIGNATURE_FAILED: "headers signature verification failed",
    BUSINESS_SIGNATURE_FAILED: "business parameter signature verification failed",
    ILLEGAL_PARAMETERS: "Illegal parameters",
    API_ACCOUNT_EMPTY: "apiAccount is empty!",
    DIGEST_EMPTY: "digest is empty!",
    TIMESTAMP_EMPTY: "timestamp is empty!",
    TOO_MANY_BILL_CODES: "billCode count exceeds 30",
    NOT_FOUND_CANCEL: "No order data found",
    NOT_CANCELLABLE: "order status can not be cancel",
}


class JntError(Exception):
    def __init__(
        self,
        code: str,
        msg: str | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        fault: str = "",
        data: Any = None,
    ) -> None:
        text = msg if msg is not None else MESSAGES.get(code, "fail")
        super().__init__(f"{code}: {text}")
        self.code = code
        self.msg = text
        self.status = status
        self.headers = headers or {}
        self.fault = fault
        self.data = data


def required(field: str) -> JntError:
    return JntError(REQUIRED, f"{field} is required")


def too_long(field: str, limit: int) -> JntError:
    return JntError(REQUIRED, f"{field} is not allow more than {limit} character")


def server_error(status: int, fault: str = "") -> JntError:
    text = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, "Server Error")
    return JntError(str(status), f"{text}: please retry later", status=status, fault=fault)
