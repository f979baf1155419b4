"""Queues, dead-letter queues, event-source mappings, bus rules and schedules, all from the manifest."""

from __future__ import annotations

from typing import Any

from infra.capabilities.messaging import ASYNC_DLQ, VISIBILITY_FACTOR
from kiriman.wiring import BusTrigger, QueueTrigger, ScheduleTrigger, physical_name
from tests.infra.support import STAGE, Synth


def _name(synth: Synth, name: str) -> str:
    return physical_name(synth.manifest.app, STAGE, name)


def test_exactly_the_manifest_queues_with_their_dlqs(synth: Synth) -> None:
    names = {p["QueueName"] for p in synth.resources("AWS::SQS::Queue").values()}
    expected = {_name(synth, ASYNC_DLQ)}
    for q in synth.manifest.queues():
        expected |= {_name(synth, q), _name(synth, f"{q}-dlq")}
    assert names == expected


def test_queue_visibility_redrive_and_encryption(synth: Synth) -> None:
    queues = synth.resources("AWS::SQS::Queue")
    assert synth.manifest.queues(), "the fixture manifest has queues"
    for name, (fn, trigger) in synth.manifest.queues().items():
        props = queues[synth.queue_id(name)]
        dlq_id = synth.queue_id(f"{name}-dlq")
        assert props["VisibilityTimeout"] == VISIBILITY_FACTOR * fn.timeout_s, name
        assert props["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": trigger.max_receive_count,
        }, name
        assert queues[dlq_id]["MessageRetentionPeriod"] == 14 * 24 * 3600, name
    key_id = synth.logical_id_of("AWS::KMS::Key")
    for lid, props in queues.items():
        assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, lid


def _denies_plain_http(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def test_every_queue_is_ssl_only(synth: Synth) -> None:
    covered: set[str] = set()
    for props in synth.resources("AWS::SQS::QueuePolicy").values():
        if _denies_plain_http(props["PolicyDocument"]):
            covered |= {q["Ref"] for q in props["Queues"]}
    assert covered == set(synth.resources("AWS::SQS::Queue"))


def test_event_source_mappings_match_the_queue_triggers(synth: Synth) -> None:
    mappings = synth.resources("AWS::Lambda::EventSourceMapping")
    triggers = [(f, t) for f in synth.manifest.functions for t in f.triggers_of(QueueTrigger)]
    assert len(mappings) == len(triggers)
    by_source = {m["EventSourceArn"]["Fn::GetAtt"][0]: m for m in mappings.values()}
    for fn, t in triggers:
        m = by_source[synth.queue_id(t.queue)]
        assert m["FunctionName"] == {"Ref": synth.function_id(fn.name)}
        assert m["BatchSize"] == t.batch_size
        assert m.get("MaximumBatchingWindowInSeconds", 0) == t.batching_window_s
        assert m["ScalingConfig"] == {"MaximumConcurrency": t.max_concurrency}
        assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def _rules(synth: Synth) -> list[dict[str, Any]]:
    return list(synth.resources("AWS::Events::Rule").values())


def _target_function(synth: Synth, rule: dict[str, Any]) -> str:
    (target,) = rule["Targets"]
    ids = {synth.function_id(f.name): f.name for f in synth.manifest.functions}
    return ids[target["Arn"]["Fn::GetAtt"][0]]


def test_the_domain_event_bus(synth: Synth) -> None:
    synth.assertions.resource_count_is("AWS::Events::EventBus", 1)
    synth.assertions.has_resource_properties("AWS::Events::EventBus", {"Name": _name(synth, "events")})


def test_a_rule_per_bus_trigger_with_its_pattern(synth: Synth) -> None:
    bus_id = synth.logical_id_of("AWS::Events::EventBus")
    got = sorted(
        (_target_function(synth, r), repr(r["EventPattern"]))
        for r in _rules(synth)
        if r.get("EventBusName") == {"Ref": bus_id}
    )
    want = sorted((f.name, repr(t.pattern())) for f in synth.manifest.functions for t in f.triggers_of(BusTrigger))
    assert len(want) >= 2
    assert got == want


def test_a_rule_per_schedule(synth: Synth) -> None:
    got = sorted(
        (_target_function(synth, r), r["ScheduleExpression"]) for r in _rules(synth) if "ScheduleExpression" in r
    )
    want = sorted((f.name, t.expression) for f in synth.manifest.functions for t in f.triggers_of(ScheduleTrigger))
    assert len(want) >= 2
    assert got == want


def test_rule_targets_have_a_dlq_and_a_retry_policy(synth: Synth) -> None:
    async_dlq = synth.queue_id(ASYNC_DLQ)
    for rule in _rules(synth):
        (target,) = rule["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [async_dlq, "Arn"]}}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_async_failures_go_to_the_dlq(synth: Synth) -> None:
    configs = synth.resources("AWS::Lambda::EventInvokeConfig")
    async_fns = [f for f in synth.manifest.functions if f.triggers_of(BusTrigger) or f.triggers_of(ScheduleTrigger)]
    assert len(configs) == len(async_fns)
    for props in configs.values():
        destination = props["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": [synth.queue_id(ASYNC_DLQ), "Arn"]}
