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
