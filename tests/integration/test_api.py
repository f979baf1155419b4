"""The API and its authorizer, in-process against moto, through the sample events in events/."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.conftest import REGION
from tests.gateway import Gateway


def _items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]  # tests only


def test_health_is_public_and_reports_dependencies(gw: Gateway) -> None:
    status, body, headers = gw.call("GET", "/v1/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["dependencies"] == {"table": "ok", "event_bus": "ok"}
    assert headers["x-request-id"]


def test_operator_creates_merchant_and_key_works(gw: Gateway, operator_key: str, aws: dict[str, Any]) -> None:
    status, body, _ = gw.call(
        "POST", "/v1/merchants", {"name": "Kedai Runcit", "contact_email": "a@b.example"}, key=operator_key
    )
    assert status == 201, body
    key = body["api_key"]
    assert key.startswith("kf_live_") and body["key_prefix"] in key
    # Only the hash is stored.
    assert key not in str(_items(aws["table"]))
    status, me, _ = gw.call("GET", "/v1/me", key=key)
    assert status == 200
    assert me["merchant_id"] == body["merchant"]["merchant_id"]
    assert me["role"] == "merchant_admin"


def test_merchant_cannot_create_merchants_or_read_others(gw: Gateway, operator_key: str) -> None:
    _, a, _ = gw.call("POST", "/v1/merchants", {"name": "Shop A"}, key=operator_key)
    _, b, _ = gw.call("POST", "/v1/merchants", {"name": "Shop B"}, key=operator_key)
    status, body, _ = gw.call("POST", "/v1/merchants", {"name": "Sneaky"}, key=a["api_key"])
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body, _ = gw.call("GET", f"/v1/merchants/{b['merchant']['merchant_id']}", key=a["api_key"])
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body, _ = gw.call("GET", f"/v1/merchants/{a['merchant']['merchant_id']}", key=a["api_key"])
    assert status == 200 and body["name"] == "Shop A"


def test_missing_or_bad_key_is_401(gw: Gateway) -> None:
    assert gw.call("GET", "/v1/me")[0] == 401
    assert gw.call("GET", "/v1/me", key="kf_live_nope_0000000000000000000000000000000")[0] == 401
    assert gw.call("GET", "/v1/me", key="not-even-a-key")[0] == 401


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "name", "Field required"),
        ({"name": "x"}, "name", "at least 2"),
        ({"name": "Good name", "contact_email": "not-an-email"}, "contact_email", "email"),
        ({"name": "Good name", "surprise": 1}, "surprise", "Extra inputs"),
        ({"name": 12}, "name", "string"),
    ],
)
def test_bad_input_names_field_and_reason_and_writes_nothing(
    gw: Gateway, operator_key: str, aws: dict[str, Any], body: dict[str, Any], field: str, reason: str
) -> None:
    before = len(_items(aws["table"]))
    status, resp, _ = gw.call("POST", "/v1/merchants", body, key=operator_key)
    assert status == 400, resp
    assert resp["error"]["code"] == "invalid_request"
    assert any(d["field"] == field and reason in d["reason"] for d in resp["error"]["details"]), resp
    assert resp["request_id"]
    assert len(_items(aws["table"])) == before


def test_malformed_json_is_400(gw: Gateway, operator_key: str) -> None:
    status, resp, _ = gw.call("POST", "/v1/merchants", raw_body="{not json", key=operator_key)
    assert status == 400
    assert resp["error"]["code"] == "malformed_json"


def test_oversized_body_is_413(gw: Gateway, operator_key: str) -> None:
    status, resp, _ = gw.call("POST", "/v1/merchants", raw_body="x" * (300 * 1024), key=operator_key)
    assert status == 413 and resp["error"]["code"] == "payload_too_large"


def test_bad_query_parameter_is_400(gw: Gateway, operator_key: str) -> None:
    status, resp, _ = gw.call("GET", "/v1/merchants", key=operator_key, query={"limit": "0"})
    assert status == 400
    assert resp["error"]["details"][0]["field"] == "query.limit"


def test_list_merchants_pages_with_cursor(gw: Gateway, operator_key: str) -> None:
    for n in range(5):
        gw.call("POST", "/v1/merchants", {"name": f"Shop {n}"}, key=operator_key)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        q = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page, _ = gw.call("GET", "/v1/merchants", key=operator_key, query=q)
        assert status == 200
        seen += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"Shop {n}" for n in range(5)]
    status, resp, _ = gw.call("GET", "/v1/merchants", key=operator_key, query={"cursor": "garbage!!"})
    assert status == 400 and resp["error"]["details"][0]["field"] == "cursor"


def test_unknown_route_is_404_envelope(gw: Gateway, operator_key: str) -> None:
    import copy
    import json

    from tests.gateway import _PROXY

    event = copy.deepcopy(_PROXY)
    event.update(path="/v1/nothing-here", resource="/{proxy+}", httpMethod="GET", body=None)
    resp = gw.api.handler(event, None)
    assert resp["statusCode"] == 404
    assert json.loads(resp["body"])["error"]["code"] == "not_found"
