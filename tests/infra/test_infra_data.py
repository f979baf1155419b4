"""The single table (from the PynamoDB models' schema) and the documents bucket."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from pynamodb.attributes import NumberAttribute

from infra.capabilities.storage import LABELS_PREFIX, RAW_PREFIX
from infra.config import StageConfig
from kiriman.storage.models import Entity, table_schema
from kiriman.wiring import physical_name
from tests.infra.support import STAGE, Synth


def _table(synth: Synth) -> dict[str, Any]:
    (props,) = synth.resources("AWS::DynamoDB::Table").values()
    return props


def test_table_keys_and_indexes_match_the_models(synth: Synth) -> None:
    schema, props = table_schema(), _table(synth)
    assert props["KeySchema"] == schema["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        schema["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    by_name = {g["IndexName"]: g for g in props["GlobalSecondaryIndexes"]}
    assert sorted(by_name) == sorted(g["IndexName"] for g in schema["GlobalSecondaryIndexes"])
    assert {"GSI1", "GSI2", "DUE"} <= set(by_name)
    for gsi in schema["GlobalSecondaryIndexes"]:
        assert by_name[gsi["IndexName"]]["KeySchema"] == gsi["KeySchema"]
        assert by_name[gsi["IndexName"]]["Projection"] == gsi["Projection"]


def test_table_matches_the_pynamodb_models_themselves(synth: Synth) -> None:
    """Against the models' own schema too, so a drift between table_schema() and the models shows."""
    model, props = Entity._get_schema(), _table(synth)

    def keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
        return sorted((k["KeyType"], k["AttributeName"]) for k in schema)

    def attrs(defs: list[dict[str, str]]) -> list[tuple[str, str]]:
        return sorted((a["AttributeName"], a["AttributeType"]) for a in defs)

    assert keys(props["KeySchema"]) == keys(model["key_schema"])
    assert attrs(props["AttributeDefinitions"]) == attrs(model["attribute_definitions"])
    want = {g["index_name"]: (keys(g["key_schema"]), g["projection"]) for g in model["global_secondary_indexes"]}
    got = {g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]) for g in props["GlobalSecondaryIndexes"]}
    assert got == want
    ttl = props["TimeToLiveSpecification"]["AttributeName"]
    assert isinstance(Entity.get_attributes()[ttl], NumberAttribute)  # TTL must be epoch seconds


def test_table_settings(synth: Synth) -> None:
    key_id = synth.logical_id_of("AWS::KMS::Key")
    synth.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": physical_name(synth.manifest.app, STAGE, "table"),
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            },
        },
    )
    assert table_schema()["TtlAttribute"] == "expires_at"


def test_key_rotates(synth: Synth) -> None:
    synth.assertions.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_test_stage_is_disposable(synth: Synth) -> None:
    (lid,) = synth.resources("AWS::DynamoDB::Table")
    assert synth.resource(lid)["DeletionPolicy"] == "Delete"
    assert _table(synth).get("DeletionProtectionEnabled", False) is False


@pytest.mark.parametrize(
    ("context", "retains"),
    [
        ({}, False),
        ({"stage": "prod"}, True),
        ({"stage": "prod", "retain": "false"}, False),
        ({"stage": "staging", "retain": "true"}, True),
    ],
)
def test_retention_follows_the_stage(context: dict[str, str], retains: bool) -> None:
    config = StageConfig.from_context(context.get)
    assert config.retains_data is retains
    assert config.region == "ap-southeast-1"


def test_context_values_arrive_as_strings() -> None:
    config = StageConfig.from_context({"label_retention_days": "90", "api_rate_limit": "12.5"}.get)
    assert (config.label_retention_days, config.api_rate_limit) == (90, 12.5)
    with pytest.raises(ValueError, match="log_retention_days"):
        StageConfig.from_context({"log_retention_days": "31"}.get)


def _documents(synth: Synth) -> tuple[str, dict[str, Any]]:
    buckets = synth.resources("AWS::S3::Bucket")
    (lid,) = [lid for lid, p in buckets.items() if p.get("VersioningConfiguration")]
    return lid, buckets[lid]


def test_documents_bucket(synth: Synth) -> None:
    lid, props = _documents(synth)
    key_id = synth.logical_id_of("AWS::KMS::Key")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    logs = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert logs != lid and logs in synth.resources("AWS::S3::Bucket")
    assert synth.resource(lid)["DeletionPolicy"] == "Retain"


def test_documents_lifecycle(synth: Synth) -> None:
    _, props = _documents(synth)
    rules = {r.get("Prefix"): r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules[LABELS_PREFIX]["ExpirationInDays"] == 180
    assert rules[RAW_PREFIX]["ExpirationInDays"] == 30
    assert rules[None]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert all(r["Status"] == "Enabled" for r in rules.values())


def test_both_buckets_are_ssl_only(synth: Synth) -> None:
    synth.assertions.resource_count_is("AWS::S3::BucketPolicy", 2)
    synth.assertions.all_resources_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
