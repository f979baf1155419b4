"""Misbehaviour switches (``POST /_sandbox/faults``; ``DELETE`` resets).

API faults apply to the Ninja Van API routes, not to ``/_sandbox/`` and not to the OAuth call unless
``include_auth`` is set; ``paths`` (substrings) narrows them further. Order of checks for one call:
``latency_s`` (added delay), ``timeout_next`` (hang
``hang_s`` then 504 or a closed connection), ``throttle`` (429 + ``Retry-After``), ``next_errors`` (scripted, by
path substring and method), ``error_rate`` (``error_status``, drawn from an RNG seeded by ``seed``). After a
successful order creation: ``create_then_fail`` (the order exists, the caller sees 502 or a dropped connection).

Webhook faults are applied when a message is emitted: ``webhook_drop_rate``/``_next`` (never sent, ledger state
``dropped``), ``webhook_duplicate_rate``/``_next`` (an identical second delivery), ``webhook_out_of_order``
(a message is held back until a later event of the same parcel has been sent, or ``webhook_hold_s`` wall
seconds have passed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import ApiError, server_error


@dataclass
class NextError:
    path_contains: str = ""
    method: str = ""  # empty = any method
    status: int = 500
    count: int = 1


@dataclass
class Faults:
    error_rate: float = 0.0
    error_status: int = 500
    include_auth: bool = False  # API faults also hit POST /{cc}/2.0/oauth/access_token
    # When non-empty, latency / timeout / throttle / error_rate only hit paths containing one of these strings
    # (next_errors carry their own path_contains).
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
    error: ApiError | None = None


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

    def pre_call(self, method: str, path: str, is_auth: bool) -> PreCall:
        f = self.faults
        if is_auth and not f.include_auth:
            return PreCall()
        scoped = not f.paths or any(p in path for p in f.paths)
        out = PreCall(latency_s=max(0.0, f.latency_s) if scoped else 0.0)
        if scoped and f.timeout_next > 0:
            f.timeout_next -= 1
            out.hang_s = max(0.0, f.hang_s)
            out.hang_mode = f.timeout_mode
            return out
        if scoped and f.throttle_count > 0:
            f.throttle_count -= 1
            retry_after = max(0, int(f.throttle_retry_after_s))
            out.error = ApiError(
                4290,
                f"Rate limit exceeded. Retry after {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
                fault="throttle",
            )
            return out
        for scripted in f.next_errors:
            if scripted.count <= 0:
                continue
            if scripted.path_contains and scripted.path_contains not in path:
                continue
            if scripted.method and scripted.method.upper() != method:
                continue
            scripted.count -= 1
            f.next_errors = [e for e in f.next_errors if e.count > 0]
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

    def take_webhook(self, name: str) -> bool:
        """``webhook_drop`` / ``webhook_duplicate``: the ``_next`` countdown first, then the rate."""
        f = self.faults
        left = int(getattr(f, f"{name}_next"))
        if left > 0:
            setattr(f, f"{name}_next", left - 1)
            return True
        return self.draw(float(getattr(f, f"{name}_rate")))
