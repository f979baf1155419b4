"""Ninja Van's error envelope, raised as exceptions by the handlers.

Shape (Ninja Van API docs, ErrorResponse schema): ``{"error": {"code", "request_id", "title", "message",
"details": [{"field", "message", "reason"}]}}`` with a 4xx/5xx HTTP status. ``request_id`` equals the
``x-nv-request-id`` response header.

The numeric codes and the ``reason`` strings below are the sandbox's own (Ninja Van publishes no code list):
clients should branch on the HTTP status and on ``details[].field`` / ``reason``, never on ``code``.
"""

from __future__ import annotations

from typing import Any

# code -> (HTTP status, title)
CODES: dict[int, tuple[int, str]] = {
    1001: (401, "Invalid Client Credentials"),
    1002: (401, "Unauthorized"),
    1003: (401, "Access Token Expired"),
    1004: (403, "Forbidden"),
    2000: (400, "Request Validation Failed"),
    2001: (400, "Duplicate Requested Tracking Number"),
    2002: (400, "Order Not Cancellable"),
    2004: (404, "Not Found"),
    2005: (405, "Method Not Allowed"),
    4290: (429, "Too Many Requests"),
    5000: (500, "Internal Server Error"),
    5020: (502, "Bad Gateway"),
    5030: (503, "Service Unavailable"),
    5040: (504, "Gateway Timeout"),
}
STATUS_CODE = {500: 5000, 502: 5020, 503: 5030, 504: 5040, 429: 4290}


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        fault: str = "",
    ) -> None:
        super().__init__(f"{code}: {message}")
        default_status, title = CODES.get(code, (500, "Error"))
        self.code = code
        self.status = status or default_status
        self.title = title
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.fault = fault

    def body(self, request_id: str, code_as_string: bool = False) -> dict[str, Any]:
        return {
            "error": {
                "code": str(self.code) if code_as_string else self.code,
                "request_id": request_id,
                "title": self.title,
                "message": self.message,
                "details": list(self.details),
            }
        }


def detail(field: str, reason: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message, "reason": reason}


def validation_error(details: list[dict[str, str]]) -> ApiError:
    first = details[0]["message"] if details else "invalid request"
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return ApiError(2000, f"{first}{more}", details=details)


def server_error(status: int, fault: str = "") -> ApiError:
    code = STATUS_CODE.get(status, 5000)
    return ApiError(code, "The server encountered an error. Please retry later.", status=status, fault=fault)
