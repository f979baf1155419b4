"""Shared fixtures: moto in-process (``aws``) and handler loading by manifest entry."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
REGION = "ap-southeast-1"
SHOPEE_SECRET = {
    "partner_id": 2001234,
    "partner_key": "test-partner-key-0123456789abcdef",
    "host": "http://127.0.0.1:9",  # tests that call Shopee start the sandbox and point here
    "push_callback_url": "https://forwarder.example/webhooks/shopee",
    "state_key": "test-state-key",
}


def load_handler_module(folder: str, module: str = "app", alias: str | None = None) -> ModuleType:
    """Import ``<folder>/<module>.py`` under a unique name (every function has an ``app.py``)."""
    path = ROOT / folder / f"{module}.py"
    name = alias or f"fn_{folder.replace('/', '_')}_{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def aws_env() -> Iterator[dict[str, str]]:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    with mock.patch.dict(os.environ, env):
        os.environ.pop("AWS_ENDPOINT_URL", None)
        yield env


_DYNAMO_LOCK = threading.Lock()


@pytest.fixture
def aws(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with the stage's table, bus and bucket; yields the resource names.

    moto checks a condition and writes without a lock, so two threads can both win a conditional put
    that DynamoDB would give to one; DynamoDB calls are serialised here, as the local stack does.
    """
    import boto3
    import botocore.client
    from moto import mock_aws

    from kiriman.storage.models import table_schema

    original = botocore.client.BaseClient._make_api_call

    def serialised(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            with _DYNAMO_LOCK:
                return original(self, operation_name, api_params)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", serialised)
    with mock_aws():
        schema = table_schema()
        ttl = schema.pop("TtlAttribute")
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(TableName="kiriman-test-table", **schema)
        ddb.update_time_to_live(
            TableName="kiriman-test-table", TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )
        boto3.client("events", region_name=REGION).create_event_bus(Name="kiriman-test-events")
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="kiriman-test-documents", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key(Description="kiriman test")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/kiriman-test", TargetKeyId=key_id)
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="/kiriman/test/shopee", SecretString=json.dumps(SHOPEE_SECRET)
        )
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {
            q: sqs.create_queue(QueueName=f"kiriman-test-{q}")["QueueUrl"]
            for q in ("shop-sync", "render-documents", "fulfil-held")
        }
        yield {
            "table": "kiriman-test-table",
            "bus": "kiriman-test-events",
            "bucket": "kiriman-test-documents",
            "queues": queues,
        }


@pytest.fixture
def function_env(aws: dict[str, Any]) -> Iterator[Any]:
    """``function_env("api")`` sets that function's manifest environment for the test's duration."""
    from kiriman.manifest import MANIFEST
    from kiriman.wiring import ResourceNames, function_environment

    patches: list[Any] = []

    def apply(name: str, queue_urls: dict[str, str] | None = None) -> dict[str, str]:
        names = ResourceNames(
            stage="test",
            region=REGION,
            table=aws["table"],
            bucket=aws["bucket"],
            bus=aws["bus"],
            queue_urls={**aws["queues"], **(queue_urls or {})},
            public_api_url="https://api.forwarder.example",
        )
        env = function_environment(MANIFEST, MANIFEST.function(name), names)
        p = mock.patch.dict(os.environ, env)
        p.start()
        patches.append(p)
        return env

    yield apply
    for p in reversed(patches):
        p.stop()


@pytest.fixture
def clock() -> Any:
    from kiriman.clock import FixedClock

    return FixedClock()
