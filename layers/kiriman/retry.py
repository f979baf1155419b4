"""Retry timing shared by every outbound client (Shopee and the carriers).

Exponential backoff with full jitter under an overall deadline: the AWS Architecture Blog's
"Exponential Backoff And Jitter" shows full jitter spreads retries of many workers best.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    deadline_s: float = 20.0
    timeout_s: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^attempt)]."""
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * (2**attempt)))
