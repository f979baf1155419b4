"""The runner's control API under ``/_local``: what tests and benchmarks use to steer the stack.

Only the runner moves the shared clock, and only through here, so every process agrees on "now".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from local.aws import Aws
from local.clock import SharedClock
from local.faults import FaultError, Faults
from local.http_gateway import RawResponse, envelope, json_response
from local.records import InvocationLog
from local.redrive import redrive, resolve_queue
from local.workers import Invoker


class BadRequest(ValueError):
    pass


class Control:
    def __init__(
        self,
        *,
        clock: SharedClock,
        faults: Faults,
        invocations: InvocationLog,
        invoker: Invoker,
        aws: Aws,
        state: Callable[[], dict[str, Any]],
    ) -> None:
        self.clock = clock
        self.faults = faults
        self.invocations = invocations
        self.invoker = invoker
        self.aws = aws
        self.state = state
        self._redrive_lock = threading.Lock()

    def __call__(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> RawResponse:
        route = path[len("/_local") :].rstrip("/") or "/"
        try:
            return self._dispatch(method, route, query, body)
        except BadRequest as exc:
            return envelope(400, "bad_request", str(exc))

    def _dispatch(self, method: str, route: str, query: dict[str, list[str]], body: bytes) -> RawResponse:
        match (method, route):
            case ("GET", "/"):
                return json_response(200, self.state())
            case ("GET", "/clock"):
                return json_response(200, self._clock())
            case ("POST", "/clock/advance"):
                seconds = _json(body).get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
                    raise BadRequest("seconds must be a number > 0")
                self.clock.advance(float(seconds))
                return json_response(200, self._clock())
            case ("GET", "/faults"):
                return json_response(200, self.faults.snapshot())
            case ("POST", "/faults"):
                try:
                    return json_response(200, self.faults.configure(_json(body)))
                except FaultError as exc:
                    raise BadRequest(str(exc)) from exc
            case ("POST", "/redrive"):
                queue = _json(body).get("queue")
                if not isinstance(queue, str):
                    raise BadRequest("queue (short name) is required")
                try:
                    dlq_url, queue_url = resolve_queue(self.state().get("resources", {}), queue)
                except KeyError:
                    return envelope(404, "not_found", f"No queue named {queue!r}")
                with self._redrive_lock:
                    moved = redrive(self.aws.sqs, dlq_url, queue_url)
                return json_response(200, {"queue": queue, "moved": moved})
            case ("GET", "/invocations"):
                function = _one(query, "function")
                trigger = _one(query, "trigger")
                try:
                    since = int(_one(query, "since") or 0)
                    limit = int(_one(query, "limit") or 1000)
                except ValueError as exc:
                    raise BadRequest("since and limit must be integers") from exc
                return json_response(200, self.invocations.query(function, trigger, since, limit))
            case ("GET", "/workers"):
                return json_response(200, self.invoker.pids())
        return envelope(404, "not_found", f"No control route {method} /_local{route}")

    def _clock(self) -> dict[str, Any]:
        return {
            "offset_seconds": self.clock.offset(),
            "now": self.clock.time(),
            "now_iso": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise BadRequest("body must be JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None
