"""moto's server as a child process on 127.0.0.1.

A subprocess rather than moto in the runner's own process: moto is CPU-hungry under load and the
runner's pollers and HTTP threads should not share a GIL with it. Run as ``python -m local.moto``,
this module is also the child's entry point: it asks Linux to kill it if the runner dies (so a
crashed runner leaves no stray server), makes DynamoDB requests one-at-a-time, then hands over to
``moto.server``.

Why serialise DynamoDB: moto's threaded server evaluates a ConditionExpression and applies the write
in two steps with no lock, so two concurrent conditional writes can in principle both succeed. Real
DynamoDB never allows that, and the races the local stack exists to exercise (leases, idempotency
keys) depend on it. SQS is left concurrent: its duplicates are realistic, and long polls would block.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from local.config import REPO_ROOT

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def die_with_parent(parent_pid: int) -> None:
    """Best effort (Linux only): SIGTERM this process when the runner goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        sys.exit(0)


class MotoServer:
    """Starts, waits for and stops one moto server."""

    def __init__(self, port: int, log_path: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout_s: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "MOTO_PORT": str(self.port)}
        cmd = [
            sys.executable, "-m", "local.moto", "--parent", str(os.getpid()),
            "-H", self.host, "-p", str(self.port),
        ]
        # Own session: a Ctrl-C in the terminal reaches only the runner, which then stops moto last.
        self._proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto exited with {self._proc.returncode}; see {self.log_path}")
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto did not answer on {self.base_url} within {timeout_s:.0f}s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/moto-api/data.json", timeout=1) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, grace_s: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def serialise_dynamodb() -> None:
    """Wrap moto's WSGI dispatcher so DynamoDB requests run under one lock (see module docstring)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__
    lock = threading.Lock()

    def call(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        if str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            with lock:
                return original(self, environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]


def _main(argv: list[str]) -> None:
    parent = 0
    if len(argv) >= 2 and argv[0] == "--parent":
        parent, argv = int(argv[1]), argv[2:]
    if parent:
        die_with_parent(parent)
    serialise_dynamodb()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per long poll is noise
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    _main(sys.argv[1:])
