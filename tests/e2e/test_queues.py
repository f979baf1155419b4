"""The SQS door: retries, the DLQ and redrive, timeouts, and consumers racing on one item."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from .client import StackClient, at_least, wait_for
from .conftest import REPO_ROOT

pytestmark = pytest.mark.e2e
QUEUE = "probe-work"


def _in_dlq(stack: StackClient, nonce: str) -> bool:
    return any(body.get("nonce") == nonce for body in stack.peek(stack.dlq_url(QUEUE)))


def test_failing_message_goes_to_the_dlq_and_redrive_brings_it_back(
    stack: StackClient, local_stack: dict[str, Any], nonce: str
) -> None:
    stack.send(QUEUE, {"op": "fail", "nonce": nonce})
    wait_for("the message in probe-work-dlq", lambda: _in_dlq(stack, nonce), timeout=30)
    attempts = stack.records(nonce, "attempt")
    assert [a["receive_count"] for a in attempts] == [1, 2, 3]  # maxReceiveCount 3, then the DLQ

    out = subprocess.run(
        [sys.executable, "-m", "local", "redrive", QUEUE, "--config", local_stack["state_file"]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    moved = re.search(r"moved (\d+) message", out.stdout)
    assert moved and int(moved.group(1)) >= 1, out.stdout
    # Back in the main queue as a new message: delivered again from a receive count of one.
    wait_for("a delivery after the CLI redrive", lambda: len(stack.records(nonce, "attempt")) >= 4)
    assert stack.records(nonce, "attempt")[3]["receive_count"] == 1

    wait_for(
        "the message back in the DLQ",
        lambda: len(stack.records(nonce, "attempt")) == 6 and _in_dlq(stack, nonce),
        timeout=30,
    )
    stack.put_switch(nonce)  # from now on the probe succeeds
    assert stack.control("POST", "/redrive", {"queue": QUEUE})["moved"] >= 1
    done = wait_for("the redriven message to succeed", lambda: stack.records(nonce, "ok"))
    assert done[0]["receive_count"] == 1
    assert not _in_dlq(stack, nonce)


def test_the_consumer_gets_a_lambda_shaped_sqs_event(
    stack: StackClient, local_stack: dict[str, Any], nonce: str
) -> None:
    body = {"op": "ok", "nonce": nonce, "capture": True}
    stack.sqs.send_message(
        QueueUrl=stack.queue_url(QUEUE),
        MessageBody=json.dumps(body),
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "e2e"}},
    )
    rec = wait_for("the message to be consumed", lambda: stack.records(nonce, "ok"))[0]["event_record"]
    assert json.loads(rec["body"]) == body
    assert rec["eventSource"] == "aws:sqs"
    assert rec["eventSourceARN"].endswith(":kiriman-local-probe-work")
    assert rec["awsRegion"] == local_stack["region"]
    assert rec["messageId"] and rec["receiptHandle"] and rec["md5OfBody"]
    for attr in ("ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"):
        assert isinstance(rec["attributes"][attr], str), attr
    assert rec["messageAttributes"]["origin"]["stringValue"] == "e2e"
    assert rec["messageAttributes"]["origin"]["dataType"] == "String"


def test_redrive_of_an_unknown_queue_is_404(stack: StackClient) -> None:
    from .client import http

    assert http("POST", stack.control_url + "/redrive", {"queue": "no-such-queue"}).status == 404


def test_a_worker_past_its_timeout_is_killed_and_the_next_invocation_works(
    stack: StackClient, local_stack: dict[str, Any], nonce: str
) -> None:
    since = stack.last_seq()
    stack.send(QUEUE, {"op": "sleep", "nonce": nonce})
    timed_out = wait_for(
        "a timed-out probe_worker invocation",
        lambda: [i for i in stack.invocations("probe_worker", since) if i["outcome"] == "timeout"],
    )
    limit_ms = local_stack["functions"]["probe_worker"]["timeout_s"] * 1000
    assert limit_ms * 0.9 <= timed_out[0]["duration_ms"] < limit_ms + 1500
    assert "Task timed out" in timed_out[0]["error"]
    ok = wait_for("the redelivered message to succeed", lambda: stack.records(nonce, "ok"))
    assert ok[0]["receive_count"] == 2
    assert not stack.records(nonce, "overslept"), "the handler outlived its timeout"
    later = [i for i in stack.invocations("probe_worker", timed_out[0]["seq"]) if i["outcome"] == "ok"]
    assert later and later[0]["cold_start"], "a fresh sandbox replaces the killed one"


def test_two_consumers_race_for_one_lease_and_exactly_one_wins(stack: StackClient, nonce: str) -> None:
    # Warm two sandboxes at once, so that both lease attempts start without a cold start.
    warm = nonce + "-warm"
    stack.send(QUEUE, {"op": "hold", "nonce": warm, "hold_s": 0.4}, {"op": "hold", "nonce": warm, "hold_s": 0.4})
    wait_for("two warm-up invocations", lambda: len(stack.records(warm, "ok")) == 2)

    at = time.time() - 60
    stack.send(QUEUE, {"op": "seed_due", "nonce": nonce, "kind": "probe", "ref": nonce, "at": at})
    wait_for("the due task", lambda: stack.records(nonce, "seeded"))

    lease = {"op": "lease", "nonce": nonce, "kind": "probe", "ref": nonce, "at": at, "not_before": time.time() + 0.4}
    stack.send(QUEUE, lease, dict(lease))
    leases = wait_for("two lease attempts", lambda: at_least(2, stack.records(nonce, "lease")))
    assert len(leases) == 2
    assert sorted(r["won"] for r in leases) == [False, True]
    assert leases[0]["request_id"] != leases[1]["request_id"]
    assert leases[0]["pid"] != leases[1]["pid"], "both attempts ran in one sandbox: no race happened"
    assert abs(leases[0]["leased_at"] - leases[1]["leased_at"]) < 0.3, "the attempts did not overlap"
