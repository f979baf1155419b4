"""cdk-nag in one place: the pack the app applies, and the helper every suppression goes through.

A suppression without a reason is a bug: :func:`suppress` refuses short reasons, so each one says why
the rule does not apply here rather than just silencing it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import App, Aspects
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagReportFormat, NagSuppressions
from constructs import IConstruct

PACK_PREFIX = "AwsSolutions-"


def apply_checks(app: App) -> None:
    """AwsSolutions checks on everything in the app; reports go to the output dir (CSV and JSON)."""
    Aspects.of(app).add(
        AwsSolutionsChecks(
            verbose=True,
            reports=True,
            report_formats=[NagReportFormat.CSV, NagReportFormat.JSON],
        )
    )


def suppress(
    construct: IConstruct,
    rule: str,
    reason: str,
    *,
    applies_to: Sequence[str] | None = None,
    children: bool = True,
) -> None:
    if len(reason) < 20:
        raise ValueError(f"suppression of {rule} needs a real reason, got {reason!r}")
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(
                id=f"{PACK_PREFIX}{rule}",
                reason=reason,
                applies_to=list(applies_to) if applies_to else None,
            )
        ],
        apply_to_children=children,
    )
