"""OAuth client credentials, bearer checks, token expiry on the shared clock, routing errors, request ids."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .helpers import DEMO, Api, Clock, order_body

ERROR_KEYS = {"code", "request_id", "title", "message", "details"}


def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == ERROR_KEYS
    assert err["request_id"] == resp.headers["x-nv-request-id"]
    uuid.UUID(err["request_id"])
    assert isinstance(err["code"], int) and err["title"] and err["message"]
    return dict(err)


def test_oauth_issues_a_bearer_token(api: Api, clock: Clock) -> None:
    resp = api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret")
    assert resp.status_code == 200
    uuid.UUID(resp.headers["x-nv-request-id"])
    data = resp.json()
    assert set(data) == {"access_token", "expires", "expires_in", "token_type"}
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 43200
    assert isinstance(data["expires"], int) and abs(data["expires"] - (clock.now() + 43200)) < 5
    # upper-case country in the path is accepted, and the token works on the lower-case path
    upper = api.oauth("SG", "nv-demo-sg", "nv-demo-sg-secret").json()["access_token"]
    resp = api.http.get("/sg/1.0/orders/tracking-events/NVSGKRMNOPE00001", headers={"Authorization": f"Bearer {upper}"})
    assert resp.status_code == 404  # authenticated, parcel unknown


@pytest.mark.parametrize(
    ("cc", "client_id", "secret"),
    [
        ("sg", "nv-demo-sg", "wrong-secret"),
        ("sg", "nv-nobody", "nv-demo-sg-secret"),
        ("my", "nv-demo-sg", "nv-demo-sg-secret"),  # the account does not serve MY
    ],
)
def test_oauth_rejects_bad_credentials(api: Api, cc: str, client_id: str, secret: str) -> None:
    err = _error(api.oauth(cc, client_id, secret), 401)
    assert err["code"] == 1001


def test_oauth_validates_its_body(api: Api) -> None:
    err = _error(api.oauth("sg", "nv-demo-sg", "nv-demo-sg-secret", grant_type="password"), 400)
    assert [d["field"] for d in err["details"]] == ["grant_type"]
    err = _error(api.http.post("/sg/2.0/oauth/access_token", json={"client_id": "nv-demo-sg"}), 400)
    assert {d["field"] for d in err["details"]} == {"client_secret", "grant_type"}
    err = _error(api.http.post("/sg/2.0/oauth/access_token", content=b"client_id=x"), 400)
    assert err["details"][0]["field"] == "body"


def test_api_calls_need_a_valid_bearer_token(api: Api) -> None:
    body = order_body()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic bnYtZGVtbzp4"}):
        err = _error(api.http.post("/sg/4.2/orders", json=body, headers=headers), 401)
        assert err["code"] == 1002
    rtn = body["requested_tracking_number"]
    assert all(s["requested_tracking_number"] != rtn for s in api.ledger()["shipments"])


def test_tokens_expire_on_the_shared_clock(api: Api, clock: Clock) -> None:
    api.control("POST", "config", {"token_ttl_s": 600})
    try:
        first = api.oauth("sg", *DEMO["sg"][:2]).json()
        assert first["expires_in"] == 600
        second = api.oauth("sg", *DEMO["sg"][:2]).json()
        assert first["access_token"] != second["access_token"]
        url = "/sg/1.0/orders/tracking-events/NVSGKRMNOPE00002"
        for token in (first, second):  # an old token stays valid until it expires
            assert api.http.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 404
        clock.jump(601)
        err = _error(api.http.get(url, headers={"Authorization": f"Bearer {first['access_token']}"}), 401)
        assert err["code"] == 1003
        fresh = api.oauth("sg", *DEMO["sg"][:2]).json()["access_token"]
        assert api.http.get(url, headers={"Authorization": f"Bearer {fresh}"}).status_code == 404
    finally:
        api.control("POST", "config", {"token_ttl_s": 43200})


def test_tokens_are_per_country(api: Api) -> None:
    api.control(
        "POST",
        "accounts",
        {"client_id": "nv-multi", "client_secret": "multi-secret", "countries": ["SG", "my"], "shipper_prefix": "NVMX"},
    )
    sg = api.oauth("sg", "nv-multi", "multi-secret").json()["access_token"]
    assert api.oauth("my", "nv-multi", "multi-secret").status_code == 200
    resp = api.http.post("/my/4.2/orders", json=order_body(cc="my"), headers={"Authorization": f"Bearer {sg}"})
    assert _error(resp, 401)["code"] == 1002
    assert api.oauth("th", "nv-multi", "multi-secret").status_code == 401


def test_routing_errors_use_the_error_envelope(api: Api) -> None:
    headers = api.auth("sg")
    assert _error(api.http.post("/mm/4.2/orders", json={}, headers=headers), 404)["code"] == 2004
    assert _error(api.http.post("/sg/9.9/orders", json={}, headers=headers), 404)["code"] == 2004
    assert _error(api.http.get("/sg/4.2/orders", headers=headers), 405)["code"] == 2005
    calls = api.ledger()["calls"]
    assert calls["POST /{cc}/2.0/oauth/access_token"] >= 1
    assert calls["UNMATCHED"] >= 3
