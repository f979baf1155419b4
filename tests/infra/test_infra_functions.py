"""Functions: exactly the manifest's, with its sizes, arm64/python3.12, layers, env and grants."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any
from unittest import mock

import pytest
from aws_cdk.assertions import Match
from pydantic import ValidationError

from kiriman.wiring import Function, physical_name
from tests.infra.support import STAGE, Synth, resolve_dummies


def _settings_model(fn: Function) -> Any:
    module, _, cls = fn.settings.partition(":")
    return getattr(importlib.import_module(module), cls)


def _env(synth: Synth, fn: Function) -> dict[str, str]:
    props = synth.resources("AWS::Lambda::Function")[synth.function_id(fn.name)]
    variables = props["Environment"]["Variables"]
    env = {k: resolve_dummies(v) for k, v in variables.items()}
    # What Lambda itself sets in every execution environment.
    env["AWS_REGION"] = "ap-southeast-1"
    return env


def _policy_statements(synth: Synth, fn: Function) -> list[dict[str, Any]]:
    role = synth.resources("AWS::Lambda::Function")[synth.function_id(fn.name)]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for props in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in props["Roles"]:
            statements += props["PolicyDocument"]["Statement"]
    return statements


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for s in statements:
        out.update(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    return out


def test_exactly_the_manifest_functions(synth: Synth) -> None:
    names = {p["FunctionName"] for p in synth.resources("AWS::Lambda::Function").values()}
    assert names == {physical_name(synth.manifest.app, STAGE, f.name) for f in synth.manifest.functions}
    synth.assertions.resource_count_is("AWS::Lambda::Function", len(synth.manifest.functions))


def test_sizes_architecture_runtime_tracing(synth: Synth) -> None:
    functions = synth.resources("AWS::Lambda::Function")
    layer_ids = set(synth.resources("AWS::Lambda::LayerVersion"))
    for fn in synth.manifest.functions:
        props = functions[synth.function_id(fn.name)]
        assert props["MemorySize"] == fn.memory_mb, fn.name
        assert props["Timeout"] == fn.timeout_s, fn.name
        assert props["Architectures"] == ["arm64"], fn.name
        assert props["TracingConfig"] == {"Mode": "Active"}, fn.name
        assert "LogGroup" in props["LoggingConfig"], fn.name
        if fn.package == "zip":
            assert props["Runtime"] == "python3.12", fn.name
            assert props["Handler"] == fn.handler, fn.name
            assert {layer["Ref"] for layer in props["Layers"]} == layer_ids, fn.name
        else:
            assert props["PackageType"] == "Image", fn.name
            assert props["ImageConfig"]["Command"] == [fn.handler], fn.name
            assert "Runtime" not in props and "Layers" not in props, fn.name


def test_log_groups_keep_a_month(synth: Synth) -> None:
    groups = synth.resources("AWS::Logs::LogGroup")
    for fn in synth.manifest.functions:
        props = synth.resources("AWS::Lambda::Function")[synth.function_id(fn.name)]
        assert groups[props["LoggingConfig"]["LogGroup"]["Ref"]]["RetentionInDays"] == 30


def test_layers_are_arm64_python312(synth: Synth) -> None:
    synth.assertions.resource_count_is("AWS::Lambda::LayerVersion", 2)
    synth.assertions.all_resources_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleArchitectures": ["arm64"], "CompatibleRuntimes": ["python3.12"]},
    )


def test_environment_satisfies_each_settings_model(synth: Synth) -> None:
    for fn in synth.manifest.functions:
        env = _env(synth, fn)
        model = _settings_model(fn)
        with mock.patch.dict(os.environ, env, clear=True):
            settings = model()
        assert settings.stage == STAGE
        assert env["POWERTOOLS_SERVICE_NAME"] == f"{synth.manifest.app}-{fn.name}"
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"


def test_a_missing_required_variable_fails_the_settings(synth: Synth) -> None:
    checked = 0
    for fn in synth.manifest.functions:
        env = _env(synth, fn)
        model = _settings_model(fn)
        for name, field in model.model_fields.items():
            if not field.is_required():
                continue
            var = (field.validation_alias if isinstance(field.validation_alias, str) else name).upper()
            assert var in env, f"{fn.name}: {model.__name__} needs {var}, the stack does not set it"
            without = {k: v for k, v in env.items() if k != var}
            with mock.patch.dict(os.environ, without, clear=True), pytest.raises(ValidationError):
                model()
            checked += 1
    assert checked >= len(synth.manifest.functions)  # every model needs STAGE at least


def test_queue_urls_and_due_routes_are_json(synth: Synth) -> None:
    for fn in synth.manifest.functions:
        env = _env(synth, fn)
        queues = synth.manifest.sendable_queues(fn)
        if queues or fn.access.due_dispatch:
            assert sorted(json.loads(env["QUEUE_URLS"])) == sorted(queues), fn.name
        else:
            assert "QUEUE_URLS" not in env, fn.name
        if fn.access.due_dispatch:
            assert json.loads(env["DUE_ROUTES"]) == dict(synth.manifest.due_kinds)


def test_grants_follow_access_only(synth: Synth) -> None:
    queue_ids = {q: synth.queue_id(q) for q in synth.manifest.queues()}
    async_dlq = synth.queue_id("async-dlq")
    for fn in synth.manifest.functions:
        statements = _policy_statements(synth, fn)
        actions = _actions(statements)
        a = fn.access
        assert ("dynamodb:GetItem" in actions) == (a.table != "none"), fn.name
        assert ("dynamodb:PutItem" in actions) == (a.table == "write"), fn.name
        assert ("s3:GetObject*" in actions) == (a.bucket != "none"), fn.name
        assert ("s3:PutObject" in actions) == (a.bucket == "write"), fn.name
        assert ("events:PutEvents" in actions) == a.bus, fn.name
        # carrier-account readers get GetSecretValue too, on carrier-accounts/* only (infra/capabilities/functions.py)
        assert ("secretsmanager:GetSecretValue" in actions) == bool(a.secrets or a.carrier_accounts != "none"), \
            fn.name
        assert ("ssm:GetParameter" in actions) == bool(a.parameters), fn.name
        sent_to = {
            r["Fn::GetAtt"][0]
            for s in statements
            if "sqs:SendMessage" in s["Action"]
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        }
        expected = {queue_ids[q] for q in synth.manifest.sendable_queues(fn)}
        if any(t.kind in ("bus", "schedule") for t in fn.triggers):
            expected.add(async_dlq)  # on-failure destination of asynchronous invocations
        assert sent_to == expected, fn.name


def test_secret_and_parameter_grants_are_prefix_scoped(synth: Synth) -> None:
    fn = synth.manifest.function("fixture_next")
    resources = [
        json.dumps(s["Resource"])
        for s in _policy_statements(synth, fn)
        if "secretsmanager:GetSecretValue" in s["Action"] or "ssm:GetParameter" in s["Action"]
    ]
    assert any(f"secret:/{synth.manifest.app}/{STAGE}/carrier*" in r for r in resources), resources
    assert any(f"parameter/{synth.manifest.app}/{STAGE}/config*" in r for r in resources), resources


def test_secrets_and_parameters_are_created_under_the_stage_prefix(synth: Synth) -> None:
    base = f"/{synth.manifest.app}/{STAGE}/"
    secrets = {p["Name"] for p in synth.resources("AWS::SecretsManager::Secret").values()}
    assert secrets == {base + s for s in synth.manifest.secrets}
    synth.assertions.all_resources_properties("AWS::SecretsManager::Secret", {"KmsKeyId": Match.any_value()})
    params = {p["Name"]: p["Value"] for p in synth.resources("AWS::SSM::Parameter").values()}
    assert params == {base + k: v for k, v in synth.manifest.parameters.items()}


def test_image_function_synthesizes_from_its_folder(synth: Synth) -> None:
    images = [f for f in synth.manifest.functions if f.package == "image"]
    assert images, "the fixture manifest has an image function"
    assets = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    docker = assets.get("dockerImages", {})
    assert len(docker) == len(images)
    for asset in docker.values():
        source = asset["source"]
        assert source["platform"] == "linux/arm64"
        assert (synth.outdir / source["directory"] / "Dockerfile").is_file()
    for fn in images:
        props = synth.resources("AWS::Lambda::Function")[synth.function_id(fn.name)]
        assert "ImageUri" in props["Code"]


def test_key_and_public_url_reach_the_functions_that_ask(synth: Synth) -> None:
    key_id = synth.logical_id_of("AWS::KMS::Key")
    api_id = synth.logical_id_of("AWS::ApiGateway::RestApi")
    functions = synth.resources("AWS::Lambda::Function")
    for fn in synth.manifest.functions:
        variables = functions[synth.function_id(fn.name)]["Environment"]["Variables"]
        wants_key = fn.access.kms or fn.access.carrier_accounts != "none"  # wiring.function_environment
        assert ("KMS_KEY_ID" in variables) == wants_key, fn.name
        if wants_key:
            assert variables["KMS_KEY_ID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert ("PUBLIC_API_URL" in variables) == fn.access.public_url, fn.name
        if fn.access.public_url:
            url = resolve_dummies(variables["PUBLIC_API_URL"])
            assert url.startswith("https://") and url.endswith(f"/{STAGE}"), url
            assert api_id in json.dumps(variables["PUBLIC_API_URL"])
    assert any(f.access.kms for f in synth.manifest.functions)
    assert any(f.access.public_url for f in synth.manifest.functions)
