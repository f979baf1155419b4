"""Fault switches: sandboxes killed mid-invocation, and duplicate deliveries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import StackClient, at_least, http, wait_for

pytestmark = pytest.mark.e2e
QUEUE = "probe-work"


@pytest.fixture()
def faults_off(stack: StackClient) -> Iterator[None]:
    yield
    stack.control("POST", "/faults", {})


def test_killed_invocation_is_redelivered_once_the_switch_is_off(
    stack: StackClient, nonce: str, faults_off: None
) -> None:
    since = stack.last_seq()
    switched = stack.control("POST", "/faults", {"kill_share": 1.0, "functions": ["probe_worker"], "seed": 7})
    assert switched["kill_share"] == 1.0 and switched["functions"] == ["probe_worker"]
    stack.send(QUEUE, {"op": "ok", "nonce": nonce})
    killed = wait_for(
        "a killed probe_worker invocation",
        lambda: [i for i in stack.invocations("probe_worker", since) if i["outcome"] == "killed"],
    )
    stack.control("POST", "/faults", {"kill_share": 0.0})
    assert stack.control("GET", "/faults")["kill_share"] == 0.0
    # The message was not deleted: it comes back after its visibility timeout and now succeeds.
    ok = wait_for(
        "the message to be processed again", lambda: [r for r in stack.records(nonce, "ok") if r["receive_count"] >= 2]
    )
    assert ok[0]["receive_count"] == 2
    later = stack.invocations("probe_worker", killed[0]["seq"])
    assert any(i["outcome"] == "ok" for i in later)


def test_redeliver_switch_sends_duplicates(stack: StackClient, nonce: str, faults_off: None) -> None:
    stack.control("POST", "/faults", {"redeliver_share": 1.0, "functions": ["probe_worker"]})
    stack.send(QUEUE, {"op": "ok", "nonce": nonce})
    seen = wait_for("a duplicate delivery", lambda: at_least(2, stack.records(nonce, "ok")))
    stack.control("POST", "/faults", {})
    assert len({r["message_id"] for r in seen}) >= 2, "a duplicate is a new message with the same body"


def test_fault_switches_are_validated(stack: StackClient) -> None:
    resp = http("POST", stack.control_url + "/faults", {"kill_share": 2})
    assert resp.status == 400
    assert resp.json()["error"]["code"] == "bad_request"
