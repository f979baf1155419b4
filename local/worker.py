"""One Lambda sandbox: ``python -m local.worker <function-name>``.

Started by :mod:`local.workers` with exactly the function's environment (as Lambda would set it,
including ``_HANDLER`` and ``LAMBDA_TASK_ROOT``). It imports the handler once (the cold start), then
serves invocations one at a time over a private pipe: newline-delimited JSON on the original stdin and
stdout. The handler's own stdout is redirected to stderr, which the runner sends to the function's
log file, so nothing a handler prints can corrupt the protocol.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers actually use."""

    def __init__(self, request_id: str, deadline_ms: float, invoked_function_arn: str) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _json_default(value: Any) -> Any:
    # Lambda's runtime serialises Decimal (what DynamoDB hands back) instead of failing.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(function_name: str) -> Handler:
    task_root = Path(os.environ["LAMBDA_TASK_ROOT"])
    module_path, _, attr = os.environ["_HANDLER"].rpartition(".")
    if not module_path:
        raise ValueError(f"bad handler {os.environ['_HANDLER']!r}: expected module.attribute")
    source = task_root / (module_path.replace(".", "/") + ".py")
    # As in Lambda, the function's own folder is importable (sibling modules, vendored code).
    sys.path.insert(0, str(task_root))
    unique = f"_local_lambda_{function_name}_{module_path.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise AttributeError(f"{source} has no callable {attr!r}")
    return handler  # type: ignore[no-any-return]


def _send(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, default=_json_default).encode() + b"\n")
    out.flush()


def _invoke(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    request_id = str(request["request_id"])
    context = LambdaContext(request_id, float(request["deadline_ms"]), str(request.get("invoked_function_arn", "")))
    started = time.perf_counter()
    print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
    try:
        result = handler(request["event"], context)
        try:
            json.dumps(result, default=_json_default)
            reply: dict[str, Any] = {"type": "result", "request_id": request_id, "ok": True, "result": result}
        except (TypeError, ValueError) as exc:
            reply = {"type": "result", "request_id": request_id, "ok": False,
                     "error": _error(exc, "Runtime.MarshalError")}
    except Exception as exc:
        err = _error(exc)
        print(f"[ERROR] {err['errorType']}: {err['errorMessage']}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        reply = {"type": "result", "request_id": request_id, "ok": False, "error": err}
    elapsed = (time.perf_counter() - started) * 1000
    print(f"END RequestId: {request_id}", file=sys.stderr)
    print(f"REPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms", file=sys.stderr, flush=True)
    return reply


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m local.worker <function-name>", file=sys.stderr)
        return 2
    name = argv[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when a sandbox ends
    # Keep the original stdin/stdout as the private protocol pipe, then point fd 0 at /dev/null and
    # fd 1 at stderr so neither the handler nor any C extension can read or write the protocol.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    os.environ["AWS_LAMBDA_LOG_STREAM_NAME"] = stream
    print(f"INIT_START Function: {name} pid={os.getpid()}", file=sys.stderr, flush=True)
    try:
        handler = load_handler(name)
    except Exception as exc:
        kind = "Runtime.ImportModuleError" if isinstance(exc, ImportError | SyntaxError) else None
        err = _error(exc, kind)
        traceback.print_exc(file=sys.stderr)
        _send(proto_out, {"type": "init_error", "error": err})
        return 1
    _send(proto_out, {"type": "ready", "pid": os.getpid(), "log_stream_name": stream})
    for line in proto_in:
        if not line.strip():
            continue
        _send(proto_out, _invoke(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
