"""One Lambda function per manifest entry, with its own role, log group and environment.

Permissions come from ``Function.access`` only; nothing here grants by function name. The environment
is ``kiriman.wiring.function_environment`` (the same one the local stack uses) plus a few Powertools
switches, so a function's settings model sees the same variables in the cloud and locally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_dynamodb import ITable
from constructs import Construct, IConstruct

from infra.capabilities.layers import ARCHITECTURE, RUNTIME, Layers
from infra.capabilities.secrets import prefix
from infra.config import StageConfig
from infra.nag import suppress
from infra.naming import construct_id
from kiriman.wiring import Function, Manifest, ResourceNames, function_environment, physical_name

# Set on every function in addition to function_environment(): responses may carry shop tokens and
# labels, so the tracer must not copy them into X-Ray, and the logger must not log whole events.
POWERTOOLS_EXTRA = {
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    "POWERTOOLS_LOGGER_LOG_EVENT": "false",
}
ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "tests", ".pytest_cache", ".mypy_cache"]


@dataclass(frozen=True)
class Resources:
    """What a function can be granted access to."""

    key: kms.IKey
    table: ITable
    bucket: s3.IBucket
    bus: events.IEventBus
    queues: Mapping[str, sqs.IQueue]
    public_api_url: str


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        manifest: Manifest,
        config: StageConfig,
        resources: Resources,
        layers: Layers,
        repo_root: Path,
    ) -> None:
        super().__init__(scope, cid)
        self._manifest = manifest
        self._config = config
        self._resources = resources
        names = ResourceNames(
            stage=config.stage,
            region=Stack.of(self).region,
            table=resources.table.table_name,
            bucket=resources.bucket.bucket_name,
            bus=resources.bus.event_bus_name,
            queue_urls={name: q.queue_url for name, q in resources.queues.items()},
            kms_key=resources.key.key_arn,
            public_api_url=resources.public_api_url,
        )
        self.by_name: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for fn in manifest.functions:
            fid = construct_id(fn.name)
            role = iam.Role(
                self,
                f"{fid}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"{manifest.app} {config.stage} {fn.name}: exactly what its manifest entry grants",
            )
            log_group = logs.LogGroup(
                self,
                f"{fid}Logs",
                retention=config.log_retention,
                removal_policy=config.removal_policy,
            )
            log_group.grant_write(role)
            common = {
                "function_name": physical_name(manifest.app, config.stage, fn.name),
                "description": fn.description[:256],
                "memory_size": fn.memory_mb,
                "timeout": Duration.seconds(fn.timeout_s),
                "architecture": ARCHITECTURE,
                "tracing": lambda_.Tracing.ACTIVE,
                "role": role,
                "log_group": log_group,
                "environment": function_environment(
                    # a manifest entry's own environment wins over these defaults
                    manifest,
                    fn,
                    names,
                    extra={k: v for k, v in POWERTOOLS_EXTRA.items() if k not in fn.environment},
                ),
            }
            folder = repo_root / fn.folder
            handler: lambda_.Function
            if fn.package == "image":
                if not (folder / "Dockerfile").is_file():
                    raise FileNotFoundError(f"{fn.name} is packaged as an image but {folder} has no Dockerfile")
                handler = lambda_.DockerImageFunction(
                    self,
                    fid,
                    code=lambda_.DockerImageCode.from_image_asset(
                        str(folder),
                        platform=ecr_assets.Platform.LINUX_ARM64,
                        cmd=[fn.handler],
                        exclude=ASSET_EXCLUDE,
                        # the Dockerfile copies the two layers' content: COPY --from=layers ...
                        build_contexts={"layers": str(layers.layers_dir)},
                    ),
                    **common,  # type: ignore[arg-type]
                )
            else:
                if not folder.is_dir():
                    raise FileNotFoundError(f"{fn.name}: no source folder {folder}")
                handler = lambda_.Function(
                    self,
                    fid,
                    runtime=RUNTIME,
                    handler=fn.handler,
                    code=lambda_.Code.from_asset(str(folder), exclude=ASSET_EXCLUDE),
                    layers=layers.all,
                    **common,  # type: ignore[arg-type]
                )
                suppress(
                    handler,
                    "L1",
                    "python3.12 is the project's fixed runtime (pyproject, layers and local stack are built "
                    "and tested for it); moving to a newer one is a deliberate project-wide change.",
                )
            self.by_name[fn.name] = handler
            self.roles[fn.name] = role
            self._grant(fn, handler, role)

    def _grant(self, fn: Function, handler: lambda_.IFunction, role: iam.Role) -> None:
        """Exactly ``fn.access`` (plus the due-kind queues of a due dispatcher), nothing by name."""
        access, res = fn.access, self._resources
        stack = Stack.of(self)
        if access.table == "read":
            res.table.grant_read_data(handler)
        elif access.table == "write":
            res.table.grant_read_write_data(handler)
        if access.bucket == "read":
            res.bucket.grant_read(handler)
        elif access.bucket == "write":
            res.bucket.grant_read_write(handler)
        for queue in self._manifest.sendable_queues(fn):
            res.queues[queue].grant_send_messages(handler)
        if access.bus:
            res.bus.grant_put_events_to(handler)
        base = prefix(self._manifest.app, self._config.stage)
        if access.secrets:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    resources=[
                        stack.format_arn(
                            service="secretsmanager",
                            resource="secret",
                            resource_name=f"{base}{p}*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                        for p in access.secrets
                    ],
                )
            )
            res.key.grant_decrypt(handler)  # the secrets are encrypted with the stage key
        if access.parameters:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    resources=[
                        stack.format_arn(service="ssm", resource="parameter", resource_name=f"{base.strip('/')}/{p}*")
                        for p in access.parameters
                    ],
                )
            )
        if access.carrier_accounts != "none":
            actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
            if access.carrier_accounts == "write":
                actions += ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
                            "secretsmanager:DeleteSecret", "secretsmanager:TagResource"]
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=actions,
                    resources=[
                        stack.format_arn(
                            service="secretsmanager",
                            resource="secret",
                            resource_name=f"{base}carrier-accounts/*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            )
            if access.carrier_accounts == "write":
                res.key.grant_encrypt_decrypt(handler)  # new secrets are encrypted with the stage key
            else:
                res.key.grant_decrypt(handler)
        if access.kms:
            res.key.grant_encrypt_decrypt(handler)

    def review_wildcards(self) -> None:
        """Suppress AwsSolutions-IAM5 on each role for exactly the wildcards its policy has, after
        checking every one against :func:`allowed_wildcards`. Call once all grants are made (the
        triggers add some); an unexpected wildcard fails the synth instead of being waved through."""
        stack = Stack.of(self)
        table_id = _logical_id(self._resources.table)
        bucket_id = _logical_id(self._resources.bucket)
        key_id = _logical_id(self._resources.key)
        # Services whose wildcard actions CDK grants, and the only resources they may apply to.
        scoped = {
            "kms:": {f"<{key_id}.Arn>"},
            "s3:": {f"<{bucket_id}.Arn>", f"<{bucket_id}.Arn>/*"},
        }
        stage_prefix = prefix(self._manifest.app, self._config.stage)
        allowed = allowed_wildcards(table_id, bucket_id, stage_prefix)
        for name, role in self.roles.items():
            policy = role.node.try_find_child("DefaultPolicy")
            if policy is None:
                continue
            document = stack.resolve(policy.node.default_child.policy_document)  # type: ignore[union-attr]
            findings = wildcard_findings(document)
            _check_scope(name, document, scoped)
            reasons: dict[str, None] = {}
            for finding in findings:
                reason = next((r for pattern, r in allowed if re.fullmatch(pattern, finding)), None)
                if reason is None:
                    raise ValueError(f"{name}: IAM wildcard {finding} is not allowed by allowed_wildcards()")
                reasons[reason] = None
            if findings:
                suppress(
                    role,
                    "IAM5",
                    "Wildcards produced by CDK grants for this function's manifest access, each matched "
                    "against allowed_wildcards() in infra/capabilities/functions.py: " + "; ".join(reasons) + ".",
                    applies_to=findings,
                )


# Statements whose only resource is "*" may hold only these actions (no resource-level permissions).
NO_RESOURCE_LEVEL_ACTIONS = frozenset(
    {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "ecr:GetAuthorizationToken"}
)


def allowed_wildcards(table_id: str, bucket_id: str, stage_prefix: str) -> list[tuple[str, str]]:
    """(regex on a cdk-nag IAM5 finding, why it is acceptable)."""
    return [
        (r"Resource::\*", "X-Ray tracing and ECR image pulls have no resource-level permissions"),
        (r"Action::kms:(GenerateDataKey|ReEncrypt)\*", "KMS data-key actions on the stage's own key"),
        (
            r"Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*",
            "S3 object actions of the bucket read/write grant",
        ),
        (rf"Resource::<{table_id}\.Arn>/index/\*", "the single table's own indexes"),
        (rf"Resource::<{bucket_id}\.Arn>/\*", "objects of the stage's documents bucket"),
        (
            r"Resource::arn:[^:]+:secretsmanager:[^:]+:<AWS::AccountId>:secret:"
            + re.escape(stage_prefix)
            + r"[a-z0-9_/-]+\*",
            "secrets under the stage prefix the manifest grants",
        ),
        (
            r"Resource::arn:[^:]+:ssm:[^:]+:<AWS::AccountId>:parameter/"
            + re.escape(stage_prefix.strip("/"))
            + r"/[a-z0-9_/-]+\*",
            "parameters under the stage prefix the manifest grants",
        ),
    ]


def flatten(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag prints it (``<Logical.Attr>``, ``<AWS::Region>``)."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, items = value["Fn::Join"]
        return str(sep).join(flatten(i) for i in items)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{flatten(resource)}.{flatten(attribute)}>"
    if isinstance(value, dict) and "Ref" in value:
        return f"<{flatten(value['Ref'])}>"
    return json.dumps(value)


def wildcard_findings(document: dict[str, Any]) -> list[str]:
    """cdk-nag's IAM5 findings for a policy document; also enforces NO_RESOURCE_LEVEL_ACTIONS."""
    found: dict[str, None] = {}
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        resources = [flatten(r) for r in _as_list(statement.get("Resource"))]
        if "*" in resources and not set(actions) <= NO_RESOURCE_LEVEL_ACTIONS:
            raise ValueError(f"Resource '*' granted for {actions}")
        for action in actions:
            if "*" in action:
                found[f"Action::{action}"] = None
        for resource in resources:
            if "*" in resource:
                found[f"Resource::{resource}"] = None
    return sorted(found)


def _check_scope(name: str, document: dict[str, Any], scoped: dict[str, set[str]]) -> None:
    """Actions of a scoped service may only apply to that service's resources in this stack."""
    for statement in document.get("Statement", []):
        actions = _as_list(statement.get("Action"))
        resources = {flatten(r) for r in _as_list(statement.get("Resource"))}
        for service, allowed in scoped.items():
            if any(a.startswith(service) for a in actions) and not resources <= allowed:
                raise ValueError(f"{name}: {service}* actions granted on {sorted(resources - allowed)}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(construct: IConstruct) -> str:
    default = construct.node.default_child
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(default)))  # type: ignore[arg-type]
