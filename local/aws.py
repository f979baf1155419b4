"""boto3 clients of the runner itself, always pointed at moto with test credentials.

The runner never reads the caller's AWS profile: every client gets the endpoint and the fixed
``testing`` credentials explicitly, so a mistake here cannot reach a real account.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from local.config import ACCESS_KEY, REGION, SECRET_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

# Pollers long-poll from many threads at once; the default pool of 10 connections would serialise them.
_CONFIG = Config(max_pool_connections=64, retries={"max_attempts": 3, "mode": "standard"})


class Aws:
    """Lazily built, thread-safe clients (botocore clients may be shared between threads)."""

    def __init__(self, endpoint_url: str, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=region
        )

    @cached_property
    def sqs(self) -> SQSClient:
        return self._session.client("sqs", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._session.client("dynamodb", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def s3(self) -> S3Client:
        return self._session.client("s3", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def events(self) -> EventBridgeClient:
        return self._session.client("events", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def secrets(self) -> SecretsManagerClient:
        return self._session.client("secretsmanager", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def ssm(self) -> SSMClient:
        return self._session.client("ssm", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def kms(self) -> KMSClient:
        return self._session.client("kms", endpoint_url=self.endpoint_url, config=_CONFIG)

    def warm(self) -> None:
        """Build every client now, on one thread: building clients concurrently is not thread-safe."""
        for name in ("sqs", "dynamodb", "s3", "events", "secrets", "ssm", "kms"):
            getattr(self, name)
