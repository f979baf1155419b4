"""Misbehaviour switches (``POST /_sandbox/faults``, merged into the current ones; ``DELETE`` resets).

API faults apply to the gateway (``/router/api/service``) and to label downloads (``/label-files/...``), never
to ``/_sandbox/``. ``paths`` (substrings of the path or of the FOP method name) narrows latency, timeout,
throttle and error_rate. Order of checks for one call: ``latency_s`` (added delay), ``timeout_next`` (hang
``hang_s`` then 504 or a closed connection), ``throttle`` (429 + ``Retry-After``), ``next_errors`` (scripted, by
substring of the path or the method name), ``error_rate`` (``error_status``, from an RNG seeded by ``seed``).
After a successful ``ds.xms.order.create``: ``create_then_fail`` (the order exists, the caller sees 502 or a
dropped connection). Faults come before the signature check.

The ``webhook_*`` switches are accepted for the shared control API but do nothing: 4PX has no documented push
(tracking is polled), so the sandbox never sends a webhook.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import FopError, server_error, throttled


@dataclass
class NextError:
    match: str = ""  # substring of the path or of the FOP method name ("" = any call)
    http_method: str = ""  # "" = any
    status: int = 503
    count: int = 1


@dataclass
class Faults:
    error_rate: float = 0.0
    error_status: int = 500
    paths: list[str] = field(default_factory=list)
    next_errors: list[NextError] = field(default_factory=list)
    latency_s: float = 0.0
    timeout_next: int = 0
    hang_s: float = 30.0
    timeout_mode: str = "504"  # "504" (answer 504 after hanging) | "close" (drop the connection)
    create_then_fail: int = 0
    create_then_fail_mode: str = "502"  # "502" | "close"
    throttle_count: int = 0  # set with {"throttle": {"count": N, "retry_after_s": S}}
    throttle_retry_after_s: int = 1
    # accepted, no effect (no webhooks at 4PX)
    webhook_duplicate_rate: float = 0.0
    webhook_duplicate_next: int = 0
    webhook_drop_rate: float = 0.0
    webhook_drop_next: int = 0
    webhook_out_of_order: bool = False
    webhook_hold_s: float = 2.0
    seed: int = 0


@dataclass
class PreCall:
    """What the server must do before running the handler (decided under the lock, executed outside it)."""

    latency_s: float = 0.0
    hang_s: float | None = None
    hang_mode: str = "504"
    error: FopError | None = None


class FaultInjector:
    def __init__(self) -> None:
        self.faults = Faults()
        self.rng = random.Random(0)

    def reset(self) -> None:
        self.faults = Faults()
        self.rng = random.Random(0)

    def reseed(self) -> None:
        self.rng = random.Random(self.faults.seed)

    def draw(self, rate: float) -> bool:
        return rate > 0 and (rate >= 1 or self.rng.random() < rate)

    def pre_call(self, http_method: str, path: str, fop_method: str) -> PreCall:
        f = self.faults

        def hits(needle: str) -> bool:
            return needle in path or (bool(fop_method) and needle in fop_method)

        scoped = not f.paths or any(hits(p) for p in f.paths)
        out = PreCall(latency_s=max(0.0, f.latency_s) if scoped else 0.0)
        if scoped and f.timeout_next > 0:
            f.timeout_next -= 1
            out.hang_s = max(0.0, f.hang_s)
            out.hang_mode = f.timeout_mode
            return out
        if scoped and f.throttle_count > 0:
            f.throttle_count -= 1
            out.error = throttled(max(0, int(f.throttle_retry_after_s)))
            return out
        for scripted in f.next_errors:
            if scripted.count <= 0:
                continue
            if scripted.match and not hits(scripted.match):
                continue
            if scripted.http_method and scripted.http_method.upper() != http_method:
                continue
            scripted.count -= 1
            f.next_errors = [e for e in f.next_errors if e.count > 0]
            if scripted.status == 429:
                out.error = throttled(max(0, int(f.throttle_retry_after_s)))
                out.error.fault = "next_errors"
            else:
                out.error = server_error(scripted.status, fault="next_errors")
            return out
        if scoped and self.draw(f.error_rate):
            out.error = server_error(f.error_status, fault="error_rate")
        return out

    def take_create_then_fail(self) -> str | None:
        f = self.faults
        if f.create_then_fail > 0:
            f.create_then_fail -= 1
            return f.create_then_fail_mode
        return None
