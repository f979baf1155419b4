"""Queues with their dead-letter queues, the domain-event bus, and every trigger that is not HTTP:
SQS event-source mappings, bus rules and schedules, all read from the manifest.

Built in two steps because the functions need the queue URLs and the triggers need the functions:
``Messaging(...)`` creates queues and the bus, :meth:`Messaging.connect` wires the triggers.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.nag import suppress
from infra.naming import construct_id
from kiriman.wiring import BusTrigger, Manifest, QueueTrigger, ScheduleTrigger, physical_name

DLQ_RETENTION = Duration.days(14)
# Visibility timeout of a queue as a multiple of its consumer's timeout (AWS's own recommendation is
# at least six: a batch can be retried by Lambda's poller while the first attempt is still running).
VISIBILITY_FACTOR = 6
BUS = "events"
# Dead-letter queue for everything EventBridge delivers (bus rules, schedules): failed deliveries and,
# through the functions' on-failure destination, asynchronous invocations that kept failing.
ASYNC_DLQ = "async-dlq"
RULE_RETRY_ATTEMPTS = 4
RULE_MAX_EVENT_AGE = Duration.hours(6)
ASYNC_RETRY_ATTEMPTS = 2
# Pattern keys of ``BusTrigger.pattern()`` and their names in CDK's EventPattern.
_PATTERN_KEYS = {"detail-type": "detail_type", "source": "source"}


def event_pattern(pattern: Mapping[str, list[str]]) -> events.EventPattern:
    unknown = set(pattern) - set(_PATTERN_KEYS)
    if unknown:
        raise ValueError(f"bus trigger pattern keys not mapped to CDK: {sorted(unknown)}")
    return events.EventPattern(
        detail_type=pattern.get("detail-type"),
        source=pattern.get("source"),
    )


class Messaging(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        manifest: Manifest,
        config: StageConfig,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, cid)
        self._manifest = manifest
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        reserved = {BUS, ASYNC_DLQ.removesuffix("-dlq")}
        for name, (fn, trigger) in sorted(manifest.queues().items()):
            if name in reserved:
                raise ValueError(f"queue name {name!r} is reserved by the stack")
            qid = construct_id(name)
            dlq = sqs.Queue(
                self,
                f"{qid}Dlq",
                queue_name=physical_name(manifest.app, config.stage, f"{name}-dlq"),
                retention_period=DLQ_RETENTION,
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                enforce_ssl=True,
            )
            self.dlqs[name] = dlq
            self.queues[name] = sqs.Queue(
                self,
                qid,
                queue_name=physical_name(manifest.app, config.stage, name),
                visibility_timeout=Duration.seconds(VISIBILITY_FACTOR * fn.timeout_s),
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=trigger.max_receive_count),
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                enforce_ssl=True,
            )

        self.async_dlq = sqs.Queue(
            self,
            "AsyncDlq",
            queue_name=physical_name(manifest.app, config.stage, ASYNC_DLQ),
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
        )
        suppress(
            self.async_dlq,
            "SQS3",
            "This queue is itself a dead-letter queue: the DLQ of EventBridge rule targets and the "
            "on-failure destination of asynchronously invoked functions, which cdk-nag cannot see.",
        )
        self.bus = events.EventBus(self, "Bus", event_bus_name=physical_name(manifest.app, config.stage, BUS))

    def connect(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """Event-source mappings, bus rules and schedules of every manifest function."""
        for fn in self._manifest.functions:
            handler = functions[fn.name]
            fid = construct_id(fn.name)
            for trigger in fn.triggers_of(QueueTrigger):
                if trigger.batch_size > 10 and trigger.batching_window_s == 0:
                    raise ValueError(f"{fn.name}: an SQS batch over 10 needs batching_window_s > 0")
                handler.add_event_source(
                    sources.SqsEventSource(
                        self.queues[trigger.queue],
                        batch_size=trigger.batch_size,
                        max_batching_window=(
                            Duration.seconds(trigger.batching_window_s) if trigger.batching_window_s else None
                        ),
                        max_concurrency=trigger.max_concurrency,
                        report_batch_item_failures=True,
                    )
                )
            rule_target = targets.LambdaFunction(
                handler,
                dead_letter_queue=self.async_dlq,
                retry_attempts=RULE_RETRY_ATTEMPTS,
                max_event_age=RULE_MAX_EVENT_AGE,
            )
            bus_triggers = fn.triggers_of(BusTrigger)
            schedules = fn.triggers_of(ScheduleTrigger)
            for i, bus_trigger in enumerate(bus_triggers):
                events.Rule(
                    self,
                    f"{fid}Bus{i}",
                    description=f"{fn.name}: {', '.join(bus_trigger.detail_types)}",
                    event_bus=self.bus,
                    event_pattern=event_pattern(bus_trigger.pattern()),
                    targets=[rule_target],
                )
            for i, schedule in enumerate(schedules):
                events.Rule(
                    self,
                    f"{fid}Schedule{i}",
                    description=f"{fn.name}: {schedule.expression}",
                    schedule=events.Schedule.expression(schedule.expression),
                    targets=[rule_target],
                )
            if bus_triggers or schedules:
                # A scheduled sweep is not retried (the next tick comes soon); a domain event is.
                handler.configure_async_invoke(
                    on_failure=destinations.SqsDestination(self.async_dlq),
                    retry_attempts=ASYNC_RETRY_ATTEMPTS if bus_triggers else 0,
                    max_event_age=RULE_MAX_EVENT_AGE,
                )
