"""POST /webhooks/shopee (public): verify the push signature, acknowledge with an empty 2xx, enqueue."""

import base64
from typing import Any

from kiriman.api.authorizer import header
from kiriman.api.envelope import proxy_error
from kiriman.domain import pushes
from kiriman.domain.errors import DomainError
from kiriman.domain.shop_work import QUEUE
from kiriman.logs import get_logger, personal_scope
from kiriman.metrics import count
from kiriman.runtime import Runtime
from kiriman.settings import ShopeeWebhookSettings, load

RUNTIME = Runtime(load(ShopeeWebhookSettings)).warm()
log = get_logger()


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[ShopeeWebhookSettings] | None = None
) -> dict[str, Any]:
    rt = runtime or RUNTIME
    rid = str((event.get("requestContext") or {}).get("requestId", ""))
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    with personal_scope():
        if len(raw) > rt.settings.max_body_bytes:
            count("ShopeePushRejected")
            return proxy_error(413, "payload_too_large", "push body too large", rid)
        cfg = rt.secrets.get("shopee")
        try:
            outcome = pushes.accept(
                raw,
                header(event.get("headers"), "Authorization"),
                str(cfg["push_callback_url"]),
                str(cfg["partner_key"]),
                rt.store,
                rt.dispatcher,
                QUEUE,
            )
        except DomainError as exc:
            count("ShopeePushRejected")
            log.warning("push rejected", extra={"reason": exc.message, "status": exc.status})
            return proxy_error(exc.status, exc.code, exc.message, rid)
        log.info("push", extra={"code": outcome.code, "accepted": outcome.accepted, "reason": outcome.reason})
        # Shopee counts a push delivered only on a 2xx with an empty body.
        return {"statusCode": 200, "headers": {"x-request-id": rid}, "body": "", "isBase64Encoded": False}
