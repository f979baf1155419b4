"""``python -m local.sandboxes.shopee --host 127.0.0.1 --port 0 --partner-id 2001234 --partner-key KEY
--clock-file PATH [--seed demo|none] [--state-dir DIR] [--push-url URL]``

Prints one JSON line when ready (base_url, partner_id, partner_key, shops, control_url) and serves until
SIGINT/SIGTERM, then exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .server import ShopeeSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sandboxes.shopee", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--partner-id", type=int, required=True)
    parser.add_argument("--partner-key", required=True, help="used as the literal HMAC key (not hex-decoded)")
    parser.add_argument("--clock-file", default=None, help="shared clock offset file (seconds; missing = 0)")
    parser.add_argument("--seed", choices=["demo", "none"], default="demo")
    parser.add_argument("--state-dir", default=None, help="keep the world here across restarts")
    parser.add_argument("--push-url", default=None, help="push (webhook) callback URL")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    sandbox = ShopeeSandbox(
        host=args.host,
        port=args.port,
        partner_id=args.partner_id,
        partner_key=args.partner_key,
        clock_file=args.clock_file,
        seed=args.seed,
        state_dir=args.state_dir,
        push_url=args.push_url,
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
