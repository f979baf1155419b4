"""SQS ``render-documents`` -> our own label (PDF and ZPL) for each bought claim, a whole batch per wkhtmltopdf run;
and requested documents (pick lists, packing slips, customs forms, manifests: ``kind: document`` jobs from
``POST /v1/documents``), each rendered on its own by ``domain/paperwork.render_request``.

The queue's batch size and batching window (manifest) group label jobs; every label of the batch is printed by
ONE wkhtmltopdf process (``domain/printing.render_jobs``), then cut into one PDF per label and stored with its
ZPL under ``documents/...``. Failures are per record (powertools ``BatchProcessor``): a job whose order is gone,
or whose label breaks the renderer, comes back alone while the rest of the batch is done.

Packaged as a container image (``Dockerfile``: wkhtmltopdf and the Noto CJK, Thai and DejaVu fonts); the local
stack runs this same handler as a worker process with the machine's wkhtmltopdf.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from kiriman.domain import paperwork, printing
from kiriman.logs import get_logger, personal_scope
from kiriman.manifest import MANIFEST
from kiriman.runtime import Runtime
from kiriman.settings import DocumentRenderSettings, load
from kiriman.wiring import QueueTrigger

RUNTIME = Runtime(load(DocumentRenderSettings)).warm()
log = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)
# The last delivery before the DLQ: a document request still failing then is marked failed, never left queued.
MAX_RECEIVES = next(t.max_receive_count for f in MANIFEST.functions if f.name == "document_render"
                    for t in f.triggers if isinstance(t, QueueTrigger) and t.queue == printing.RENDER_QUEUE)


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[DocumentRenderSettings] | None = None
) -> dict[str, Any]:
    rt = runtime or RUNTIME
    outcome: dict[str, printing.JobResult | paperwork.Outcome] = {}
    unique: dict[printing.RenderJob, list[str]] = {}  # the same claim twice in a batch is rendered once
    documents: dict[paperwork.DocumentJob, list[tuple[str, bool]]] = {}  # (message id, last delivery)
    for record in event.get("Records") or []:
        mid = str(record.get("messageId"))
        try:
            body = json.loads(record.get("body") or "")
            if paperwork.is_document_job(body):
                receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
                documents.setdefault(paperwork.DocumentJob.from_json(body), []).append((mid, receives >= MAX_RECEIVES))
                continue
            job = printing.RenderJob.from_json(body)
        except Exception as exc:  # malformed: this record fails (and ends in the DLQ), the others go on
            outcome[mid] = exc
            continue
        unique.setdefault(job, []).append(mid)
    with personal_scope():
        jobs = list(unique)
        results = printing.render_jobs(rt.store, printing.LabelPrinter(rt.settings.render_timeout_s), rt.documents,
                                       rt.clock, jobs) if jobs else []
        printer = paperwork.html_printer(rt.settings.render_timeout_s)
        for doc_job, deliveries in documents.items():  # one document at a time: each is its own wkhtmltopdf run
            done: paperwork.Outcome | Exception
            try:
                paper = paperwork.render_request(rt.store, rt.documents, printer, rt.clock, doc_job,
                                                 any(last for _, last in deliveries))
                log.info("document", extra={"document_id": doc_job.document_id, "status": paper.status.value,
                                            "count": paper.count, "error": paper.error})
                done = paper
            except Exception as exc:  # renderer or storage: SQS delivers it again (the request stays queued)
                done = exc
            for mid, _ in deliveries:
                outcome[mid] = done
    for job, result in zip(jobs, results, strict=True):
        for mid in unique[job]:
            outcome[mid] = result
    rendered = sum(1 for r in results if isinstance(r, printing.Rendered) and not r.skipped)
    if jobs:
        log.info("labels rendered", extra={"jobs": len(jobs), "rendered": rendered,
                                           "failed": sum(1 for r in results if isinstance(r, Exception))})

    def work(record: SQSRecord) -> None:
        result = outcome.get(record.message_id)
        if isinstance(result, Exception):
            raise result
        if isinstance(result, printing.Rendered) and result.skipped:
            log.info("render skipped", extra={"order_sn": result.job.order_sn, "why": result.skipped})

    return dict(process_partial_response(event=event, record_handler=work, processor=processor, context=context))

