"""Builds the Lambda layers' content into ``build/layers/`` (``make layer``); no Docker.

- ``shared/python/kiriman``: a copy of ``layers/kiriman``.
- ``deps/python``: the runtime dependencies (``[project] dependencies`` of pyproject.toml, each pinned to
  its version in constraints.txt, transitive ones constrained by the same file) installed by pip as
  manylinux aarch64 / CPython 3.12 wheels, which is what an arm64 python3.12 Lambda runs.

boto3/botocore are shipped in the layer rather than left to the runtime's copy: pynamodb needs botocore
anyway, and the runtime's SDK is older than, and moves independently of, the version the tests run
against. It costs about 20 MB of the 250 MB unzipped limit.

Usage: ``python -m infra.build_layers [--out build/layers] [--only shared|deps]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.12"
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 and manylinux_2_28 wheels
# both load there. Listing 2_28 too lets pip pick a newer wheel when a package stopped publishing 2014.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")


def read_pins(constraints: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in constraints.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        versions = [s.version for s in req.specifier if s.operator == "=="]
        if versions:
            pins[canonicalize_name(req.name)] = versions[0]
    return pins


def runtime_requirements(pyproject: Path, constraints: Path) -> list[str]:
    """``name[extras]==version`` for every runtime dependency; fails if one is unpinned or conflicts."""
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = read_pins(constraints)
    out: list[str] = []
    for dep in deps:
        req = Requirement(dep)
        name = canonicalize_name(req.name)
        if name not in pins:
            raise SystemExit(f"runtime dependency {req.name} has no pin in {constraints.name}")
        if not req.specifier.contains(pins[name], prereleases=True):
            raise SystemExit(f"{req.name}=={pins[name]} in {constraints.name} does not satisfy {dep!r}")
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        out.append(f"{req.name}{extras}=={pins[name]}")
    return sorted(out)


def build_shared(out: Path, source: Path = REPO_ROOT / "layers" / "kiriman") -> Path:
    target = out / "shared" / "python" / "kiriman"
    shutil.rmtree(out / "shared", ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def build_deps(out: Path, pyproject: Path, constraints: Path) -> Path:
    root = out / "deps"
    target = root / "python"
    shutil.rmtree(root, ignore_errors=True)
    target.mkdir(parents=True)
    requirements = root / "requirements.txt"
    requirements.write_text("\n".join(runtime_requirements(pyproject, constraints)) + "\n")
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-compile",
        *platforms,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        str(target),
        "-r",
        str(requirements),
        "-c",
        str(constraints),
    ]
    subprocess.run(cmd, check=True)  # noqa: S603 - fixed argv, no shell
    # Console scripts are useless in a layer (and point at this machine's interpreter).
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    unpinned = unpinned_packages(target, read_pins(constraints))
    if unpinned:
        print(
            f"warning: installed without a pin in {constraints.name} (add them there): {', '.join(unpinned)}",
            file=sys.stderr,
        )
    return target


def unpinned_packages(target: Path, pins: dict[str, str]) -> list[str]:
    """Packages pip put in ``target`` whose version constraints.txt does not fix."""
    installed = []
    for info in target.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        installed.append((canonicalize_name(name), version))
    return sorted(f"{n}=={v}" for n, v in installed if pins.get(n) != v)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "layers")
    parser.add_argument("--only", choices=("shared", "deps"))
    parser.add_argument("--pyproject", type=Path, default=REPO_ROOT / "pyproject.toml")
    parser.add_argument("--constraints", type=Path, default=REPO_ROOT / "constraints.txt")
    args = parser.parse_args(argv)
    if args.only in (None, "shared"):
        print(f"shared layer -> {build_shared(args.out)}")
    if args.only in (None, "deps"):
        print(f"deps layer -> {build_deps(args.out, args.pyproject, args.constraints)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
