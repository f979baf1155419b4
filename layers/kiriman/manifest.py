"""The project's functions, declared once. See :mod:`kiriman.wiring` for the shape of an entry.

Read by ``infra/`` (CDK) and ``local/`` (the local stack). A folder under ``functions/`` without an
entry here, or an entry without a folder, fails ``tests/unit/test_manifest.py``.
"""

from __future__ import annotations

from kiriman.wiring import (
    Access,
    AuthorizerTrigger,
    BusTrigger,
    Function,
    HttpTrigger,
    Manifest,
    MetricAlarm,
    QueueTrigger,
    Route,
    ScheduleTrigger,
)

PUBLIC = True
RENDER_QUEUE = "render-documents"  # kiriman.domain.printing.RENDER_QUEUE
# One purchase queue per carrier adapter (kiriman.domain.fulfilment.queue_for).
PURCHASE_QUEUES = tuple(f"purchase-{slug}" for slug in ("shopee", "ninjavan", "jnt", "flash", "fourpx"))

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
                        Route(method="PATCH", path="/v1/merchants/{merchant_id}"),
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
                        Route(method="POST", path="/v1/shops/authorize"),
                        Route(method="GET", path="/v1/shops/callback", public=PUBLIC),
                        Route(method="GET", path="/v1/shops"),
                        Route(method="GET", path="/v1/shops/{shop_id}"),
                        Route(method="GET", path="/v1/orders"),
                        Route(method="GET", path="/v1/orders/{order_sn}"),
                        Route(method="GET", path="/v1/carriers"),
                        Route(method="POST", path="/v1/carrier-accounts"),
                        Route(method="GET", path="/v1/carrier-accounts"),
                        Route(method="GET", path="/v1/carrier-accounts/{account_id}"),
                        Route(method="PATCH", path="/v1/carrier-accounts/{account_id}"),
                        Route(method="DELETE", path="/v1/carrier-accounts/{account_id}"),
                        Route(method="POST", path="/v1/rate-cards"),
                        Route(method="GET", path="/v1/rate-cards"),
                        Route(method="GET", path="/v1/rate-cards/{card_id}"),
                        Route(method="PUT", path="/v1/rate-cards/{card_id}"),
                        Route(method="DELETE", path="/v1/rate-cards/{card_id}"),
                        Route(method="POST", path="/v1/rules"),
                        Route(method="GET", path="/v1/rules"),
                        Route(method="GET", path="/v1/rules/{rule_id}"),
                        Route(method="PUT", path="/v1/rules/{rule_id}"),
                        Route(method="DELETE", path="/v1/rules/{rule_id}"),
                        Route(method="POST", path="/v1/rates"),
                        Route(method="GET", path="/v1/shipments"),
                        Route(method="POST", path="/v1/shipments"),
                        Route(method="POST", path="/v1/shipments/retry"),
                        Route(method="GET", path="/v1/shipments/{shipment_id}/label"),
                        Route(method="POST", path="/v1/labels/batch"),
                        Route(method="POST", path="/v1/documents"),
                        Route(method="GET", path="/v1/documents/{document_id}"),
                        Route(method="GET", path="/v1/pickups"),
                        Route(method="GET", path="/v1/openapi.json", public=PUBLIC),
                        Route(method="GET", path="/v1/docs", public=PUBLIC),
                    )
                ),
            ),
            memory_mb=512,
            timeout_s=29,
            access=Access(
                table="write", bus=True, secrets=("shopee",), kms=True, public_url=True,
                send_queues=("shop-sync", RENDER_QUEUE),  # POST /v1/documents queues a render (domain/paperwork.py)
                carrier_accounts="write",
                bucket="write",  # reads stored labels, writes merged batches (documents/batches/), presigns URLs
            ),
        ),
        Function(
            name="shopee_webhook",
            description="Shopee pushes: verify the signature, acknowledge with an empty 2xx, enqueue.",
            settings="kiriman.settings:ShopeeWebhookSettings",
            triggers=(HttpTrigger(routes=(Route(method="POST", path="/webhooks/shopee", public=PUBLIC),)),),
            memory_mb=256,
            timeout_s=5,
            access=Access(table="write", send_queues=("shop-sync",), secrets=("shopee",)),
        ),
        Function(
            name="shop_worker",
            description="Order sync, pushes, lost pushes and token refreshes, per shop.",
            settings="kiriman.settings:ShopWorkerSettings",
            triggers=(
                # One job per invocation: syncing a busy shop is long work, and a batch shares one timeout.
                QueueTrigger(
                    queue="shop-sync", batch_size=1, batching_window_s=0, max_receive_count=5, max_concurrency=4
                ),
            ),
            memory_mb=512,
            timeout_s=120,
            access=Access(table="write", bus=True, kms=True, secrets=("shopee",), send_queues=("shop-sync",)),
        ),
        Function(
            name="shop_scheduler",
            description="Fans out one sync job per active shop and a lost-push check; calls no Shopee API.",
            settings="kiriman.settings:ShopSchedulerSettings",
            triggers=(ScheduleTrigger(expression="rate(5 minutes)"),),
            memory_mb=256,
            timeout_s=30,
            access=Access(table="read", send_queues=("shop-sync",)),
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
        Function(
            name="fulfil",
            description="PackageReadyToShip: allocate, rate and route, queue one purchase job; OrderCancelled and "
            "PackagesChanged: void the labels they invalidate.",
            settings="kiriman.settings:FulfilSettings",
            triggers=(
                BusTrigger(detail_types=("PackageReadyToShip", "OrderCancelled", "PackagesChanged")),
                # packages held for their order's first hour, released by the due sweep
                # (a few per invocation: each is planned with Shopee calls, inside one timeout)
                QueueTrigger(queue="fulfil-held", batch_size=4, batching_window_s=0, max_receive_count=5,
                             max_concurrency=2),
            ),
            memory_mb=512,
            timeout_s=60,
            access=Access(table="write", kms=True, secrets=("shopee",), carrier_accounts="read",
                          send_queues=PURCHASE_QUEUES),
        ),
        Function(
            name="label_purchase",
            description="Buys one label per message exactly once, stores it, hands the tracking number to Shopee.",
            settings="kiriman.settings:LabelPurchaseSettings",
            # One queue per carrier, each with its own concurrency: a carrier's rate limit is its own.
            triggers=tuple(
                # Shopee logistics speaks to Shopee (partner-wide quotas, its own circuit), not to a carrier's
                # contract limit, and waits on tracking numbers and documents: it gets more workers.
                QueueTrigger(queue=q, batch_size=1, batching_window_s=0, max_receive_count=6,
                             max_concurrency=4 if q == "purchase-shopee" else 2)
                for q in PURCHASE_QUEUES
            ),
            memory_mb=512,
            # A purchase is a handful of carrier calls plus Shopee's ship_order and document steps, each with
            # its own retries; a CALLING claim stays ours for what is left of this.
            timeout_s=120,
            access=Access(table="write", bucket="write", kms=True, secrets=("shopee",), carrier_accounts="read",
                          send_queues=(*PURCHASE_QUEUES, RENDER_QUEUE)),
        ),
        Function(
            name="document_render",
            description="Renders bought labels (our own PDF and ZPL) in batches with one wkhtmltopdf process per "
            "batch, and requested pick lists, packing slips, customs forms and manifests (domain/printing.py, "
            "domain/paperwork.py), into the documents bucket.",
            settings="kiriman.settings:DocumentRenderSettings",
            package="image",  # wkhtmltopdf and the CJK and Thai fonts do not fit a zip package or a layer
            triggers=(
                # Up to 50 label jobs per invocation, one wkhtmltopdf run for all of them; the window makes a
                # lone label wait at most 3 s for company (issue #9 item 3).
                QueueTrigger(queue=RENDER_QUEUE, batch_size=50, batching_window_s=3, max_receive_count=4,
                             max_concurrency=2),
            ),
            memory_mb=1024,
            timeout_s=60,
            access=Access(table="write", bucket="write"),
        ),
        Function(
            name="fulfil_reconciler",
            description="Re-publishes PackageReadyToShip for packages never claimed, stuck mid-purchase, or "
            "bought but not yet labelled or handed back to Shopee.",
            settings="kiriman.settings:ReconcilerSettings",
            triggers=(ScheduleTrigger(expression="rate(10 minutes)"),),
            memory_mb=256,
            timeout_s=120,
            access=Access(table="write", bus=True),  # writes one marker per re-published package
        ),
        Function(
            name="pickup_booking",
            description="Books each carrier's daily pickup per warehouse (Flash notify) or records the one the "
            "orders reserve (Ninja Van), with the day's parcel count.",
            settings="kiriman.settings:PickupBookingSettings",
            triggers=(ScheduleTrigger(expression="rate(30 minutes)"),),
            memory_mb=256,
            timeout_s=300,
            access=Access(table="write", carrier_accounts="read"),
        ),
    ),
    due_kinds={"token_refresh": "shop-sync", "package_ready": "fulfil-held"},
    metric_alarms=(
        MetricAlarm(
            metric="ShopeePushRejected",
            threshold=10,
            description="Shopee pushes are being refused (signature, size, shape). Shopee suspends the push "
            "subscription when fewer than 30% succeed: check the callback URL and partner key.",
        ),
        MetricAlarm(
            metric="ShopAuthorizationLost",
            threshold=0,
            description="A shop's authorization was cancelled or its refresh token rejected: the seller must "
            "authorize again (GET /v1/shops shows which).",
        ),
        MetricAlarm(
            metric="ShopAuthorizationExpiring",
            threshold=0,
            description="A shop's authorization ends within 7 days: ask the seller to authorize again.",
        ),
    ),
    secrets=("shopee",),
)
