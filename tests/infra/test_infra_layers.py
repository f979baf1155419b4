"""Layer content: the runtime requirements the deps layer is built from, and the missing-build error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.assembly import REPO_ROOT
from infra.build_layers import read_pins, runtime_requirements, unpinned_packages
from infra.capabilities.layers import LayerContentMissing, check_layer_dirs


def test_every_runtime_dependency_is_pinned_from_constraints() -> None:
    pyproject, constraints = REPO_ROOT / "pyproject.toml", REPO_ROOT / "constraints.txt"
    reqs = runtime_requirements(pyproject, constraints)
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = read_pins(constraints)
    assert len(reqs) == len(deps)
    for line in reqs:
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==" and spec.version == pins[canonicalize_name(req.name)]
    assert any(Requirement(r).extras for r in reqs) == any(Requirement(d).extras for d in deps)


def test_an_unpinned_dependency_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["httpx", "left-pad>=1"]\n')
    (tmp_path / "constraints.txt").write_text("httpx==0.28.1\n")
    with pytest.raises(SystemExit, match="left-pad"):
        runtime_requirements(tmp_path / "pyproject.toml", tmp_path / "constraints.txt")


def test_a_pin_outside_the_declared_range_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["pydantic>=3"]\n')
    (tmp_path / "constraints.txt").write_text("pydantic==2.14.4\n")
    with pytest.raises(SystemExit, match="does not satisfy"):
        runtime_requirements(tmp_path / "pyproject.toml", tmp_path / "constraints.txt")


def test_unpinned_installs_are_reported(tmp_path: Path) -> None:
    (tmp_path / "httpx-0.28.1.dist-info").mkdir()
    (tmp_path / "sniffio-1.3.1.dist-info").mkdir()
    assert unpinned_packages(tmp_path, {"httpx": "0.28.1"}) == ["sniffio==1.3.1"]


def test_missing_layer_build_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "shared" / "python").mkdir(parents=True)
    with pytest.raises(LayerContentMissing, match=r"deps.*make layer"):
        check_layer_dirs(tmp_path)
