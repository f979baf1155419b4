"""API Gateway REQUEST authorizer: ``Authorization: Bearer <key>`` -> policy + principal context."""

from typing import Any

from kiriman.api.authorizer import authorize
from kiriman.logs import get_logger
from kiriman.runtime import Runtime
from kiriman.settings import AuthorizerSettings, load

RUNTIME = Runtime(load(AuthorizerSettings)).warm()
log = get_logger()


def handler(event: dict[str, Any], context: Any, runtime: Runtime[AuthorizerSettings] | None = None) -> dict[str, Any]:
    rt = runtime or RUNTIME
    return authorize(rt.store, event, rt.clock.time())
