"""An in-process API Gateway for integration tests: sample event in, authorizer, then the API."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import EVENTS

_PROXY = json.loads((EVENTS / "api" / "proxy_request.json").read_text())
_AUTH = json.loads((EVENTS / "authorizer" / "request.json").read_text())


class Gateway:
    def __init__(self, api: Any, authorizer: Any) -> None:
        self.api = api
        self.authorizer = authorizer

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        key: str | None = None,
        query: dict[str, str] | None = None,
        raw_body: str | None = None,
        headers_extra: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        from kiriman.manifest import MANIFEST

        found = MANIFEST.route_for(method, path)
        if found is None:
            return 404, {"error": {"code": "not_found"}}, {}
        _fn, route, params = found
        event = copy.deepcopy(_PROXY)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        headers.update(headers_extra or {})
        event.update(
            resource=route.path,
            path=path,
            httpMethod=method,
            headers=headers,
            multiValueHeaders={k: [v] for k, v in headers.items()},
            queryStringParameters=query or None,
            multiValueQueryStringParameters={k: [v] for k, v in (query or {}).items()} or None,
            pathParameters=params or None,
            body=raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        )
        ctx = event["requestContext"]
        ctx.update(resourcePath=route.path, httpMethod=method, requestId=str(uuid.uuid4()))
        if route.public:
            ctx.pop("authorizer", None)
        else:
            auth = copy.deepcopy(_AUTH)
            auth["headers"] = headers
            auth["methodArn"] = f"arn:aws:execute-api:ap-southeast-1:123456789012:abc123/prod/{method}{path}"
            try:
                policy = self.authorizer.handler(auth, None)
                if policy["policyDocument"]["Statement"][0]["Effect"] != "Allow":
                    return 403, {"error": {"code": "forbidden"}}, {}
            except Exception as exc:
                if str(exc) == "Unauthorized":
                    return 401, {"error": {"code": "unauthorized"}}, {}
                raise
            ctx["authorizer"] = {"principalId": policy["principalId"], **policy["context"]}
        resp = self.api.handler(event, _Context())
        try:
            parsed = json.loads(resp["body"]) if resp.get("body") else None
        except ValueError:
            parsed = resp["body"]
        return resp["statusCode"], parsed, resp.get("headers") or {}


class _Context:
    function_name = "api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:api"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


__all__ = ["Gateway", "Path"]
