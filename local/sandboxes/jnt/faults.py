"""Misbehaviour switches (``POST /_sandbox/faults``, merged into the current ones; ``DELETE`` resets).

API faults apply to the J&T routes under ``/webopenplatformapi/api/``, never to ``/_sandbox/``; ``paths``
(substrings) narrows latency / timeout / throttle / error_rate further. Order of checks for one call:
``latency_s`` (added delay), ``timeout_next`` (hang ``hang_s`` then 504 or a closed connection), ``throttle``
(429 + ``Retry-After``), ``next_errors`` (scripted, by substring of the path or J&T method name such as
``addOrder``; an entry with a ``code`` answers J&T's HTTP-200 failure envelope instead of an HTTP error),
``error_rate`` (``error_status``, from an RNG seeded by ``seed``). All before authentication. After a successful
creation: ``create_then_fail`` (the order exists, the caller sees 502 or a dropped connection).

Callback faults are applied when a scan is emitted: ``webhook_drop_rate``/``_next`` (never sent, ledger state
``dropped``), ``webhook_duplicate_rate``/``_next`` (the same detail pushed again in a later push),
``webhook_out_of_order`` (a scan is held back until a later scan of the same parcel was pushed, or
``webhook_hold_s`` wall seconds have passed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import JntError, server_error


@dataclass
class NextError:
    match: str = ""  # substring of the path, e.g. "addOrder" or "/order/"; empty = any call
    path_contains: str = ""  # the Ninja Van sandbox's spelling of the same thing
    method: str = ""  # HTTP method; empty = any
    status: int = 0  # HTTP status; 0 = 500, or 200 when ``code`` is set
    code: str = ""  # J&T envelope code to answer (HTTP 200 unless ``status`` is set), e.g. "0"
    msg: str = ""
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
    error: JntError | None = None


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

    def pre_call(self, method: str, path: str) -> PreCall:
        f = self.faults
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
            out.error = JntError(
                "429",
                f"Too many requests, please retry after {retry_after} seconds",
                status=429,
                headers={"Retry-After": str(retry_after)},
                fault="throttle",
            )
            return out
        for scripted in f.next_errors:
            if scripted.count <= 0:
                continue
            needle = scripted.match or scripted.path_contains
            if needle and needle not in path:
                continue
            if scripted.method and scripted.method.upper() != method:
                continue
            scripted.count -= 1
            f.next_errors = [e for e in f.next_errors if e.count > 0]
            if scripted.code:
                out.error = JntError(
                    scripted.code, scripted.msg or "fail", status=scripted.status or 200, fault="next_errors"
                )
            else:
                out.error = server_error(scripted.status or 500, fault="next_errors")
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
