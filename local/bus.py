"""EventBridge rule targets, locally.

moto evaluates each bus rule's pattern on ``PutEvents`` and sends the matching event, as JSON, to the
rule's SQS target: the internal queue ``<app>-local-bus-<function>`` made by :mod:`local.provision`.
This module polls those queues and invokes each function with the event itself, one per invocation.
A failing event is retried (the queue's redrive policy allows four receives) and then parked in the
queue's DLQ, much as EventBridge retries and then uses a target's dead-letter queue.
"""

from __future__ import annotations

import threading

from kiriman.wiring import BusTrigger, Manifest
from local.aws import Aws
from local.faults import Faults
from local.provision import Provisioned
from local.sqs_poller import QueuePoller
from local.workers import Invoker

BUS_CONCURRENCY = 2


def bus_pollers(
    manifest: Manifest, resources: Provisioned, aws: Aws, invoker: Invoker, faults: Faults, stop: threading.Event
) -> list[QueuePoller]:
    pollers = []
    for fn in manifest.functions:
        if not fn.triggers_of(BusTrigger):
            continue
        pollers.append(
            QueuePoller(
                aws=aws, invoker=invoker, faults=faults, function=fn.name,
                queue_url=resources.bus_queue_urls[fn.name], batch_size=1, window_s=0.0,
                concurrency=BUS_CONCURRENCY, stop=stop, mode="bus",
            )
        )
    return pollers
