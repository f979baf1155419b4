"""``python -m local.sandboxes.flash``: the ready line, serving, clean exit; persistence; the package's isolation."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from local.sandboxes.flash.server import FlashSandbox

from .helpers import Api, Clock, flash_sign, order_params, ref

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "local" / "sandboxes" / "flash"


def test_cli_prints_one_ready_line_and_exits_on_sigterm(tmp_path: Path) -> None:
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.sandboxes.flash",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--clock-file",
            str(clock),
            "--seed",
            "demo",
            "--webhook-url",
            "http://127.0.0.1:9/hooks/flash",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert set(ready) == {"base_url", "control_url", "accounts"}
        assert ready["base_url"].startswith("http://127.0.0.1:")
        assert ready["control_url"] == ready["base_url"] + "/_sandbox"
        accounts = {a["mch_id"]: a for a in ready["accounts"]}
        assert accounts["FLDEMO01"] == {
            "mch_id": "FLDEMO01",
            "key": "flash-demo-01-key",
            "countries": ["th"],
            "webhook_url": "http://127.0.0.1:9/hooks/flash",
            "warehouse_no": "FLDEMO01_001",
            "settings": {
                "warehouse_no": "FLDEMO01_001",
                "express_category": "1",
                "article_category": "2",
                "label_size": "large",
            },
        }
        assert set(accounts) == {"FLDEMO01", "FLDEMO02"}
        listed = httpx.get(ready["control_url"] + "/accounts", timeout=5).json()["accounts"]
        assert {a["mch_id"] for a in listed} == set(accounts)
        assert httpx.get(ready["control_url"] + "/health", timeout=5).json()["ok"] is True
        form = {"mchId": "FLDEMO02", "nonceStr": "1700000000000"}
        form["sign"] = flash_sign(form, "flash-demo-02-key")
        resp = httpx.post(ready["base_url"] + "/open/v1/warehouses", data=form, timeout=5)
        assert resp.json()["code"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_dir_keeps_the_world_across_restarts(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    reference = ref("PST")
    with FlashSandbox(clock_file=clock.path, state_dir=tmp_path / "state") as first:
        api = Api(first.base_url, clock)
        pno = api.create_ok(reference=reference)["pno"]
        api.control("POST", "config", {"webhook_sign_mode": "mch_nonce"})
        api.close()
    assert (tmp_path / "state" / "flash-sandbox-state.json").exists()
    clock.jump(5 * 3600)
    with FlashSandbox(clock_file=clock.path, state_dir=tmp_path / "state", seed="none") as second:
        api = Api(second.base_url, clock)
        assert api.actions(pno) == ["RECEIVED"]  # the parcel survived and moved on
        assert api.control("GET", "config")["webhook_sign_mode"] == "mch_nonce"
        assert api.error("/open/v3/orders", order_params(reference))["code"] == 1003
        api.close()


def test_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FlashSandbox(host="192.0.2.10")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_file_mentions_the_project_package() -> None:
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.name == "README.md" for p in files)
    for path in files:
        assert "kiriman" not in path.read_text(encoding="utf-8").lower(), path


def test_sandbox_imports_only_the_standard_library() -> None:
    files = list(PACKAGE.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        for name in _imports(path):
            assert name.split(".")[0] in sys.stdlib_module_names, (path, name)  # no project modules at all
