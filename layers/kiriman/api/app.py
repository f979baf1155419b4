"""The API function's entry: body limit, request id, personal-data scope, then the resolver."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from kiriman.api import (
    routes_audit,
    routes_carriers,
    routes_core,
    routes_docs,
    routes_documents,
    routes_labels,
    routes_orders,
    routes_pickups,
    routes_shipments,
    routes_shipping,
    routes_shops,
    routes_users,
    routes_warehouses,
)
from kiriman.api.envelope import proxy_error
from kiriman.api.resolver import build, set_runtime
from kiriman.logs import get_logger, personal_scope

log = get_logger()
ROUTERS = [
    routes_core.router,
    routes_users.router,
    routes_warehouses.router,
    routes_audit.router,
    routes_shops.router,
    routes_orders.router,
    routes_carriers.router,
    routes_shipping.router,
    routes_shipments.router,
    routes_pickups.router,
    routes_labels.router,
    routes_documents.router,
    routes_docs.router,
]


@cache
def resolver() -> APIGatewayRestResolver:
    return build(ROUTERS)


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body))
    return len(body.encode())


def handle(event: dict[str, Any], context: Any, runtime: Any) -> dict[str, Any]:
    rid = str((event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", ""))
    with personal_scope():
        log.append_keys(request_id=rid)
        if _body_size(event) > runtime.settings.max_body_bytes:
            return proxy_error(413, "payload_too_large", f"body exceeds {runtime.settings.max_body_bytes} bytes", rid)
        set_runtime(runtime)
        response = resolver().resolve(event, context)
        headers = response.setdefault("headers", {}) or {}
        headers.setdefault("x-request-id", rid)
        response["headers"] = headers
        return response
