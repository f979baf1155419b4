"""Creates in moto the resources the CDK stack creates on AWS, from the same manifest.

Names come from ``kiriman.wiring.physical_name`` so a function's environment is identical in shape
on both sides. Two things exist only locally: one internal queue (with its DLQ) per bus-triggered
function, which the bus rules target so the runner can deliver events the way EventBridge would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiriman.storage.models import table_schema
from kiriman.wiring import BusTrigger, Function, Manifest, ResourceNames, physical_name
from local.aws import Aws
from local.config import REGION, STAGE

DLQ_RETENTION_S = 14 * 24 * 3600
BUS_MAX_RECEIVES = 4  # the first delivery plus three retries, then the internal DLQ


@dataclass
class Provisioned:
    app: str
    table: str
    bucket: str
    bus: str
    bus_arn: str
    kms_key_id: str
    kms_alias: str
    queue_urls: dict[str, str] = field(default_factory=dict)  # short name -> URL
    dlq_urls: dict[str, str] = field(default_factory=dict)  # short name (of the main queue) -> URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    bus_queue_urls: dict[str, str] = field(default_factory=dict)  # function name -> URL
    bus_dlq_urls: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # short name -> full name
    parameters: dict[str, str] = field(default_factory=dict)

    def names(self, public_api_url: str) -> ResourceNames:
        return ResourceNames(
            stage=STAGE,
            region=REGION,
            table=self.table,
            bucket=self.bucket,
            bus=self.bus,
            queue_urls=dict(self.queue_urls),
            kms_key=self.kms_key_id,
            public_api_url=public_api_url,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "table": self.table,
            "bucket": self.bucket,
            "bus": self.bus,
            "bus_arn": self.bus_arn,
            "kms_key_id": self.kms_key_id,
            "kms_alias": self.kms_alias,
            "queues": dict(self.queue_urls),
            "dlqs": dict(self.dlq_urls),
            "bus_queues": dict(self.bus_queue_urls),
            "bus_dlqs": dict(self.bus_dlq_urls),
            "secrets": dict(self.secrets),
            "parameters": dict(self.parameters),
        }


def visibility_timeout(fn: Function, time_scale: float, min_timeout_s: float = 0.0) -> int:
    """AWS recommends six times the consumer's timeout (the one it really gets: scaled, with the
    floor), rounded up, at least one second; otherwise a message reappears while still in work."""
    return max(1, math.ceil(6 * max(fn.timeout_s * time_scale, min_timeout_s) - 1e-9))


def bus_queue_name(app: str, function: str) -> str:
    return f"{app}-{STAGE}-bus-{function}"


def provision(
    aws: Aws,
    manifest: Manifest,
    time_scale: float,
    secret_values: Mapping[str, str] | None = None,
    min_timeout_s: float = 0.0,
) -> Provisioned:
    app = manifest.app
    name = lambda short: physical_name(app, STAGE, short)  # noqa: E731

    table = name("table")
    schema = dict(table_schema())
    ttl_attribute = schema.pop("TtlAttribute", None)
    aws.dynamodb.create_table(TableName=table, **schema)
    if ttl_attribute:
        aws.dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
        )

    bucket = name("documents")
    aws.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})  # type: ignore[typeddict-item]

    bus = name("events")
    bus_arn = aws.events.create_event_bus(Name=bus)["EventBusArn"]

    key_id = aws.kms.create_key(Description=f"{app} {STAGE} data key")["KeyMetadata"]["KeyId"]
    alias = f"alias/{app}-{STAGE}"
    aws.kms.create_alias(AliasName=alias, TargetKeyId=key_id)

    out = Provisioned(app=app, table=table, bucket=bucket, bus=bus, bus_arn=bus_arn, kms_key_id=key_id, kms_alias=alias)

    for short, (fn, trigger) in sorted(manifest.queues().items()):
        dlq_url, dlq_arn = _queue(aws, name(f"{short}-dlq"), {"MessageRetentionPeriod": str(DLQ_RETENTION_S)})
        url, arn = _queue(
            aws,
            name(short),
            {
                "VisibilityTimeout": str(visibility_timeout(fn, time_scale, min_timeout_s)),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": trigger.max_receive_count}
                ),
            },
        )
        out.queue_urls[short], out.dlq_urls[short], out.queue_arns[short] = url, dlq_url, arn

    for fn in manifest.functions:
        rules = fn.triggers_of(BusTrigger)
        if not rules:
            continue
        qname = bus_queue_name(app, fn.name)
        dlq_url, dlq_arn = _queue(aws, f"{qname}-dlq", {"MessageRetentionPeriod": str(DLQ_RETENTION_S)})
        url, arn = _queue(
            aws,
            qname,
            {
                "VisibilityTimeout": str(visibility_timeout(fn, time_scale, min_timeout_s)),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": BUS_MAX_RECEIVES}),
            },
        )
        out.bus_queue_urls[fn.name], out.bus_dlq_urls[fn.name] = url, dlq_url
        for i, rule in enumerate(rules):
            rule_name = name(f"{fn.name}-rule{i}")
            aws.events.put_rule(
                Name=rule_name, EventBusName=bus, EventPattern=json.dumps(rule.pattern()), State="ENABLED"
            )
            aws.events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[{"Id": f"local-{fn.name}", "Arn": arn}])

    prefix = f"/{app}/{STAGE}/"
    values = secret_values or {}
    for short in manifest.secrets:
        full = prefix + short
        aws.secrets.create_secret(Name=full, SecretString=values.get(short, "{}"))
        out.secrets[short] = full
    for short, value in sorted(manifest.parameters.items()):
        full = prefix + short
        aws.ssm.put_parameter(Name=full, Value=value, Type="String", Overwrite=True)
        out.parameters[short] = full
    return out


def _queue(aws: Aws, queue_name: str, attributes: dict[str, str]) -> tuple[str, str]:
    url = aws.sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn
