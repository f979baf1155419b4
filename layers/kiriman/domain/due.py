"""Deferred work: one mechanism for everything that must happen later (token refreshes, tracking
polls, arrange-shipment windows, sweeps).

A due task sits in a sparse, sharded index (``DUE#0..15``, sort key ``<epoch>#<kind>#<id>``). The
sweep leases each task whose time has come by moving its due time forward with a conditional write,
then sends it to its kind's queue. A consumer that finishes completes the task (conditional on its
lease); one that crashes leaves it to be offered again when the lease runs out. Nothing is lost
between the write and the send, and two sweeps racing on one task dispatch it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiriman.clock import Clock
from kiriman.logs import get_logger

log = get_logger()


@dataclass(frozen=True)
class DueTask:
    kind: str
    ref: str
    due_at: float
    attempts: int = 0
    payload: Mapping[str, Any] | None = None
    lease_token: str = ""  # the DUESK the task had when read; leases and completion are conditional on it


class DueStore(Protocol):
    def schedule_due(self, kind: str, ref: str, at: float, payload: Mapping[str, Any] | None = None) -> DueTask: ...
    def due_tasks(self, shard: int, until: float, limit: int) -> list[DueTask]: ...
    def lease_due(self, task: DueTask, until: float) -> DueTask | None: ...
    def complete_due(self, kind: str, ref: str, lease_token: str) -> bool: ...


class Dispatcher(Protocol):
    def send(self, queue: str, messages: list[dict[str, Any]]) -> None: ...


@dataclass
class SweepReport:
    dispatched: dict[str, int] = field(default_factory=dict)
    unknown_kinds: int = 0
    lost_races: int = 0

    @property
    def total(self) -> int:
        return sum(self.dispatched.values())


def message_for(task: DueTask) -> dict[str, Any]:
    """What a kind's consumer receives; it completes the task with ``lease_token``."""
    return {
        "kind": task.kind,
        "ref": task.ref,
        "due_at": task.due_at,
        "attempt": task.attempts,
        "payload": dict(task.payload or {}),
        "lease_token": task.lease_token,
    }


def sweep(
    store: DueStore,
    dispatcher: Dispatcher,
    clock: Clock,
    routes: Mapping[str, str],
    shards: int,
    lease_s: float,
    limit: int,
) -> SweepReport:
    """Lease and dispatch every task due now, shard by shard, at most ``limit`` per shard per run."""
    report = SweepReport()
    now = clock.time()
    for shard in range(shards):
        batches: dict[str, list[dict[str, Any]]] = {}
        for task in store.due_tasks(shard, now, limit):
            queue = routes.get(task.kind)
            leased = store.lease_due(task, now + lease_s)
            if leased is None:
                report.lost_races += 1
                continue
            if queue is None:
                # Leased anyway, so an unknown kind is retried slowly instead of spinning every sweep.
                log.error("due task of unknown kind", extra={"kind": task.kind, "ref": task.ref})
                report.unknown_kinds += 1
                continue
            batches.setdefault(queue, []).append(message_for(leased))
            report.dispatched[task.kind] = report.dispatched.get(task.kind, 0) + 1
        for queue, messages in batches.items():
            dispatcher.send(queue, messages)
    return report
