"""Alarms on everything that can fail quietly, all to one KMS-encrypted SNS topic.

- every dead-letter queue: a message is visible (something gave up);
- every function: errors and throttles;
- the API: any 5xx;
- every work queue: its oldest message is older than ``oldest_message_alarm_s`` (a stuck consumer);
- every domain metric the manifest lists in ``metric_alarms`` (rejected pushes, lost authorizations).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.naming import construct_id
from kiriman.wiring import MetricAlarm, physical_name

PERIOD = Duration.minutes(5)


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        app_name: str,
        config: StageConfig,
        key: kms.IKey,
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
        dlqs: Mapping[str, sqs.IQueue],
        rest_api: apigw.RestApi,
        metric_alarms: tuple[MetricAlarm, ...] = (),
    ) -> None:
        super().__init__(scope, cid)
        self._app = app_name
        self._stage = config.stage
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=physical_name(app_name, config.stage, "alarms"),
            display_name=f"{app_name} {config.stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        # enforce_ssl writes a topic policy, which replaces SNS's default one: say who may publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        for name, dlq in sorted(dlqs.items()):
            self._alarm(
                f"{name}-dlq-visible",
                dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                0,
                f"Messages are waiting in dead-letter queue {name}: something failed for good.",
            )
        for name, queue in sorted(queues.items()):
            self._alarm(
                f"{name}-oldest-message",
                queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                config.oldest_message_alarm_s,
                f"The oldest message in {name} is older than {config.oldest_message_alarm_s}s: "
                "its consumer is stuck, throttled or failing.",
            )
        for name, fn in sorted(functions.items()):
            self._alarm(
                f"{name}-errors",
                fn.metric_errors(period=PERIOD, statistic="Sum"),
                0,
                f"Function {name} raised errors.",
            )
            self._alarm(
                f"{name}-throttles",
                fn.metric_throttles(period=PERIOD, statistic="Sum"),
                0,
                f"Function {name} was throttled.",
            )
        for m in metric_alarms:
            self._alarm(
                f"metric-{m.metric}",
                cloudwatch.Metric(namespace=app_name, metric_name=m.metric, period=PERIOD, statistic="Sum"),
                m.threshold,
                m.description,
            )
        self._alarm(
            "api-5xx",
            rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
            0,
            "The API answered with 5xx.",
        )

    def _alarm(self, name: str, metric: cloudwatch.IMetric, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id(name),
            alarm_name=physical_name(self._app, self._stage, name),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms[name] = alarm
