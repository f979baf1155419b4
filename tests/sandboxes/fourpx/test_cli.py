"""``python -m local.sandboxes.fourpx``: the ready line, serving, clean exit; persistence; the package's isolation."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from local.sandboxes.fourpx.server import FourPxSandbox

from .helpers import GATEWAY, Api, Clock, md5_sign, order_body, ref

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "local" / "sandboxes" / "fourpx"


def test_cli_prints_one_ready_line_and_exits_on_sigterm(tmp_path: Path) -> None:
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.sandboxes.fourpx", "--host", "127.0.0.1", "--port", "0",
         "--clock-file", str(clock), "--seed", "demo", "--webhook-url", "http://127.0.0.1:9/hooks/4px"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert set(ready) == {"base_url", "control_url", "accounts"}
        assert ready["base_url"].startswith("http://127.0.0.1:")
        assert ready["control_url"] == ready["base_url"] + "/_sandbox"
        accounts = {a["app_key"]: a for a in ready["accounts"]}
        assert list(accounts) == [f"fpx-demo-{cc}" for cc in ("sg", "my", "th", "id", "vn", "ph", "sea")]
        assert accounts["fpx-demo-sg"] == {
            "app_key": "fpx-demo-sg",
            "app_secret": "fpx-demo-sg-secret",
            "countries": ["sg"],
            "products": ["PX", "PY"],
            "webhook_url": "http://127.0.0.1:9/hooks/4px",
        }
        assert accounts["fpx-demo-sea"]["countries"] == ["sg", "my", "th", "id", "vn", "ph"]
        listed = httpx.get(ready["control_url"] + "/accounts", timeout=5).json()["accounts"]
        assert [a["app_key"] for a in listed] == list(accounts)
        assert httpx.get(ready["control_url"] + "/health", timeout=5).json()["ok"] is True
        body = json.dumps(order_body(cc="vn")).encode()
        params = {"app_key": "fpx-demo-vn", "format": "json", "method": "ds.xms.order.create",
                  "timestamp": "1700000000000", "v": "1.1.0", "language": "en"}  # fmt: skip
        params["sign"] = md5_sign("fpx-demo-vn", "json", "ds.xms.order.create", "1700000000000", "1.1.0", body,
                                  "fpx-demo-vn-secret")  # fmt: skip
        created = httpx.post(ready["base_url"] + GATEWAY, params=params, content=body, timeout=5)
        assert created.status_code == 200 and created.json()["result"] == "1"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_dir_keeps_the_world_across_restarts(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    ref_no = ref("PST")
    with FourPxSandbox(clock_file=clock.path, state_dir=tmp_path / "state") as first:
        api = Api(first.base_url, clock)
        tn = api.create_ok(ref_no=ref_no)["4px_tracking_no"]
        api.control("POST", "config", {"default_language": "en"})
        api.close()
    assert (tmp_path / "state" / "fourpx-sandbox-state.json").exists()
    clock.jump(5 * 3600)
    with FourPxSandbox(clock_file=clock.path, state_dir=tmp_path / "state", seed="none") as second:
        api = Api(second.base_url, clock)
        assert [e["businessLinkCode"] for e in api.track(tn)] == ["OR10", "PU10"]  # survived, and moved on
        assert api.control("GET", "config")["default_language"] == "en"
        assert api.create(order_body(ref_no)).codes == ["DS000001"]
        fresh = api.create_ok()["4px_tracking_no"]
        assert fresh != tn and fresh[4:9] == tn[4:9]  # numbering continues in the same world
        api.close()


def test_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FourPxSandbox(host="0.0.0.0")  # noqa: S104


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
