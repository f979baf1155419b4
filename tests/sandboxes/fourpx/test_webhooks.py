"""4PX publishes no push API: tracking is polled. The shared control API still takes a webhook URL, but the
sandbox never calls it - a receiver stays silent through a whole lifecycle."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .helpers import Api, Clock, Receiver


@pytest.fixture
def receiver(api: Api) -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    api.control("POST", "webhook-config", {"url": None})
    rx.close()


def test_no_webhook_is_ever_sent(api: Api, clock: Clock, receiver: Receiver) -> None:
    out = api.control("POST", "webhook-config", {"account": "fpx-demo-sg", "url": receiver.url})
    urls = {a["app_key"]: a["webhook_url"] for a in out["accounts"]}
    assert urls["fpx-demo-sg"] == receiver.url and urls["fpx-demo-my"] is None
    assert api.control("GET", "accounts/fpx-demo-sg")["webhook_url"] == receiver.url
    created = api.create_ok()
    tn = created["4px_tracking_no"]
    assert api.cancel(api.create_ok()["4px_tracking_no"]).ok
    clock.jump(5 * 86400)
    assert len(api.track(tn)) == 15  # the whole lifecycle happened ...
    time.sleep(0.5)  # ... engine ticks included
    assert receiver.all() == []  # ... and nothing was pushed
    ledger = api.ledger()
    assert ledger["webhooks"] == [] and set(ledger["webhook_summary"].values()) == {0}
    assert api.control("GET", "webhooks") == {"summary": ledger["webhook_summary"], "messages": []}


def test_webhook_config_for_every_account_and_errors(api: Api, receiver: Receiver) -> None:
    out = api.control("POST", "webhook-config", {"url": receiver.url})
    assert {a["webhook_url"] for a in out["accounts"]} == {receiver.url}
    assert all(a["webhook_url"] == receiver.url for a in api.control("GET", "accounts")["accounts"])
    api.control("POST", "webhook-config", {"url": receiver.url, "account": "fpx-nobody"}, expect=404)
    api.control("POST", "webhook-config", {"url": "ftp://example.invalid/"}, expect=400)
