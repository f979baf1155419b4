"""``python -m local up``: moto, resources, workers, gateway, pollers, scheduler, seed, state file.

Everything is built from the manifest, the same one the CDK stack reads, so a function that works
here meets the same names, environment, triggers and limits on AWS. Stopping (Ctrl-C or SIGTERM)
undoes it all in order and leaves no process behind.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from kiriman.wiring import (
    AuthorizerTrigger,
    BusTrigger,
    Function,
    HttpTrigger,
    Manifest,
    QueueTrigger,
    ScheduleTrigger,
    function_environment,
    physical_name,
)
from local.aws import Aws
from local.bus import BUS_CONCURRENCY, bus_pollers
from local.clock import SharedClock
from local.config import (
    ACCESS_KEY,
    REGION,
    REPO_ROOT,
    SECRET_KEY,
    STAGE,
    StackOptions,
    load_manifest,
    write_json_atomic,
)
from local.control import Control
from local.faults import Faults
from local.http_gateway import Gateway
from local.moto import MotoServer
from local.provision import Provisioned, provision
from local.records import InvocationLog
from local.sandbox_process import SandboxProcess
from local.scheduler import Scheduler
from local.seed import seed
from local.sqs_poller import QueuePoller
from local.workers import FunctionSpec, Invoker

log = logging.getLogger("local.stack")
HTTP_CONCURRENCY = 3  # warm sandboxes per HTTP-facing function; 2 cores spawning more at once starve them


def pool_size(fn: Function) -> int:
    """How many sandboxes a function's triggers can keep busy at once."""
    size = 0
    for t in fn.triggers:
        if isinstance(t, HttpTrigger | AuthorizerTrigger):
            size += HTTP_CONCURRENCY
        elif isinstance(t, QueueTrigger):
            size += t.max_concurrency
        elif isinstance(t, BusTrigger):
            size += BUS_CONCURRENCY
        elif isinstance(t, ScheduleTrigger):
            size += 2
    return max(1, size)


# Carrier sandboxes by carrier slug (each a module run with --port 0 that prints its ready line).
CARRIER_SANDBOXES = {slug: f"local.sandboxes.{slug}" for slug in ("ninjavan", "jnt", "flash", "fourpx")}


def runtime_environment(moto_url: str, options: StackOptions, fn: Function, function_name: str) -> dict[str, str]:
    """What only the local stack adds to a function's manifest environment: endpoints and the clock."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "CLOCK_OFFSET_FILE": str(options.clock_file.resolve()),
        "TIME_SCALE": repr(options.time_scale),
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout_s),
    }


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.stop_event = threading.Event()
        self.manifest: Manifest = load_manifest(options.manifest, options.extra_manifests)
        self.clock = SharedClock(options.clock_file.resolve())
        self.faults = Faults()
        self.invocations = InvocationLog()
        self.moto: MotoServer | None = None
        self.aws: Aws | None = None
        self.resources: Provisioned | None = None
        self.invoker: Invoker | None = None
        self.gateway: Gateway | None = None
        self.pollers: list[QueuePoller] = []
        self.scheduler: Scheduler | None = None
        self.specs: dict[str, FunctionSpec] = {}
        self.sandboxes: dict[str, SandboxProcess] = {}
        self.carrier_endpoints: dict[str, str] = {}
        self.state: dict[str, Any] = {}
        self._stopped = False

    # --- start ------------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        opts = self.options
        opts.state_dir.mkdir(parents=True, exist_ok=True)
        opts.logs_dir.mkdir(parents=True, exist_ok=True)
        opts.state_file.unlink(missing_ok=True)  # never let a reader see the previous run's file
        self.clock.reset()
        # Bind the API port first: a busy port fails before anything else starts.
        self.gateway = Gateway(self.manifest, self.clock, opts.host, opts.port)
        self.gateway.cache_scale = opts.time_scale

        self.moto = MotoServer(opts.moto_port, opts.logs_dir / "moto.log")
        self.moto.start()
        log.info("moto is up on %s", self.moto.base_url)
        _isolate_runner_environment(self.moto.base_url)
        self.aws = Aws(self.moto.base_url)
        self.aws.warm()
        self.resources = provision(self.aws, self.manifest, opts.time_scale, min_timeout_s=opts.min_timeout_s)
        names = self.resources.names(public_api_url=self.gateway.base_url)
        self._start_sandboxes()
        self._start_carrier_sandboxes()

        for fn in self.manifest.functions:
            folder = (REPO_ROOT / fn.folder).resolve()
            if not folder.is_dir():
                log.warning("function %s has no folder %s; its invocations will fail", fn.name, folder)
            function_name = physical_name(self.manifest.app, STAGE, fn.name)
            extra = runtime_environment(self.moto.base_url, opts, fn, function_name)
            if fn.access.carrier_accounts != "none" and self.carrier_endpoints:
                extra["CARRIER_ENDPOINTS"] = json.dumps(self.carrier_endpoints, sort_keys=True)
            self.specs[fn.name] = FunctionSpec(
                name=fn.name,
                physical_name=function_name,
                folder=folder,
                handler=fn.handler,
                memory_mb=fn.memory_mb,
                timeout_s=opts.function_timeout(fn.timeout_s),
                environment=function_environment(self.manifest, fn, names, extra),
                log_path=opts.logs_dir / f"{fn.name}.log",
                pool_size=pool_size(fn),
            )
        self.invoker = Invoker(self.specs, self.faults, self.invocations)

        control = Control(
            clock=self.clock,
            faults=self.faults,
            invocations=self.invocations,
            invoker=self.invoker,
            aws=self.aws,
            state=lambda: self.state,
        )
        self.gateway.start(self.invoker, control)
        self.state = self._state_document(operator=None, merchants=[], problems=[])

        for short, (fn, trig) in sorted(self.manifest.queues().items()):
            self.pollers.append(
                QueuePoller(
                    aws=self.aws,
                    invoker=self.invoker,
                    faults=self.faults,
                    function=fn.name,
                    queue_url=self.resources.queue_urls[short],
                    batch_size=trig.batch_size,
                    window_s=trig.batching_window_s * opts.time_scale,
                    concurrency=trig.max_concurrency,
                    stop=self.stop_event,
                )
            )
        self.pollers += bus_pollers(self.manifest, self.resources, self.aws, self.invoker, self.faults, self.stop_event)
        for p in self.pollers:
            p.start()
        self.scheduler = Scheduler(self.manifest, self.clock, self.invoker, self.stop_event, opts.time_scale)
        self.scheduler.start()

        operator: str | None = None
        merchants: list[dict[str, Any]] = []
        problems: list[str] = []
        if opts.seed and "api" in self.specs:
            operator, merchants, problems = seed(self.gateway.base_url, self.specs["api"].environment)
        self.state = self._state_document(operator, merchants, problems)
        write_json_atomic(opts.state_file, self.state)
        return self.state

    def _state_document(
        self, operator: str | None, merchants: list[dict[str, Any]], problems: list[str]
    ) -> dict[str, Any]:
        assert self.moto is not None and self.gateway is not None and self.resources is not None
        api = self.gateway.base_url
        return {
            "running": True,
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "app": self.manifest.app,
            "stage": STAGE,
            "region": REGION,
            "time_scale": self.options.time_scale,
            "api": {"base_url": api},
            "control": {"base_url": f"{api}/_local"},
            "moto": {"base_url": self.moto.base_url, "pid": self.moto.pid},
            "operator": {"api_key": operator},
            "merchants": merchants,
            "clock": {"offset_file": str(self.clock.path), "time_scale": self.options.time_scale},
            "resources": self.resources.to_json(),
            "functions": {
                name: {
                    "physical_name": spec.physical_name,
                    "timeout_s": spec.timeout_s,
                    "log": str(spec.log_path.resolve()),
                    "triggers": [t.kind for t in self.manifest.function(name).triggers],
                }
                for name, spec in self.specs.items()
            },
            "logs_dir": str(self.options.logs_dir.resolve()),
            "state_file": str(self.options.state_file.resolve()),
            "seed_problems": problems,
            **{name: self._sandbox_block(name) for name in self.sandboxes},
        }

    # --- sandboxes --------------------------------------------------------------------------
    def _start_sandboxes(self) -> None:
        """The Shopee sandbox, its credentials put into the ``shopee`` secret the functions read."""
        assert self.gateway is not None and self.aws is not None and self.resources is not None
        opts = self.options
        if "shopee" not in self.manifest.secrets or not (REPO_ROOT / "local/sandboxes/shopee").is_dir():
            return
        partner_id = 1000000 + secrets.randbelow(900000)
        partner_key = secrets.token_hex(32)
        push_url = f"{self.gateway.base_url}/webhooks/shopee"
        sandbox = SandboxProcess(
            "shopee",
            "local.sandboxes.shopee",
            [
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--partner-id",
                str(partner_id),
                "--partner-key",
                partner_key,
                "--clock-file",
                str(self.clock.path),
                "--seed",
                "demo" if opts.seed else "none",
                "--push-url",
                push_url,
            ],
            opts.logs_dir / "shopee-sandbox.log",
        )
        info = sandbox.start()
        self.sandboxes["shopee"] = sandbox
        secret = {
            "partner_id": partner_id,
            "partner_key": partner_key,
            "host": info["base_url"],
            "push_callback_url": push_url,
            "state_key": secrets.token_hex(32),
        }
        self.aws.secrets.put_secret_value(SecretId=self.resources.secrets["shopee"], SecretString=json.dumps(secret))
        log.info("shopee sandbox is up on %s", info["base_url"])

    def _start_carrier_sandboxes(self) -> None:
        """One sandbox per carrier that has one; adapters reach them through CARRIER_ENDPOINTS."""
        opts = self.options
        for slug, module in CARRIER_SANDBOXES.items():
            if not (REPO_ROOT / module.replace(".", "/")).is_dir():
                continue
            sandbox = SandboxProcess(
                slug,
                module,
                ["--host", "127.0.0.1", "--port", "0", "--clock-file", str(self.clock.path),
                 "--seed", "demo" if opts.seed else "none"],
                opts.logs_dir / f"{slug}-sandbox.log",
            )
            info = sandbox.start()
            self.sandboxes[slug] = sandbox
            self.carrier_endpoints[slug] = info["base_url"]
            log.info("%s sandbox is up on %s", slug, info["base_url"])

    def _sandbox_block(self, name: str) -> dict[str, Any]:
        info = dict(self.sandboxes[name].info)
        if name == "shopee" and self.gateway is not None:
            info.setdefault("push_callback_url", f"{self.gateway.base_url}/webhooks/shopee")
        return info

    # --- run and stop -----------------------------------------------------------------------
    def wait(self) -> None:
        while not self.stop_event.wait(0.5):
            pass

    def request_stop(self) -> None:
        self.stop_event.set()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.stop_event.set()
        for name, step in (
            ("gateway", self._stop_gateway),
            ("workers", self._stop_workers),
            ("pollers", self._join_pollers),
            ("sandboxes", self._stop_sandboxes),
            ("moto", self._stop_moto),
        ):
            try:
                step()
            except Exception:
                log.exception("stopping %s failed", name)
        if self.state:
            self.state = {
                **self.state,
                "running": False,
                "stopped_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            try:
                write_json_atomic(self.options.state_file, self.state)
            except OSError:
                log.exception("could not mark %s stale", self.options.state_file)

    def _stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()

    def _stop_workers(self) -> None:
        """Kills every sandbox; in-flight invocations end as crashes and their messages stay queued."""
        if self.invoker is not None:
            self.invoker.close()

    def _join_pollers(self) -> None:
        for p in self.pollers:
            p.join(5.0)
        if self.scheduler is not None:
            self.scheduler.join(5.0)

    def _stop_sandboxes(self) -> None:
        for sandbox in self.sandboxes.values():
            sandbox.stop()

    def _stop_moto(self) -> None:
        if self.moto is not None:
            self.moto.stop()


def _isolate_runner_environment(moto_url: str) -> None:
    """Whatever in the runner builds an AWS client (seeding, redrive) must reach moto, never AWS."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )


def describe(state: dict[str, Any]) -> str:
    """The state file, for people."""
    res = state["resources"]
    lines = [
        "Shopee Forwarder local stack is up",
        f"  API            {state['api']['base_url']}",
        f"  control        {state['control']['base_url']}",
        f"  moto           {state['moto']['base_url']}",
        f"  region/stage   {state['region']} / {state['stage']}  (time scale {state['time_scale']})",
        f"  clock offset   {state['clock']['offset_file']}",
        f"  table          {res['table']}",
        f"  bucket         {res['bucket']}",
        f"  bus            {res['bus']}",
    ]
    for short, url in res["queues"].items():
        lines.append(f"  queue          {short}: {url}")
    lines.append(f"  operator key   {state['operator']['api_key'] or '(not seeded)'}")
    for m in state["merchants"]:
        lines.append(f"  merchant       {m['name']} ({m.get('market', '?')}) {m['merchant_id']}  key {m['api_key']}")
    for p in state.get("seed_problems", []):
        lines.append(f"  seed problem   {p}")
    lines.append(f"  logs           {state['logs_dir']}")
    lines.append(f"  state file     {state['state_file']}")
    lines.append("Ctrl-C to stop.")
    return "\n".join(lines)
