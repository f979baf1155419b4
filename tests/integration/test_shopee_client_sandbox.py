"""The Shopee client against the Shopee sandbox (a real HTTP server; it shares no code with us)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiriman.clock import SystemClock
from kiriman.retry import RetryPolicy
from kiriman.shopee.client import ShopeeClient
from kiriman.shopee.errors import ShopeeQuotaExhausted
from local.sandboxes.shopee.server import ShopeeSandbox

KEY = "sandbox-key-for-client-tests"
PID = 2009999


def control(sb: Any, method: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        sb.control_url.rstrip("/") + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    clock_file = tmp_path / "clock-offset"
    sb = ShopeeSandbox(partner_id=PID, partner_key=KEY, clock_file=clock_file, seed="none").start()
    sb.clock_file = clock_file
    try:
        yield sb
    finally:
        sb.stop()


class SandboxTokens:
    """A TokenSource that keeps tokens in memory and refreshes through the client."""

    def __init__(self, client: ShopeeClient, access: str, refresh: str) -> None:
        self.client, self.access, self.refresh_token, self.refreshes = client, access, refresh, 0

    def access_token(self, shop_id: int) -> str:
        return self.access

    def refresh(self, shop_id: int, stale_token: str) -> str:
        pair = self.client.refresh_access_token(self.refresh_token, shop_id=shop_id)
        self.access, self.refresh_token, self.refreshes = pair.access_token, pair.refresh_token, self.refreshes + 1
        return self.access


def connected(sandbox: Any, orders: int) -> tuple[ShopeeClient, SandboxTokens, int, list[str]]:
    shop_id = int(control(sandbox, "POST", "/shops", {"region": "TH"})["shop_id"])
    sns = control(sandbox, "POST", "/orders", {"shop_id": shop_id, "count": orders, "items": 2})["order_sns"]
    tokens = control(sandbox, "POST", "/authorize", {"shop_id": shop_id, "issue_tokens": True})
    client = ShopeeClient(
        sandbox.base_url,
        PID,
        KEY,
        SystemClock(sandbox.clock_file),
        policy=RetryPolicy(attempts=5, base_delay_s=0.01, deadline_s=10),
    )
    source = SandboxTokens(client, tokens["access_token"], tokens["refresh_token"])
    client.use_tokens(source)
    return client, source, shop_id, list(sns)


def list_all(client: ShopeeClient, shop_id: int) -> list[str]:
    import time

    now = int(time.time())
    out, cursor = [], ""
    while True:
        page = client.get_order_list(shop_id, now - 86400, now + 60, cursor)
        out += [o.order_sn for o in page.order_list]
        if not page.more:
            return out
        cursor = page.next_cursor


def test_token_expiring_mid_sync_is_refreshed_and_the_sync_continues(sandbox: Any) -> None:
    client, tokens, shop_id, sns = connected(sandbox, 120)
    first = client.get_order_list(shop_id, 0, 1, "")  # any call: the token works
    assert first.order_list == []
    control(sandbox, "POST", "/faults", {"expire_access_tokens": [shop_id]})
    listed = list_all(client, shop_id)
    details = [
        d.order_sn
        for batch in range(0, len(listed), 50)
        for d in client.get_order_detail(shop_id, listed[batch : batch + 50])
    ]
    assert sorted(details) == sorted(sns)
    assert tokens.refreshes == 1


def test_throttled_calls_are_retried(sandbox: Any) -> None:
    client, _, shop_id, sns = connected(sandbox, 10)
    control(sandbox, "POST", "/faults", {"throttle_next": 2})
    assert sorted(list_all(client, shop_id)) == sorted(sns)
    ledger = control(sandbox, "GET", "/ledger?include=calls")
    assert sum(1 for c in ledger["calls"] if c.get("fault")) >= 2


def test_error_limit_opens_the_circuit(sandbox: Any) -> None:
    client, _, shop_id, _ = connected(sandbox, 1)
    control(sandbox, "POST", "/faults", {"quota_exhausted_shops": [shop_id]})
    before = len(control(sandbox, "GET", "/ledger?include=calls")["calls"])
    for _ in range(3):
        with pytest.raises(ShopeeQuotaExhausted):
            client.get_order_list(shop_id, 0, 10)
    after = len(control(sandbox, "GET", "/ledger?include=calls")["calls"])
    assert after - before == 1  # one call reached Shopee; the circuit answered the others
