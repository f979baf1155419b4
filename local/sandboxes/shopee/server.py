"""The HTTP server: routing, the request pipeline, the background engine (clock steps and push delivery).

Built on the standard library's ``http.server.ThreadingHTTPServer`` (one thread per connection, HTTP/1.1
keep-alive): no framework is needed for a JSON API of this size, and it keeps the sandbox dependency-free.

    from local.sandboxes.shopee.server import ShopeeSandbox
    with ShopeeSandbox(partner_id=2001234, partner_key="...", clock_file=path) as sandbox:
        sandbox.base_url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import auth, control, documents, factory, lifecycle, logistics, orders, push
from .api import ApiResult, Ctx, Endpoint
from .clock import SandboxClock
from .errors import ApiError, http_status_for, param_error
from .model import ApiCall
from .state import SandboxState

MAX_LEDGER_CALLS = 200_000
ENGINE_TICK_S = 0.05
SAVE_EVERY_S = 1.0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: ShopeeSandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "ShopeeSandbox/1"
    disable_nagle_algorithm = True  # small JSON replies: no 40 ms Nagle / delayed-ACK stalls
    wbufsize = 64 * 1024  # headers and body leave in one write; the base class flushes after each request

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.log_requests:
            sys.stderr.write(f"[shopee-sandbox] {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        sandbox = self.server.sandbox
        try:
            reply = sandbox.handle(method, parts.path, query, raw)
        except Exception:  # a sandbox bug must not kill the connection silently
            traceback.print_exc()
            reply = _json_reply(500, {"error": "error_server", "message": "sandbox internal error", "request_id": ""})
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)


class ShopeeSandbox:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        partner_id: int = 2001234,
        partner_key: str = "sandbox-partner-key",
        clock_file: str | Path | None = None,
        seed: str = "demo",
        state_dir: str | Path | None = None,
        push_url: str | None = None,
        log_requests: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.clock = SandboxClock(clock_file)
        self.state = SandboxState(
            partner_id=partner_id, partner_key=partner_key, clock=self.clock, seed=seed, push_url=push_url
        )
        self.seed = seed
        self.state_dir = Path(state_dir) if state_dir else None
        self.log_requests = log_requests
        self.endpoints: dict[str, Endpoint] = {
            e.path: e
            for e in [*auth.ENDPOINTS, *orders.ENDPOINTS, *logistics.ENDPOINTS, *documents.ENDPOINTS, *push.ENDPOINTS]
        }
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._saved_changes = -1
        self._last_save = 0.0

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path | None:
        return self.state_dir / "shopee-sandbox-state.json" if self.state_dir else None

    def start(self) -> ShopeeSandbox:
        state_file = self.state_file
        if state_file is None or not self.state.load(state_file):
            self.state.reset(self.seed)
        with self.state.lock:  # catch up with the clock before the first request (seeded steps already due)
            lifecycle.advance(self.state, self.clock.now())
        httpd = _Server((self.host, self.requested_port), _Handler)
        httpd.sandbox = self
        self._httpd = httpd
        self._stop.clear()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="shopee-push")
        self._threads = [
            threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="shopee-http", daemon=True
            ),
            threading.Thread(target=self._engine, name="shopee-engine", daemon=True),
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

    def __enter__(self) -> ShopeeSandbox:
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

    @property
    def partner_id(self) -> int:
        return self.state.partner_id

    @property
    def partner_key(self) -> str:
        return self.state.partner_key

    def ready_info(self) -> dict[str, Any]:
        with self.state.lock:
            shops = sorted(self.state.world.shops.values(), key=lambda s: s.shop_id)
            return {
                "base_url": self.base_url,
                "partner_id": self.partner_id,
                "partner_key": self.partner_key,
                "shops": [factory.shop_line(s) for s in shops],
                "control_url": self.control_url,
            }

    # -- background engine ---------------------------------------------------------------------------
    def _engine(self) -> None:
        """Runs the clock-driven steps and hands due pushes to the delivery pool, every tick."""
        state = self.state
        while not self._stop.is_set():
            try:
                now = self.clock.now()
                with state.lock:
                    lifecycle.advance(state, now)
                    jobs = push.due_jobs(state, now)
                for job in jobs:
                    assert self._executor is not None
                    self._executor.submit(self._deliver, job)
                self._save()
            except Exception:
                traceback.print_exc()
            state.wake.wait(ENGINE_TICK_S)
            state.wake.clear()

    def _deliver(self, job: push.SendJob) -> None:
        result = push.post(job)
        with self.state.lock:
            push.record(self.state, job, result)

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

    # -- requests ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._control(method, path, query, raw)
        if path.startswith("/api/"):
            return self._api(method, path, query, raw)
        if path == "/auth" and method == "GET":
            return self._sandbox_v2_auth(query)
        return _json_reply(404, {"error": "not_found", "message": f"no route {method} {path}"})

    def _control(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _json_reply(400, {"error": "bad_json", "message": "the body is not JSON"})
        if not isinstance(body, dict):
            return _json_reply(400, {"error": "bad_json", "message": "the body must be a JSON object"})
        now = self.clock.now()
        with self.state.lock:
            try:
                lifecycle.advance(self.state, now)
                status, payload = control.handle(self.state, method, path, query, body, now)
            except control.ControlError as exc:
                return _json_reply(exc.status, {"error": "control_error", "message": exc.message})
        return _json_reply(status, payload)

    def _sandbox_v2_auth(self, query: dict[str, str]) -> Reply:
        """Sandbox v2's seller login page (``/auth?auth_type=seller&partner_id&redirect_uri&response_type=code``,
        developer guide "Sandbox Testing V2"): unsigned; approves at once like auth_partner."""
        redirect = query.get("redirect_uri") or query.get("redirect")
        if str(self.state.partner_id) != query.get("partner_id") or not redirect:
            return _json_reply(400, {"error": "error_param", "message": "partner_id and redirect_uri are required"})
        now = self.clock.now()
        with self.state.lock:
            try:
                params = auth.seller_approves(self.state, now)
            except ApiError as exc:
                return _json_reply(400, {"error": exc.error, "message": exc.message})
        location = auth.with_params(redirect, {k: str(v) for k, v in params.items()})
        return Reply(302, b"", "text/plain", {"Location": location})

    def _api(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        state = self.state
        request_id = state.request_id()
        with state.lock:
            delay = state.faults.latency_s(path)
        if delay > 0:
            time.sleep(delay)
        now = self.clock.now()
        endpoint = self.endpoints.get(path)
        with state.lock:
            lifecycle.advance(state, now)
            ctx = Ctx(state=state, now=now, method=method, path=path, query=query, body={}, request_id=request_id)
            fault = ""
            try:
                result = self._run(ctx, endpoint, raw)
                status = result.http_status or (
                    http_status_for(ApiError(result.error, result.message), state.config.http_status_mode)
                    if result.error
                    else 200
                )
                outcome = result.error or "ok"
                reply = self._render(result, request_id, status)
                status = reply.status  # 302 for the authorization link
            except ApiError as err:
                fault = err.fault
                outcome = err.error
                status = http_status_for(err, state.config.http_status_mode)
                envelope: dict[str, Any] = {"request_id": request_id, "error": err.error, "message": err.message}
                if err.response is not None:
                    envelope["response"] = err.response
                if err.warning is not None:
                    envelope["warning"] = err.warning
                reply = _json_reply(status, envelope)
            self._ledger(ctx, query, outcome, status, fault)
        return reply

    def _run(self, ctx: Ctx, endpoint: Endpoint | None, raw: bytes) -> ApiResult:
        state = ctx.state
        if endpoint is None:
            raise ApiError(
                "error_param", "Permission denied. This API is currently offline or the request path is incorrect."
            )
        if ctx.method != endpoint.method:
            raise param_error(f"{ctx.path} only accepts {endpoint.method}")
        if ctx.method == "POST":
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise param_error("the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise param_error("the request body must be a JSON object")
            ctx.body = body
        if endpoint.api_type != "link":
            auth.authenticate(ctx, endpoint.api_type)
        shop_id = ctx.shop.shop_id if ctx.shop else None
        err = state.faults.before_call(state.world, ctx.path, shop_id, ctx.now)
        if err is not None:
            raise err
        result = endpoint.handler(ctx)
        err = state.faults.after_call(ctx.path, shop_id)
        if err is not None:
            raise err
        return result

    @staticmethod
    def _render(result: ApiResult, request_id: str, status: int) -> Reply:
        if result.redirect is not None:
            return Reply(302, b"", "text/plain", {"Location": result.redirect})
        if result.binary is not None:
            return Reply(
                200,
                result.binary,
                result.content_type,
                {"Content-Disposition": 'attachment; filename="shipping_document.pdf"'},
            )
        envelope: dict[str, Any] = {"request_id": request_id, "error": result.error, "message": result.message}
        envelope.update(result.top)
        if result.has_response:
            envelope["response"] = result.response
        if result.warning is not None:
            envelope["warning"] = result.warning
        return _json_reply(status, envelope)

    def _ledger(self, ctx: Ctx, query: dict[str, str], outcome: str, status: int, fault: str) -> None:
        w = self.state.world

        def as_int(raw: str | None) -> int | None:
            try:
                return int(raw) if raw else None
            except ValueError:
                return None

        shop_id = ctx.shop.shop_id if ctx.shop else as_int(query.get("shop_id"))
        merchant_id = ctx.merchant.merchant_id if ctx.merchant else as_int(query.get("merchant_id"))
        w.calls.append(
            ApiCall(
                seq=w.next_call_seq,
                time=ctx.now,
                method=ctx.method,
                path=ctx.path,
                outcome=outcome,
                http_status=status,
                request_id=ctx.request_id,
                shop_id=shop_id,
                merchant_id=merchant_id,
                fault=fault,
            )
        )
        w.next_call_seq += 1
        if len(w.calls) > MAX_LEDGER_CALLS:
            del w.calls[: len(w.calls) - MAX_LEDGER_CALLS]
        self.state.changed()
