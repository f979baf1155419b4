"""The due sweep: leases what is due, dispatches by kind, never twice, nothing lost."""

from __future__ import annotations

import json
from typing import Any

import boto3

from kiriman.clock import FixedClock
from kiriman.domain.due import sweep
from tests.conftest import EVENTS, REGION, load_handler_module


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, queue: str, messages: list[dict[str, Any]]) -> None:
        self.sent += [(queue, m) for m in messages]


def _store(aws: dict[str, Any], clock: FixedClock) -> Any:
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    bind(aws["table"], REGION, None)
    return Store(clock)


def test_sweep_dispatches_due_tasks_once(aws: dict[str, Any], clock: FixedClock) -> None:
    store = _store(aws, clock)
    now = clock.time()
    for n in range(30):
        store.schedule_due("token_refresh", f"shop{n}", now - 5)
    store.schedule_due("token_refresh", "later", now + 600)
    rec = _Recorder()
    report = sweep(store, rec, clock, {"token_refresh": "shop-sync"}, 16, 300, 100)
    assert report.total == 30 and len(rec.sent) == 30
    assert {q for q, _ in rec.sent} == {"shop-sync"}
    assert "later" not in {m["ref"] for _, m in rec.sent}
    # A second sweep right away finds nothing: every dispatched task is leased.
    assert sweep(store, rec, clock, {"token_refresh": "shop-sync"}, 16, 300, 100).total == 0
    # Nobody completed them; when the lease runs out they are offered again (nothing is lost).
    clock.advance(301)
    assert sweep(store, _Recorder(), clock, {"token_refresh": "shop-sync"}, 16, 300, 100).total == 30


def test_completed_tasks_are_not_offered_again(aws: dict[str, Any], clock: FixedClock) -> None:
    store = _store(aws, clock)
    store.schedule_due("k", "one", clock.time())
    rec = _Recorder()
    sweep(store, rec, clock, {"k": "q"}, 16, 60, 10)
    msg = rec.sent[0][1]
    assert store.complete_due(msg["kind"], msg["ref"], msg["lease_token"])
    clock.advance(120)
    assert sweep(store, _Recorder(), clock, {"k": "q"}, 16, 60, 10).total == 0


def test_unknown_kind_is_leased_not_spun(aws: dict[str, Any], clock: FixedClock) -> None:
    store = _store(aws, clock)
    store.schedule_due("mystery", "x", clock.time())
    report = sweep(store, _Recorder(), clock, {}, 16, 60, 10)
    assert report.unknown_kinds == 1 and report.total == 0
    assert sweep(store, _Recorder(), clock, {}, 16, 60, 10).unknown_kinds == 0


def test_handler_sends_to_the_kind_queue(aws: dict[str, Any], monkeypatch: Any) -> None:
    import kiriman.manifest as manifest_module
    from kiriman.wiring import Function, Manifest, QueueTrigger

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="kiriman-test-probe")["QueueUrl"]
    probe = Manifest(
        functions=(
            Function(
                name="probe_consumer",
                description="p",
                settings="kiriman.settings:Base",
                triggers=(QueueTrigger(queue="probe-q"),),
            ),
        ),
        due_kinds={"probe": "probe-q"},
    )
    env = _env_for_due_sweep(aws, {**aws["queues"], "probe-q": url}, manifest_module.MANIFEST.merged(probe))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    mod = load_handler_module("functions/due_sweep")
    mod.RUNTIME.store.schedule_due("probe", "abc", mod.RUNTIME.clock.time() - 1, {"shop_id": 7})
    event = json.loads((EVENTS / "due_sweep" / "scheduled.json").read_text())
    assert mod.handler(event, None)["dispatched"] == 1
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["kind"] == "probe" and body["ref"] == "abc" and body["payload"] == {"shop_id": 7}


def _env_for_due_sweep(aws: dict[str, Any], urls: dict[str, str], manifest: Any) -> dict[str, str]:
    from kiriman.wiring import ResourceNames, function_environment

    names = ResourceNames(
        stage="test", region=REGION, table=aws["table"], bucket=aws["bucket"], bus=aws["bus"], queue_urls=urls
    )
    return function_environment(manifest, manifest.function("due_sweep"), names)
