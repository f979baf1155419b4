"""The one error shape of the API, for every 4xx and 5xx:

``{"error": {"code", "message", "details": [{"field", "reason"}]}, "request_id"}``
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from kiriman.domain.errors import FieldProblem

JSON = "application/json"


def error_body(
    code: str, message: str, details: Iterable[FieldProblem] = (), request_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "details": [{"field": d.field, "reason": d.reason} for d in details],
        }
    }
    if request_id:
        body["request_id"] = request_id
    return body


def proxy_error(status: int, code: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    """A whole API Gateway proxy response carrying the envelope (used before the resolver runs)."""
    headers = {"Content-Type": JSON}
    if request_id:
        headers["x-request-id"] = request_id
    return {
        "statusCode": status,
        "headers": headers,
        "body": json.dumps(error_body(code, message, request_id=request_id)),
        "isBase64Encoded": False,
    }


def problems_from_pydantic(errors: Sequence[Any]) -> list[FieldProblem]:
    """Field paths and reasons from pydantic errors, without echoing the input back."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            where, loc = loc[0], loc[1:]
            if where != "body" and loc:
                loc[0] = f"{where}.{loc[0]}"
        field = ".".join(loc) or "body"
        reason = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            field, reason = "body", "not valid JSON"
        out.append(FieldProblem(field, reason))
    return out
