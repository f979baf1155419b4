"""Domain errors. The API turns each into one status code and the project's error envelope."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, details: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(DomainError):
    code = "invalid_request"
    status = 400

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", [FieldProblem(field, reason)])


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    """Also what another tenant gets for a resource that exists, so existence does not leak."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


@dataclass
class Page:
    """One page of a list and the opaque cursor to the next (None at the end)."""

    items: list[object] = field(default_factory=list)
    next_cursor: str | None = None
