"""Lambda's SQS event source mapping, locally: poll, batch, invoke, delete what succeeded.

One receiver thread per queue long-polls while a slot is free and hands each batch to its own
thread, so up to ``max_concurrency`` batches are in flight at once and consumers really race, while
an idle queue costs one long poll at a time (not one per slot). Semantics follow the event source
mapping with ``ReportBatchItemFailures``:

* success without ``batchItemFailures`` deletes the whole batch;
* ``batchItemFailures`` keeps exactly those messages (an unknown or empty identifier fails the batch);
* an error, timeout or crash deletes nothing: the messages reappear after the visibility timeout, and
  moto moves a message to the DLQ once its receive count reaches the queue's ``maxReceiveCount``.

The same poller, in ``bus`` mode, delivers one EventBridge event per invocation from the internal
queue a bus rule targets.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from local.aws import Aws
from local.config import REGION
from local.faults import Faults
from local.workers import Invoker

log = logging.getLogger("local.sqs")
Mode = Literal["sqs", "bus"]
LONG_POLL_S = 1  # short enough for a prompt shutdown; moto wakes a long poll as soon as a message lands


def lambda_message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """SQS API message attributes in the shape Lambda puts in an event record."""
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        binary = value.get("BinaryValue")
        out[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": list(value.get("BinaryListValues", [])),
            "dataType": value.get("DataType"),
        }
    return out


def sendable_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """Received message attributes as SendMessage accepts them (for duplicates and redrive)."""
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        item: dict[str, Any] = {"DataType": value["DataType"]}
        if "StringValue" in value:
            item["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["BinaryValue"] = value["BinaryValue"]
        out[name] = item
    return out


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update(
        {
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }
    )
    return record


def batch_failures(result: Any, ids: list[str]) -> list[str]:
    """Message ids the handler reported as failed; a malformed report fails the whole batch."""
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return []
    items = result["batchItemFailures"]
    if not isinstance(items, list):
        return list(ids)
    failed: list[str] = []
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in ids:
            return list(ids)
        if ident not in failed:
            failed.append(ident)
    return failed


class QueuePoller:
    def __init__(
        self,
        *,
        aws: Aws,
        invoker: Invoker,
        faults: Faults,
        function: str,
        queue_url: str,
        batch_size: int,
        window_s: float,
        concurrency: int,
        stop: threading.Event,
        mode: Mode = "sqs",
    ) -> None:
        self.aws = aws
        self.invoker = invoker
        self.faults = faults
        self.function = function
        self.queue_url = queue_url
        self.batch_size = batch_size if mode == "sqs" else 1
        self.window_s = window_s if mode == "sqs" else 0.0
        self.concurrency = concurrency
        self.stop = stop
        self.mode = mode
        self.queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._slots = threading.BoundedSemaphore(concurrency)
        self._receiver = threading.Thread(target=self._loop, name=f"poll-{function}", daemon=True)
        self._inflight: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._receiver.start()

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        if self._receiver.is_alive():
            self._receiver.join(timeout)
        with self._lock:
            inflight = list(self._inflight)
        for t in inflight:
            t.join(max(0.0, end - time.monotonic()))

    # --- polling ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.stop.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue  # every slot is busy: receive nothing we could not start at once
            handed_over = False
            try:
                batch = self._collect()
                if batch:
                    self._dispatch(batch)
                    handed_over = True
            except Exception as exc:  # the poller must outlive any one failure, as Lambda's does
                if self.stop.is_set():
                    return  # moto is going away
                if isinstance(exc, BotoCoreError | ClientError):
                    log.warning("poller %s: %s", self.function, exc)
                else:
                    log.exception("poller %s failed", self.function)
                self.stop.wait(1.0)
            finally:
                if not handed_over:
                    self._slots.release()

    def _dispatch(self, batch: list[dict[str, Any]]) -> None:
        def run() -> None:
            try:
                if self.mode == "sqs":
                    self._run_batch(batch)
                else:
                    for message in batch:
                        self._run_event(message)
            except Exception:
                if not self.stop.is_set():  # while stopping, pools refuse work: not worth a trace
                    log.exception("%s: delivery failed", self.function)
            finally:
                with self._lock:
                    self._inflight.discard(threading.current_thread())
                self._slots.release()

        t = threading.Thread(target=run, name=f"batch-{self.function}", daemon=True)
        with self._lock:
            self._inflight.add(t)
        t.start()

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        resp = self.aws.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(resp.get("Messages", []))  # type: ignore[arg-type]

    def _collect(self) -> list[dict[str, Any]]:
        """One batch: long-poll for the first message, then fill up for at most the batching window."""
        batch = self._receive(self.batch_size, wait_s=LONG_POLL_S)
        if not batch or self.window_s <= 0:
            return batch
        end = time.monotonic() + self.window_s
        while len(batch) < self.batch_size and not self.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            more = self._receive(self.batch_size - len(batch), wait_s=0)
            if more:
                batch.extend(more)
            else:
                self.stop.wait(min(0.05, left))
        return batch

    # --- delivery ---------------------------------------------------------------------------
    def _run_batch(self, batch: list[dict[str, Any]]) -> None:
        ids = [m["MessageId"] for m in batch]
        event = {"Records": [sqs_record(m, self.queue_arn) for m in batch]}
        res = self.invoker.invoke(
            self.function, event, "queue", batch_size=len(batch), failed_ids=lambda r: batch_failures(r, ids)
        )
        if not res.ok:
            log.info("%s %s on %d message(s): %s", self.function, res.outcome, len(batch), res.error_message)
            return
        done = [m for m in batch if m["MessageId"] not in set(res.failed_ids)]
        self._delete(done)
        self._maybe_redeliver(done)

    def _run_event(self, message: dict[str, Any]) -> None:
        try:
            event = json.loads(message["Body"])
        except ValueError:
            log.warning("dropping a non-JSON bus message for %s", self.function)
            self._delete([message])
            return
        res = self.invoker.invoke(self.function, event, "bus")
        if res.ok:
            self._delete([message])
            self._maybe_redeliver([message])
        else:
            log.info("%s %s on a bus event: %s", self.function, res.outcome, res.error_message)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for i in range(0, len(messages), 10):
            chunk = messages[i : i + 10]
            resp = self.aws.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)],
            )
            for failure in resp.get("Failed", []):
                log.warning("%s: could not delete a message: %s", self.function, failure.get("Message"))

    def _maybe_redeliver(self, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            if self.faults.redeliver(self.function):
                kwargs: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": m["Body"]}
                attrs = sendable_attributes(m.get("MessageAttributes", {}))
                if attrs:
                    kwargs["MessageAttributes"] = attrs
                self.aws.sqs.send_message(**kwargs)
