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
from kiriman.domain.access import Permission, Principal
from kiriman.domain.errors import DomainError, Forbidden, Unauthorized
from kiriman.logs import get_logger

log = get_logger()
P = ParamSpec("P")
R = TypeVar("R")

# Set per invocation: the composition root (by the handler) and the caller (by ``requires``).
_runtime: contextvars.ContextVar[Any] = contextvars.ContextVar("kiriman_runtime")
_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("kiriman_principal")


def runtime() -> Any:
    return _runtime.get()


def set_runtime(rt: Any) -> None:
    _runtime.set(rt)


def principal() -> Principal:
    return _principal.get()


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
            try:
                return fn(*args, **kwargs)
            finally:
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
