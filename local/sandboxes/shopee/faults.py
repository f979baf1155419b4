"""Misbehaviour switches (``POST /_sandbox/faults``): server errors, latency, throttling, daily quota,
early token expiry, lost / duplicate / out-of-order pushes, failing documents and pickups.

Each switch has a probability (``*_rate``, drawn from a seeded RNG) and/or a deterministic countdown
(``*_next``: the next N occurrences). ``paths`` (prefixes) and ``shop_ids`` narrow the API faults.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from .errors import ApiError
from .model import World


@dataclass
class Faults:
    # error_server on API calls, before the handler runs
    error_rate: float = 0.0
    error_next: int = 0
    error_status: int = 500
    # the handler runs and commits, then the caller gets error_server anyway (lost response)
    commit_then_error_next: int = 0
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    # error_rate_limit
    throttle_rate: float = 0.0
    throttle_next: int = 0
    throttle_status: int = 429
    # error_limit: calls per shop per day (UTC+8) before the quota runs out; None = unlimited
    daily_quota: int | None = None
    quota_status: int = 429
    # access tokens really die this many seconds after issue, whatever expire_in promised
    access_token_lifetime_s: float | None = None
    paths: list[str] = field(default_factory=list)
    shop_ids: list[int] = field(default_factory=list)
    push_lost_rate: float = 0.0
    push_lost_next: int = 0
    push_duplicate_rate: float = 0.0
    push_duplicate_next: int = 0
    push_out_of_order_rate: float = 0.0
    push_out_of_order_next: int = 0
    push_hold_s: float = 1.0  # wall seconds an out-of-order push is held back
    document_fail_next: int = 0  # next N shipping documents end FAILED (shop_ids scope applies)
    pickup_fail_next: int = 0  # next N automatic pickups fail: LOGISTICS_PICKUP_RETRY (shop_ids scope applies)
    seed: int = 0


def china_date(now: float) -> str:
    """The daily quota resets at 00:00 UTC+8 (common error ``error_limit``)."""
    return time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600))


class FaultInjector:
    def __init__(self) -> None:
        self.faults = Faults()
        self.rng = random.Random(0)

    def reset(self) -> None:
        self.faults = Faults()
        self.rng = random.Random(0)

    def reseed(self) -> None:
        self.rng = random.Random(self.faults.seed)

    def take(self, name: str) -> bool:
        """Consume ``<name>_next`` if positive, else draw against ``<name>_rate``."""
        f = self.faults
        left = int(getattr(f, f"{name}_next", 0))
        if left > 0:
            setattr(f, f"{name}_next", left - 1)
            return True
        rate = float(getattr(f, f"{name}_rate", 0.0))
        return rate > 0 and self.rng.random() < rate

    def take_for_shop(self, name: str, shop_id: int) -> bool:
        """Package-level faults (documents, pickups) honour the ``shop_ids`` scope."""
        if self.faults.shop_ids and shop_id not in self.faults.shop_ids:
            return False
        return self.take(name)

    def in_scope(self, path: str, shop_id: int | None) -> bool:
        f = self.faults
        if f.paths and not any(path.startswith(p) for p in f.paths):
            return False
        return not (f.shop_ids and shop_id not in f.shop_ids)

    def latency_s(self, path: str) -> float:
        f = self.faults
        if f.latency_ms <= 0 and f.latency_jitter_ms <= 0:
            return 0.0
        if f.paths and not any(path.startswith(p) for p in f.paths):
            return 0.0
        jitter = self.rng.uniform(0, f.latency_jitter_ms) if f.latency_jitter_ms > 0 else 0.0
        return max(0.0, (f.latency_ms + jitter) / 1000.0)

    def before_call(self, world: World, path: str, shop_id: int | None, now: float) -> ApiError | None:
        """Throttle, daily quota, server error - in that order - for an authenticated call."""
        f = self.faults
        if self.in_scope(path, shop_id) and self.take("throttle"):
            return ApiError(
                "error_rate_limit",
                "Too many requests. You have reached the rate limit. Please try again later.",
                status=f.throttle_status,
                fault="throttle",
            )
        if shop_id is not None:
            quota = self._quota(world, shop_id, now)
            if quota is not None:
                return quota
        if self.in_scope(path, shop_id) and self.take("error"):
            return ApiError(
                "error_server", "System error. Please try again later.", status=f.error_status, fault="error"
            )
        return None

    def after_call(self, path: str, shop_id: int | None) -> ApiError | None:
        f = self.faults
        if f.commit_then_error_next > 0 and self.in_scope(path, shop_id):
            f.commit_then_error_next -= 1
            return ApiError(
                "error_server",
                "System error. Please try again later.",
                status=f.error_status,
                fault="commit_then_error",
            )
        return None

    def _quota(self, world: World, shop_id: int, now: float) -> ApiError | None:
        day = china_date(now)
        key = str(shop_id)
        exhausted_on = world.quota_exhausted.get(key)
        if exhausted_on is not None and exhausted_on != day:
            del world.quota_exhausted[key]  # reset at 00:00 UTC+8
            exhausted_on = None
        used_key = f"{shop_id}:{day}"
        used = world.quota_used.get(used_key, 0)
        limit = self.faults.daily_quota
        if exhausted_on is None and (limit is None or used < limit):
            world.quota_used[used_key] = used + 1
            return None
        return ApiError(
            "error_limit",
            "The total API call number made by your APP has reached the daily API call limit, "
            "please try again after 00: 00 (UTC+08:00)",
            status=self.faults.quota_status,
            fault="quota",
        )
