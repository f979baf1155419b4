"""The HTTP server: routing, the request pipeline (faults, signature, ledger), and the background engine that
advances consignments on the shared clock.

Built on the standard library's ``http.server.ThreadingHTTPServer`` (one thread per connection, HTTP/1.1
keep-alive); no framework, no project imports.

    from local.sandboxes.fourpx.server import FourPxSandbox
    with FourPxSandbox(clock_file=path, seed="demo") as sandbox:
        sandbox.base_url  # http://127.0.0.1:<port>; the gateway is base_url + "/router/api/service"
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..kit.clock import SandboxClock
from . import api, control, lifecycle
from .api import Reply, text_reply
from .errors import MISSING_PARAM, FopError, Problem, server_error
from .model import CallRecord
from .state import SandboxState

ENGINE_TICK_S = 0.2
SAVE_EVERY_S = 1.0
MAX_CALL_LOG = 100_000
STATE_FILE = "fourpx-sandbox-state.json"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: FourPxSandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "FourPxSandbox/1"
    disable_nagle_algorithm = True  # small JSON replies: no Nagle / delayed-ACK stalls
    wbufsize = 64 * 1024  # headers and body leave in one write

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.log_requests:
            sys.stderr.write(f"[fourpx-sandbox] {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        sandbox = self.server.sandbox
        try:
            reply = sandbox.handle(method, self.path, raw)
        except Exception:  # a sandbox bug must not kill the connection silently
            traceback.print_exc()
            reply = text_reply(500, "sandbox internal error")
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


class FourPxSandbox:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock_file: str | Path | None = None,
        seed: str = "demo",
        state_dir: str | Path | None = None,
        webhook_url: str | None = None,
        log_requests: bool = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the sandbox listens on the loopback interface only (127.0.0.1)")
        self.host = "127.0.0.1"
        self.requested_port = port
        self.clock = SandboxClock(clock_file)
        self.state = SandboxState(clock=self.clock, seed=seed, webhook_url=webhook_url)
        self.seed = seed
        self.state_dir = Path(state_dir) if state_dir else None
        self.log_requests = log_requests
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._saved_changes = -1
        self._last_save = 0.0

    # -- lifecycle -------------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path | None:
        return self.state_dir / STATE_FILE if self.state_dir else None

    def start(self) -> FourPxSandbox:
        state_file = self.state_file
        if state_file is None or not self.state.load(state_file):
            self.state.reset(self.seed)
        with self.state.lock:
            lifecycle.advance(self.state, self.clock.now())
        httpd = _Server((self.host, self.requested_port), _Handler)
        httpd.sandbox = self
        self._httpd = httpd
        self._stop.clear()
        self._threads = [
            threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="fourpx-http", daemon=True
            ),
            threading.Thread(target=self._engine, name="fourpx-engine", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.state.wake.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._save(force=True)
        self._httpd = None

    def __enter__(self) -> FourPxSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}{api.GATEWAY_PATH}"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_sandbox"

    def ready_info(self) -> dict[str, Any]:
        with self.state.lock:
            return {
                "base_url": self.base_url,
                "control_url": self.control_url,
                "accounts": [control.ready_line(a) for a in self.state.world.accounts.values()],
            }

    # -- background engine ---------------------------------------------------------------------------------
    def _engine(self) -> None:
        """Every tick (or when woken): advance consignments to the clock, snapshot when asked to.

        4PX pushes nothing (tracking is polled), so there is no delivery queue: the engine keeps the world
        current for the ledger and control API between requests; every request also catches up first."""
        state = self.state
        while not self._stop.is_set():
            try:
                now = self.clock.now()
                with state.lock:
                    lifecycle.advance(state, now)
                self._save()
            except Exception:
                traceback.print_exc()
            state.wake.wait(ENGINE_TICK_S)
            state.wake.clear()

    def _save(self, force: bool = False) -> None:
        state_file = self.state_file
        if state_file is None:
            return
        changes = self.state.changes
        if changes == self._saved_changes:
            return
        now = time.monotonic()
        if not force and now - self._last_save < SAVE_EVERY_S:
            return
        self.state.save(state_file)
        self._saved_changes = changes
        self._last_save = now

    # -- requests --------------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, raw: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._control(method, path, query, raw)
        if path == api.GATEWAY_PATH:
            if method != "POST":
                reply = text_reply(405, f"Request method '{method}' not supported")
                self._record(method, path, "UNMATCHED", reply, None, query)
                return reply
            return self._api(method, path, query, raw)
        if path.startswith(api.LABEL_PREFIX) and method == "GET":
            return self._api(method, path, query, raw)
        reply = text_reply(404, "Not Found")
        self._record(method, path, "UNMATCHED", reply, None, query)
        return reply

    def _control(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        def answer(status: int, payload: Any) -> Reply:
            return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return answer(400, {"error": "bad_json", "message": "the body is not JSON"})
        if not isinstance(body, dict):
            return answer(400, {"error": "bad_json", "message": "the body must be a JSON object"})
        now = self.clock.now()
        with self.state.lock:
            try:
                lifecycle.advance(self.state, now)
                status, payload = control.handle(self.state, method, path, query, body, now)
            except control.ControlError as exc:
                return answer(exc.status, {"error": "control_error", "message": exc.message})
        self.state.wake.set()
        return answer(status, payload)

    def _api(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        state = self.state
        is_label = path.startswith(api.LABEL_PREFIX)
        fop_method = "" if is_label else query.get("method", "").strip()
        language = api.language_of(query, state.config.default_language)
        if is_label:
            route = "GET /label-files/{file}"
        elif fop_method in api.METHODS:
            route = f"POST {fop_method}"
        else:
            route = "POST UNKNOWN_METHOD"
        with state.lock:
            pre = state.faults.pre_call(method, path, fop_method)
        if pre.latency_s > 0:
            self._stop.wait(pre.latency_s)
        if pre.hang_s is not None:
            self._stop.wait(pre.hang_s)
            if pre.hang_mode == "close":
                reply = Reply(0, drop=True, fault="timeout")
            else:
                reply = api.error_reply(server_error(504, fault="timeout"), language)
            self._record(method, path, route, reply, None, query)
            return reply
        now = self.clock.now()
        with state.lock:
            lifecycle.advance(state, now)
            ctx = api.Ctx(state=state, now=now, params=query, raw=raw, language=language, base_url=self.base_url)
            if pre.error is not None:
                reply = api.error_reply(pre.error, language)
            elif is_label:
                reply = api.label_file(state, now, path[len(api.LABEL_PREFIX) :])
            elif not fop_method:
                err = FopError([Problem(MISSING_PARAM, "public parameter is required", "公共参数不能为空", "method")])
                reply = api.error_reply(err, language)
            elif fop_method not in api.METHODS:
                # 4PX's gateway answers an unknown method with HTTP 500 and a plain-text body.
                reply = text_reply(500, f"Unknown method: {fop_method}")
            else:
                try:
                    reply = api.run(ctx, fop_method)
                except api.DropConnection:
                    reply = Reply(0, drop=True, fault="create_then_fail")
            app_key = ctx.account.app_key if ctx.account else None
            self._record(method, path, route, reply, app_key, query)
        state.wake.set()
        return reply

    def _record(
        self, method: str, path: str, route: str, reply: Reply, app_key: str | None, query: dict[str, str]
    ) -> None:
        with self.state.lock:
            w = self.state.world
            w.call_counts[route] = w.call_counts.get(route, 0) + 1
            w.calls.append(
                CallRecord(
                    seq=w.next_call_seq,
                    at=self.clock.now(),
                    http_method=method,
                    path=path,
                    route=route,
                    http_status=0 if reply.drop else reply.status,
                    result=reply.result,
                    error_code=reply.error_code,
                    app_key=app_key,
                    version=query.get("v", ""),
                    fault=reply.fault,
                )
            )
            w.next_call_seq += 1
            if len(w.calls) > MAX_CALL_LOG:
                del w.calls[: len(w.calls) - MAX_CALL_LOG]
            self.state.changed()
