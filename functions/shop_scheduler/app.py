"""Schedule -> one ``sync_shop`` job per active shop, plus one lost-push check. No Shopee calls here."""

from typing import Any

from kiriman.domain.shop_work import QUEUE
from kiriman.logs import get_logger
from kiriman.runtime import Runtime
from kiriman.settings import ShopSchedulerSettings, load

RUNTIME = Runtime(load(ShopSchedulerSettings)).warm()
log = get_logger()


def handler(
    event: dict[str, Any], context: Any, runtime: Runtime[ShopSchedulerSettings] | None = None
) -> dict[str, Any]:
    rt = runtime or RUNTIME
    jobs: list[dict[str, Any]] = [{"type": "sync_shop", "shop_id": shop_id} for _, shop_id in rt.store.active_shops()]
    jobs.append({"type": "lost_push"})
    rt.dispatcher.send(QUEUE, jobs)
    log.info("shop sync fan-out", extra={"jobs": len(jobs)})
    return {"jobs": len(jobs)}
