"""Fulfilment on the local stack: N READY_TO_SHIP packages from S shops to bought labels, under faults.

Half of the SG and PH packages ride the sellers' own fleet (rated and bought from Ninja Van), the rest
Shopee's integrated channels. Ninja Van fails 20% of order calls with 503, times some out and throttles
some; the runner redelivers 10% of purchase messages. Reports packages per minute (first authorization
to the last label handed back), purchases per package from the sandboxes' ledgers (must be exactly 1),
and the parked or refused packages.

    .venv/bin/python -m bench.fulfilment --packages 500 --shops 5
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
from local.demo import _request

OWN_FLEET = {"SG": 18098, "PH": 48099}
MARKETS = ("SG", "MY", "TH", "VN", "PH")


def shipments(api: str, key: str, status: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    code, page = _request("GET", f"{api}/v1/shipments?status={status}&limit=100", key)
    if code == 200:
        out += page["items"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--shops", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()

    from local.stack import LocalStack
    from tests.e2e.test_fulfilment import setup_merchant

    state_dir = Path(tempfile.mkdtemp(prefix="bench-fulfil-"))
    stack = LocalStack(StackOptions(port=0, state_dir=state_dir, time_scale=0.2, min_timeout_s=3.0, seed=True))
    state = stack.start()
    try:
        api = state["api"]["base_url"]
        shopee = state["shopee"]["control_url"].rstrip("/")
        nv = state["ninjavan"]["control_url"].rstrip("/")
        control = state["control"]["base_url"]
        _, m = _request("POST", f"{api}/v1/merchants", state["operator"]["api_key"], {"name": "Bench Fulfil"})
        key = m["api_key"]

        class Stack:  # the small part of tests.e2e.client.StackClient that setup_merchant uses
            def __init__(self) -> None:
                self.state = state

            def api(self, method: str, path: str, k: str, body: Any = None) -> Any:
                code, out = _request(method, api + path, k, body)
                return type("R", (), {"status": code, "json": staticmethod(lambda: out), "body": out})()

        setup_merchant(Stack(), key)  # type: ignore[arg-type]
        per_shop = args.packages // args.shops
        shop_ids: list[int] = []
        for n in range(args.shops):
            region = MARKETS[n % len(MARKETS)]
            _, shop = _request("POST", f"{shopee}/shops", None, {"region": region})
            sid = int(shop["shop_id"])
            shop_ids.append(sid)
            own = per_shop // 2 if region in OWN_FLEET else 0
            for count, channel in ((own, OWN_FLEET.get(region)), (per_shop - own, None)):
                left = count
                while left:
                    body: dict[str, Any] = {"shop_id": sid, "count": min(100, left), "items": 2}
                    if channel:
                        body["channel_id"] = channel
                    _request("POST", f"{shopee}/orders", None, body)
                    left -= body["count"]
        _request("POST", f"{nv}/faults", None, {"error_rate": 0.2, "error_status": 503, "seed": 11,
                                                  "paths": ["/orders"], "timeout_next": 5, "hang_s": 3,
                                                  "throttle": {"count": 10, "retry_after_s": 1}})
        _request("POST", f"{control}/faults", None, {"redeliver_share": 0.1, "functions": ["label_purchase"]})
        start = time.monotonic()
        for sid in shop_ids:
            _, link = _request("POST", f"{api}/v1/shops/authorize", key, {})
            _request("POST", f"{shopee}/auth-mode", None, {"mode": "shop", "shop_id": sid})
            _request("GET", link["authorization_url"])
        total = per_shop * args.shops
        # Past Shopee's first hour (fresh orders are held while the buyer may still cancel freely).
        _request("POST", f"{control}/clock/advance", None, {"seconds": 3660})
        done_at = None
        while time.monotonic() - start < args.timeout:
            _, ledger = _request("GET", f"{shopee}/ledger?include=ship,orders")
            packages = [p for p in ledger.get("packages", []) if p["shop_id"] in shop_ids]
            handed = [p for p in packages if p.get("tracking_number") and p.get("ship_method")]
            if len(handed) >= total:
                done_at = time.monotonic()
                break
            _request("POST", f"{control}/clock/advance", None, {"seconds": 120})
            time.sleep(5)
        elapsed = (done_at or time.monotonic()) - start
        _, nv_ledger = _request("GET", f"{nv}/ledger")
        counts = list(nv_ledger["purchases_by_package"].values())
        _, ledger = _request("GET", f"{shopee}/ledger?include=ship,orders")
        arranged = [p for p in ledger["packages"] if p["shop_id"] in shop_ids and p.get("ship_method") in
                    ("pickup", "dropoff")]
        ship_calls = ledger["ship_order_calls"]
        result = {
            "packages": total,
            "finished": done_at is not None,
            "elapsed_s": round(elapsed, 1),
            "bought": sum(counts) + len(arranged),
            "bought_per_minute": round((sum(counts) + len(arranged)) / elapsed * 60, 1),
            "ninjavan_purchases": sum(counts),
            "ninjavan_packages": len(counts),
            "ninjavan_duplicates": sum(max(0, n - 1) for n in counts),
            "shopee_arranged": len(arranged),
            "shopee_duplicates": sum(max(0, ship_calls[p["package_number"]]["ok"] - 1) for p in arranged),
            "needs_attention": len(shipments(api, key, "needs_attention")),
            "machine": {"cpus": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version()},
        }
        print(json.dumps(result, indent=2))
        out = Path("bench/results")
        out.mkdir(parents=True, exist_ok=True)
        (out / "fulfilment.json").write_text(json.dumps(result, indent=2))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
