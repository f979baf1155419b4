"""Move every message of a queue's DLQ back to the queue (as SQS's "start DLQ redrive" does).

Shared by ``python -m local redrive <queue>`` and ``POST /_local/redrive``. Each message is sent again
with its body and attributes, then deleted from the DLQ; it arrives as a new message with a fresh
receive count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from local.sqs_poller import sendable_attributes

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def redrive(sqs: SQSClient, dlq_url: str, queue_url: str, hold_s: int = 30) -> int:
    moved = 0
    while True:
        resp = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=hold_s,  # long enough that one pass never sees a message twice
            MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            return moved
        for m in messages:
            attrs = sendable_attributes(dict(m.get("MessageAttributes", {})))
            if attrs:
                sqs.send_message(QueueUrl=queue_url, MessageBody=m["Body"], MessageAttributes=attrs)
            else:
                sqs.send_message(QueueUrl=queue_url, MessageBody=m["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=m["ReceiptHandle"])
            moved += 1


def resolve_queue(resources: dict[str, object], short: str) -> tuple[str, str]:
    """(dlq_url, queue_url) of a queue by short name; bus-target queues are found by function name."""
    for main_key, dlq_key in (("queues", "dlqs"), ("bus_queues", "bus_dlqs")):
        main = resources.get(main_key)
        dlqs = resources.get(dlq_key)
        if isinstance(main, dict) and isinstance(dlqs, dict) and short in main and short in dlqs:
            return str(dlqs[short]), str(main[short])
    raise KeyError(short)
