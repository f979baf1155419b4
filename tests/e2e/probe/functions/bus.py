"""Bus target for ``ProbePing``: records the EventBridge event it was invoked with.

With ``"fail": true`` in the detail it records an attempt and raises, until the test writes the
nonce's ``switch`` item (to exercise retries, the target DLQ and redrive).
"""

from __future__ import annotations

from typing import Any

from record import exists, record


def handler(event: dict[str, Any], context: Any) -> None:
    nonce = str(event["detail"]["nonce"])
    if event["detail"].get("fail") and not exists(nonce, "switch"):
        record(nonce, "attempt", event_id=event["id"], request_id=context.aws_request_id)
        raise RuntimeError("probe told to fail")
    record(nonce, "bus", event=event, request_id=context.aws_request_id)
