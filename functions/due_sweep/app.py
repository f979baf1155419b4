"""Schedule -> dispatch every due task (sharded DUE index) to its kind's queue."""

from typing import Any

from kiriman.domain.due import sweep
from kiriman.logs import get_logger
from kiriman.runtime import Runtime
from kiriman.settings import DueSweepSettings, load

RUNTIME = Runtime(load(DueSweepSettings)).warm()
log = get_logger()


def handler(event: dict[str, Any], context: Any, runtime: Runtime[DueSweepSettings] | None = None) -> dict[str, Any]:
    rt = runtime or RUNTIME
    s = rt.settings
    report = sweep(rt.store, rt.dispatcher, rt.clock, s.due_routes, s.due_shards, s.due_lease_s, s.due_batch_limit)
    log.info(
        "due sweep",
        extra={"dispatched": report.dispatched, "lost_races": report.lost_races, "unknown_kinds": report.unknown_kinds},
    )
    return {"dispatched": report.total, "lost_races": report.lost_races, "unknown_kinds": report.unknown_kinds}
