"""The OpenAPI document, generated from the routes. ``python -m kiriman.api.openapi`` prints it;
``make openapi`` writes docs/openapi.json, and a test fails when the committed file drifts."""

import json
from functools import cache
from typing import Any

from kiriman import __version__

PUBLIC_PATHS = {"/v1/health", "/v1/shops/callback"}


@cache
def spec() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from kiriman.api.app import resolver

    doc: dict[str, Any] = json.loads(
        resolver().get_openapi_json_schema(
            title="Shopee Forwarder API",
            version=__version__,
            description="Fulfilment and forwarding for Shopee sellers. Errors share one envelope: "
            '`{"error": {"code", "message", "details": [{"field", "reason"}]}, "request_id"}`.',
            security_schemes={"apiKey": HTTPBearer(description="`Authorization: Bearer kf_live_...`")},
            security=[{"apiKey": []}],
        )
    )
    for path, ops in doc.get("paths", {}).items():
        if path in PUBLIC_PATHS:
            for op in ops.values():
                op["security"] = []
    return doc


def render() -> str:
    return json.dumps(spec(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
