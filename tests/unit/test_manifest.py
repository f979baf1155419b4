"""The wiring manifest matches the functions on disk, and every handler imports with its own env."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from unittest import mock

import pytest
from pydantic import ValidationError

from kiriman.manifest import MANIFEST
from kiriman.wiring import (
    Access,
    Function,
    HttpTrigger,
    Manifest,
    QueueTrigger,
    ResourceNames,
    Route,
    ScheduleTrigger,
    function_environment,
)
from tests.conftest import ROOT, load_handler_module

# Routes that authenticate by signature or signed state instead of a key. Adding one here is a
# security decision: docs/security.md must say what it trusts.
ALLOWED_PUBLIC = {
    ("GET", "/v1/health"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/docs"),
    ("GET", "/v1/shops/callback"),  # proven by the signed, single-use state
    ("POST", "/webhooks/shopee"),  # proven by Shopee's push signature
}


def test_every_function_folder_has_an_entry_and_back() -> None:
    folders = {p.name for p in (ROOT / "functions").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    entries = {f.name for f in MANIFEST.functions}
    assert folders == entries


@pytest.mark.parametrize("fn", MANIFEST.functions, ids=lambda f: f.name)
def test_handler_imports_with_its_manifest_environment(fn: Function) -> None:
    names = ResourceNames(
        stage="test",
        region="ap-southeast-1",
        table="tbl",
        bucket="bkt",
        bus="bus",
        queue_urls={q: f"https://sqs/{q}" for q in MANIFEST.queues()},
        public_api_url="https://api.example",
    )
    env = function_environment(MANIFEST, fn, names)
    module, attr = fn.handler.rsplit(".", 1)
    assert (ROOT / fn.folder / f"{module}.py").exists()
    with mock.patch.dict(os.environ, env, clear=True):
        mod = load_handler_module(fn.folder, module, alias=f"import_check_{fn.name}")
        assert callable(getattr(mod, attr))
        # The settings model named in the manifest is satisfied by the environment alone.
        settings_module, cls = fn.settings.split(":")
        getattr(importlib.import_module(settings_module), cls)()


def test_public_routes_are_exactly_the_allowed_list() -> None:
    assert {(r.method, r.path) for r in MANIFEST.public_routes()} == ALLOWED_PUBLIC


def test_api_routes_match_the_resolver() -> None:
    """Every manifest route is served by the resolver and the resolver serves no unlisted route."""
    with mock.patch.dict(os.environ, {"STAGE": "t", "TABLE_NAME": "tbl", "EVENT_BUS_NAME": "bus"}):
        from kiriman.api.app import resolver

        app = resolver()
        served = {(r.method, r.openapi_path) for r in app._static_routes + app._dynamic_routes}
    declared = {(r.method, r.path) for f, r in MANIFEST.routes() if f.name == "api"}
    assert served == declared


def test_manifest_rejects_inconsistencies() -> None:
    base = dict(description="d", settings="kiriman.settings:Base")
    with pytest.raises(ValidationError, match="no function consumes"):
        Manifest(
            functions=(
                Function(
                    name="fa",
                    triggers=(ScheduleTrigger(expression="rate(1 minute)"),),
                    access=Access(send_queues=("nowhere",)),
                    **base,
                ),
            )
        )
    with pytest.raises(ValidationError, match="two consumers"):
        Manifest(
            functions=(
                Function(name="fa", triggers=(QueueTrigger(queue="qq"),), **base),
                Function(name="fb", triggers=(QueueTrigger(queue="qq"),), **base),
            )
        )
    with pytest.raises(ValidationError, match="served by"):
        r = HttpTrigger(routes=(Route(method="GET", path="/v1/x"),))
        Manifest(functions=(Function(name="fa", triggers=(r,), **base), Function(name="fb", triggers=(r,), **base)))
    with pytest.raises(ValidationError, match="rate"):
        ScheduleTrigger(expression="every minute")
    with pytest.raises(ValidationError):
        QueueTrigger(queue="qq", max_concurrency=1)


def test_route_matching_prefers_literals() -> None:
    base = dict(description="d", settings="kiriman.settings:Base")
    m = Manifest(
        functions=(
            Function(
                name="fa",
                triggers=(
                    HttpTrigger(
                        routes=(Route(method="GET", path="/v1/x/{id}"), Route(method="GET", path="/v1/x/special"))
                    ),
                ),
                **base,
            ),
        )
    )
    found = m.route_for("GET", "/v1/x/special")
    assert found and found[1].path == "/v1/x/special"
    found = m.route_for("GET", "/v1/x/42")
    assert found and found[2] == {"id": "42"}
    assert m.route_for("POST", "/v1/x/42") is None
    assert m.route_for("GET", "/v1/x/42/more") is None


def test_schedule_rates() -> None:
    assert ScheduleTrigger(expression="rate(5 minutes)").rate_seconds() == 300
    assert ScheduleTrigger(expression="rate(1 day)").rate_seconds() == 86400
    assert ScheduleTrigger(expression="cron(0 2 * * ? *)").rate_seconds() is None


def test_environment_is_least_privilege() -> None:
    names = ResourceNames(stage="s", region="r", table="t", bucket="b", bus="e", queue_urls={})
    env = function_environment(MANIFEST, MANIFEST.function("authorizer"), names)
    assert "TABLE_NAME" in env and "EVENT_BUS_NAME" not in env and "BUCKET_NAME" not in env


def test_manifest_module_imports_neither_cdk_nor_boto3() -> None:
    for name in ("wiring.py", "manifest.py"):
        text = (ROOT / "layers" / "kiriman" / name).read_text()
        assert "import boto3" not in text and "aws_cdk" not in text and "botocore" not in text


def test_sandboxes_import_nothing_from_the_shared_package() -> None:
    for path in Path(ROOT / "local").rglob("*sandbox*/**/*.py"):
        assert "kiriman" not in path.read_text(), path
