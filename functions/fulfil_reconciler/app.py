"""Schedule -> re-publish PackageReadyToShip for packages whose purchase should have happened but did not."""

from typing import Any

from kiriman.domain.fulfilment import reconcile
from kiriman.logs import get_logger
from kiriman.runtime import Runtime
from kiriman.settings import ReconcilerSettings, load

RUNTIME = Runtime(load(ReconcilerSettings)).warm()
log = get_logger()


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[ReconcilerSettings] | None = None
) -> dict[str, int]:
    rt = runtime or RUNTIME
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = remaining() if remaining else None

    def should_stop() -> bool:  # keep the last third of the invocation for the page in hand and the cursor
        return remaining is not None and budget is not None and remaining() < budget / 3

    counts = reconcile(rt.store, rt.events, rt.clock, rt.settings.reconcile_after_s,
                       again_after_s=rt.settings.reconcile_again_after_s, should_stop=should_stop)
    log.info("fulfilment reconciled", extra=counts)
    return counts
