"""The HTTP door: gateway -> REQUEST authorizer -> api handler, with the project's error envelope."""

from __future__ import annotations

from typing import Any

import pytest

from .client import StackClient, http

pytestmark = pytest.mark.e2e


def _envelope(resp: Any, status: int, code: str) -> None:
    assert resp.status == status, resp.body
    assert resp.headers["content-type"].startswith("application/json")
    err = resp.json()["error"]
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert err["details"] == []


def test_me_with_a_seeded_merchant_key(stack: StackClient, local_stack: dict[str, Any]) -> None:
    assert len(local_stack["merchants"]) == 2, local_stack.get("seed_problems")
    for merchant in local_stack["merchants"]:
        resp = stack.api("GET", "/v1/me", merchant["api_key"])
        assert resp.status == 200, resp.body
        assert resp.json()["merchant_id"] == merchant["merchant_id"]
        assert resp.headers["x-request-id"]
    calls = stack.invocations("authorizer")
    assert calls and calls[-1]["trigger"] == "authorizer"


def test_the_authorizer_decision_is_cached_per_key(stack: StackClient, local_stack: dict[str, Any]) -> None:
    key = local_stack["merchants"][1]["api_key"]
    assert stack.api("GET", "/v1/me", key).status == 200
    since = stack.last_seq()
    assert stack.api("GET", "/v1/me", key).status == 200
    assert stack.api("GET", "/v1/merchants/" + local_stack["merchants"][1]["merchant_id"], key).status in (200, 403)
    assert stack.invocations("authorizer", since) == [], "a cached decision was not reused"
    assert [i["trigger"] for i in stack.invocations("api", since)] == ["http", "http"]


def test_missing_and_bad_keys_are_401(stack: StackClient) -> None:
    since = stack.last_seq()
    _envelope(stack.api("GET", "/v1/me"), 401, "unauthorized")
    # a missing key never reaches the authorizer function
    assert stack.invocations("authorizer", since) == []
    _envelope(stack.api("GET", "/v1/me", "kf_live_AAAAAAAA_" + "B" * 32), 401, "unauthorized")
    _envelope(
        http("GET", stack.api_url + "/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401, "unauthorized"
    )


def test_unknown_route_is_404(stack: StackClient) -> None:
    _envelope(stack.api("GET", "/v1/no-such-thing"), 404, "not_found")
    _envelope(stack.api("DELETE", "/v1/health"), 404, "not_found")


def test_health_is_public(stack: StackClient) -> None:
    resp = stack.api("GET", "/v1/health")
    assert resp.status == 200, resp.body
    assert resp.json()["status"] == "ok"


def test_oversized_body_is_413(stack: StackClient, local_stack: dict[str, Any]) -> None:
    key = local_stack["operator"]["api_key"]
    big = {"name": "x" * (10 * 1024 * 1024 + 1)}
    _envelope(stack.api("POST", "/v1/merchants", key, big), 413, "payload_too_large")


def test_a_revoked_key_is_refused_within_the_authorizer_cache_lifetime(stack: StackClient, local_stack: dict) -> None:
    """API Gateway caches an authorizer's answer per key for 60 s (scaled here); revocation wins after it."""
    import time

    from kiriman.manifest import MANIFEST

    admin = local_stack["merchants"][0]["api_key"]
    me = stack.api("GET", "/v1/me", admin).json()
    issued = stack.api("POST", f"/v1/users/{me['user_id']}/keys", admin, {"label": "to revoke"}).json()
    key, prefix = issued["api_key"], issued["key"]["prefix"]
    assert stack.api("GET", "/v1/me", key).status == 200  # now cached
    assert stack.api("POST", f"/v1/api-keys/{prefix}/revoke", admin).status == 200
    auth = MANIFEST.authorizer()
    assert auth is not None
    lifetime = auth[1].cache_seconds * float(local_stack["time_scale"])
    time.sleep(lifetime + 0.5)
    resp = stack.api("GET", "/v1/me", key)
    assert resp.status == 401 and resp.json()["error"]["code"] == "unauthorized"
