"""docs/architecture.md's access-pattern table names real Store methods, each with its own test."""

from __future__ import annotations

import re

from kiriman.storage.repository import Store
from tests.conftest import ROOT


def _rows() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("### Access patterns", 1)[1]
    return re.findall(r"`Store\.(\w+)`", section)


def test_every_pattern_names_an_existing_method_with_a_test() -> None:
    methods = _rows()
    assert len(methods) >= 10
    tests = (ROOT / "tests" / "integration" / "test_store.py").read_text()
    for m in methods:
        assert callable(getattr(Store, m, None)), f"Store.{m} does not exist"
        assert f"def test_{m}(" in tests, f"Store.{m} has no test_{m} in tests/integration/test_store.py"


def test_every_public_store_method_is_in_the_table() -> None:
    public = {n for n in vars(Store) if not n.startswith("_") and callable(getattr(Store, n))}
    assert public <= set(_rows()), public - set(_rows())
