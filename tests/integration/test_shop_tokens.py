"""Shop tokens: KMS ciphertext at rest, one refresh under concurrency, revocation on a dead token."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from kiriman.clock import FixedClock
from kiriman.domain import shops
from kiriman.shopee.errors import ShopeeInvalidRefreshToken
from tests.conftest import REGION


class Exchange:
    def __init__(self, fail: bool = False) -> None:
        self.refreshes = 0
        self.fail = fail
        self.lock = threading.Lock()

    def get_access_token(self, code: str, shop_id: int | None = None, main_account_id: int | None = None) -> Any:
        return SimpleNamespace(
            access_token="acc-0",
            refresh_token="ref-0",
            expire_in=14400,
            shop_id_list=[11, 12] if main_account_id else [],
        )

    def refresh_access_token(
        self, refresh_token: str, shop_id: int | None = None, merchant_id: int | None = None
    ) -> Any:
        time.sleep(0.3)  # long enough for every thread to pile up behind the lease
        with self.lock:
            self.refreshes += 1
            n = self.refreshes
        if self.fail:
            raise ShopeeInvalidRefreshToken("error_auth", "Invalid refresh_token.")
        return SimpleNamespace(access_token=f"acc-{n}", refresh_token=f"ref-{n}", expire_in=14400)


@pytest.fixture
def deps(aws: dict[str, Any]) -> Any:
    from kiriman.adapters.aws import KmsTokenCipher
    from kiriman.storage.models import bind
    from kiriman.storage.repository import Store

    bind(aws["table"], REGION, None)
    clock = FixedClock(1_767_225_600)
    return SimpleNamespace(
        store=Store(clock),
        clock=clock,
        cipher=KmsTokenCipher(boto3.client("kms", region_name=REGION), "alias/kiriman-test"),
    )


def _connect(deps: Any, exchange: Exchange, merchant: str = "m1", **ids: Any) -> shops.Connected:
    state = shops.make_state(b"k", merchant, deps.clock.time())
    return shops.complete_authorization(
        deps.store,
        deps.cipher,
        exchange,
        deps.clock,
        b"k",
        state,
        "code-1",
        ids.get("shop_id"),
        ids.get("main_account_id"),
    )


def test_tokens_are_stored_as_ciphertext(deps: Any, aws: dict[str, Any]) -> None:
    _connect(deps, Exchange(), shop_id=7)
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=aws["table"])["Items"]  # tests only
    assert "acc-0" not in str(items) and "ref-0" not in str(items)
    shop = deps.store.get_shop("m1", 7)
    assert deps.cipher.decrypt(shop.access_token_ct, {"shop_id": "7"}) == "acc-0"
    with pytest.raises(Exception):  # noqa: B017 - bound to its shop by the encryption context
        deps.cipher.decrypt(shop.access_token_ct, {"shop_id": "8"})


def test_state_is_signed_single_use_and_expires(deps: Any) -> None:
    from kiriman.domain.errors import InvalidInput

    state = shops.make_state(b"k", "m1", deps.clock.time())
    forged = state[:-4] + ("0000" if not state.endswith("0000") else "1111")
    with pytest.raises(InvalidInput, match="not a state"):
        shops.complete_authorization(deps.store, deps.cipher, Exchange(), deps.clock, b"k", forged, "c", 7, None)
    shops.complete_authorization(deps.store, deps.cipher, Exchange(), deps.clock, b"k", state, "c", 7, None)
    with pytest.raises(InvalidInput, match="already used"):
        shops.complete_authorization(deps.store, deps.cipher, Exchange(), deps.clock, b"k", state, "c", 7, None)
    old = shops.make_state(b"k", "m1", deps.clock.time())
    deps.clock.advance(shops.STATE_TTL_S + 1)
    with pytest.raises(InvalidInput, match="expired"):
        shops.complete_authorization(deps.store, deps.cipher, Exchange(), deps.clock, b"k", old, "c", 8, None)
    assert deps.store.get_shop("m1", 8) is None


def test_main_account_links_every_shop_and_other_merchants_get_409(deps: Any) -> None:
    from kiriman.domain.errors import Conflict

    done = _connect(deps, Exchange(), main_account_id=99)
    assert done.shop_ids == [11, 12] and deps.store.get_shop("m1", 12).main_account_id == 99
    with pytest.raises(Conflict):
        _connect(deps, Exchange(), merchant="m2", shop_id=11)


def test_ten_concurrent_refreshes_make_one_call(deps: Any) -> None:
    exchange = Exchange()
    _connect(deps, exchange, shop_id=7)
    deps.clock.advance(4 * 3600 - 60)  # inside the refresh margin
    # Build the shared clients before the threads start: botocore creates clients unsafely across
    # threads (one Lambda invocation is one thread, so production never does this).
    assert deps.store.get_shop("m1", 7) is not None
    deps.cipher.decrypt(deps.store.get_shop("m1", 7).access_token_ct, {"shop_id": "7"})
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        from kiriman.storage.repository import Store

        tokens = shops.ShopTokens(Store(deps.clock), deps.cipher, exchange, deps.clock, f"w{n}", wait=time.sleep)
        try:
            results.append(tokens.access_token(7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert exchange.refreshes == 1
    assert results == ["acc-1"] * 10
    shop = deps.store.get_shop("m1", 7)
    assert shop.token_version == 2 and deps.cipher.decrypt(shop.refresh_token_ct, {"shop_id": "7"}) == "ref-1"


def test_dead_refresh_token_revokes_the_shop(deps: Any) -> None:
    exchange = Exchange(fail=True)
    _connect(deps, exchange, shop_id=7)
    deps.clock.advance(4 * 3600)
    tokens = shops.ShopTokens(deps.store, deps.cipher, exchange, deps.clock, "w1")
    with pytest.raises(ShopeeInvalidRefreshToken):
        tokens.access_token(7)
    shop = deps.store.get_shop("m1", 7)
    assert shop.status == "revoked"
    assert shops.authorization_flags(shop, deps.clock.time())["needs_reauthorization"] is True
    assert deps.store.active_shops() == []
