"""SQS consumer of ``probe-work``: each message's body says what to do.

``{"op": "ok"|"fail"|"sleep"|"hold"|"seed_due"|"lease", "nonce": ..., ...}``

* ok: record and succeed (with the whole SQS record when ``capture`` is set).
* hold: sleep ``hold_s`` first, then as ok (used to warm two workers at once).
* fail: record an attempt and raise, until the test writes the ``switch`` item for the nonce.
* sleep: on the first delivery sleep past the timeout (the runner must kill us); later, succeed.
* seed_due: create a due task with the real repository.
* lease: at ``not_before`` (wall time), lease that task with the real conditional write.
"""

from __future__ import annotations

import json
import time
from typing import Any

from record import SETTINGS, exists, record

from kiriman.domain.due import DueTask
from kiriman.runtime import Runtime
from kiriman.storage import keys

RUNTIME = Runtime(SETTINGS)
STORE = RUNTIME.store  # bound at cold start, as the lease race must not pay for client set-up


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for rec in event["Records"]:
        _one(rec, context)
    return {"batchItemFailures": []}


def _one(rec: dict[str, Any], context: Any) -> None:
    body = json.loads(rec["body"])
    op, nonce = body["op"], body["nonce"]
    seen = {
        "op": op,
        "receive_count": int(rec["attributes"]["ApproximateReceiveCount"]),
        "message_id": rec["messageId"],
        "request_id": context.aws_request_id,
    }
    if op == "ok":
        record(nonce, "ok", **seen, event_record=rec if body.get("capture") else None)
    elif op == "hold":
        time.sleep(float(body.get("hold_s", 0.3)))
        record(nonce, "ok", **seen)
    elif op == "fail":
        if exists(nonce, "switch"):
            record(nonce, "ok", **seen)
            return
        record(nonce, "attempt", **seen)
        raise RuntimeError("probe told to fail")
    elif op == "sleep":
        record(nonce, "start", **seen, remaining_ms=context.get_remaining_time_in_millis())
        if seen["receive_count"] == 1:
            time.sleep(context.get_remaining_time_in_millis() / 1000 + 2.0)
            record(nonce, "overslept", **seen)
        record(nonce, "ok", **seen)
    elif op == "seed_due":
        task = STORE.schedule_due(body["kind"], body["ref"], float(body["at"]))
        record(nonce, "seeded", lease_token=task.lease_token, **seen)
    elif op == "lease":
        wait = float(body["not_before"]) - time.time()
        margin = context.get_remaining_time_in_millis() / 1000 - 0.3
        if wait > 0:
            time.sleep(min(wait, max(0.0, margin)))
        at = float(body["at"])
        task = DueTask(body["kind"], body["ref"], at, 0, None, keys.due_sk(at, body["kind"], body["ref"]))
        started = time.time()
        leased = STORE.lease_due(task, until=at + 3600)
        record(nonce, "lease", won=leased is not None, leased_at=started, **seen)
    else:
        raise ValueError(f"unknown op {op!r}")
