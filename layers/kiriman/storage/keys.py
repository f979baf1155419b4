"""Every key string of the single table is built here, and nowhere else.

Entity prefixes follow the design guide (``MERCHANT#``, ``SHOP#``, ``ORDER#`` ...). A merchant's items
start from ``MERCHANT#<id>`` so that tenancy is part of the key, not a filter.
"""

from __future__ import annotations

import zlib

DUE_SHARDS = 16
SEP = "#"


def merchant_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


MERCHANT_SK = "PROFILE"
MERCHANTS_GSI1PK = "MERCHANTS"


def merchants_gsi1sk(created_at: float, merchant_id: str) -> str:
    return f"{created_at:014.3f}#{merchant_id}"


def user_sk(user_id: str) -> str:
    return f"USER#{user_id}"


OPERATOR_PK = "OPERATOR"


def api_key_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


API_KEY_SK = "APIKEY"


def owner_keys_gsi1pk(owner_pk: str) -> str:
    """Lists the keys of a merchant (``MERCHANT#id``) or of the operators (``OPERATOR``)."""
    return f"{owner_pk}#KEYS"


def owner_keys_gsi1sk(created_at: float, prefix: str) -> str:
    return f"{created_at:014.3f}#{prefix}"


def owner_pk(merchant_id: str | None) -> str:
    """Users, keys and warehouses belong to a merchant or, with ``None``, to the forwarder."""
    return merchant_pk(merchant_id) if merchant_id else OPERATOR_PK


USER_PREFIX = "USER#"


def key_prefix_gsi2pk(owner: str, prefix: str) -> str:
    return f"{owner}#KEY#{prefix}"


KEY_PREFIX_GSI2SK = "KEY"


WAREHOUSE_PREFIX = "WAREHOUSE#"


def warehouse_sk(warehouse_id: str) -> str:
    return f"{WAREHOUSE_PREFIX}{warehouse_id}"


def audit_pk(merchant_id: str | None) -> str:
    return f"AUDIT#{merchant_id or OPERATOR_PK}"


def audit_sk(at: float, audit_id: str) -> str:
    return f"{at:014.3f}#{audit_id}"


def audit_day_gsi1pk(day: str) -> str:
    """All audit entries of one UTC day (``YYYY-MM-DD``), for operators reading across merchants."""
    return f"AUDITDAY#{day}"


def time_bound(at: float) -> str:
    return f"{at:014.3f}"


def shop_sk(shop_id: int) -> str:
    return f"SHOP#{shop_id}"


SHOP_PREFIX = "SHOP#"
ACTIVE_SHOPS_GSI1PK = "SHOPS#ACTIVE"


def shop_link_pk(shop_id: int) -> str:
    return f"SHOPLINK#{shop_id}"


SHOP_LINK_SK = "SHOPLINK"


def once_pk(scope: str, key: str) -> str:
    """A one-time marker: ``ONCE#<scope>#<key>`` (nonces, pushes seen, events emitted)."""
    return f"ONCE#{scope}#{key}"


ONCE_SK = "ONCE"

# Where the fulfilment reconciler's walk over READY_TO_SHIP orders stopped (one item).
RECONCILE_CURSOR_PK = "RECONCILER#fulfilment"
RECONCILE_CURSOR_SK = "CURSOR"


def order_sk(order_sn: str) -> str:
    return f"ORDER#{order_sn}"


def orders_gsi1pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#ORDERS"


def orders_gsi1sk(create_time: int, order_sn: str) -> str:
    return f"{create_time:010d}#{order_sn}"


def orders_by_status_gsi2pk(merchant_id: str, status: str) -> str:
    return f"MERCHANT#{merchant_id}#ORDERSTATUS#{status}"


def orders_by_status_gsi2sk(ship_by: int | None, order_sn: str) -> str:
    return f"{(ship_by or 0):010d}#{order_sn}"


# --- deferred work -------------------------------------------------------------------------------
def due_task_pk(kind: str, ref: str) -> str:
    return f"DUETASK#{kind}#{ref}"


DUE_TASK_SK = "DUETASK"


def due_shard(kind: str, ref: str, shards: int = DUE_SHARDS) -> int:
    """Stable shard of a due item, so one hot kind spreads over ``DUE#0..15``."""
    return zlib.crc32(f"{kind}#{ref}".encode()) % shards


def due_pk(shard: int) -> str:
    return f"DUE#{shard}"


def due_sk(at_epoch: float, kind: str, ref: str) -> str:
    """``<epoch>#<kind>#<id>``: zero-padded seconds sort as numbers do."""
    return f"{int(at_epoch):010d}#{kind}#{ref}"


def due_sk_upper(until_epoch: float) -> str:
    """Upper bound (inclusive) of every due sort key at or before ``until_epoch``."""
    return f"{int(until_epoch):010d}#\uffff"


CARRIER_ACCOUNT_PREFIX = "CARRIER_ACCOUNT#"


def carrier_account_sk(account_id: str) -> str:
    return f"{CARRIER_ACCOUNT_PREFIX}{account_id}"


RATE_CARD_PREFIX = "RATECARD#"


def rate_card_prefix(card_id: str) -> str:
    return f"{RATE_CARD_PREFIX}{card_id}#"


def rate_card_sk(card_id: str, version: int) -> str:
    """Versions sort in order under the card, so the newest is the last item of a query."""
    return f"{rate_card_prefix(card_id)}V{version:06d}"


RULE_PREFIX = "RULE#"


def rule_sk(rule_id: str) -> str:
    return f"{RULE_PREFIX}{rule_id}"


def purchase_pk(identity: str) -> str:
    """All attempts of one package and leg live together: ``PURCHASE#KRM1|shop|order_sn|package|leg``."""
    return f"PURCHASE#{identity}"


PURCHASE_HEAD_SK = "HEAD"


def purchase_sk(attempt: int) -> str:
    return f"ATTEMPT#{attempt:04d}"


def purchases_by_state_gsi1pk(merchant_id: str, state: str) -> str:
    return f"MERCHANT#{merchant_id}#PURCHASES#{state}"


# --- carrier pickups (one booking per warehouse, carrier, account and day) ------------------------------
PICKUP_PREFIX = "PICKUP#"


def pickup_prefix(day: str, warehouse_id: str | None = None) -> str:
    """``PICKUP#<day>#`` (a day's bookings of one owner) or ``PICKUP#<day>#<warehouse>#`` (one warehouse's)."""
    return f"{PICKUP_PREFIX}{day}#" + (f"{warehouse_id}#" if warehouse_id else "")


def pickup_sk(day: str, warehouse_id: str, carrier: str, account_id: str) -> str:
    return f"{pickup_prefix(day, warehouse_id)}{carrier}#{account_id}"


def pickups_day_gsi1pk(day: str) -> str:
    """Every owner's bookings of one day, for operators."""
    return f"PICKUPDAY#{day}"


def pickups_day_gsi1sk(warehouse_id: str, carrier: str, account_id: str) -> str:
    return f"{warehouse_id}#{carrier}#{account_id}"


# --- document requests (pick lists, packing slips, customs forms, manifests; domain/paperwork.py) -------
DOCUMENT_PREFIX = "DOCUMENT#"


def document_sk(document_id: str) -> str:
    """Under the merchant's partition: ``MERCHANT#<m>`` / ``DOCUMENT#<document_id>`` (tenancy is the key)."""
    return f"{DOCUMENT_PREFIX}{document_id}"


def rate_bucket_pk(carrier: str, account_id: str) -> str:
    """One token bucket per carrier account (carriers/ratelimit.py)."""
    return f"RATEBUCKET#{carrier}#{account_id}"


RATE_BUCKET_SK = "RATEBUCKET"
