"""``python -m local demo``: the main job on the local stack, end to end, through its public doors.

It starts a fresh stack, runs every stage the project has so far, prints what happened and always
writes ``out/summary.json``: one integer per stage (0 when nothing got there), breakdowns in
``*_by_*`` keys. Scripts read that file, so its keys are only ever added, never renamed.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.config import StackOptions, write_json_atomic

log = logging.getLogger("local.demo")

STAGES = ("merchants", "api_keys_issued", "health_ok", "shops_connected", "orders_synced")


def _request(method: str, url: str, key: str | None = None, body: Any = None, follow: bool = True) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def wait_for(check: Callable[[], bool], timeout_s: float, every_s: float = 0.5) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(every_s)
    return check()


def connect_shops(state: dict[str, Any], summary: dict[str, Any]) -> None:
    """Each demo merchant authorizes the sandbox shops of its market through the real redirect flow."""
    shopee = state.get("shopee") or {}
    api = state["api"]["base_url"]
    connected = 0
    by_market: dict[str, int] = {}
    for shop in shopee.get("shops", []):
        merchant = state["merchants"][connected % len(state["merchants"])]
        status, out = _request("POST", f"{api}/v1/shops/authorize", merchant["api_key"], {})
        if status != 200:
            log.warning("authorize for shop %s: HTTP %s %s", shop["shop_id"], status, out)
            continue
        # The seller logs in as this shop on the sandbox's page, which approves and redirects to our
        # public callback.
        _request(
            "POST", f"{shopee['control_url'].rstrip('/')}/auth-mode", None, {"mode": "shop", "shop_id": shop["shop_id"]}
        )
        status, body = _request("GET", out["authorization_url"])
        if status == 200 and shop["shop_id"] in (body or {}).get("shop_ids", []):
            connected += 1
            by_market[shop["region"]] = by_market.get(shop["region"], 0) + 1
            shop["merchant_id"] = merchant["merchant_id"]
        else:
            log.warning("callback for shop %s: HTTP %s %s", shop["shop_id"], status, body)
    summary["shops_connected"] = connected
    summary["shops_connected_by_market"] = by_market


def count_orders(state: dict[str, Any]) -> int:
    api = state["api"]["base_url"]
    total = 0
    for merchant in state["merchants"]:
        cursor = None
        while True:
            q = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
            status, page = _request("GET", f"{api}/v1/orders{q}", merchant["api_key"])
            if status != 200:
                return total
            total += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return total


def sandbox_order_count(state: dict[str, Any]) -> int:
    shopee = state.get("shopee") or {}
    status, ledger = _request("GET", f"{shopee['control_url'].rstrip('/')}/ledger")
    if status != 200:
        return -1
    shops = {s["shop_id"] for s in shopee.get("shops", []) if s.get("merchant_id")}
    return sum(1 for o in ledger.get("orders", []) if o.get("shop_id") in shops)


def run(state_dir: Path, timeout_s: float = 240) -> tuple[dict[str, Any], bool]:
    from local.stack import LocalStack

    summary: dict[str, Any] = dict.fromkeys(STAGES, 0)
    stack = LocalStack(StackOptions(port=0, state_dir=state_dir, time_scale=0.2, min_timeout_s=3.0))
    ok = True
    try:
        state = stack.start()
        api = state["api"]["base_url"]
        summary["merchants"] = len(state["merchants"])
        summary["api_keys_issued"] = len([m for m in state["merchants"] if m.get("api_key")]) + int(
            bool(state["operator"]["api_key"])
        )
        status, _ = _request("GET", f"{api}/v1/health")
        summary["health_ok"] = int(status == 200)
        if state.get("shopee"):
            connect_shops(state, summary)
            expected = sandbox_order_count(state)
            wait_for(lambda: count_orders(state) >= expected, timeout_s)
            summary["orders_synced"] = count_orders(state)
            summary["orders_in_sandbox"] = expected
            ok = ok and summary["orders_synced"] == expected
        ok = ok and summary["merchants"] > 0 and summary["health_ok"] == 1
    except Exception:
        log.exception("the demo failed")
        ok = False
    finally:
        stack.stop()
        summary["ok"] = int(ok)
        write_json_atomic(state_dir / "summary.json", summary)
    return summary, ok


def main(state_dir: Path) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    summary, ok = run(state_dir)
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"demo {'succeeded' if ok else 'FAILED'}; summary in {state_dir / 'summary.json'}")
    return 0 if ok else 1
