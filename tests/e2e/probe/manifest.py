"""The probe functions: a queue consumer, a schedule and a bus target that record what they see.

Merged into the real manifest by ``python -m local up --extra-manifest
tests.e2e.probe.manifest:PROBE_MANIFEST``; their code lives in ``tests/e2e/probe/functions``.
"""

from __future__ import annotations

from kiriman.wiring import Access, BusTrigger, Function, Manifest, QueueTrigger, ScheduleTrigger

SOURCE = "tests/e2e/probe/functions"
PROBE_QUEUE = "probe-work"

PROBE_MANIFEST = Manifest(
    functions=(
        Function(
            name="probe_worker",
            description="Does what each message says (ok, fail, sleep, seed_due, lease) and records it.",
            handler="worker.handler",
            source_dir=SOURCE,
            settings="kiriman.settings:TableSettings",
            # Batch of one: two messages sent together go to two invocations and really race.
            triggers=(
                QueueTrigger(
                    queue=PROBE_QUEUE, batch_size=1, batching_window_s=0, max_receive_count=3, max_concurrency=2
                ),
            ),
            memory_mb=256,
            timeout_s=3,
            access=Access(table="write"),
        ),
        Function(
            name="probe_tick",
            description="Records every scheduled fire.",
            handler="tick.handler",
            source_dir=SOURCE,
            settings="kiriman.settings:TableSettings",
            triggers=(ScheduleTrigger(expression="rate(5 minutes)"),),
            memory_mb=128,
            timeout_s=10,
            access=Access(table="write"),
        ),
        Function(
            name="probe_bus",
            description="Records every ProbePing event it is given.",
            handler="bus.handler",
            source_dir=SOURCE,
            settings="kiriman.settings:TableSettings",
            triggers=(BusTrigger(detail_types=("ProbePing",)),),
            memory_mb=128,
            timeout_s=3,  # short visibility timeout: retries come quickly
            access=Access(table="write"),
        ),
    ),
)
