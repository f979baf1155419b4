"""``python -m local.sandboxes.shopee``: the ready line, serving, clean exit; and the package's isolation."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "local" / "sandboxes"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_one_ready_line_and_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.sandboxes.shopee",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--partner-id",
            "2001234",
            "--partner-key",
            "a1b2c3d4e5f6",
            "--clock-file",
            str(clock),
            "--seed",
            "demo",
            "--push-url",
            "http://127.0.0.1:9/hook",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        ready = json.loads(line)
        assert set(ready) == {"base_url", "partner_id", "partner_key", "shops", "control_url"}
        assert ready["partner_id"] == 2001234 and ready["partner_key"] == "a1b2c3d4e5f6"
        assert ready["control_url"] == ready["base_url"] + "/_sandbox"
        regions = {s["region"] for s in ready["shops"]}
        assert {"SG", "MY", "TH", "VN", "PH", "TW"} <= regions
        assert [s for s in ready["shops"] if s["cross_border"]]
        assert all({"shop_id", "region", "name", "cross_border"} <= set(s) for s in ready["shops"])
        health = httpx.get(ready["control_url"] + "/health", timeout=5).json()
        assert health["ok"] is True and health["partner_id"] == 2001234
        assert httpx.get(ready["control_url"] + "/push-config", timeout=5).json()["url"] == "http://127.0.0.1:9/hook"
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_sandbox_imports_only_the_standard_library() -> None:
    files = list(PACKAGE.rglob("*.py"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "kiriman" not in text, path
        for name in _imports(path):
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or name.startswith("local.sandboxes"), (path, name)
