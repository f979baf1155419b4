"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized output; alarms and outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.assembly import REPO_ROOT, nag_findings
from infra.capabilities.functions import allowed_wildcards, flatten, wildcard_findings
from tests.infra.support import Synth

CFN_LINT_CONFIG = REPO_ROOT / "infra" / "cfnlintrc.yaml"


def test_no_unsuppressed_cdk_nag_errors(synth: Synth) -> None:
    errors = nag_findings(synth.assembly, "error")
    assert errors == [], "\n".join(f"{e.path}: {e.text[:300]}" for e in errors)


def test_no_unsuppressed_cdk_nag_warnings(synth: Synth) -> None:
    warnings = nag_findings(synth.assembly, "warning")
    assert warnings == [], "\n".join(f"{w.path}: {w.text[:300]}" for w in warnings)


def test_nag_report_is_written_and_clean(synth: Synth) -> None:
    (report,) = synth.outdir.glob(f"AwsSolutions-*{synth.stack.stack_name}-NagReport.json")
    rows = json.loads(report.read_text())["lines"]
    assert rows, "the report lists the rules it checked"
    assert {r["compliance"] for r in rows} <= {"Compliant", "Suppressed"}
    assert list(synth.outdir.glob(f"AwsSolutions-*{synth.stack.stack_name}-NagReport.csv"))


def test_every_suppression_has_a_reason(synth: Synth) -> None:
    seen = 0
    for lid, resource in synth.template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert rule["id"].startswith("AwsSolutions-"), lid
            assert len(rule["reason"]) >= 20, (lid, rule)
            seen += 1
    assert seen


def test_cfn_lint_passes_on_every_template(synth: Synth) -> None:
    templates = sorted(str(p) for p in Path(synth.outdir).glob("*.template.json"))
    assert templates
    cli = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cli), "--config-file", str(CFN_LINT_CONFIG), *templates],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alarms_cover_dlqs_queues_functions_and_the_api(synth: Synth) -> None:
    alarms = synth.resources("AWS::CloudWatch::Alarm")  # DLQs (+ the async DLQ), queues, functions, API, metrics
    n_queues = len(synth.manifest.queues())
    expected = (n_queues + 1) + n_queues + 2 * len(synth.manifest.functions) + 1 + len(synth.manifest.metric_alarms)
    assert len(alarms) == expected
    topic = synth.logical_id_of("AWS::SNS::Topic")
    for lid, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": topic}], lid
        assert props["ComparisonOperator"] == "GreaterThanThreshold", lid
    metrics = sorted({p["MetricName"] for p in alarms.values()})
    assert metrics == sorted(
        {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "Errors", "Throttles", "5XXError"}
        | {m.metric for m in synth.manifest.metric_alarms}
    )
    synth.assertions.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [synth.logical_id_of("AWS::KMS::Key"), "Arn"]}}
    )


def test_outputs(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": synth.logical_id_of("AWS::SNS::Topic")}
    assert {"ApiUrl", "TableName", "DocumentsBucket", "EventBusName"} <= set(outputs)


def test_wildcard_review_flattens_like_cdk_nag() -> None:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]}
    assert flatten(arn) == "arn:<AWS::Partition>:s3:::<Bucket1.Arn>/*"


def test_wildcard_review_refuses_star_resources_beyond_xray_and_ecr() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    with pytest.raises(ValueError, match="Resource"):
        wildcard_findings(doc)
    ok = {"Statement": [{"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}]}
    assert wildcard_findings(ok) == ["Resource::*"]


@pytest.mark.parametrize(
    "finding",
    [
        "Action::s3:*",
        "Action::dynamodb:*",
        "Action::kms:*",
        "Resource::<Other.Arn>/index/*",
        "Resource::arn:aws:secretsmanager:ap-southeast-1:<AWS::AccountId>:secret:*",
        "Resource::arn:aws:secretsmanager:ap-southeast-1:<AWS::AccountId>:secret:/kiriman/prod/x*",
        "Resource::arn:aws:ssm:ap-southeast-1:<AWS::AccountId>:parameter/*",
    ],
)
def test_wildcard_allow_list_is_narrow(finding: str) -> None:
    allowed = allowed_wildcards("Table1", "Bucket1", "/kiriman/test/")
    assert not any(re.fullmatch(pattern, finding) for pattern, _ in allowed)
