"""``Store``: one method per access pattern of the single table (see docs/architecture.md).

Every state change is a conditional write. Methods that serve a merchant take the merchant id and
build keys from it. Items past their ``expires_at`` are treated as absent (moto applies no TTL, and
DynamoDB deletes expired items only eventually).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, cast

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from kiriman.clock import Clock
from kiriman.domain.access import Role
from kiriman.domain.due import DueTask
from kiriman.domain.errors import Conflict, InvalidInput
from kiriman.domain.merchants import ApiKey, Merchant, User
from kiriman.storage import keys
from kiriman.storage.models import ApiKeyItem, DueTaskItem, Entity, MerchantItem, UserItem


def _conditional_failed(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    if cause == "ConditionalCheckFailedException":
        return True
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor", "not a cursor this API issued") from exc
    if not isinstance(value, dict):
        raise InvalidInput("cursor", "not a cursor this API issued")
    return value


class Store:
    """The table, seen by the domain. Construct through the composition root (kiriman.runtime)."""

    def __init__(self, clock: Clock, connection: Connection | None = None) -> None:
        self._clock = clock
        self._connection = connection

    def _live(self, item: Entity | None) -> bool:
        return item is not None and (item.expires_at is None or item.expires_at > self._clock.time())

    # --- merchants --------------------------------------------------------------------------
    def create_merchant(self, merchant: Merchant, admin: User, key: ApiKey) -> None:
        """Merchant, first user and key in one transaction: all three or none."""
        m = MerchantItem(
            keys.merchant_pk(merchant.merchant_id),
            keys.MERCHANT_SK,
            merchant_id=merchant.merchant_id,
            name=merchant.name,
            contact_email=merchant.contact_email,
            status=merchant.status,
            created_at=merchant.created_at,
            GSI1PK=keys.MERCHANTS_GSI1PK,
            GSI1SK=keys.merchants_gsi1sk(merchant.created_at, merchant.merchant_id),
        )
        try:
            with TransactWrite(connection=self._tx_connection()) as tx:
                tx.save(m, condition=MerchantItem.PK.does_not_exist())
                tx.save(self._user_item(admin), condition=UserItem.PK.does_not_exist())
                tx.save(self._key_item(key), condition=ApiKeyItem.PK.does_not_exist())
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise Conflict("merchant, user or key already exists") from exc
            raise

    def get_merchant(self, merchant_id: str) -> Merchant | None:
        try:
            item = MerchantItem.get(keys.merchant_pk(merchant_id), keys.MERCHANT_SK)
        except MerchantItem.DoesNotExist:
            return None
        return self._merchant(item) if self._live(item) else None

    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Merchant], str | None]:
        result = MerchantItem.gsi1.query(
            keys.MERCHANTS_GSI1PK,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
            scan_index_forward=False,
        )
        items = [self._merchant(i) for i in result if isinstance(i, MerchantItem) and self._live(i)]
        return items, encode_cursor(result.last_evaluated_key)

    # --- users and keys ---------------------------------------------------------------------
    def create_user_with_key(self, user: User, key: ApiKey) -> None:
        try:
            with TransactWrite(connection=self._tx_connection()) as tx:
                tx.save(self._user_item(user), condition=UserItem.PK.does_not_exist())
                tx.save(self._key_item(key), condition=ApiKeyItem.PK.does_not_exist())
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise Conflict("user or key already exists") from exc
            raise

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        try:
            item = ApiKeyItem.get(keys.api_key_pk(key_hash), keys.API_KEY_SK)
        except ApiKeyItem.DoesNotExist:
            return None
        if not self._live(item):
            return None
        return ApiKey(
            key_hash=item.key_hash,
            prefix=item.prefix,
            user_id=item.user_id,
            merchant_id=item.merchant_id,
            role=Role(item.role),
            warehouse_id=item.warehouse_id,
            created_at=item.created_at,
            last_used_at=item.last_used_at,
            revoked_at=item.revoked_at,
            label=item.label,
        )

    # --- deferred work ----------------------------------------------------------------------
    def schedule_due(self, kind: str, ref: str, at: float, payload: Mapping[str, Any] | None = None) -> DueTask:
        """Create or move the one due task of (kind, ref); a later schedule replaces an earlier one."""
        shard = keys.due_shard(kind, ref)
        sk = keys.due_sk(at, kind, ref)
        DueTaskItem(
            keys.due_task_pk(kind, ref),
            keys.DUE_TASK_SK,
            kind=kind,
            ref=ref,
            due_at=int(at),
            attempts=0,
            payload=dict(payload) if payload else None,
            DUEPK=keys.due_pk(shard),
            DUESK=sk,
        ).save()
        return DueTask(kind, ref, int(at), 0, payload, sk)

    def due_tasks(self, shard: int, until: float, limit: int) -> list[DueTask]:
        result = DueTaskItem.due.query(keys.due_pk(shard), keys.due_sk_upper(until) >= DueTaskItem.DUESK, limit=limit)
        return [self._due(i) for i in result if isinstance(i, DueTaskItem)]

    def lease_due(self, task: DueTask, until: float) -> DueTask | None:
        """Push the task's due time to ``until`` if nobody else did first; None when we lost the race."""
        new_sk = keys.due_sk(until, task.kind, task.ref)
        item = DueTaskItem(keys.due_task_pk(task.kind, task.ref), keys.DUE_TASK_SK)
        try:
            item.update(
                actions=[DueTaskItem.DUESK.set(new_sk), DueTaskItem.attempts.add(1)],
                condition=cast(Condition, DueTaskItem.DUESK == task.lease_token),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return DueTask(task.kind, task.ref, task.due_at, task.attempts + 1, task.payload, new_sk)

    def complete_due(self, kind: str, ref: str, lease_token: str) -> bool:
        """Remove the task if it still carries our lease (a newer schedule is left alone)."""
        item = DueTaskItem(keys.due_task_pk(kind, ref), keys.DUE_TASK_SK)
        try:
            item.delete(condition=cast(Condition, DueTaskItem.DUESK == lease_token))
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # --- health -----------------------------------------------------------------------------
    def ping(self) -> None:
        """Raises when the table cannot be reached (a cheap GetItem, no scan)."""
        Entity.exists()

    # --- mapping ----------------------------------------------------------------------------
    def _tx_connection(self) -> Connection:
        if self._connection is None:
            meta = Entity.Meta
            self._connection = Connection(region=meta.region, host=meta.host)
        return self._connection

    @staticmethod
    def _merchant(i: MerchantItem) -> Merchant:
        return Merchant(i.merchant_id, i.name, i.contact_email, i.status, i.created_at)

    @staticmethod
    def _user_item(user: User) -> UserItem:
        owner = keys.merchant_pk(user.merchant_id) if user.merchant_id else keys.OPERATOR_PK
        return UserItem(
            owner,
            keys.user_sk(user.user_id),
            user_id=user.user_id,
            merchant_id=user.merchant_id,
            role=user.role.value,
            display_name=user.display_name,
            warehouse_id=user.warehouse_id,
            created_at=user.created_at,
        )

    @staticmethod
    def _key_item(key: ApiKey) -> ApiKeyItem:
        owner = keys.merchant_pk(key.merchant_id) if key.merchant_id else keys.OPERATOR_PK
        return ApiKeyItem(
            keys.api_key_pk(key.key_hash),
            keys.API_KEY_SK,
            key_hash=key.key_hash,
            prefix=key.prefix,
            user_id=key.user_id,
            merchant_id=key.merchant_id,
            role=key.role.value,
            warehouse_id=key.warehouse_id,
            created_at=key.created_at,
            label=key.label,
            GSI1PK=keys.owner_keys_gsi1pk(owner),
            GSI1SK=keys.owner_keys_gsi1sk(key.created_at, key.prefix),
        )

    @staticmethod
    def _due(i: DueTaskItem) -> DueTask:
        return DueTask(i.kind, i.ref, i.due_at, int(i.attempts or 0), i.payload, i.DUESK or "")


__all__ = ["PutError", "Store"]
