"""The documents bucket (labels, packing lists, raw vendor payloads) and its access-log bucket.

Both buckets are retained when the stack is deleted, in every stage: emptying a bucket needs a
custom-resource Lambda that we would rather not ship, and documents outlive a stack by design.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig

# Object key prefixes with their own expiry (context: label_retention_days, raw_retention_days).
LABELS_PREFIX = "labels/"
RAW_PREFIX = "raw/"
ACCESS_LOG_PREFIX = "documents/"


class Storage(Construct):
    def __init__(self, scope: Construct, cid: str, *, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, cid)
        # Server access logs cannot be delivered to an SSE-KMS bucket, so this one uses SSE-S3. It has no
        # access log of its own (cdk-nag's S1 recognises it as a log target and does not ask for one).
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=False,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(config.access_log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        self.bucket = s3.Bucket(
            self,
            "Documents",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-labels",
                    prefix=LABELS_PREFIX,
                    expiration=Duration.days(config.label_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-raw",
                    prefix=RAW_PREFIX,
                    expiration=Duration.days(config.raw_retention_days),
                ),
                s3.LifecycleRule(
                    # Versioning protects against overwrites; old versions need not live forever.
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(config.noncurrent_version_days),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
