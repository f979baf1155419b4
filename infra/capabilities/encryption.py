"""The stage's customer-managed KMS key: table, queues, bucket, secrets and the alarm topic use it."""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig

# Services that write into KMS-encrypted resources on our behalf and so must be allowed by the key
# policy: EventBridge delivering failed events to a KMS-encrypted SQS dead-letter queue, and CloudWatch
# alarms publishing to the KMS-encrypted SNS topic.
SERVICE_USERS = ("events.amazonaws.com", "cloudwatch.amazonaws.com")


class Encryption(Construct):
    def __init__(self, scope: Construct, cid: str, *, app_name: str, config: StageConfig) -> None:
        super().__init__(scope, cid)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{app_name}-{config.stage}",
            description=f"{app_name} {config.stage}: table, queues, documents, secrets, alarms",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
            pending_window=Duration.days(30 if config.retains_data else 7),
        )
        for service in SERVICE_USERS:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Allow{service.split('.')[0].title()}ToUseTheKey",
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )
