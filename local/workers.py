"""Worker processes, their pools, and the one ``Invoker`` every trigger goes through.

Each function runs in its own ``python -m local.worker`` processes, started lazily with the
function's manifest environment. A pool per function holds as many as its triggers can keep busy at
once. The runner enforces the (scaled) timeout with SIGKILL, as Lambda does, and discards a worker
that timed out, crashed or was killed by a fault switch; the next invocation starts a fresh one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local.config import ACCOUNT, REGION, REPO_ROOT
from local.faults import Faults
from local.records import InvocationLog, InvocationRecord, Outcome, Trigger

INIT_TIMEOUT_S = 30.0  # wall seconds for a cold start (imports); not scaled, not part of the timeout
_PASS_THROUGH = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class FunctionSpec:
    """Everything needed to start a sandbox of one function."""

    name: str
    physical_name: str
    folder: Path
    handler: str
    memory_mb: int
    timeout_s: float  # effective: manifest timeout x time scale
    environment: Mapping[str, str]
    log_path: Path
    pool_size: int

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.physical_name}"

    def process_env(self) -> dict[str, str]:
        """The function's environment plus the variables the Lambda runtime itself sets."""
        env = {k: v for k, v in os.environ.items() if k in _PASS_THROUGH or k.startswith(("LC_", "COVERAGE"))}
        pythonpath = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(pythonpath),
                "PYTHONUNBUFFERED": "1",
                "TZ": "UTC",
                "LAMBDA_TASK_ROOT": str(self.folder),
                "_HANDLER": self.handler,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.physical_name}",
            }
        )
        env.update(self.environment)
        return env


@dataclass
class Reply:
    """What came back from one invocation of a worker."""

    outcome: Outcome
    result: Any = None
    error: dict[str, Any] | None = None


class InitError(RuntimeError):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


class Worker:
    """One sandbox process and the thread that reads its replies."""

    def __init__(self, spec: FunctionSpec, log: IO[bytes]) -> None:
        self.spec = spec
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "local.worker", spec.name],
            cwd=REPO_ROOT, env=spec.process_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log, start_new_session=True,
        )
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"worker-{spec.name}-{self.proc.pid}", daemon=True)
        self._reader.start()
        self.invocations = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        """Replies in order; None at EOF (the worker exited or was killed)."""
        out = self.proc.stdout
        assert out is not None
        try:
            for line in out:
                try:
                    self._replies.put(json.loads(line))
                except ValueError:
                    continue
        except (OSError, ValueError):
            pass
        finally:
            self._replies.put(None)
            with contextlib.suppress(OSError):
                out.close()

    def wait_ready(self, timeout_s: float = INIT_TIMEOUT_S) -> None:
        try:
            msg = self._replies.get(timeout=timeout_s)
        except queue.Empty:
            self.kill()
            raise InitError({"errorType": "Runtime.InitTimeout",
                             "errorMessage": f"init did not finish in {timeout_s:.0f}s"}) from None
        if msg is None:
            self.kill()
            raise InitError({"errorType": "Runtime.ExitError", "errorMessage": "worker exited during init"})
        if msg.get("type") != "ready":
            self.kill()
            raise InitError(msg.get("error") or {"errorType": "Runtime.Unknown", "errorMessage": str(msg)})

    def invoke(self, request: dict[str, Any], timeout_s: float, kill_after_s: float | None) -> Reply:
        assert self.proc.stdin is not None
        started = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return Reply("error", error={"errorType": "Runtime.ExitError", "errorMessage": "worker is gone"})
        deadline = started + timeout_s
        kill_at = started + kill_after_s if kill_after_s is not None else None
        limit = min(deadline, kill_at) if kill_at is not None else deadline
        try:
            msg = self._replies.get(timeout=max(0.0, limit - time.monotonic()))
        except queue.Empty:
            self.kill()
            if kill_at is not None and kill_at <= deadline:
                return Reply("killed", error={"errorType": "Runtime.Killed", "errorMessage": "killed by fault switch"})
            return Reply("timeout", error={"errorType": "Sandbox.Timedout",
                                           "errorMessage": f"Task timed out after {timeout_s:.2f} seconds"})
        self.invocations += 1
        if kill_at is not None:
            # The handler finished first: the crash lands after its side effects, before its reply.
            self.kill()
            return Reply("killed", error={"errorType": "Runtime.Killed", "errorMessage": "killed by fault switch"})
        if msg is None:
            self.kill()
            return Reply("error", error={"errorType": "Runtime.ExitError",
                                         "errorMessage": f"worker exited with {self.proc.poll()}"})
        if msg.get("ok"):
            return Reply("ok", result=msg.get("result"))
        return Reply("error", error=msg.get("error") or {"errorType": "Unknown", "errorMessage": ""})

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as Lambda does at the timeout: no cleanup code of the handler gets to run."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.stdin is not None:  # stdout is closed by the reader thread at EOF
            with contextlib.suppress(OSError):
                self.proc.stdin.close()


class FunctionPool:
    """Warm workers of one function, at most ``spec.pool_size`` alive at once."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._slots = 0  # workers alive or being started
        self._cond = threading.Condition()
        self._closed = False
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = spec.log_path.open("ab")

    def acquire(self) -> tuple[Worker, bool]:
        """A warm worker, or a new one (True: this invocation pays the cold start)."""
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("stack is stopping")
                while self._idle:
                    w = self._idle.pop()
                    if w.alive():
                        return w, False
                    self._forget(w)
                if self._slots < self.spec.pool_size:
                    self._slots += 1
                    break
                self._cond.wait()
        try:
            w = Worker(self.spec, self._log)
        except BaseException:
            with self._cond:
                self._slots -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._all.add(w)
            closed = self._closed
        if closed:
            self.release(w, healthy=False)
            raise RuntimeError("stack is stopping")
        try:
            w.wait_ready()
        except BaseException:
            self.release(w, healthy=False)
            raise
        return w, True

    def release(self, w: Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed and w.alive():
                self._idle.append(w)
                self._cond.notify()
                return
        w.kill()
        with self._cond:
            self._forget(w)

    def _forget(self, w: Worker) -> None:
        if w in self._all:
            self._all.discard(w)
            self._slots -= 1
            self._cond.notify()

    def pids(self) -> list[int]:
        with self._cond:
            return sorted(w.pid for w in self._all if w.alive())

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._idle.clear()
            self._cond.notify_all()
        for w in workers:
            w.kill()
        self._log.close()


@dataclass
class InvocationResult:
    request_id: str
    outcome: Outcome
    result: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    failed_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def error_message(self) -> str:
        return str((self.error or {}).get("errorMessage", ""))


class Invoker:
    """Invokes a function by name, applying fault switches, and logs every invocation."""

    def __init__(self, specs: Mapping[str, FunctionSpec], faults: Faults, log: InvocationLog) -> None:
        self.specs = dict(specs)
        self.faults = faults
        self.log = log
        self._pools = {name: FunctionPool(spec) for name, spec in self.specs.items()}
        self._typical_s: dict[str, float] = {}  # moving average of successful durations

    def _kill_horizon(self, function: str, timeout_s: float) -> float:
        typical = self._typical_s.get(function)
        return timeout_s if typical is None else min(timeout_s, max(typical * 2, 0.002))

    def _observe(self, function: str, seconds: float) -> None:
        old = self._typical_s.get(function)
        self._typical_s[function] = seconds if old is None else 0.8 * old + 0.2 * seconds

    def invoke(
        self,
        function: str,
        event: Any,
        trigger: Trigger,
        *,
        batch_size: int | None = None,
        failed_ids: Callable[[Any], list[str]] | None = None,
    ) -> InvocationResult:
        spec = self.specs[function]
        pool = self._pools[function]
        request_id = str(uuid.uuid4())
        started_at = time.time()
        t0 = time.perf_counter()
        cold = False
        try:
            worker, cold = pool.acquire()
        except InitError as exc:
            res = InvocationResult(request_id, "error", error=exc.error)
        else:
            t0 = time.perf_counter()  # Lambda bills and times the invocation, not the cold start
            request = {
                "request_id": request_id,
                "deadline_ms": time.time() * 1000 + spec.timeout_s * 1000,
                "invoked_function_arn": spec.arn,
                "event": event,
            }
            kill_after = self.faults.kill_after(function, self._kill_horizon(function, spec.timeout_s))
            reply = worker.invoke(request, spec.timeout_s, kill_after)
            pool.release(worker, healthy=reply.outcome in ("ok", "error"))
            res = InvocationResult(request_id, reply.outcome, result=reply.result, error=reply.error)
            if reply.outcome == "timeout":
                ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                res.error = {"errorType": "Sandbox.Timedout",
                             "errorMessage": f"{ts} {request_id} Task timed out after {spec.timeout_s:.2f} seconds"}
        res.duration_ms = round((time.perf_counter() - t0) * 1000, 3)
        if res.ok:
            self._observe(function, res.duration_ms / 1000)
        if res.ok and failed_ids is not None:
            res.failed_ids = failed_ids(res.result)
        self.log.add(
            InvocationRecord(
                function=function, request_id=request_id, trigger=trigger, outcome=res.outcome,
                duration_ms=res.duration_ms, started_at=started_at, batch_size=batch_size,
                failed_ids=list(res.failed_ids), error=None if res.ok else _one_line(res.error),
                cold_start=cold,
            )
        )
        return res

    def pids(self) -> dict[str, list[int]]:
        return {name: pool.pids() for name, pool in self._pools.items()}

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


def _one_line(error: dict[str, Any] | None) -> str | None:
    if not error:
        return None
    return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"[:500]
