"""Per-account rate limits: a token bucket kept in the table, taken before every carrier call.

Each (carrier, account) has one bucket item; :class:`RateLimitedCarrier` takes one token before each
network operation of the adapter it wraps. An empty bucket raises :class:`CarrierThrottled` with
``retry_after_s`` = the time until the next token, before anything is sent, so the purchase worker's
existing throttle path (``fulfilment.run_job`` -> ``Retry``) sends the job back with that delay instead
of burning a receive count — the same path a carrier's own 429 + Retry-After takes.

Limits: none of the carriers we speak to publishes a per-account rate limit (reference
carriers.md §1.9 for Ninja Van: "Rate limits: none published"; the J&T, Flash and 4PX sections name
none either), so every carrier starts from the same conservative default below and an account may
set its own through its settings (``rate_limit_per_s``, ``rate_limit_burst``) once a carrier tells us
its contract limit. Unsure: the real limits; these defaults are a guess that stays far below the
429s the sandboxes are built to emulate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kiriman.carriers.base import Carrier, CarrierThrottled
from kiriman.carriers.wrapping import CarrierWrapper

T = TypeVar("T")

RATE_SETTING = "rate_limit_per_s"
BURST_SETTING = "rate_limit_burst"


@dataclass(frozen=True)
class Limit:
    rate_per_s: float  # tokens added per second
    burst: float  # bucket size: calls that may go out back to back

    def __post_init__(self) -> None:
        if not (self.rate_per_s > 0 and self.burst >= 1):
            raise ValueError(f"rate limit needs rate_per_s > 0 and burst >= 1, got {self}")


DEFAULT_LIMIT = Limit(rate_per_s=5.0, burst=10.0)  # conservative: no carrier publishes one (see above)
CARRIER_LIMITS: dict[str, Limit] = {
    "ninjavan": DEFAULT_LIMIT,  # carriers.md §1.9: none published
    "jnt": DEFAULT_LIMIT,  # none in the reference
    "flash": DEFAULT_LIMIT,  # none in the reference
    "fourpx": DEFAULT_LIMIT,  # none in the reference
}


def limit_for(carrier: str, settings: Mapping[str, str] | None = None) -> Limit:
    """The account's own limit when its settings name one, else the carrier's default."""
    base = CARRIER_LIMITS.get(carrier, DEFAULT_LIMIT)
    s = settings or {}
    try:
        rate = float(s.get(RATE_SETTING) or base.rate_per_s)
        burst = float(s.get(BURST_SETTING) or base.burst)
        return Limit(rate, burst)
    except ValueError:
        return base  # a malformed setting never stops purchases; the default applies


class TokenBuckets(Protocol):
    def take_token(self, carrier: str, account_id: str, rate_per_s: float, burst: float) -> float:
        """Take one token; 0.0 when taken, else the seconds until the next token (nothing taken)."""
        ...


class RateLimitedCarrier(CarrierWrapper):
    """Delegates to ``inner`` after taking a token from the account's bucket for each network operation."""

    def __init__(self, inner: Carrier, buckets: TokenBuckets, limit: Limit) -> None:
        super().__init__(inner)
        self._buckets = buckets
        self.limit = limit

    def _around(self, operation: str, reference: str, call: Callable[[], T]) -> T:
        wait = self._buckets.take_token(self.info.slug, self.account_id, self.limit.rate_per_s, self.limit.burst)
        if wait > 0:
            # whole seconds, at least one: an SQS delay is whole seconds and a 0 would come straight back
            raise CarrierThrottled(self.info.slug, f"account rate limit reached before {operation}",
                                   code="account_rate_limit", retry_after_s=float(max(1, math.ceil(wait))))
        return call()


def take(tokens: float, refilled_at: float, now: float, rate_per_s: float, burst: float) -> tuple[float, float]:
    """The bucket after refilling to ``now`` and taking one token: (tokens left, 0.0), or, when fewer
    than one token is there, (tokens as refilled, seconds until one token) with nothing taken."""
    level = min(burst, tokens + max(0.0, now - refilled_at) * rate_per_s)
    if level >= 1.0:
        return level - 1.0, 0.0
    return level, (1.0 - level) / rate_per_s
