"""The REST API: one resource/method per manifest route, the manifest's REQUEST authorizer on every
non-public route, stage throttling, X-Ray, access logs, and gateway responses in the project's error
envelope so that errors API Gateway produces itself look like the ones the functions return.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.nag import suppress
from kiriman.wiring import Manifest, physical_name

# The gateway's own message, already rendered as a JSON string literal by API Gateway.
GATEWAY_MESSAGE = "$context.error.messageString"


def envelope(code: str, message: str | None = None) -> str:
    """The project's error body; ``message`` None means the gateway's own message."""
    rendered = GATEWAY_MESSAGE if message is None else json.dumps(message)
    return (
        '{"error": {"code": "' + code + '", "message": ' + rendered + ', "details": []}, '
        '"request_id": "$context.requestId"}'
    )


# response type -> (status code or None to keep the gateway's, error code, fixed message or None)
GATEWAY_RESPONSES: dict[str, tuple[str | None, str, str | None]] = {
    "DEFAULT_4XX": (None, "bad_request", None),
    "DEFAULT_5XX": (None, "internal_error", "Internal server error"),
    "UNAUTHORIZED": ("401", "unauthorized", None),
    "ACCESS_DENIED": ("403", "forbidden", None),
    "THROTTLED": ("429", "throttled", "Too many requests"),
    # API Gateway answers unknown paths with 403 "Missing Authentication Token"; say what it means.
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", "Not found"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", None),
}

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "resource": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integration.latency",
        "principal": "$context.authorizer.principalId",
        "error": "$context.error.message",
        "authorizerError": "$context.authorizer.error",
        "xrayTraceId": "$context.xrayTraceId",
    }
)


class Api(Construct):
    """Built in two steps, like messaging: the API exists first so that functions can be told its URL
    (``Access.public_url``), then :meth:`connect` adds the authorizer and one method per route."""

    def __init__(self, scope: Construct, cid: str, *, manifest: Manifest, config: StageConfig) -> None:
        super().__init__(scope, cid)
        self._manifest = manifest
        self._config = config
        self.authorizer: apigw.RequestAuthorizer | None = None
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=physical_name(manifest.app, config.stage, "api"),
            description=f"{manifest.app} {config.stage} HTTP API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging (ERROR level) needs the account-level CloudWatch role in this region.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request/response bodies carry tokens and addresses
                metrics_enabled=False,  # per-method metrics cost; the API-level 5XXError metric is free
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
            ),
        )
        for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
            self.rest_api.add_gateway_response(
                f"{response_type.title().replace('_', '')}Response",
                type=apigw.ResponseType.of(response_type),
                status_code=status,
                templates={"application/json": envelope(code, message)},
            )

        suppress(
            self.rest_api,
            "APIG2",
            "Lambda proxy integrations validate bodies and parameters with pydantic and answer in the "
            "project's error envelope; gateway-side validation would duplicate the models and differ.",
        )
        suppress(
            self.rest_api.deployment_stage,
            "APIG3",
            "No WAF web ACL yet: stage throttling and the key authorizer bound abuse; a web ACL costs "
            "about 6 USD/month idle and is listed as a follow-up in docs/deploy.md.",
        )
        cloud_watch_role = self.rest_api.node.try_find_child("CloudWatchRole")
        if cloud_watch_role is not None:
            suppress(
                cloud_watch_role,
                "IAM4",
                "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-managed policy made for API Gateway's "
                "account-level logging role; it grants log writes only.",
                applies_to=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                ],
            )

    def connect(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """The authorizer and one method per manifest route, each integrated with its function."""
        manifest = self._manifest
        routes = manifest.routes()
        if not routes:
            raise ValueError("the manifest has no HTTP routes; the stack's REST API needs at least one")
        if any(not r.public for _, r in routes):
            found = manifest.authorizer()
            if found is None:
                raise ValueError("the manifest has non-public routes but no authorizer function")
            fn, trigger = found
            self.authorizer = apigw.RequestAuthorizer(
                self,
                "Authorizer",
                authorizer_name=physical_name(manifest.app, self._config.stage, fn.name),
                handler=functions[fn.name],
                identity_sources=[apigw.IdentitySource.header(trigger.identity_header)],
                results_cache_ttl=Duration.seconds(trigger.cache_seconds),
            )

        integrations: dict[str, apigw.LambdaIntegration] = {}
        for fn, route in routes:
            if fn.name not in integrations:
                # One invoke permission per function for the whole API instead of two per method:
                # a function's resource policy is limited to 20 KB, which a long route list would exceed.
                integrations[fn.name] = apigw.LambdaIntegration(
                    functions[fn.name], proxy=True, scope_permission_to_method=False
                )
            resource = self.rest_api.root.resource_for_path(route.path)
            method = resource.add_method(
                route.method,
                integrations[fn.name],
                authorization_type=apigw.AuthorizationType.NONE if route.public else apigw.AuthorizationType.CUSTOM,
                authorizer=None if route.public else self.authorizer,
            )
            self.methods[(route.method, route.path)] = method
            if route.public:
                suppress(
                    method,
                    "APIG4",
                    "Marked public in the manifest: webhooks, OAuth callback and health authenticate by "
                    "signature or signed state inside the function, not by API key.",
                )
            suppress(
                method,
                "COG4",
                "Callers are merchants' systems using API keys checked by the Lambda REQUEST authorizer "
                "(or public signed routes); there is no Cognito user pool by design.",
            )

    @property
    def url(self) -> str:
        return self.rest_api.url

    @property
    def base_url(self) -> str:
        """The stage's base URL without a trailing slash, built from the API id rather than the Stage
        resource: functions may carry it in their environment, and the Stage depends on them (through
        the deployment and its methods), so referencing the Stage would be a cycle."""
        stack = Stack.of(self)
        return f"https://{self.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{self._config.stage}"
