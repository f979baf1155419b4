"""Sandboxes (Shopee now, carriers later) as child processes of the local stack.

Each sandbox is a module run as ``python -m <module> --port 0 ...`` that prints one JSON line when it
is ready (its base URL, credentials and seeded accounts) and exits cleanly on SIGTERM. It imports
nothing from the shared package; the stack hands the same clock-offset file to it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from local.config import REPO_ROOT


class SandboxProcess:
    def __init__(self, name: str, module: str, args: list[str], log_path: Path) -> None:
        self.name = name
        self.module = module
        self.args = args
        self.log_path = log_path
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> dict[str, Any]:
        self._log = self.log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # a sandbox is not AWS
        self._proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=self._log, env=env,
        )
        assert self._proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self._proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_s
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            if self._proc.poll() is not None:
                break
            if sel.select(timeout=0.2):
                chunk = os.read(self._proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                line += chunk
        sel.close()
        try:
            self.info = json.loads(line.split(b"\n", 1)[0])
        except ValueError as exc:
            self.stop()
            raise RuntimeError(f"sandbox {self.name} did not start; see {self.log_path}") from exc
        return self.info

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        self._proc = None
