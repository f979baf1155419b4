"""The REQUEST authorizer's logic: a Bearer key in, an IAM policy with the principal out.

The policy allows the whole stage (``.../<stage>/*/*``), not just the method asked for, because API
Gateway caches the decision per key for ``cache_seconds`` and reuses it on every route; what a role
may do is decided by each route's permission, not by this policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiriman.domain.access import Principal
from kiriman.domain.errors import Unauthorized
from kiriman.domain.merchants import CredentialStore, authenticate

# API Gateway turns exactly this exception message into a 401 (and caches nothing).
UNAUTHORIZED = "Unauthorized"


class AuthorizerDenied(Exception):
    def __init__(self) -> None:
        super().__init__(UNAUTHORIZED)


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return str(v) if v is not None else None
    return None


def stage_wildcard(method_arn: str) -> str:
    """``arn:aws:execute-api:r:a:api/stage/GET/v1/x`` -> ``arn:aws:execute-api:r:a:api/stage/*/*``."""
    arn, _, path = method_arn.partition(":execute-api:")
    parts = path.split("/")
    if not arn or len(parts) < 2:
        raise ValueError("unexpected methodArn")
    return f"{arn}:execute-api:{parts[0]}/{parts[1]}/*/*"


def policy_for(principal: Principal, method_arn: str) -> dict[str, Any]:
    return {
        "principalId": principal.user_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage_wildcard(method_arn)}],
        },
        "context": principal.to_context(),
    }


def authorize(store: CredentialStore, event: Mapping[str, Any], now: float) -> dict[str, Any]:
    try:
        principal = authenticate(store, header(event.get("headers"), "Authorization"), now)
    except Unauthorized as exc:
        raise AuthorizerDenied() from exc
    return policy_for(principal, str(event["methodArn"]))
