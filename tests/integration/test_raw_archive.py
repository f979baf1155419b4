"""Raw carrier exchanges in S3 and the per-account token bucket, against every carrier's sandbox.

A refused purchase leaves the carrier's request and answer under ``raw/`` (moto S3), and the FAILED
claim's error lists their keys; no object carries a credential. The label_purchase composition root
(``Runtime.purchase_carrier``) wraps the adapter in both the archive and the rate limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from kiriman.adapters.aws import S3RawArchive
from kiriman.carriers.archive import ArchivingCarrier
from kiriman.carriers.base import CarrierThrottled
from kiriman.carriers.ratelimit import Limit, RateLimitedCarrier
from kiriman.clock import FixedClock
from kiriman.domain.purchases import ClaimState, purchase
from tests.contract.harness import HARNESSES, Harness, running
from tests.integration import test_purchases as shared

REGION = "ap-southeast-1"
# the purchase tests' fixtures: a Store on the test table, faults reset around each test, a fresh package
store = shared.store
_clean = shared._clean
package = shared.package
SECRET_FIELDS = ("client_secret", "key", "app_secret", "private_key", "password")


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def carrier(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with running(request.param, tmp_path_factory.mktemp(f"raw-{request.param}")) as harness:
        yield harness




def objects(bucket: str) -> dict[str, dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="raw/").get("Contents", [])]
    return {k: json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys}


def no_credentials(harness: Harness, stored: dict[str, Any]) -> None:
    text = json.dumps(stored, ensure_ascii=False)
    for name, value in harness.credentials().items():
        if name in SECRET_FIELDS and len(value) >= 6:
            assert value not in text, f"{name} leaked into the raw archive"


def test_a_refused_purchase_leaves_its_raw_exchange_in_s3(
    store: Any, carrier: Harness, clock: FixedClock, aws: dict[str, Any]
) -> None:
    archive = S3RawArchive(boto3.client("s3", region_name=REGION), aws["bucket"])
    adapter = ArchivingCarrier(carrier.adapter(), archive, clock)
    pkg = package()
    bad, field = carrier.invalid_request(carrier.request("", pkg))
    failed = purchase(store, adapter, bad, "mer_1", clock, call_budget_s=60).claim
    assert failed.state == ClaimState.FAILED and failed.error["field"] == field
    raw_keys = failed.error["raw_keys"]
    assert raw_keys, "the refusal's exchange was not archived"
    stored = objects(aws["bucket"])
    assert set(raw_keys) <= set(stored)
    slug = adapter.info.slug
    for key in raw_keys:
        assert key.startswith(f"raw/{slug}/") and f"/{failed.reference}/" in key
        assert key.endswith("-create_shipment.json")
        obj = stored[key]
        assert obj["operation"] == "create_shipment" and obj["reference"] == failed.reference
        assert obj["account_id"] == adapter.account_id and obj["method"] and obj["url"].startswith("http")
        assert obj["status"] > 0 and obj["response_body"] is not None and obj["request_body"] is not None
    # the last exchange is the refusal itself (token calls, if any, come first)
    assert failed.reference in json.dumps(stored[raw_keys[-1]]["request_body"], ensure_ascii=False)
    no_credentials(carrier, stored)
    # the claim read back from the table keeps the keys (GET /v1/shipments?status=needs_attention shows them)
    assert store.get_claim(pkg, 1).error["raw_keys"] == raw_keys


def test_a_bought_label_is_archived_too_and_a_broken_archive_buys_once(
    store: Any, carrier: Harness, clock: FixedClock, aws: dict[str, Any]
) -> None:
    class Broken:
        def put(self, key: str, exchange: Any) -> str:
            raise OSError("S3 is down")

    pkg = package()
    adapter = ArchivingCarrier(carrier.adapter(), Broken(), clock)
    outcome = purchase(store, adapter, carrier.request("", pkg), "mer_1", clock, call_budget_s=60)
    assert outcome.created and outcome.claim.state == ClaimState.BOUGHT and carrier.purchases(pkg) == 1
    archive = S3RawArchive(boto3.client("s3", region_name=REGION), aws["bucket"])
    good = ArchivingCarrier(carrier.adapter(), archive, clock)
    pkg2 = package()
    assert purchase(store, good, carrier.request("", pkg2), "mer_1", clock, call_budget_s=60).created
    assert good.last_keys and all(k in objects(aws["bucket"]) for k in good.last_keys)


def test_an_empty_bucket_sends_nothing_and_the_claim_waits(store: Any, carrier: Harness, clock: FixedClock) -> None:
    limited = RateLimitedCarrier(carrier.adapter(), store, Limit(rate_per_s=0.01, burst=1))
    first, second = package(), package()
    assert purchase(store, limited, carrier.request("", first), "mer_1", clock, call_budget_s=60).created
    with pytest.raises(CarrierThrottled) as err:
        purchase(store, limited, carrier.request("", second), "mer_1", clock, call_budget_s=60)
    assert err.value.retry_after_s == 100.0  # one token at 0.01/s: run_job re-sends the job with this delay
    assert carrier.purchases(second) == 0
    assert store.get_claim(second, 1).state == ClaimState.CLAIMED  # a throttle sold nothing
    clock.advance(100)
    assert purchase(store, limited, carrier.request("", second), "mer_1", clock, call_budget_s=60).created
    assert carrier.purchases(second) == 1


def test_the_purchase_worker_archives_and_rate_limits(
    carrier: Harness, function_env: Any, aws: dict[str, Any], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiriman.carriers.base import CARRIER_SLUGS
    from kiriman.domain import carrier_accounts
    from kiriman.runtime import Runtime
    from kiriman.settings import LabelPurchaseSettings, load

    # the worker may re-send to every purchase queue; it sends nothing here
    function_env("label_purchase", {f"purchase-{c}": f"https://sqs.{REGION}.amazonaws.com/1/purchase-{c}"
                                    for c in CARRIER_SLUGS})
    account = carrier.account()
    monkeypatch.setenv("CARRIER_ENDPOINTS", json.dumps({account.carrier: carrier.base_url}))
    rt = Runtime(load(LabelPurchaseSettings), clock)
    created = carrier_accounts.create(
        rt.store, rt.vault, clock, None, carrier=account.carrier, name="Forwarder", country=account.country,
        environment=account.environment, credentials=carrier.credentials(), settings=dict(account.settings),
        services=(),
    )
    adapter = rt.purchase_carrier(account.carrier, created.account_id, "mer_1")
    assert isinstance(adapter, RateLimitedCarrier) and isinstance(adapter.inner, ArchivingCarrier)
    pkg = package()
    bad, _field = carrier.invalid_request(carrier.request("", pkg))
    failed = purchase(rt.store, adapter, bad, "mer_1", clock, call_budget_s=60).claim
    assert failed.state == ClaimState.FAILED and failed.error["raw_keys"]
    assert set(failed.error["raw_keys"]) <= set(objects(aws["bucket"]))
