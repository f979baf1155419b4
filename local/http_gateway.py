"""API Gateway (REST API, Lambda proxy integration), locally.

Each HTTP request becomes the v1 proxy event for the route the manifest resolves, after the REQUEST
authorizer has allowed it (with API Gateway's per-identity cache and policy evaluation). Errors the
gateway itself makes use the project's error envelope, as the CDK stack's gateway responses do.
``/_local/...`` is the runner's control API (clock, faults, redrive, invocations), on the same port.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from kiriman.wiring import Function, Manifest, Route
from local.clock import SharedClock
from local.config import API_ACCOUNT, MAX_BODY_BYTES, REGION, STAGE
from local.workers import InvocationResult, Invoker

log = logging.getLogger("local.http")
API_ID = "local"
_DRAIN_CAP = 64 * 1024 * 1024  # oversized bodies beyond this are not read; the connection is closed
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass
class RawRequest:
    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def envelope(status: int, code: str, message: str, request_id: str | None = None) -> RawResponse:
    """The project's error shape (``kiriman.api.envelope``), as the CDK gateway responses render it."""
    doc: dict[str, Any] = {"error": {"code": code, "message": message, "details": []}}
    headers = [("Content-Type", "application/json")]
    if request_id:
        doc["request_id"] = request_id
        headers.append(("x-request-id", request_id))
    return RawResponse(status, headers, json.dumps(doc).encode())


def json_response(status: int, data: Any) -> RawResponse:
    return RawResponse(status, [("Content-Type", "application/json")], json.dumps(data).encode())


ControlHandler = Callable[[str, str, dict[str, list[str]], bytes], RawResponse]


# --- authorizer policy ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """What an authorizer returned, cached per identity and evaluated against each request's ARN."""

    principal_id: str
    statements: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # (effect, actions, resources)
    context: dict[str, str]

    def allows(self, method_arn: str) -> bool:
        allowed = False
        for effect, actions, resources in self.statements:
            if not any(_glob(a, "execute-api:Invoke") for a in actions):
                continue
            if not any(_glob(r, method_arn) for r in resources):
                continue
            if effect == "deny":
                return False  # an explicit Deny always wins
            if effect == "allow":
                allowed = True
        return allowed


def _glob(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE if pattern.startswith("execute-api") else 0) is not None


class AuthorizerResponseError(ValueError):
    pass


def parse_decision(result: Any) -> Decision:
    """Validate an authorizer's output the way API Gateway does (anything malformed is a 500)."""
    if not isinstance(result, dict):
        raise AuthorizerResponseError("authorizer returned no object")
    principal = result.get("principalId")
    policy = result.get("policyDocument")
    if not isinstance(principal, str | int) or not isinstance(policy, dict):
        raise AuthorizerResponseError("authorizer response needs principalId and policyDocument")
    raw = policy.get("Statement")
    raw_list = [raw] if isinstance(raw, dict) else raw
    if not isinstance(raw_list, list) or not raw_list:
        raise AuthorizerResponseError("policyDocument has no Statement")

    def strings(v: Any) -> tuple[str, ...]:
        if isinstance(v, str):
            return (v,)
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return tuple(v)
        raise AuthorizerResponseError("Action and Resource must be strings or lists of strings")

    statements = []
    for st in raw_list:
        if not isinstance(st, dict):
            raise AuthorizerResponseError("malformed Statement")
        effect = str(st.get("Effect", "")).lower()
        if effect not in ("allow", "deny"):
            raise AuthorizerResponseError(f"bad Effect {st.get('Effect')!r}")
        statements.append((effect, strings(st.get("Action", [])), strings(st.get("Resource", []))))
    context: dict[str, str] = {}
    raw_ctx = result.get("context") or {}
    if not isinstance(raw_ctx, dict):
        raise AuthorizerResponseError("context must be an object")
    for k, v in raw_ctx.items():
        if isinstance(v, bool):
            context[str(k)] = "true" if v else "false"
        elif isinstance(v, str | int | float):
            context[str(k)] = str(v)
        elif v is None:
            continue
        else:  # API Gateway rejects nested values in an authorizer context
            raise AuthorizerResponseError(f"context value {k!r} is not a string, number or boolean")
    return Decision(str(principal), tuple(statements), context)


# --- the gateway ----------------------------------------------------------------------------------
class Gateway:
    """Binds its port at construction (functions need the API's URL in their environment) and serves
    once :meth:`start` hands it the invoker."""

    def __init__(self, manifest: Manifest, clock: SharedClock, host: str, port: int) -> None:
        self.manifest = manifest
        self.clock = clock
        self.invoker: Invoker | None = None
        self.control: ControlHandler | None = None
        self._cache: dict[str, tuple[float, Decision]] = {}
        self._cache_lock = threading.Lock()
        # The authorizer cache lifetime scales with the stack's time scale, like every other wait.
        self.cache_scale = 1.0
        self.server = ThreadingHTTPServer((host, port), _handler_class(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, invoker: Invoker, control: ControlHandler | None = None) -> None:
        self.invoker = invoker
        self.control = control
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def _invoke(self, function: str, event: dict[str, Any], trigger: Literal["http", "authorizer"]) -> InvocationResult:
        if self.invoker is None:
            raise RuntimeError("the gateway has not started")
        return self.invoker.invoke(function, event, trigger)

    # --- request handling ---------------------------------------------------------------------
    def handle(self, req: RawRequest) -> RawResponse:
        parts = urlsplit(req.target)
        path = parts.path or "/"
        if self.control is not None and (path == "/_local" or path.startswith("/_local/")):
            query: dict[str, list[str]] = {}
            for k, v in parse_qsl(parts.query, keep_blank_values=True):
                query.setdefault(k, []).append(v)
            return self.control(req.method, path, query, req.body)
        request_id = str(uuid.uuid4())
        found = self.manifest.route_for(req.method, path)
        if found is None:
            return envelope(404, "not_found", f"No route for {req.method} {unquote(path)}", request_id)
        fn, route, params = found
        event = self._proxy_event(req, path, parts.query, route, params, request_id)
        if not route.public:
            denied = self._authorize(req.method, path, event, request_id)
            if denied is not None:
                return denied
        try:
            res = self._invoke(fn.name, event, "http")
        except RuntimeError:
            return envelope(503, "internal_error", "The stack is stopping", request_id)
        return self._proxy_response(fn, res, request_id)

    def _proxy_event(
        self, req: RawRequest, path: str, query: str, route: Route, params: dict[str, str], request_id: str
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        mv_headers: dict[str, list[str]] = {}
        for k, v in req.headers:
            headers[k] = v
            mv_headers.setdefault(k, []).append(v)
        qs: dict[str, str] = {}
        mv_qs: dict[str, list[str]] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            qs[k] = v
            mv_qs.setdefault(k, []).append(v)
        body: str | None = None
        is_b64 = False
        if req.body:
            try:
                body = req.body.decode("utf-8")
            except UnicodeDecodeError:
                body, is_b64 = base64.b64encode(req.body).decode(), True
        now = self.clock.time()
        decoded_path = unquote(path)
        user_agent = next((v for k, v in req.headers if k.lower() == "user-agent"), None)
        return {
            "resource": route.path,
            "path": decoded_path,
            "httpMethod": req.method,
            "headers": headers or None,
            "multiValueHeaders": mv_headers or None,
            "queryStringParameters": qs or None,
            "multiValueQueryStringParameters": mv_qs or None,
            "pathParameters": {k: unquote(v) for k, v in params.items()} or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": API_ACCOUNT,
                "apiId": API_ID,
                "resourceId": route.path,
                "resourcePath": route.path,
                "httpMethod": req.method,
                "extendedRequestId": request_id,
                "requestId": request_id,
                "requestTime": datetime.fromtimestamp(now, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now * 1000),
                "path": f"/{STAGE}{decoded_path}",
                "stage": STAGE,
                "protocol": "HTTP/1.1",
                "domainName": next((v for k, v in req.headers if k.lower() == "host"), "127.0.0.1"),
                "identity": {
                    "sourceIp": req.source_ip,
                    "userAgent": user_agent,
                    "accessKey": None, "accountId": None, "caller": None, "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None, "user": None, "userArn": None,
                },
            },
            "body": body,
            "isBase64Encoded": is_b64,
        }

    def _authorize(self, method: str, path: str, event: dict[str, Any], request_id: str) -> RawResponse | None:
        """None when the request may proceed (and ``event`` then carries the authorizer context)."""
        found = self.manifest.authorizer()
        if found is None:
            return None
        fn, trigger = found
        wanted = trigger.identity_header.lower()
        identity = next((v for k, v in (event["headers"] or {}).items() if k.lower() == wanted), "")
        if not identity.strip():
            return envelope(401, "unauthorized", "Unauthorized", request_id)
        method_arn = f"arn:aws:execute-api:{REGION}:{API_ACCOUNT}:{API_ID}/{STAGE}/{method}{path}"
        decision = self._cached(identity)
        if decision is None:
            auth_event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": event["resource"],
                "path": event["path"],
                "httpMethod": method,
                "headers": event["headers"],
                "multiValueHeaders": event["multiValueHeaders"],
                "queryStringParameters": event["queryStringParameters"],
                "multiValueQueryStringParameters": event["multiValueQueryStringParameters"],
                "pathParameters": event["pathParameters"],
                "stageVariables": None,
                "requestContext": event["requestContext"],
            }
            try:
                res = self._invoke(fn.name, auth_event, "authorizer")
            except RuntimeError:
                return envelope(503, "internal_error", "The stack is stopping", request_id)
            if not res.ok:
                if res.outcome == "error" and res.error_message == "Unauthorized":
                    return envelope(401, "unauthorized", "Unauthorized", request_id)
                log.warning("authorizer %s: %s", res.outcome, res.error_message)
                return envelope(500, "internal_error", "Authorizer failed", request_id)
            try:
                decision = parse_decision(res.result)
            except AuthorizerResponseError as exc:
                log.warning("authorizer returned a malformed response: %s", exc)
                return envelope(500, "internal_error", "Authorizer failed", request_id)
            if trigger.cache_seconds > 0:
                with self._cache_lock:
                    self._cache[identity] = (time.monotonic() + trigger.cache_seconds * self.cache_scale, decision)
        if not decision.allows(method_arn):
            return envelope(403, "forbidden", "User is not authorized to access this resource", request_id)
        event["requestContext"]["authorizer"] = {**decision.context, "principalId": decision.principal_id}
        return None

    def _cached(self, identity: str) -> Decision | None:
        with self._cache_lock:
            hit = self._cache.get(identity)
            if hit is None:
                return None
            if hit[0] <= time.monotonic():
                del self._cache[identity]
                return None
            return hit[1]

    def _proxy_response(self, fn: Function, res: InvocationResult, request_id: str) -> RawResponse:
        if not res.ok:
            log.info("%s %s: %s", fn.name, res.outcome, res.error_message)
            return envelope(502, "internal_error", "Internal server error", request_id)
        r = res.result
        status = r.get("statusCode") if isinstance(r, dict) else None
        body = r.get("body") if isinstance(r, dict) else None
        if (
            not isinstance(r, dict)
            or not isinstance(status, int)
            or isinstance(status, bool)
            or not 100 <= status <= 599
            or not (body is None or isinstance(body, str))
        ):
            log.warning("%s returned a malformed proxy response", fn.name)
            return envelope(502, "internal_error", "Malformed Lambda proxy response", request_id)
        headers: list[tuple[str, str]] = []
        for k, values in (r.get("multiValueHeaders") or {}).items():
            for v in values if isinstance(values, list) else [values]:
                headers.append((str(k), str(v)))
        seen = {(k.lower(), v) for k, v in headers}
        for k, v in (r.get("headers") or {}).items():
            if (str(k).lower(), str(v)) not in seen:
                headers.append((str(k), str(v)))
        headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        names = {k.lower() for k, _ in headers}
        if "content-type" not in names:
            headers.append(("Content-Type", "application/json"))
        if "x-request-id" not in names:
            headers.append(("x-request-id", request_id))
        headers.append(("x-amzn-RequestId", request_id))
        if body is None:
            payload = b""
        elif r.get("isBase64Encoded"):
            try:
                payload = base64.b64decode(body, validate=True)
            except ValueError:
                return envelope(502, "internal_error", "Malformed Lambda proxy response", request_id)
        else:
            payload = body.encode("utf-8")
        return RawResponse(status, headers, payload)


def _handler_class(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return "kiriman-local"

        def _serve(self) -> None:
            body = self._read_body()
            if body is None:
                self._send(envelope(413, "payload_too_large", f"Request body exceeds {MAX_BODY_BYTES} bytes"))
                return
            req = RawRequest(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            try:
                resp = gateway.handle(req)
            except Exception:
                log.exception("gateway failed on %s %s", self.command, self.path)
                resp = envelope(500, "internal_error", "Internal server error")
            self._send(resp)

        def _read_body(self) -> bytes | None:
            """The request body, or None when it is over API Gateway's 10 MiB limit.

            An oversized body is still read (and dropped) up to a sane cap, so that the client gets
            its 413 instead of a broken pipe halfway through sending.
            """
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass  # trailers
                        return b"".join(chunks) if total <= MAX_BODY_BYTES else None
                    total += size
                    if total > _DRAIN_CAP:
                        self.close_connection = True
                        return None
                    data = self.rfile.read(size)
                    if total <= MAX_BODY_BYTES:
                        chunks.append(data)
                    else:
                        chunks.clear()
                    self.rfile.readline()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                if length > _DRAIN_CAP:
                    self.close_connection = True
                    return None
                left = length
                while left > 0:
                    got = self.rfile.read(min(left, 1 << 16))
                    if not got:
                        break
                    left -= len(got)
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _send(self, resp: RawResponse) -> None:
            try:
                reason = HTTPStatus(resp.status).phrase
            except ValueError:
                reason = ""
            self.send_response(resp.status, reason)
            for k, v in resp.headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s - %s", self.address_string(), format % args)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return Handler
