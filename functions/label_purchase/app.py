"""SQS ``purchase-<carrier>`` -> claim, buy, store the label, tell Shopee (one job per message).

A throttled job is sent again with a delay (the carrier's Retry-After) and its message succeeds, so a
429 never burns a receive count; an ambiguous carrier failure fails the record and SQS brings it back.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from kiriman.carriers.base import Carrier
from kiriman.domain import printing
from kiriman.domain.fulfilment import PurchaseJob, Retry, queue_for, run_job
from kiriman.logs import get_logger, personal_scope
from kiriman.runtime import Runtime
from kiriman.settings import LabelPurchaseSettings, load

RUNTIME = Runtime(load(LabelPurchaseSettings)).warm()
log = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


def carrier_for(rt: Runtime[LabelPurchaseSettings], job: PurchaseJob) -> Carrier:
    # archived (raw/ in the documents bucket) and rate-limited per account (runtime.purchase_carrier)
    return rt.purchase_carrier(job.carrier, job.account_id, job.merchant_id)  # type: ignore[no-any-return]


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[LabelPurchaseSettings] | None = None
) -> dict[str, Any]:
    rt = runtime or RUNTIME
    remaining = getattr(context, "get_remaining_time_in_millis", None)

    def work(record: SQSRecord) -> None:
        job = PurchaseJob.from_json(json.loads(record.body))
        budget = (remaining() / 1000.0) if remaining else float(rt.settings.function_timeout_s)
        with personal_scope():
            result = run_job(rt.store, lambda j: carrier_for(rt, j), job, rt.labels, rt.shopee, rt.clock, budget,
                             tracking_poll_s=rt.settings.tracking_poll_s * rt.settings.time_scale)
        if isinstance(result, Retry):
            rt.dispatcher.send(queue_for(job.carrier), [job.to_json()], delay_s=int(result.delay_s))
            log.info("purchase deferred",
                     extra={"order_sn": job.order_sn, "delay_s": result.delay_s, "why": result.why})
            return
        claim = result.outcome.claim
        if printing.wants_render(claim):  # our own PDF and ZPL label, rendered in batches (document_render)
            rt.dispatcher.send(printing.RENDER_QUEUE, [printing.job_for(claim).to_json()])
        log.info("purchase done", extra={"order_sn": job.order_sn, "carrier": job.carrier, "state": claim.state.value,
                                         "bought_now": result.outcome.created, "handed_back": result.handed_back})

    return dict(process_partial_response(event=event, record_handler=work, processor=processor, context=context))
