"""``python -m local.sandboxes.jnt``: the ready line, serving, clean exit; persistence; the package's isolation."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from local.sandboxes.jnt.server import JntSandbox

from .helpers import BASE, Api, Clock, business_password, envelope, order_body, ref, sign

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "local" / "sandboxes" / "jnt"
ACCOUNT_KEYS = {
    "api_account", "private_key", "customer_code", "password", "countries", "webhook_url", "business_auth",
    "country_iso3", "currency", "service_type", "express_type", "pay_type",
}  # fmt: skip


def test_cli_prints_one_ready_line_and_exits_on_sigterm(tmp_path: Path) -> None:
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "local.sandboxes.jnt", "--host", "127.0.0.1", "--port", "0",
            "--clock-file", str(clock), "--seed", "demo", "--webhook-url", "http://127.0.0.1:9/hooks/jnt",
        ],
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
        accounts = {a["countries"][0]: a for a in ready["accounts"]}
        assert set(accounts) == {"my", "vn", "cn"}
        assert all(set(a) == ACCOUNT_KEYS for a in ready["accounts"])
        assert accounts["my"] == {
            "api_account": "640000000000000101",
            "private_key": "jnt-demo-my-private-key",
            "customer_code": "KRMDEMOMY",
            "password": "jnt-demo-my-pass",
            "countries": ["my"],
            "webhook_url": "http://127.0.0.1:9/hooks/jnt",
            "business_auth": "password",
            "country_iso3": "MYS",
            "currency": "MYR",
            "service_type": "1",
            "express_type": "EZ",
            "pay_type": "PP_PM",
        }
        assert accounts["cn"]["business_auth"] == "digest" and accounts["vn"]["currency"] == "VND"
        listed = httpx.get(ready["control_url"] + "/accounts", timeout=5).json()["accounts"]
        assert [a["api_account"] for a in listed] == [a["api_account"] for a in ready["accounts"]]
        assert httpx.get(ready["control_url"] + "/health", timeout=5).json()["ok"] is True
        my = accounts["my"]
        biz = json.dumps({"customerCode": my["customer_code"], "password": business_password(my["password"]),
                          "txlogisticId": "NOPE"})  # fmt: skip
        headers = {"apiAccount": my["api_account"], "digest": sign(biz, my["private_key"]),
                   "timestamp": str(int(time.time() * 1000))}  # fmt: skip
        resp = httpx.post(ready["base_url"] + BASE + "order/getOrders", data={"bizContent": biz}, headers=headers)
        assert envelope(resp)[0] == "999001030"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_seed_none_starts_empty(tmp_path: Path) -> None:
    with JntSandbox(clock_file=tmp_path / "clock", seed="none") as sandbox:
        assert sandbox.ready_info()["accounts"] == []


def test_state_dir_keeps_the_world_across_restarts(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    reference = ref("PST")
    with JntSandbox(clock_file=clock.path, state_dir=tmp_path / "state") as first:
        api = Api(first.base_url, clock)
        bill = api.create_ok(txlogisticId=reference)["billCode"]
        api.control("POST", "config", {"code_type": "string"})
        api.close()
    assert (tmp_path / "state" / "jnt-sandbox-state.json").exists()
    clock.jump(5 * 3600)
    with JntSandbox(clock_file=clock.path, state_dir=tmp_path / "state", seed="none") as second:
        api = Api(second.base_url, clock)
        assert api.codes(bill) == ["10"]  # the parcel survived and moved on
        assert api.control("GET", "config")["code_type"] == "string"
        assert envelope(api.create(order_body(reference)))[:2] == ("0", "txlogisticId already exists")
        fresh = api.create_ok()["billCode"]
        assert fresh != bill
        api.close()


def test_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        JntSandbox(host="0.0.0.0")  # noqa: S104 - the point of the test


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
