"""The HTTP server: routing, the request pipeline (faults, auth, ledger), and the background engine that advances
parcels on the shared clock and pushes tracking callbacks.

Built on the standard library's ``http.server.ThreadingHTTPServer`` (one thread per connection, HTTP/1.1
keep-alive); no framework, no project imports.

    from local.sandboxes.jnt.server import JntSandbox
    with JntSandbox(clock_file=path, seed="demo") as sandbox:
        sandbox.base_url  # http://127.0.0.1:<port>; the API lives under /webopenplatformapi/api/
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..kit.clock import SandboxClock
from . import api, control, lifecycle, webhooks
from .api import Reply, envelope_reply, json_reply
from .errors import JntError
from .model import CallRecord
from .state import SandboxState

ENGINE_TICK_S = 0.2
SAVE_EVERY_S = 1.0
MAX_CALL_LOG = 100_000
STATE_FILE = "jnt-sandbox-state.json"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: JntSandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "JntSandbox/1"
    disable_nagle_algorithm = True  # small JSON replies: no Nagle / delayed-ACK stalls
    wbufsize = 64 * 1024  # headers and body leave in one write

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.log_requests:
            sys.stderr.write(f"[jnt-sandbox] {self.address_string()} {format % args}\n")

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
        headers = {k.lower(): v for k, v in self.headers.items()}
        sandbox = self.server.sandbox
        try:
            reply = sandbox.handle(method, self.path, headers, raw)
        except Exception:  # a sandbox bug must not kill the connection silently
            traceback.print_exc()
            body = {"code": "500", "msg": "sandbox internal error", "data": None, "requestId": ""}
            reply = json_reply(500, body)
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


class JntSandbox:
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
        self._executor: ThreadPoolExecutor | None = None
        self._saved_changes = -1
        self._last_save = 0.0

    # -- lifecycle -------------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path | None:
        return self.state_dir / STATE_FILE if self.state_dir else None

    def start(self) -> JntSandbox:
        state_file = self.state_file
        if state_file is None or not self.state.load(state_file):
            self.state.reset(self.seed)
        with self.state.lock:
            lifecycle.advance(self.state, self.clock.now())
        httpd = _Server((self.host, self.requested_port), _Handler)
        httpd.sandbox = self
        self._httpd = httpd
        self.state.base_url = self.base_url
        self._stop.clear()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="jnt-callback")
        self._threads = [
            threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="jnt-http", daemon=True),
            threading.Thread(target=self._engine, name="jnt-engine", daemon=True),
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
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._save(force=True)
        self._httpd = None

    def __enter__(self) -> JntSandbox:
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
        """Every tick (or when woken): advance parcels to the clock, hand due pushes to the worker pool."""
        state = self.state
        while not self._stop.is_set():
            try:
                now = self.clock.now()
                with state.lock:
                    lifecycle.advance(state, now)
                    jobs = webhooks.due_jobs(state, now)
                for job in jobs:
                    assert self._executor is not None
                    self._executor.submit(self._deliver, job)
                self._save()
            except Exception:
                traceback.print_exc()
            state.wake.wait(ENGINE_TICK_S)
            state.wake.clear()

    def _deliver(self, job: webhooks.SendJob) -> None:
        result = webhooks.post(job)
        with self.state.lock:
            webhooks.record(self.state, job, result)

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
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            return self._control(method, path, query, raw)
        return self._api(method, path, parse_qs(parts.query, keep_blank_values=True), headers, raw)

    def _control(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return json_reply(400, {"error": "bad_json", "message": "the body is not JSON"})
        if not isinstance(body, dict):
            return json_reply(400, {"error": "bad_json", "message": "the body must be a JSON object"})
        now = self.clock.now()
        with self.state.lock:
            try:
                lifecycle.advance(self.state, now)
                status, payload = control.handle(self.state, method, path, query, body, now)
            except control.ControlError as exc:
                return json_reply(exc.status, {"error": "control_error", "message": exc.message})
        self.state.wake.set()
        return json_reply(status, payload)

    def _error_reply(self, err: JntError, name: str, request_id: str) -> Reply:
        reply = envelope_reply(self.state.config, name, err.code, err.msg, err.data, request_id, status=err.status)
        reply.headers.update(err.headers)
        reply.fault = err.fault
        return reply

    def _api(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes) -> Reply:
        state = self.state
        request_id = state.request_id()
        route, routing_error = api.resolve(method, path)
        if route is None:
            assert routing_error is not None
            reply = self._error_reply(routing_error, "", request_id)
            self._record(method, path, "UNMATCHED", reply, None, request_id, "")
            return reply
        with state.lock:
            pre = state.faults.pre_call(method, path)
        if pre.latency_s > 0:
            self._stop.wait(pre.latency_s)
        if pre.hang_s is not None:
            self._stop.wait(pre.hang_s)
            if pre.hang_mode == "close":
                reply = Reply(0, drop=True, fault="timeout")
            else:
                timeout = JntError("504", "Gateway Timeout: please retry later", status=504, fault="timeout")
                reply = self._error_reply(timeout, route.name, request_id)
            self._record(method, path, route.template, reply, None, request_id, "")
            return reply
        now = self.clock.now()
        with state.lock:
            lifecycle.advance(state, now)
            ctx = api.Ctx(
                state=state,
                now=now,
                method=method,
                path=path,
                name=route.name,
                query=query,
                raw=raw,
                headers=headers,
                request_id=request_id,
                base_url=self.base_url,
            )
            try:
                if pre.error is not None:
                    raise pre.error
                reply = route.handler(ctx)
            except JntError as err:
                reply = self._error_reply(err, route.name, request_id)
            account = ctx.account.api_account if ctx.account else None
            self._record(method, path, route.template, reply, account, request_id, ctx.auth_form)
        state.wake.set()  # new callbacks may be due
        return reply

    def _record(
        self,
        method: str,
        path: str,
        template: str,
        reply: Reply,
        account: str | None,
        request_id: str,
        auth_form: str,
    ) -> None:
        with self.state.lock:
            w = self.state.world
            w.call_counts[template] = w.call_counts.get(template, 0) + 1
            w.calls.append(
                CallRecord(
                    seq=w.next_call_seq,
                    at=self.clock.now(),
                    method=method,
                    path=path,
                    route=template,
                    http_status=0 if reply.drop else reply.status,
                    code=reply.code,
                    account=account,
                    request_id=request_id,
                    fault=reply.fault,
                    auth_form=auth_form,
                )
            )
            w.next_call_seq += 1
            if len(w.calls) > MAX_CALL_LOG:
                del w.calls[: len(w.calls) - MAX_CALL_LOG]
            self.state.changed()
