"""CloudWatch metrics as embedded-metric-format log lines (powertools), so alarms need no API calls."""

from __future__ import annotations

import os

from aws_lambda_powertools.metrics import MetricUnit, single_metric


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """A count; alarms (the manifest's ``metric_alarms``) watch the dimensionless series, so pass
    dimensions only for metrics nobody alarms on, and put details in the log line instead."""
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "kiriman")
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace) as metric:
        for k, v in dimensions.items():
            metric.add_dimension(name=k, value=str(v))
