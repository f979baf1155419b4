"""Demo data for a fresh local stack: an operator key, then two merchants made through the public API.

The merchants go through ``POST /v1/merchants`` (authorizer and all) rather than straight into the
table, so a fresh stack proves the happy path end to end before anyone uses it. Seeding is tolerant:
if the API cannot create merchants yet, the stack still starts and says so.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("local.seed")

DEMO_MERCHANTS = (
    {"name": "Kedai Runcit Demo", "contact_email": "kedai.runcit@demo.example", "market": "MY"},
    {"name": "Bangkok Gadget Demo", "contact_email": "bangkok.gadget@demo.example", "market": "TH"},
)


def operator_key(env: Mapping[str, str]) -> str:
    """Create the first operator through the shared package's bootstrap (stored hashed, shown once)."""
    from kiriman.bootstrap import bootstrap_operator

    return bootstrap_operator(env)


def create_merchant(api_base_url: str, operator: str, name: str, contact_email: str) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{api_base_url}/v1/merchants",
        data=json.dumps({"name": name, "contact_email": contact_email}).encode(),
        headers={"Authorization": f"Bearer {operator}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        data: dict[str, Any] = json.loads(resp.read())
    return data


def seed(api_base_url: str, api_env: Mapping[str, str]) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """(operator key, merchants, problems); every problem is also logged."""
    problems: list[str] = []
    try:
        operator = operator_key(api_env)
    except Exception as exc:  # the shared package may not be ready; the stack still starts
        problems.append(f"operator bootstrap failed: {type(exc).__name__}: {exc}")
        log.warning(problems[-1])
        return None, [], problems
    merchants: list[dict[str, Any]] = []
    for demo in DEMO_MERCHANTS:
        try:
            data = create_merchant(api_base_url, operator, demo["name"], demo["contact_email"])
            merchants.append(
                {
                    "merchant_id": data["merchant"]["merchant_id"],
                    "name": demo["name"],
                    "market": demo["market"],
                    "contact_email": demo["contact_email"],
                    "api_key": data["api_key"],
                }
            )
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            problems.append(f"POST /v1/merchants for {demo['name']!r}: HTTP {exc.code} {detail}")
            log.warning(problems[-1])
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"POST /v1/merchants for {demo['name']!r}: {type(exc).__name__}: {exc}")
            log.warning(problems[-1])
    return operator, merchants, problems
