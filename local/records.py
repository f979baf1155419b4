"""The in-memory log of recent invocations, which tests read through ``GET /_local/invocations``."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Trigger = Literal["http", "queue", "schedule", "bus", "authorizer"]
Outcome = Literal["ok", "error", "timeout", "killed"]


@dataclass
class InvocationRecord:
    function: str
    request_id: str
    trigger: Trigger
    outcome: Outcome
    duration_ms: float
    started_at: float  # wall-clock epoch seconds
    batch_size: int | None = None
    failed_ids: list[str] = field(default_factory=list)
    error: str | None = None
    cold_start: bool = False
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class InvocationLog:
    def __init__(self, keep: int = 5000) -> None:
        self._items: deque[InvocationRecord] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, record: InvocationRecord) -> None:
        with self._lock:
            self._seq += 1
            record.seq = self._seq
            self._items.append(record)

    def query(
        self, function: str | None = None, trigger: str | None = None, since_seq: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._items)
        out = [
            r.to_json()
            for r in items
            if (function is None or r.function == function)
            and (trigger is None or r.trigger == trigger)
            and r.seq > since_seq
        ]
        return out[-limit:] if limit > 0 else out
