"""The wiring manifest: every function, its trigger, size and what it may touch, declared once.

Both the CDK stack (``infra/``) and the local stack (``local/``) build their resources from this
module, so a new function is one entry here plus its folder under ``functions/``. It imports neither
CDK nor boto3 on purpose: it is plain, validated data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

APP = "kiriman"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_T = TypeVar("_T")
_CRON = re.compile(r"^cron\(([^ ]+ ){5}[^ ]+\)$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Route(_Frozen):
    """One API Gateway route. ``public`` routes skip the key authorizer and prove themselves by signature."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    public: bool = False

    @field_validator("path")
    @classmethod
    def _path_shape(cls, v: str) -> str:
        if not v.startswith("/") or (v != v.rstrip("/") and v != "/"):
            raise ValueError("path must start with '/' and not end with '/'")
        return v

    def matches(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves (method, path), else None."""
        if method.upper() != self.method:
            return None
        want = self.path.strip("/").split("/")
        got = path.strip("/").split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for w, g in zip(want, got, strict=True):
            if w.startswith("{") and w.endswith("}"):
                if not g:
                    return None
                params[w[1:-1]] = g
            elif w != g:
                return None
        return params


class HttpTrigger(_Frozen):
    kind: Literal["http"] = "http"
    routes: tuple[Route, ...]


class AuthorizerTrigger(_Frozen):
    """The API's REQUEST authorizer; ``cache_seconds`` is how long a decision is reused per key."""

    kind: Literal["authorizer"] = "authorizer"
    identity_header: str = "Authorization"
    cache_seconds: int = Field(60, ge=0, le=3600)


class QueueTrigger(_Frozen):
    """An SQS queue (with its DLQ ``<queue>-dlq``) consumed by this function."""

    kind: Literal["queue"] = "queue"
    queue: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    batch_size: int = Field(10, ge=1, le=10_000)
    batching_window_s: int = Field(0, ge=0, le=300)
    max_receive_count: int = Field(3, ge=1, le=1000)
    # Lambda's event-source maximum concurrency is 2..1000; at least 2 so races really happen locally.
    max_concurrency: int = Field(2, ge=2, le=1000)


class ScheduleTrigger(_Frozen):
    kind: Literal["schedule"] = "schedule"
    expression: str

    @field_validator("expression")
    @classmethod
    def _expr(cls, v: str) -> str:
        if not (_RATE.match(v) or _CRON.match(v)):
            raise ValueError("expected 'rate(N minutes|hours|days)' or an EventBridge 'cron(6 fields)'")
        return v

    def rate_seconds(self) -> int | None:
        m = _RATE.match(self.expression)
        if not m:
            return None
        n, unit = int(m.group(1)), m.group(2).rstrip("s")
        return n * {"minute": 60, "hour": 3600, "day": 86400}[unit]


class BusTrigger(_Frozen):
    """An EventBridge rule on the domain-event bus."""

    kind: Literal["bus"] = "bus"
    sources: tuple[str, ...] = ()
    detail_types: tuple[str, ...]

    def pattern(self) -> dict[str, list[str]]:
        p: dict[str, list[str]] = {"detail-type": list(self.detail_types)}
        if self.sources:
            p["source"] = list(self.sources)
        return p


Trigger = Annotated[
    HttpTrigger | AuthorizerTrigger | QueueTrigger | ScheduleTrigger | BusTrigger,
    Field(discriminator="kind"),
]


class Access(_Frozen):
    """What a function may touch; the CDK grants exactly this and the local stack sets the same env."""

    table: Literal["none", "read", "write"] = "none"
    bucket: Literal["none", "read", "write"] = "none"
    send_queues: tuple[str, ...] = ()
    # May send to every queue a due kind is routed to (the due sweep); resolved by the manifest.
    due_dispatch: bool = False
    bus: bool = False
    secrets: tuple[str, ...] = ()  # secret name prefixes under /<app>/<stage>/
    parameters: tuple[str, ...] = ()  # SSM parameter name prefixes under /<app>/<stage>/
    kms: bool = False
    public_url: bool = False  # needs the API's public base URL (authorization redirects)
    # Carrier credentials (one secret per carrier account under carrier-accounts/): read to call
    # carriers, write to create and rotate accounts.
    carrier_accounts: Literal["none", "read", "write"] = "none"


class Function(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    description: str
    handler: str = "app.handler"  # module.attribute inside functions/<name>/
    source_dir: str | None = None  # defaults to functions/<name>; tests may point elsewhere
    settings: str  # "module:Class" of the pydantic settings model the function parses at start
    triggers: tuple[Trigger, ...]
    memory_mb: int = Field(512, ge=128, le=10_240)
    timeout_s: int = Field(30, ge=1, le=900)
    access: Access = Access()
    package: Literal["zip", "image"] = "zip"
    environment: Mapping[str, str] = Field(default_factory=dict)

    @property
    def folder(self) -> str:
        return self.source_dir or f"functions/{self.name}"

    def triggers_of(self, kind: type[_T]) -> list[_T]:
        return [t for t in self.triggers if isinstance(t, kind)]


class MetricAlarm(_Frozen):
    """A domain metric (``kiriman.metrics.count``, no dimensions) that pages someone past a threshold."""

    metric: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{2,60}$")
    threshold: float = Field(0, ge=0)  # alarm when the 5-minute sum is greater than this
    description: str


class Manifest(_Frozen):
    app: str = APP
    functions: tuple[Function, ...]
    metric_alarms: tuple[MetricAlarm, ...] = ()
    # Deferred-work kinds handled by the due sweep, and the queue each kind is dispatched to.
    due_kinds: Mapping[str, str] = Field(default_factory=dict)
    # Secrets (Secrets Manager) and parameters (SSM) the stack creates, by short name.
    secrets: tuple[str, ...] = ()
    parameters: Mapping[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError("function names must be unique")
        consumers: dict[str, str] = {}
        for f in self.functions:
            for q in f.triggers_of(QueueTrigger):
                if q.queue in consumers:
                    raise ValueError(f"queue {q.queue!r} has two consumers")
                consumers[q.queue] = f.name
        for f in self.functions:
            for target in f.access.send_queues:
                if target not in consumers:
                    raise ValueError(f"{f.name} sends to {target!r}, which no function consumes")
        for kind, target in self.due_kinds.items():
            if target not in consumers:
                raise ValueError(f"due kind {kind!r} goes to {target!r}, which no function consumes")
        seen: dict[tuple[str, str], str] = {}
        for f in self.functions:
            for h in f.triggers_of(HttpTrigger):
                for r in h.routes:
                    key = (r.method, r.path)
                    if key in seen:
                        raise ValueError(f"route {r.method} {r.path} is served by {seen[key]} and {f.name}")
                    seen[key] = f.name
        if len([f for f in self.functions if f.triggers_of(AuthorizerTrigger)]) > 1:
            raise ValueError("at most one authorizer")
        return self

    # --- lookups shared by the CDK stack and the local runner -------------------------------
    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def queues(self) -> dict[str, tuple[Function, QueueTrigger]]:
        return {q.queue: (f, q) for f in self.functions for q in f.triggers_of(QueueTrigger)}

    def sendable_queues(self, fn: Function) -> tuple[str, ...]:
        """Queues ``fn`` may send to: its own list plus, for the due sweep, every due kind's queue."""
        extra = tuple(self.due_kinds.values()) if fn.access.due_dispatch else ()
        return tuple(sorted(set(fn.access.send_queues) | set(extra)))

    def routes(self) -> list[tuple[Function, Route]]:
        return [(f, r) for f in self.functions for h in f.triggers_of(HttpTrigger) for r in h.routes]

    def public_routes(self) -> list[Route]:
        return [r for _, r in self.routes() if r.public]

    def authorizer(self) -> tuple[Function, AuthorizerTrigger] | None:
        for f in self.functions:
            for a in f.triggers_of(AuthorizerTrigger):
                return f, a
        return None

    def route_for(self, method: str, path: str) -> tuple[Function, Route, dict[str, str]] | None:
        """The route serving a request; literal segments win over parameters, as in API Gateway."""
        best: tuple[int, Function, Route, dict[str, str]] | None = None
        for f, r in self.routes():
            params = r.matches(method, path)
            if params is None:
                continue
            score = -len(params)
            if best is None or score > best[0]:
                best = (score, f, r, params)
        return None if best is None else (best[1], best[2], best[3])

    def merged(self, extra: Manifest) -> Manifest:
        """This manifest plus another's functions and kinds (the tests add probe functions this way)."""
        return Manifest(
            app=self.app,
            functions=self.functions + extra.functions,
            due_kinds={**self.due_kinds, **extra.due_kinds},
            secrets=self.secrets + extra.secrets,
            metric_alarms=self.metric_alarms + extra.metric_alarms,
            parameters={**self.parameters, **extra.parameters},
        )


class ResourceNames(BaseModel):
    """Physical names of a stage's resources; values may be CDK tokens when the stack builds them."""

    stage: str
    region: str
    table: str
    bucket: str
    bus: str
    queue_urls: Mapping[str, str]
    kms_key: str = ""  # key id, ARN or alias; defaults to alias/<app>-<stage>
    public_api_url: str = ""  # where sellers' browsers reach the public callback routes


def physical_name(app: str, stage: str, name: str) -> str:
    """The one naming rule for queues, tables, buses and secrets, shared by CDK and the local stack."""
    return f"{app}-{stage}-{name}"


def function_environment(
    manifest: Manifest, fn: Function, names: ResourceNames, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a function gets, derived only from its manifest entry (least privilege)."""
    env: dict[str, str] = {
        "APP_NAME": manifest.app,
        "STAGE": names.stage,
        "POWERTOOLS_SERVICE_NAME": f"{manifest.app}-{fn.name}",
        "POWERTOOLS_METRICS_NAMESPACE": manifest.app,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "FUNCTION_TIMEOUT_S": str(fn.timeout_s),
    }
    if fn.access.table != "none":
        env["TABLE_NAME"] = names.table
    if fn.access.bucket != "none":
        env["BUCKET_NAME"] = names.bucket
    if fn.access.bus:
        env["EVENT_BUS_NAME"] = names.bus
    queues = manifest.sendable_queues(fn)
    if queues or fn.access.due_dispatch:
        env["QUEUE_URLS"] = json.dumps({q: names.queue_urls[q] for q in queues}, sort_keys=True)
    if fn.access.due_dispatch:
        env["DUE_ROUTES"] = json.dumps(dict(manifest.due_kinds), sort_keys=True)
    if fn.access.secrets or fn.access.parameters or fn.access.carrier_accounts != "none":
        env["SECRETS_PREFIX"] = f"/{manifest.app}/{names.stage}/"
    if fn.access.kms or fn.access.carrier_accounts != "none":
        env["KMS_KEY_ID"] = names.kms_key or f"alias/{manifest.app}-{names.stage}"
    if fn.access.public_url:
        env["PUBLIC_API_URL"] = names.public_api_url
    env.update(fn.environment)
    env.update(extra or {})
    return env


def iter_trigger_kinds(manifest: Manifest) -> Iterable[tuple[str, str]]:
    for f in manifest.functions:
        for t in f.triggers:
            yield f.name, t.kind
