"""Constants of the local stack and the ``local-stack.json`` state file.

The state file is the stack's public interface for tests, benchmarks and people: the keys written
here (``api.base_url``, ``moto.base_url``, ``operator.api_key``, ``merchants[]``, ``resources`` ...) are
read by other code, so they are only ever added to, never renamed.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiriman.wiring import Manifest

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "ap-southeast-1"
# moto's default account: ARNs we build must match the ones moto builds (queue ARNs, rule ARNs).
ACCOUNT = "123456789012"
# The account API Gateway's methodArn carries locally (nothing checks it; it only has to be stable).
API_ACCOUNT = "000000000000"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105 - moto's dummy credentials, never real ones
STATE_FILE = "local-stack.json"
CLOCK_FILE = "clock-offset"
DEFAULT_MANIFEST = "kiriman.manifest:MANIFEST"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class StackOptions:
    """What ``python -m local up`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 3000
    moto_port: int = 0
    time_scale: float = 1.0
    # Floor for scaled function timeouts: at small scales the first call of a warm sandbox (building
    # its boto3 clients) can outlast timeout x scale on a busy machine. Visibility timeouts ignore it.
    min_timeout_s: float = 0.0
    manifest: str = DEFAULT_MANIFEST
    extra_manifests: tuple[str, ...] = ()
    state_dir: Path = field(default_factory=lambda: REPO_ROOT / "out")
    seed: bool = True

    def __post_init__(self) -> None:
        if not is_loopback(self.host):
            raise ValueError(f"refusing to bind {self.host!r}: the local stack only listens on 127.0.0.1")
        if not self.time_scale > 0:
            raise ValueError("--time-scale must be > 0")
        if self.min_timeout_s < 0:
            raise ValueError("--min-timeout must be >= 0")

    def function_timeout(self, manifest_timeout_s: int) -> float:
        """The timeout a sandbox really gets: the manifest's, scaled, but never under the floor."""
        return max(manifest_timeout_s * self.time_scale, self.min_timeout_s)

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE

    @property
    def clock_file(self) -> Path:
        return self.state_dir / CLOCK_FILE

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def import_attr(spec: str) -> Any:
    """Resolve ``package.module:ATTR`` (the form ``--extra-manifest`` and settings use)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"expected 'module:ATTR', got {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def load_manifest(base: str, extras: tuple[str, ...] = ()) -> Manifest:
    manifest = import_attr(base)
    if not isinstance(manifest, Manifest):
        raise TypeError(f"{base} is not a kiriman.wiring.Manifest")
    for spec in extras:
        extra = import_attr(spec)
        if not isinstance(extra, Manifest):
            raise TypeError(f"{spec} is not a kiriman.wiring.Manifest")
        manifest = manifest.merged(extra)
    return manifest


def write_json_atomic(path: Path, data: Any) -> None:
    """Readers poll this file; they must never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data
