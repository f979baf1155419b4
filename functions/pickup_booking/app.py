"""Schedule -> book each carrier's daily pickup per warehouse, once a day (domain/pickups.py)."""

from typing import Any

from kiriman.carriers.base import Carrier
from kiriman.domain.pickups import book_due
from kiriman.logs import get_logger
from kiriman.runtime import Runtime
from kiriman.settings import PickupBookingSettings, load

RUNTIME = Runtime(load(PickupBookingSettings)).warm()
log = get_logger()


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[PickupBookingSettings] | None = None
) -> dict[str, int]:
    rt = runtime or RUNTIME

    def carrier_for(carrier: str, account_id: str, merchant_id: str) -> Carrier:
        return rt.carrier(carrier, account_id, merchant_id)  # type: ignore[no-any-return]

    counts = book_due(rt.store, carrier_for, rt.clock)
    log.info("pickups booked", extra=counts)
    return counts
