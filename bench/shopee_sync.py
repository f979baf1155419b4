"""Order sync on the local stack: N orders from S sandbox shops, end to end.

Reports orders per second (from the first authorization to the last order visible through the API)
and Shopee calls per 100 orders from the sandbox's ledger (the floor is about 3: one list page of 100
and two detail batches of 50).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from local.config import StackOptions
from local.demo import _request, wait_for

SYNC_PATHS = ("/api/v2/order/get_order_list", "/api/v2/order/get_order_detail")


def count_orders(api: str, key: str) -> int:
    total, cursor = 0, ""
    while True:
        status, page = _request("GET", f"{api}/v1/orders?limit=100" + (f"&cursor={cursor}" if cursor else ""), key)
        if status != 200:
            return total
        total += len(page["items"])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--shops", type=int, default=10)
    args = parser.parse_args()

    from local.stack import LocalStack

    state_dir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    stack = LocalStack(StackOptions(port=0, state_dir=state_dir, time_scale=1.0, seed=True))
    state = stack.start()
    try:
        api = state["api"]["base_url"]
        sandbox = state["shopee"]["control_url"].rstrip("/")
        status, m = _request("POST", f"{api}/v1/merchants", state["operator"]["api_key"], {"name": "Bench Sync"})
        assert status == 201, m
        key = m["api_key"]
        per_shop = args.orders // args.shops
        shop_ids = []
        for n in range(args.shops):
            _, shop = _request("POST", f"{sandbox}/shops", None, {"region": ["SG", "MY", "TH", "VN", "PH"][n % 5]})
            shop_ids.append(int(shop["shop_id"]))
            left = per_shop
            while left:
                batch = min(left, 500)
                _request("POST", f"{sandbox}/orders", None, {"shop_id": shop["shop_id"], "count": batch, "items": 2})
                left -= batch
        _, before = _request("GET", f"{sandbox}/ledger?include=calls")
        since = max((c["seq"] for c in before.get("calls", [])), default=0)
        started = time.monotonic()
        for sid in shop_ids:
            _request("POST", f"{sandbox}/auth-mode", None, {"mode": "shop", "shop_id": sid})
            _, link = _request("POST", f"{api}/v1/shops/authorize", key, {})
            status, body = _request("GET", link["authorization_url"])
            assert status == 200, body
        expected = per_shop * args.shops
        done = wait_for(lambda: count_orders(api, key) >= expected, timeout_s=1800, every_s=2.0)
        elapsed = time.monotonic() - started
        _, ledger = _request("GET", f"{sandbox}/ledger?include=calls&since={since}")
        calls = [c for c in ledger["calls"] if c.get("shop_id") in shop_ids and c["path"] in SYNC_PATHS]
        result: dict[str, Any] = {
            "orders": expected,
            "shops": args.shops,
            "complete": bool(done),
            "seconds": round(elapsed, 1),
            "orders_per_second": round(expected / elapsed, 1),
            "shopee_sync_calls": len(calls),
            "shopee_calls_per_100_orders": round(100 * len(calls) / expected, 2),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "note": "wall time includes the API polling that counts the orders (every 2 s)",
        }
    finally:
        stack.stop()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "shopee_sync.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
