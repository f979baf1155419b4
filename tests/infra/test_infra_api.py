"""The REST API: routes from the manifest, authorizer on non-public ones, envelope gateway responses."""

from __future__ import annotations

import json
from typing import Any

from infra.capabilities.api import GATEWAY_MESSAGE, GATEWAY_RESPONSES
from tests.infra.support import STAGE, Synth


def _paths(synth: Synth) -> dict[str, str]:
    """logical id of each AWS::ApiGateway::Resource (and the root) -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    api_id = synth.logical_id_of("AWS::ApiGateway::RestApi")

    def path(lid: str) -> str:
        props = resources[lid]
        parent = props["ParentId"]
        prefix = "" if parent == {"Fn::GetAtt": [api_id, "RootResourceId"]} else path(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {lid: path(lid) for lid in resources}


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(synth)
    out = {}
    for props in synth.resources("AWS::ApiGateway::Method").values():
        ref = props["ResourceId"]
        path = paths[ref["Ref"]] if "Ref" in ref else "/"
        out[(props["HttpMethod"], path)] = props
    return out


def test_one_method_per_route(synth: Synth) -> None:
    methods = _methods(synth)
    assert set(methods) == {(r.method, r.path) for _, r in synth.manifest.routes()}


def test_public_routes_skip_the_authorizer_and_the_rest_use_it(synth: Synth) -> None:
    authorizer = synth.logical_id_of("AWS::ApiGateway::Authorizer")
    methods = _methods(synth)
    assert any(r.public for _, r in synth.manifest.routes())
    for fn, route in synth.manifest.routes():
        m = methods[(route.method, route.path)]
        if route.public:
            assert m["AuthorizationType"] == "NONE", route
            assert "AuthorizerId" not in m, route
        else:
            assert m["AuthorizationType"] == "CUSTOM", route
            assert m["AuthorizerId"] == {"Ref": authorizer}, route
        uri = json.dumps(m["Integration"]["Uri"])
        assert m["Integration"]["Type"] == "AWS_PROXY"
        assert synth.function_id(fn.name) in uri, route


def test_authorizer_is_the_manifest_authorizer(synth: Synth) -> None:
    found = synth.manifest.authorizer()
    assert found is not None
    fn, trigger = found
    (props,) = synth.resources("AWS::ApiGateway::Authorizer").values()
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == f"method.request.header.{trigger.identity_header}"
    assert props["AuthorizerResultTtlInSeconds"] == trigger.cache_seconds
    assert synth.function_id(fn.name) in json.dumps(props["AuthorizerUri"])


def test_one_invoke_permission_per_api_function(synth: Synth) -> None:
    api_functions = {fn.name for fn, _ in synth.manifest.routes()}
    api_id = synth.logical_id_of("AWS::ApiGateway::RestApi")
    perms = [
        p
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Principal"] == "apigateway.amazonaws.com" and api_id in json.dumps(p["SourceArn"])
    ]
    # one per route-serving function, plus the authorizer's
    assert len(perms) == len(api_functions) + 1


def test_gateway_responses_use_the_error_envelope(synth: Synth) -> None:
    responses = {p["ResponseType"]: p for p in synth.resources("AWS::ApiGateway::GatewayResponse").values()}
    assert set(responses) == set(GATEWAY_RESPONSES)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for response_type, (status, code, _) in GATEWAY_RESPONSES.items():
        props = responses[response_type]
        assert props.get("StatusCode") == status
        template = props["ResponseTemplates"]["application/json"]
        body = json.loads(template.replace(GATEWAY_MESSAGE, '"gateway says"'))
        assert body == {
            "error": {"code": code, "message": body["error"]["message"], "details": []},
            "request_id": "$context.requestId",
        }
        assert isinstance(body["error"]["message"], str)
    assert (
        json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])["error"]["code"]
        == "not_found"
    )


def test_stage_throttling_tracing_and_access_logs(synth: Synth) -> None:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    assert stage["StageName"] == STAGE
    assert stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    log = stage["AccessLogSetting"]
    assert json.loads(log["Format"])["requestId"] == "$context.requestId"
    destination = json.dumps(log["DestinationArn"])
    assert any(lid in destination for lid in synth.resources("AWS::Logs::LogGroup"))
