"""Flash's response envelope ``{"code", "message", "data"}`` and its response codes, raised as exceptions by the
handlers.

``code`` 1 is success; business errors come back with **HTTP 200** and another code (Flash's "Response Code"
table, as transcribed from open-docs.flashexpress.com). ``message`` starts with the published English title of
the code; when the sandbox knows which parameter is at fault it adds ``": <parameter> <what is wrong>"``, so a
client can name the field (the real wording of Flash's messages is UNCONFIRMED and localised by
``Accept-Language``: clients should branch on ``code``). ``data`` is ``null`` on errors, except on a 1000 naming a
parameter, where it is ``{"<parameter>": ["<what is wrong>"]}`` - the shape of a real Flash answer quoted in a
public integration (``{"code":1000,"message":"...","data":{"insured":["..."]}}``).

Transport-level failures the sandbox injects (5xx, 429, 504) keep the envelope with ``code`` 0 ("internal server
error"); Flash publishes no rate-limit signal at all, so the 429 shape is the sandbox's own (UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

SUCCESS = 1
TITLES: dict[int, str] = {
    0: "internal server error",
    1: "success",
    1000: "Failed to submit",
    1001: "customer not found",
    1002: "invalid signature",
    1003: "Order is exists",
    1004: "Sender address does not match",
    1005: "Destination address does not match",
    1006: "order not found",
    1007: "warehouse not found",
    1008: "COD Service is not registered",
    1009: "COD amount cannot be negative value",
    1010: "Imcomplete schedule of pickup is exists, no schedule of pickup is required",  # sic, as published
    1011: "This courier notification can't be cancelled",
    1015: "Parcel is picked up, not allowed to cancel",
    1018: "Either sender's address and warehouse no should be sent",
    1019: "pno and mchId not match",
    1020: "insureDeclareValue cannot be negative value",
    1021: "Postal Code should be 5 digit number",
    1022: "Sender's address are not in service range yet",
}


class FlashError(Exception):
    def __init__(
        self,
        code: int,
        detail: str = "",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        fault: str = "",
        title: str | None = None,
        data: Any = None,
    ) -> None:
        self.code = code
        self.data = data
        base = title if title is not None else TITLES.get(code, "error")
        self.message = f"{base}: {detail}" if detail else base
        super().__init__(f"{code}: {self.message}")
        self.status = status
        self.headers = headers or {}
        self.fault = fault

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


def invalid(field: str, problem: str = "is required") -> FlashError:
    """Code 1000 naming the parameter: message ``Failed to submit: dstName is required``, data
    ``{"dstName": ["dstName is required"]}``."""
    return FlashError(1000, f"{field} {problem}", data={field: [f"{field} {problem}"]})


def server_error(status: int, fault: str = "") -> FlashError:
    return FlashError(0, "the server encountered an error, please retry later", status=status, fault=fault)


def envelope(data: Any = None) -> dict[str, Any]:
    return {"code": SUCCESS, "message": TITLES[SUCCESS], "data": data}
