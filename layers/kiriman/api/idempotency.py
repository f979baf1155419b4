"""``Idempotency-Key`` on every POST that creates something, through powertools' idempotency utility.

Same key and same body: the first result again. Same key, different body: 422. Same key while the
first request is still running: 409. Keys are scoped to the caller's merchant (or operator user) and
the route, so two merchants can use the same key. Records live in the single table under
``PK = IDEMPOTENCY#api`` and expire after 24 hours (``expires_at``, the table's TTL attribute).
"""

import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import BaseModel

from kiriman.api.envelope import JSON
from kiriman.api.resolver import header_value, principal, runtime
from kiriman.domain.errors import Conflict, DomainError, InvalidInput

HEADER = "Idempotency-Key"
TTL_S = 24 * 3600
P = ParamSpec("P")


class IdempotencyMismatch(DomainError):
    code = "idempotency_key_reused"
    status = 422


def _persistence(rt: Any) -> DynamoDBPersistenceLayer:
    store = getattr(rt, "_idempotency_store", None)
    if store is None:
        store = DynamoDBPersistenceLayer(
            table_name=rt.settings.table_name,
            key_attr="PK",
            sort_key_attr="SK",
            static_pk_value="IDEMPOTENCY#api",
            expiry_attr="expires_at",
            boto3_client=rt.client("dynamodb"),
        )
        rt._idempotency_store = store
    return store


def _canonical_body(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _jsonable(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    if isinstance(body, str | bytes):
        return json.loads(body)
    return body


def idempotent(router: Router) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Route decorator (inside ``requires``): replays the first response for a repeated key."""

    def wrap(fn: Callable[P, Any]) -> Callable[P, Any]:
        @functools.wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> Any:
            key = header_value(router, HEADER)
            if key is None:
                return fn(*args, **kwargs)
            if not (1 <= len(key) <= 255) or not key.isprintable():
                raise InvalidInput(f"header.{HEADER}", "must be 1 to 255 printable characters")
            p = principal()
            event = router.current_event.raw_event
            request = {
                "scope": p.merchant_id or f"operator:{p.user_id}",
                "route": f"{event.get('httpMethod')} {event.get('resource')}",
                "key": key,
                "body": _canonical_body(event.get("body")),
            }
            config = IdempotencyConfig(
                event_key_jmespath="[scope, route, key]",
                payload_validation_jmespath="body",
                expires_after_seconds=TTL_S,
                raise_on_no_idempotency_key=True,
            )
            ctx = router.lambda_context
            if ctx is not None and hasattr(ctx, "get_remaining_time_in_millis"):
                config.register_lambda_context(ctx)

            def first_time(request: dict[str, Any]) -> dict[str, Any]:
                result = fn(*args, **kwargs)
                if isinstance(result, Response):
                    return {"status": result.status_code, "body": _jsonable(result.body)}
                return {"status": 200, "body": _jsonable(result)}

            guarded = idempotent_function(
                data_keyword_argument="request", persistence_store=_persistence(runtime()), config=config
            )(first_time)
            try:
                out = guarded(request=request)
            except IdempotencyValidationError as exc:
                raise IdempotencyMismatch(f"this {HEADER} was used with a different body") from exc
            except IdempotencyAlreadyInProgressError as exc:
                raise Conflict(f"a request with this {HEADER} is still in progress; retry shortly") from exc
            return Response(status_code=out["status"], content_type=JSON, body=out["body"])

        return inner

    return wrap
