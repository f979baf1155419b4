"""Bus ``PackageReadyToShip`` -> allocate a warehouse, rate and route, queue one purchase job."""

from typing import Any

from kiriman.domain import quoting
from kiriman.domain.fulfilment import on_ready_to_ship
from kiriman.logs import get_logger, personal_scope
from kiriman.runtime import Runtime
from kiriman.schemas.shipping import decode_card, decode_rule
from kiriman.settings import FulfilSettings, load

RUNTIME = Runtime(load(FulfilSettings))
log = get_logger()


def handler(event: dict[str, Any], context: Any, runtime: Runtime[FulfilSettings] | None = None) -> dict[str, Any]:
    rt = runtime or RUNTIME
    with personal_scope():
        result = on_ready_to_ship(
            rt.store, rt.shopee, rt.dispatcher, rt.clock,
            lambda merchant_id: quoting.load_pricing(rt.store, merchant_id, decode_card, decode_rule),
            event.get("detail") or {},
        )
    log.info("package planned", extra={"order_sn": (event.get("detail") or {}).get("order_sn"), **result})
    return result
