"""A small client for a running local stack: its public HTTP doors, moto, and polling helpers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3

T = TypeVar("T")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def at_least(n: int, items: list[T]) -> list[T] | None:
    """``items`` once there are ``n`` of them (for :func:`wait_for`)."""
    return items if len(items) >= n else None


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0, every: float = 0.1) -> T:
    """Poll until ``probe`` returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class StackClient:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.api_url: str = state["api"]["base_url"]
        self.control_url: str = state["control"]["base_url"]
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=state["region"]
        )
        self.ddb = session.client("dynamodb", endpoint_url=state["moto"]["base_url"])
        self.sqs = session.client("sqs", endpoint_url=state["moto"]["base_url"])
        self.events = session.client("events", endpoint_url=state["moto"]["base_url"])
        self.table: str = state["resources"]["table"]

    # --- doors ------------------------------------------------------------------------------
    def api(self, method: str, path: str, key: str | None = None, body: Any = None) -> Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return http(method, self.api_url + path, body, headers)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        resp = http(method, self.control_url + path, body)
        assert resp.status == 200, (resp.status, resp.body)
        return resp.json()

    def invocations(self, function: str, since: int = 0) -> list[dict[str, Any]]:
        return list(self.control("GET", f"/invocations?function={function}&since={since}"))

    def last_seq(self) -> int:
        items = self.control("GET", "/invocations?limit=1")
        return int(items[-1]["seq"]) if items else 0

    # --- queues -----------------------------------------------------------------------------
    def queue_url(self, short: str) -> str:
        return str(self.state["resources"]["queues"][short])

    def dlq_url(self, short: str) -> str:
        return str(self.state["resources"]["dlqs"][short])

    def send(self, short: str, *bodies: dict[str, Any]) -> None:
        entries = [{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(bodies)]
        resp = self.sqs.send_message_batch(QueueUrl=self.queue_url(short), Entries=entries)  # type: ignore[arg-type]
        assert not resp.get("Failed"), resp

    def peek(self, queue_url: str) -> list[dict[str, Any]]:
        """Visible messages' bodies, left visible (visibility timeout 0)."""
        resp = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in resp.get("Messages", [])]

    # --- what the probes recorded -----------------------------------------------------------
    def records(self, nonce: str, kind: str | None = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"PROBE#{nonce}"}},
        }
        if kind:
            kwargs["KeyConditionExpression"] += " AND begins_with(SK, :k)"
            kwargs["ExpressionAttributeValues"][":k"] = {"S": f"{kind}#"}
        items = self.ddb.query(**kwargs)["Items"]
        return [{"kind": i["kind"]["S"], "sk": i["SK"]["S"], **json.loads(i["data"]["S"])} for i in items]

    def put_switch(self, nonce: str) -> None:
        self.ddb.put_item(TableName=self.table, Item={"PK": {"S": f"PROBE#{nonce}"}, "SK": {"S": "switch"}})
