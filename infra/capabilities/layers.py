"""The two Lambda layers: the shared ``kiriman`` package and the third-party runtime dependencies.

Their content is built by ``make layer`` (``infra/build_layers.py``) into ``build/layers/<name>/python``;
this construct only points at it, so a synth never needs Docker or pip.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
LAYERS = {
    "shared": "the kiriman package (layers/kiriman)",
    "deps": "third-party runtime dependencies (pyproject [project] dependencies, pinned by constraints.txt)",
}


class LayerContentMissing(RuntimeError):
    pass


def check_layer_dirs(layers_dir: Path) -> None:
    missing = [name for name in LAYERS if not (layers_dir / name / "python").is_dir()]
    if missing:
        raise LayerContentMissing(
            f"layer content missing under {layers_dir}: {', '.join(missing)}; run `make layer` first"
        )


class Layers(Construct):
    def __init__(self, scope: Construct, cid: str, *, layers_dir: Path, name_prefix: str) -> None:
        super().__init__(scope, cid)
        self.layers_dir = layers_dir  # image functions copy the same content (Docker build context "layers")
        check_layer_dirs(layers_dir)
        self.by_name: dict[str, lambda_.LayerVersion] = {
            name: lambda_.LayerVersion(
                self,
                name.title(),
                layer_version_name=f"{name_prefix}-{name}",
                description=description,
                code=lambda_.Code.from_asset(str(layers_dir / name), exclude=["**/__pycache__", "**/*.pyc"]),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
            )
            for name, description in LAYERS.items()
        }

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return list(self.by_name.values())
