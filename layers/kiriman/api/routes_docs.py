"""The API's own description: OpenAPI JSON and a Swagger UI page (both public)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from kiriman.api.envelope import JSON

router = Router()

# Swagger UI from its published bundle; the page itself carries no data and no key.
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shopee Forwarder API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5.17.14/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5.17.14/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#ui"});</script>
</body></html>"""


@router.get("/v1/openapi.json", summary="This API's OpenAPI description (public)", include_in_schema=False)
def openapi() -> Response[dict[str, Any]]:
    from kiriman.api.openapi import spec

    return Response(status_code=200, content_type=JSON, body=spec())


@router.get("/v1/docs", summary="Swagger UI (public)", include_in_schema=False)
def docs() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=_PAGE)
