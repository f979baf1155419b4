"""Helpers of tests/infra; the session fixture that uses them is in conftest.py.

The stack is synthesized ONCE per session (synth takes seconds) from the real manifest plus fixture
functions that exercise what the real one does not have yet: queue consumers, bus rules, a second
schedule, secrets/parameters and a container-image function.

Layers come from a placeholder directory (the real build needs pip downloads); `make synth` builds the
real ones. A real function whose folder does not exist yet is pointed at a stub folder here; that every
manifest entry has its folder is tests/unit's job.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import cx_api
from aws_cdk.assertions import Template

from infra.assembly import REPO_ROOT
from infra.capabilities.layers import LAYERS
from infra.stack import KirimanStack
from kiriman.manifest import MANIFEST
from kiriman.wiring import (
    Access,
    BusTrigger,
    Function,
    Manifest,
    QueueTrigger,
    ScheduleTrigger,
    physical_name,
)

STAGE = "test"
REGION = "ap-southeast-1"
FIXTURES = Path(__file__).parent / "fixtures"
STUB = str((FIXTURES / "zip_stub").relative_to(REPO_ROOT))
RENDERER = str((FIXTURES / "renderer").relative_to(REPO_ROOT))

FIXTURE_FUNCTIONS = Manifest(
    functions=(
        Function(
            name="fixture_worker",
            description="Fixture: queue consumer with a batching window, sends on to another queue.",
            source_dir=STUB,
            settings="kiriman.settings:DueSweepSettings",
            triggers=(
                QueueTrigger(
                    queue="fixture-work", batch_size=25, batching_window_s=5, max_receive_count=4, max_concurrency=3
                ),
            ),
            memory_mb=384,
            timeout_s=45,
            access=Access(table="write", bucket="write", send_queues=("fixture-next",), kms=True),
        ),
        Function(
            name="fixture_next",
            description="Fixture: default queue settings, reads secrets and parameters, uses the key.",
            source_dir=STUB,
            settings="kiriman.settings:ShopeeSettings",
            triggers=(QueueTrigger(queue="fixture-next"),),
            timeout_s=20,
            access=Access(table="read", bucket="read", secrets=("carrier",), parameters=("config",), kms=True),
        ),
        Function(
            name="fixture_notifier",
            description="Fixture: two bus rules and a cron schedule.",
            source_dir=STUB,
            settings="kiriman.settings:BusSettings",
            triggers=(
                BusTrigger(sources=("kiriman.shipments",), detail_types=("ShipmentBought", "ShipmentVoided")),
                BusTrigger(detail_types=("MerchantCreated",)),
                ScheduleTrigger(expression="cron(0 3 * * ? *)"),
            ),
            memory_mb=256,
            timeout_s=10,
            access=Access(bus=True, public_url=True),
        ),
        Function(
            name="fixture_renderer",
            description="Fixture: container-image function (wkhtmltopdf) on a queue.",
            source_dir=RENDERER,
            settings="kiriman.settings:Base",
            package="image",
            triggers=(QueueTrigger(queue="fixture-render", batch_size=1, max_receive_count=2),),
            memory_mb=2048,
            timeout_s=120,
            access=Access(bucket="write"),
        ),
    ),
    due_kinds={"fixture_kind": "fixture-next"},
    secrets=("carrier",),
    parameters={"config": '{"feature": true}'},
)


def fixture_manifest() -> Manifest:
    merged = MANIFEST.merged(FIXTURE_FUNCTIONS)
    functions = []
    for fn in merged.functions:
        if not (REPO_ROOT / fn.folder).is_dir():
            warnings.warn(f"{fn.folder} does not exist yet; tests/infra uses a stub for it", stacklevel=2)
            fn = fn.model_copy(update={"source_dir": STUB})
        functions.append(fn)
    return merged.model_copy(update={"functions": tuple(functions)})


@dataclass(frozen=True)
class Synth:
    manifest: Manifest
    stack: KirimanStack
    assembly: cx_api.CloudAssembly
    template: dict[str, Any]
    outdir: Path

    @property
    def assertions(self) -> Template:
        return Template.from_json(self.template)

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r.get("Properties", {}) for lid, r in self.template["Resources"].items() if r["Type"] == cfn_type}

    def resource(self, logical_id: str) -> dict[str, Any]:
        resource: dict[str, Any] = self.template["Resources"][logical_id]
        return resource

    def logical_id_of(self, cfn_type: str, **props: Any) -> str:
        found = [lid for lid, p in self.resources(cfn_type).items() if all(p.get(k) == v for k, v in props.items())]
        assert len(found) == 1, f"{cfn_type} with {props}: {found}"
        return found[0]

    def function_id(self, name: str) -> str:
        return self.logical_id_of("AWS::Lambda::Function", FunctionName=physical_name(self.manifest.app, STAGE, name))

    def queue_id(self, name: str) -> str:
        return self.logical_id_of("AWS::SQS::Queue", QueueName=physical_name(self.manifest.app, STAGE, name))


def placeholder_layers(root: Path) -> Path:
    for name in LAYERS:
        content = root / name / "python"
        content.mkdir(parents=True)
        (content / "PLACEHOLDER").write_text("tests/infra placeholder; `make layer` builds the real one\n")
    return root


_TOKEN_DUMMY = "dummy"


def resolve_dummies(value: Any) -> Any:
    """A template value with every intrinsic replaced by a plausible dummy string, joins joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            sep, parts = arg
            return sep.join(str(resolve_dummies(p)) for p in parts)
        if fn == "Ref":
            return f"{_TOKEN_DUMMY}-{re.sub(r'[^A-Za-z0-9]', '', arg).lower()}"
        if fn == "Fn::GetAtt":
            return f"{_TOKEN_DUMMY}-{'-'.join(arg).lower()}"
    raise AssertionError(f"unexpected template value {json.dumps(value)}")
