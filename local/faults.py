"""Fault switches: make the local stack misbehave the way AWS occasionally does.

* redeliver: SQS is at-least-once, so after a successful batch a share of its messages is sent again.
* kill: a sandbox can die mid-invocation (out of memory, host failure); its messages come back later.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import Any


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._redeliver = 0.0
        self._kill = 0.0
        self._functions: frozenset[str] | None = None
        self._seed: int | None = None
        self._rng = random.Random()

    def configure(self, body: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(body) - {"redeliver_share", "kill_share", "functions", "seed"}
        if unknown:
            raise FaultError(f"unknown fault switches: {sorted(unknown)}")
        redeliver = _share(body, "redeliver_share")
        kill = _share(body, "kill_share")
        functions = body.get("functions")
        if functions is not None and (
            not isinstance(functions, list) or not all(isinstance(f, str) for f in functions)
        ):
            raise FaultError("functions must be a list of function names")
        seed = body.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise FaultError("seed must be an integer")
        with self._lock:
            self._redeliver = redeliver
            self._kill = kill
            self._functions = frozenset(functions) if functions is not None else None
            self._seed = seed
            self._rng = random.Random(seed)
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "redeliver_share": self._redeliver,
                "kill_share": self._kill,
                "functions": sorted(self._functions) if self._functions is not None else None,
                "seed": self._seed,
            }

    def _applies(self, function: str) -> bool:
        return self._functions is None or function in self._functions

    def kill_after(self, function: str, horizon_s: float) -> float | None:
        """Seconds into the invocation at which to SIGKILL the worker, or None to leave it alone.

        ``horizon_s`` is about how long the function usually runs, so a kill lands mid-work about as
        often as just after it (when the handler's side effects happened but its reply is lost).
        """
        with self._lock:
            if self._kill <= 0 or not self._applies(function) or self._rng.random() >= self._kill:
                return None
            return self._rng.uniform(0.0, horizon_s)

    def redeliver(self, function: str) -> bool:
        with self._lock:
            return self._redeliver > 0 and self._applies(function) and self._rng.random() < self._redeliver


def _share(body: Mapping[str, Any], key: str) -> float:
    value = body.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise FaultError(f"{key} must be a number between 0.0 and 1.0")
    return float(value)
