"""One local stack for the whole e2e session, started the way a developer starts it.

``python -m local up`` runs as a subprocess on free ports with a temporary state dir, a small time
scale (short visibility timeouts) and the probe functions merged in. Teardown sends SIGINT and
checks the stack exits 0 and leaves no worker or moto process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .client import StackClient, http

REPO_ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = "0.1"
MIN_TIMEOUT_S = "1"
START_TIMEOUT_S = 120


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1].split()[0] != "Z"
    except OSError:
        return True


@contextmanager
def running_stack(
    state_dir: Path, time_scale: str = TIME_SCALE, min_timeout_s: str = MIN_TIMEOUT_S, probes: bool = True
) -> Iterator[dict[str, Any]]:
    """``python -m local up`` as a subprocess; on exit, SIGINT, and check it leaves nothing behind."""
    log_path = state_dir / "stack.out"
    cmd = [
        sys.executable,
        "-m",
        "local",
        "up",
        "--port",
        "0",
        "--moto-port",
        "0",
        "--time-scale",
        time_scale,
        "--min-timeout",
        min_timeout_s,
        "--state-dir",
        str(state_dir),
    ]
    if probes:
        cmd += ["--extra-manifest", "tests.e2e.probe.manifest:PROBE_MANIFEST"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    state_file = state_dir / "local-stack.json"
    deadline = time.monotonic() + START_TIMEOUT_S
    state: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        state = _read_state(state_file)
        if state and state.get("running") and state.get("pid") == proc.pid:
            break
        if proc.poll() is not None:
            pytest.fail(f"local stack exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"local stack did not start in {START_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}")
    assert state is not None
    try:
        yield state
    finally:
        children: list[int] = [int(state["moto"]["pid"])]
        workers = http("GET", state["control"]["base_url"] + "/workers")
        if workers.status == 200:
            children += [pid for pids in workers.json().values() for pid in pids]
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        stray = [pid for pid in children if _alive(pid)]
        final = _read_state(state_file) or {}
        assert rc == 0, f"local stack exited with {rc}:\n{log_path.read_text()[-4000:]}"
        assert not stray, f"processes left behind: {stray}"
        assert final.get("running") is False, "local-stack.json was not marked stale"




@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_stack(tmp_path_factory.mktemp("local-stack")) as state:
        yield state


@pytest.fixture(scope="session")
def stack(local_stack: dict[str, Any]) -> StackClient:
    return StackClient(local_stack)


@pytest.fixture()
def nonce() -> str:
    """A fresh id per test, so no test sees another's data."""
    return uuid.uuid4().hex
