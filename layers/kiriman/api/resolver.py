"""Builds the powertools REST resolver: routers, domain-error mapping, principal and permissions.

Routes live in small modules (``routes_*.py``) as powertools ``Router``s; each declares the
permission it needs through :func:`requires`. Domain errors become the envelope in one place.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from kiriman.api.envelope import JSON, error_body, problems_from_pydantic
from kiriman.domain import audit
from kiriman.domain.access import Permission, Principal
from kiriman.domain.errors import DomainError, Forbidden, Unauthorized
from kiriman.domain.tenancy import acting_merchant
from kiriman.logs import get_logger

log = get_logger()
P = ParamSpec("P")
R = TypeVar("R")

# Set per invocation: the composition root (by the handler), the caller (by ``requires``) and the
# merchant whose data the route touches (by ``acting``), which the audit record names.
_runtime: contextvars.ContextVar[Any] = contextvars.ContextVar("kiriman_runtime")
_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("kiriman_principal")
_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("kiriman_acting", default=None)


def runtime() -> Any:
    return _runtime.get()


def set_runtime(rt: Any) -> None:
    _runtime.set(rt)


def principal() -> Principal:
    return _principal.get()


def acting(requested: str | None, required: bool = True) -> str | None:
    """The merchant this request acts on (see ``kiriman.domain.tenancy``), remembered for the audit."""
    merchant_id = acting_merchant(principal(), requested, required)
    _acting.set(merchant_id)
    return merchant_id


def header_value(app: APIGatewayRestResolver | Router, name: str) -> str | None:
    headers = app.current_event.raw_event.get("headers") or {}
    for k, v in headers.items():
        if k.lower() == name.lower():
            return str(v)
    return None


def _audit(router: Router, p: Principal, result: Any) -> None:
    event = router.current_event.raw_event
    method = str(event.get("httpMethod", ""))
    merchant_id = _acting.get() or p.merchant_id
    if not audit.should_audit(method, p, _acting.get()):
        return
    status = int(getattr(result, "status_code", 200))
    route = str(event.get("resource") or (event.get("requestContext") or {}).get("resourcePath") or "")
    try:
        rt = runtime()
        audit.record(
            rt.store, rt.clock, p, merchant_id, method, route, str(event.get("path", "")), status, request_id(router)
        )
    except Exception:  # the change itself is done; a lost audit line is an alarm, not a failed call
        log.exception("audit record failed")


def request_id(app: APIGatewayRestResolver | Router) -> str:
    ctx = app.current_event.raw_event.get("requestContext") or {}
    return str(ctx.get("requestId") or "")


def principal_of(app: APIGatewayRestResolver | Router) -> Principal:
    ctx = (app.current_event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    try:
        return Principal.from_context(ctx)
    except (KeyError, ValueError) as exc:
        # Only reachable if a non-public route was wired without the authorizer.
        raise Unauthorized("no principal on this request") from exc


def requires(router: Router, permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Route decorator: the caller's role must grant ``permission``; the principal goes in ``context``."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            principal = principal_of(router)
            if not principal.can(permission):
                raise Forbidden(f"role {principal.role.value} lacks {permission.value}")
            token = _principal.set(principal)
            acting_token = _acting.set(None)
            try:
                result = fn(*args, **kwargs)
                _audit(router, principal, result)
                return result
            finally:
                _acting.reset(acting_token)
                _principal.reset(token)

        inner.required_permission = permission  # type: ignore[attr-defined]
        return inner

    return wrap


def build(routers: list[Router]) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, strip_prefixes=None)
    for r in routers:
        app.include_router(r)

    def envelope(status: int, code: str, message: str, details: Any = ()) -> Response[Any]:
        return Response(
            status_code=status,
            content_type=JSON,
            body=error_body(code, message, details, request_id(app)),
        )

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        if exc.status >= 500:
            log.exception("domain error")
        return envelope(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        problems = problems_from_pydantic(exc.errors())
        # The reasons are safe to return; the rejected values are logged (masked), never echoed.
        log.info("request rejected", extra={"problems": [p.__dict__ for p in problems]})
        malformed = any(p.reason == "not valid JSON" for p in problems)
        return envelope(
            400,
            "malformed_json" if malformed else "invalid_request",
            "the request body is not valid JSON" if malformed else "the request is invalid",
            problems,
        )

    @app.not_found
    def _not_found(exc: Exception) -> Response[Any]:
        return envelope(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def _crash(exc: Exception) -> Response[Any]:
        log.exception("unhandled error")
        return envelope(500, "internal_error", "something went wrong on our side; it has been logged")

    return app
