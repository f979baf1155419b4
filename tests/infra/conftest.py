"""The session fixture of tests/infra: one synth of the fixture manifest (see support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_cdk import App

from infra.assembly import build, cdk_json_context
from tests.infra.support import REGION, STAGE, Synth, fixture_manifest, placeholder_layers


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    layers = placeholder_layers(tmp_path_factory.mktemp("layers"))
    manifest = fixture_manifest()
    context = {
        **cdk_json_context(),
        "stage": STAGE,
        "region": REGION,
        # With this flag on (as in cdk.json) an unsuppressed cdk-nag error aborts app.synth(); off, it stays
        # an annotation, so test_no_unsuppressed_cdk_nag_errors can list every finding instead.
        "@aws-cdk/core:annotationsInValidationReport": False,
    }
    app = App(outdir=str(outdir), context=context)
    stack = build(app, manifest, layers_dir=layers)
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    yield Synth(manifest=manifest, stack=stack, assembly=assembly, template=template, outdir=outdir)
