"""Schedules on the shared clock, and bus events reaching their rule's target."""

from __future__ import annotations

import json
import time

import pytest

from .client import StackClient, wait_for

pytestmark = pytest.mark.e2e


def test_a_schedule_fires_once_when_the_clock_jumps(stack: StackClient) -> None:
    before = len(stack.records("tick", "fire"))
    offset = stack.control("GET", "/clock")["offset_seconds"]
    since = stack.last_seq()
    jumped_at = time.time()
    moved = stack.control("POST", "/clock/advance", {"seconds": 600})
    assert moved["offset_seconds"] == pytest.approx(offset + 600)
    assert moved["now"] == pytest.approx(time.time() + offset + 600, abs=2)

    fired = wait_for("probe_tick to fire", lambda: list(stack.invocations("probe_tick", since)))
    assert fired[0]["trigger"] == "schedule"
    assert fired[0]["started_at"] - jumped_at < 1.5, "the schedule did not fire promptly after the jump"
    wait_for("the fire to be recorded", lambda: len(stack.records("tick", "fire")) > before)
    time.sleep(1.0)
    fires = stack.records("tick", "fire")
    assert len(fires) == before + 1, "two periods were skipped, but the schedule must fire once"
    event = fires[-1]["event"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert event["resources"][0].startswith("arn:aws:events:")
    assert fires[-1]["shared_now"] >= jumped_at + offset + 599


def test_a_bus_event_reaches_its_target(stack: StackClient, nonce: str) -> None:
    bus = stack.state["resources"]["bus"]
    other = nonce + "-other"
    stack.events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": "e2e.probe",
                "DetailType": "OtherPing",
                "Detail": json.dumps({"nonce": other}),
            }
        ]
    )
    resp = stack.events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": "e2e.probe",
                "DetailType": "ProbePing",
                "Detail": json.dumps({"nonce": nonce}),
            }
        ]
    )
    assert resp["FailedEntryCount"] == 0
    got = wait_for("probe_bus to get the event", lambda: stack.records(nonce, "bus"))
    event = got[0]["event"]
    assert event["detail-type"] == "ProbePing"
    assert event["source"] == "e2e.probe"
    assert event["detail"] == {"nonce": nonce}
    assert event["id"] == resp["Entries"][0]["EventId"]
    assert len(got) == 1
    assert stack.records(other) == [], "an event the rule does not match was delivered"
    assert any(i["trigger"] == "bus" and i["outcome"] == "ok" for i in stack.invocations("probe_bus"))


def test_a_failing_bus_target_is_retried_then_parked_and_can_be_redriven(stack: StackClient, nonce: str) -> None:
    bus = stack.state["resources"]["bus"]
    dlq = stack.state["resources"]["bus_dlqs"]["probe_bus"]
    stack.events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": "e2e.probe",
                "DetailType": "ProbePing",
                "Detail": json.dumps({"nonce": nonce, "fail": True}),
            }
        ]
    )
    wait_for(
        "the event in the target's DLQ", lambda: any(m["detail"]["nonce"] == nonce for m in stack.peek(dlq)), timeout=30
    )
    assert len(stack.records(nonce, "attempt")) == 4, "one delivery and three retries"
    stack.put_switch(nonce)
    assert stack.control("POST", "/redrive", {"queue": "probe_bus"})["moved"] >= 1
    got = wait_for("the redriven event to be handled", lambda: stack.records(nonce, "bus"))
    assert got[0]["event"]["detail"]["nonce"] == nonce
