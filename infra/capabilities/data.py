"""The single DynamoDB table, declared from ``kiriman.storage.models.table_schema()`` so it cannot drift
from the PynamoDB models (keys, the GSI1/GSI2/DUE indexes, billing mode and the TTL attribute)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from kiriman.storage.models import table_schema
from kiriman.wiring import physical_name

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}
_BILLING = {
    "PAY_PER_REQUEST": dynamodb.BillingMode.PAY_PER_REQUEST,
}


def _keys(
    key_schema: list[dict[str, str]], types: dict[str, str]
) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    """(partition key, sort key or None) of a KeySchema."""
    by_type = {
        k["KeyType"]: dynamodb.Attribute(name=k["AttributeName"], type=_TYPES[types[k["AttributeName"]]])
        for k in key_schema
    }
    return by_type["HASH"], by_type.get("RANGE")


class Data(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        app_name: str,
        config: StageConfig,
        key: kms.IKey,
        schema: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, cid)
        schema = schema or table_schema()
        types = {a["AttributeName"]: a["AttributeType"] for a in schema["AttributeDefinitions"]}
        partition_key, sort_key = _keys(schema["KeySchema"], types)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=physical_name(app_name, config.stage, "table"),
            billing_mode=_BILLING[schema["BillingMode"]],
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=schema["TtlAttribute"],
            deletion_protection=config.retains_data,
            removal_policy=config.removal_policy,
            partition_key=partition_key,
            sort_key=sort_key,
        )
        for gsi in schema["GlobalSecondaryIndexes"]:
            gsi_partition, gsi_sort = _keys(gsi["KeySchema"], types)
            self.table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=gsi_partition,
                sort_key=gsi_sort,
                projection_type=_PROJECTIONS[gsi["Projection"]["ProjectionType"]],
            )
