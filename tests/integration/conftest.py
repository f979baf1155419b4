"""Fixtures for driving the API in-process: a gateway, an operator key, merchants A and B."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import load_handler_module
from tests.gateway import Gateway


@pytest.fixture
def gw(function_env: Any) -> Gateway:
    function_env("api")
    function_env("authorizer")
    return Gateway(load_handler_module("functions/api"), load_handler_module("functions/authorizer"))


@pytest.fixture
def operator_key(gw: Gateway) -> str:
    from kiriman.domain.merchants import create_operator

    rt = gw.api.RUNTIME
    return create_operator(rt.store, rt.clock, "test operator")


@dataclass
class Tenant:
    merchant_id: str
    key: str


@pytest.fixture
def tenants(gw: Gateway, operator_key: str) -> tuple[Tenant, Tenant]:
    out = []
    for name in ("Merchant A", "Merchant B"):
        status, body, _ = gw.call("POST", "/v1/merchants", {"name": name}, key=operator_key)
        assert status == 201, body
        out.append(Tenant(body["merchant"]["merchant_id"], body["api_key"]))
    return out[0], out[1]


@pytest.fixture
def renderer(function_env: Any) -> Any:
    """The document_render handler, loaded with its manifest environment (real wkhtmltopdf)."""
    function_env("document_render")
    return load_handler_module("functions/document_render")
