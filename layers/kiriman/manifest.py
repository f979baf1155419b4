"""The project's functions, declared once. See :mod:`kiriman.wiring` for the shape of an entry.

Read by ``infra/`` (CDK) and ``local/`` (the local stack). A folder under ``functions/`` without an
entry here, or an entry without a folder, fails ``tests/unit/test_manifest.py``.
"""

from __future__ import annotations

from kiriman.wiring import (
    Access,
    AuthorizerTrigger,
    Function,
    HttpTrigger,
    Manifest,
    Route,
    ScheduleTrigger,
)

PUBLIC = True

MANIFEST = Manifest(
    functions=(
        Function(
            name="authorizer",
            description="API Gateway REQUEST authorizer: resolves a Bearer API key to a principal.",
            settings="kiriman.settings:AuthorizerSettings",
            triggers=(AuthorizerTrigger(cache_seconds=60),),
            memory_mb=256,
            timeout_s=5,
            access=Access(table="write"),  # writes a key's last-used time, at most every 5 minutes
        ),
        Function(
            name="api",
            description="The merchant and operator HTTP API under /v1.",
            settings="kiriman.settings:ApiSettings",
            triggers=(
                HttpTrigger(
                    routes=(
                        Route(method="GET", path="/v1/health", public=PUBLIC),
                        Route(method="GET", path="/v1/me"),
                        Route(method="POST", path="/v1/merchants"),
                        Route(method="GET", path="/v1/merchants"),
                        Route(method="GET", path="/v1/merchants/{merchant_id}"),
                        Route(method="POST", path="/v1/users"),
                        Route(method="GET", path="/v1/users"),
                        Route(method="GET", path="/v1/users/{user_id}"),
                        Route(method="POST", path="/v1/users/{user_id}/keys"),
                        Route(method="GET", path="/v1/users/{user_id}/keys"),
                        Route(method="GET", path="/v1/api-keys"),
                        Route(method="POST", path="/v1/api-keys/{prefix}/rotate"),
                        Route(method="POST", path="/v1/api-keys/{prefix}/revoke"),
                        Route(method="POST", path="/v1/warehouses"),
                        Route(method="GET", path="/v1/warehouses"),
                        Route(method="GET", path="/v1/warehouses/{warehouse_id}"),
                        Route(method="PATCH", path="/v1/warehouses/{warehouse_id}"),
                        Route(method="DELETE", path="/v1/warehouses/{warehouse_id}"),
                        Route(method="GET", path="/v1/audit"),
                        Route(method="GET", path="/v1/openapi.json", public=PUBLIC),
                        Route(method="GET", path="/v1/docs", public=PUBLIC),
                    )
                ),
            ),
            memory_mb=512,
            timeout_s=29,
            access=Access(table="write", bus=True),
        ),
        Function(
            name="due_sweep",
            description="Finds deferred work whose time has come (sharded DUE index) and dispatches it by kind.",
            settings="kiriman.settings:DueSweepSettings",
            triggers=(ScheduleTrigger(expression="rate(1 minute)"),),
            memory_mb=256,
            timeout_s=60,
            access=Access(table="write", due_dispatch=True),
        ),
    ),
    due_kinds={},
)
