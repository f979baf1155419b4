"""The manifest's domain-metric alarms exist in the template, on the dimensionless series."""

from __future__ import annotations

from tests.infra.support import Synth


def test_every_metric_alarm_is_in_the_template(synth: Synth) -> None:
    alarms = [r["Properties"] for r in synth.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    by_metric = {a.get("MetricName"): a for a in alarms}
    assert synth.manifest.metric_alarms
    for m in synth.manifest.metric_alarms:
        props = by_metric.get(m.metric)
        assert props is not None, m.metric
        assert props["Namespace"] == synth.manifest.app and props["Threshold"] == m.threshold
        assert not props.get("Dimensions")
