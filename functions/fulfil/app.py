"""Bus events -> fulfilment: ``PackageReadyToShip`` is planned and queued for purchase;
``OrderCancelled`` and ``PackagesChanged`` void the labels they invalidate. The ``fulfil-held`` queue
brings back packages held for their order's first hour (``package_ready`` due tasks)."""

import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from kiriman.domain import quoting
from kiriman.domain.fulfilment import HELD_KIND, on_order_change, on_ready_to_ship
from kiriman.logs import get_logger, personal_scope
from kiriman.runtime import Runtime
from kiriman.schemas.shipping import decode_card, decode_rule
from kiriman.settings import FulfilSettings, load

RUNTIME = Runtime(load(FulfilSettings)).warm()
log = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


def ready_to_ship(rt: Runtime[FulfilSettings], detail: Mapping[str, Any],
                  release: Callable[[], bool] | None = None) -> dict[str, Any]:
    return on_ready_to_ship(
        rt.store, rt.shopee, rt.dispatcher, rt.clock,
        lambda merchant_id: quoting.load_pricing(rt.store, merchant_id, decode_card, decode_rule),
        detail, release,
    )


def handler(event: dict[str, Any], context: Any, runtime: Runtime[FulfilSettings] | None = None) -> dict[str, Any]:
    rt = runtime or RUNTIME
    if "Records" in event:
        def release(record: SQSRecord) -> None:
            task = json.loads(record.body)
            if task.get("kind") != HELD_KIND:
                raise ValueError(f"unexpected due task kind {task.get('kind')!r}")
            asked: list[bool] = []

            def complete() -> bool:  # under the sweep's lease: one delivery of the task sends the job
                asked.append(rt.store.complete_due(HELD_KIND, str(task.get("ref", "")),
                                                   str(task.get("lease_token", ""))))
                return asked[-1]

            with personal_scope():
                result = ready_to_ship(rt, task.get("payload") or {}, complete)
            if not asked:  # nothing to send (already done, attention, held again): the task is finished
                complete()
            log.info("held package released", extra={"ref": task.get("ref"), "result": result})

        return dict(process_partial_response(event=event, record_handler=release, processor=processor,
                                             context=context))
    kind = str(event.get("detail-type") or "PackageReadyToShip")
    with personal_scope():
        if kind == "PackageReadyToShip":
            result = ready_to_ship(rt, event.get("detail") or {})
        else:
            result = on_order_change(rt.store, lambda c: rt.carrier(c.carrier, c.account_id, c.merchant_id),
                                     rt.clock, kind, event.get("detail") or {})
    log.info("fulfilment event", extra={"kind": kind, "order_sn": (event.get("detail") or {}).get("order_sn"),
                                        "result": result})
    return result
