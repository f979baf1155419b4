"""``python -m local.sandboxes.jnt --host 127.0.0.1 --port 0 --clock-file PATH [--seed demo|none]
[--state-dir DIR] [--webhook-url URL] [--log-requests]``

Prints one JSON line when ready (base_url, control_url, accounts) and serves until SIGINT/SIGTERM, then exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .server import JntSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sandboxes.jnt", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback only")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--clock-file", default=None, help="shared clock offset file (seconds; missing = 0)")
    parser.add_argument("--seed", choices=["demo", "none"], default="demo")
    parser.add_argument("--state-dir", default=None, help="keep the world here across restarts")
    parser.add_argument("--webhook-url", default=None, help="webhook URL of the seeded accounts")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    sandbox = JntSandbox(
        host=args.host,
        port=args.port,
        clock_file=args.clock_file,
        seed=args.seed,
        state_dir=args.state_dir,
        webhook_url=args.webhook_url,
        log_requests=args.log_requests,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox.start()
    sys.stdout.write(json.dumps(sandbox.ready_info(), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
