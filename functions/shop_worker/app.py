"""SQS ``shop-sync`` -> order sync, pushes, lost pushes and token refreshes (partial batch failures)."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from kiriman.domain.shop_work import ShopDeps, handle
from kiriman.logs import get_logger, personal_scope
from kiriman.runtime import Runtime
from kiriman.settings import ShopWorkerSettings, load

RUNTIME = Runtime(load(ShopWorkerSettings)).warm()
log = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


def deps(rt: Runtime[ShopWorkerSettings], context: Any) -> ShopDeps:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = remaining() if remaining else None

    def should_stop() -> bool:
        # Hand the rest of a long sync to a new job once a third of the invocation's time is gone:
        # the page in flight (a list call, two detail batches, their writes) must still fit.
        return remaining is not None and budget is not None and remaining() < budget * 2 / 3

    return ShopDeps(
        store=rt.store,
        shopee=rt.shopee,
        events=rt.events,
        queue=rt.dispatcher,
        clock=rt.clock,
        overlap_s=rt.settings.sync_overlap_s,
        lookback_s=rt.settings.sync_lookback_s,
        should_stop=should_stop,
    )


def handler(event: dict[str, Any], context: Any, runtime: Runtime[ShopWorkerSettings] | None = None) -> dict[str, Any]:
    d = deps(runtime or RUNTIME, context)

    def work(record: SQSRecord) -> None:
        with personal_scope():
            result = handle(json.loads(record.body), d)
            log.info("shop work done", extra={"result": result})

    return dict(process_partial_response(event=event, record_handler=work, processor=processor, context=context))
