"""``python -m local.sandboxes.ninjavan``: the ready line, serving, clean exit; persistence; the package's isolation."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from local.sandboxes.ninjavan.server import NinjaVanSandbox

from .helpers import Api, Clock, order_body, rtn

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "local" / "sandboxes" / "ninjavan"


def test_cli_prints_one_ready_line_and_exits_on_sigterm(tmp_path: Path) -> None:
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.sandboxes.ninjavan",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--clock-file",
            str(clock),
            "--seed",
            "demo",
            "--webhook-url",
            "http://127.0.0.1:9/hooks/nv",
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
        accounts = {a["countries"][0]: a for a in ready["accounts"]}
        assert set(accounts) == {"sg", "my", "th", "id", "vn", "ph"}
        assert accounts["sg"] == {
            "client_id": "nv-demo-sg",
            "client_secret": "nv-demo-sg-secret",
            "countries": ["sg"],
            "shipper_prefix": "NVSGKRM",
            "webhook_url": "http://127.0.0.1:9/hooks/nv",
        }
        assert accounts["my"]["shipper_prefix"] == "NVMYKRM"
        assert httpx.get(ready["control_url"] + "/health", timeout=5).json()["ok"] is True
        token = httpx.post(
            ready["base_url"] + "/vn/2.0/oauth/access_token",
            json={"client_id": "nv-demo-vn", "client_secret": "nv-demo-vn-secret", "grant_type": "client_credentials"},
            timeout=5,
        )
        assert token.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_dir_keeps_the_world_across_restarts(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    requested = rtn("PST")
    with NinjaVanSandbox(clock_file=clock.path, state_dir=tmp_path / "state") as first:
        api = Api(first.base_url, clock)
        token = api.token("sg")
        api.create_ok(requested=requested)
        api.control("POST", "config", {"token_ttl_s": 7200})
        api.close()
    assert (tmp_path / "state" / "ninjavan-sandbox-state.json").exists()
    clock.jump(5 * 3600)
    with NinjaVanSandbox(clock_file=clock.path, state_dir=tmp_path / "state", seed="none") as second:
        api = Api(second.base_url, clock)
        resp = api.http.get(
            f"/sg/1.0/orders/tracking-events/NVSGKRM{requested}", headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status_code == 200  # the parcel and the token survived ...
        assert [e["status"] for e in resp.json()["events"]] == ["Pending Pickup", "Picked Up"]  # ... and moved on
        assert api.control("GET", "config")["token_ttl_s"] == 7200
        dup = api.http.post("/sg/4.2/orders", json=order_body(requested), headers={"Authorization": f"Bearer {token}"})
        assert dup.status_code == 400
        api.close()


def test_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        NinjaVanSandbox(host="192.0.2.10")


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
        assert "kiriman" not in path.read_text(encoding="utf-8"), path


def test_sandbox_imports_only_the_standard_library() -> None:
    files = list(PACKAGE.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        for name in _imports(path):
            assert name.split(".")[0] in sys.stdlib_module_names, (path, name)  # no project modules at all
