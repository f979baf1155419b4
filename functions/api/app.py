"""API Gateway (REST, proxy) -> the /v1 API. Settings are parsed at cold start; clients are lazy."""

from typing import Any

from kiriman.api.app import handle
from kiriman.runtime import Runtime
from kiriman.settings import ApiSettings, load

RUNTIME = Runtime(load(ApiSettings)).warm()


def handler(event: dict[str, Any], context: Any, runtime: Runtime[ApiSettings] | None = None) -> dict[str, Any]:
    return handle(event, context, runtime or RUNTIME)
