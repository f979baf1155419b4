"""Bus events -> fulfilment: ``PackageReadyToShip`` is planned and queued for purchase;
``OrderCancelled`` and ``PackagesChanged`` void the labels they invalidate."""

from typing import Any

from kiriman.domain import quoting
from kiriman.domain.fulfilment import on_order_change, on_ready_to_ship
from kiriman.logs import get_logger, personal_scope
from kiriman.runtime import Runtime
from kiriman.schemas.shipping import decode_card, decode_rule
from kiriman.settings import FulfilSettings, load

RUNTIME = Runtime(load(FulfilSettings)).warm()
log = get_logger()


def handler(event: dict[str, Any], context: Any, runtime: Runtime[FulfilSettings] | None = None) -> dict[str, Any]:
    rt = runtime or RUNTIME
    kind = str(event.get("detail-type") or "PackageReadyToShip")
    with personal_scope():
        if kind == "PackageReadyToShip":
            result = on_ready_to_ship(
                rt.store, rt.shopee, rt.dispatcher, rt.clock,
                lambda merchant_id: quoting.load_pricing(rt.store, merchant_id, decode_card, decode_rule),
                event.get("detail") or {},
            )
        else:
            result = on_order_change(rt.store, lambda c: rt.carrier(c.carrier, c.account_id, c.merchant_id),
                                     rt.clock, kind, event.get("detail") or {})
    log.info("fulfilment event", extra={"kind": kind, "order_sn": (event.get("detail") or {}).get("order_sn"),
                                        "result": result})
    return result
