"""``python -m local up`` starts the local stack; ``python -m local redrive <queue>`` empties a DLQ."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from local.config import DEFAULT_MANIFEST, REPO_ROOT, STATE_FILE, StackOptions, read_state


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start moto, the gateway, pollers, scheduler and workers")
    up.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    up.add_argument("--port", type=int, default=3000, help="API and /_local port (0: any free port)")
    up.add_argument("--moto-port", type=int, default=0, help="moto's port (0: any free port)")
    up.add_argument("--time-scale", type=float, default=1.0,
                    help="multiplies function timeouts, visibility timeouts and batching windows")
    up.add_argument("--min-timeout", type=float, default=0.0, metavar="SECONDS",
                    help="floor for scaled function timeouts (default 0: exactly timeout x scale)")
    up.add_argument("--manifest", default=DEFAULT_MANIFEST, help="module:ATTR of the base manifest")
    up.add_argument("--extra-manifest", action="append", default=[], metavar="MODULE:ATTR",
                    help="merge more functions (repeatable), e.g. tests.e2e.probe.manifest:PROBE_MANIFEST")
    up.add_argument("--state-dir", type=Path, default=REPO_ROOT / "out",
                    help="where local-stack.json, clock-offset and logs/ go")
    up.add_argument("--no-seed", action="store_true", help="skip the operator key and demo merchants")
    up.add_argument("--log-level", default="INFO")

    demo = sub.add_parser("demo", help="run the main job end to end and write summary.json")
    demo.add_argument("--state-dir", type=Path, default=REPO_ROOT / "out")

    rd = sub.add_parser("redrive", help="move every message of <queue>-dlq back to <queue>")
    rd.add_argument("queue", help="short queue name from the manifest")
    rd.add_argument("--config", type=Path, default=REPO_ROOT / "out" / STATE_FILE,
                    help="the running stack's local-stack.json")
    return parser


def _up(args: argparse.Namespace) -> int:
    from local.stack import LocalStack, describe

    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    options = StackOptions(
        host=args.host, port=args.port, moto_port=args.moto_port,
        time_scale=args.time_scale, min_timeout_s=args.min_timeout,
        manifest=args.manifest, extra_manifests=tuple(args.extra_manifest),
        state_dir=args.state_dir.resolve(), seed=not args.no_seed,
    )
    stack = LocalStack(options)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stack.request_stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        state = stack.start()
        if not stack.stop_event.is_set():
            print(describe(state), flush=True)
            stack.wait()
    except Exception:
        logging.getLogger("local").exception("the local stack failed")
        stack.stop()
        return 1
    stack.stop()
    print("local stack stopped", flush=True)
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from local.aws import Aws
    from local.redrive import redrive, resolve_queue

    state = read_state(args.config)
    if not state.get("running"):
        print(f"{args.config}: the stack is not running", file=sys.stderr)
        return 1
    try:
        dlq_url, queue_url = resolve_queue(state["resources"], args.queue)
    except KeyError:
        print(f"no queue named {args.queue!r} in {args.config}", file=sys.stderr)
        return 2
    moved = redrive(Aws(state["moto"]["base_url"], state["region"]).sqs, dlq_url, queue_url)
    print(f"moved {moved} message(s) from {args.queue}-dlq back to {args.queue}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "up":
        return _up(args)
    if args.command == "demo":
        from local.demo import main as demo_main

        return demo_main(args.state_dir.resolve())
    return _redrive(args)


if __name__ == "__main__":
    sys.exit(main())
