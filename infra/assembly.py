"""Builds the app: used by ``infra/app.py`` (CLI and ``make synth``) and by ``tests/infra``.

Keeping this out of ``app.py`` lets the tests build the very same stack (same nag checks, same config
parsing) from a fixture manifest and a placeholder layer directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, cx_api

from infra.config import StageConfig
from infra.nag import PACK_PREFIX, apply_checks
from infra.stack import KirimanStack
from kiriman.wiring import Manifest

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYERS_DIR = REPO_ROOT / "build" / "layers"


def cdk_json_context(repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """Feature flags from cdk.json, so `python infra/app.py` synthesizes what `cdk synth` would."""
    path = repo_root / "cdk.json"
    if not path.is_file():
        return {}
    context: dict[str, Any] = json.loads(path.read_text()).get("context", {})
    return context


def stack_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}"


def build(
    app: App,
    manifest: Manifest,
    *,
    repo_root: Path = REPO_ROOT,
    layers_dir: Path = LAYERS_DIR,
    checks: bool = True,
) -> KirimanStack:
    """The stage's stack in ``app``; stage and region come from the app's context."""
    config = StageConfig.from_context(app.node.try_get_context)
    stack = KirimanStack(
        app,
        stack_name(manifest.app, config.stage),
        manifest=manifest,
        config=config,
        repo_root=repo_root,
        layers_dir=layers_dir,
        # Account-agnostic (no credentials needed to synth); the region is fixed so that
        # `cdk deploy -c region=...` deploys where it says whatever the shell's default region is.
        env=Environment(region=config.region),
        description=f"{manifest.app} {config.stage}: serverless fulfilment backend (infra/, issue #4)",
    )
    if checks:
        apply_checks(app)
    return stack


@dataclass(frozen=True)
class Finding:
    level: str
    path: str
    text: str


def nag_findings(assembly: cx_api.CloudAssembly, level: str = "error") -> list[Finding]:
    """Unsuppressed cdk-nag findings of ``level`` ("error" or "warning") across the assembly."""
    out: list[Finding] = []
    for artifact in assembly.stacks:
        for message in artifact.messages:
            text = str(message.entry.data)
            if str(message.level.value).lower() == level and PACK_PREFIX in text:
                out.append(Finding(level, message.id, text))
    return out
