"""``Store``: one method per access pattern of the single table (see docs/architecture.md).

Every state change is a conditional write. Methods that serve a merchant take the merchant id and
build keys from it. Items past their ``expires_at`` are treated as absent (moto applies no TTL, and
DynamoDB deletes expired items only eventually).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kiriman.carriers.base import PackageRef
from kiriman.clock import Clock
from kiriman.domain.access import Role
from kiriman.domain.audit import AuditEntry, AuditQuery
from kiriman.domain.carrier_accounts import CarrierAccount
from kiriman.domain.due import DueTask
from kiriman.domain.errors import Conflict, InvalidInput
from kiriman.domain.merchants import ApiKey, Merchant, User
from kiriman.domain.orders import Order, Package
from kiriman.domain.paperwork import DocumentRequest, DocumentStatus
from kiriman.domain.pickups import PickupBooking, PickupState
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.rate_cards import RateCardRecord
from kiriman.domain.rule_book import RuleRecord
from kiriman.domain.shops import Shop
from kiriman.domain.warehouses import Address, Warehouse
from kiriman.storage import keys
from kiriman.storage.models import (
    ApiKeyItem,
    AuditItem,
    CarrierAccountItem,
    DocumentRequestItem,
    DueTaskItem,
    Entity,
    MerchantItem,
    OneTimeItem,
    OrderItem,
    PickupBookingItem,
    PurchaseClaimItem,
    PurchaseHeadItem,
    RateBucketItem,
    RateCardItem,
    ReconcileCursorItem,
    RuleItem,
    ShopItem,
    ShopLinkItem,
    UserItem,
    WarehouseItem,
)


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


E = TypeVar("E", bound=Entity)
T = TypeVar("T")


def order_fingerprint(o: Order) -> str:
    """What fulfilment reads of an order, hashed: status, deadlines, packages, items."""
    import hashlib

    basis = [o.order_status, o.ship_by_date, o.pay_time, o.pending_terms, [p.__dict__ for p in o.packages], o.items]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:32]


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
            arrange_within_first_hour=merchant.arrange_within_first_hour,
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
        return self._one(MerchantItem, keys.merchant_pk(merchant_id), keys.MERCHANT_SK, self._merchant)

    def update_merchant_settings(self, merchant_id: str, arrange_within_first_hour: bool) -> Merchant | None:
        """Set a merchant's settings; None when there is no such merchant (nothing is created)."""
        item = MerchantItem(keys.merchant_pk(merchant_id), keys.MERCHANT_SK)
        try:
            item.update(actions=[MerchantItem.arrange_within_first_hour.set(arrange_within_first_hour)],
                        condition=MerchantItem.PK.exists())
        except UpdateError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return self._merchant(item)

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
        return self._one(ApiKeyItem, keys.api_key_pk(key_hash), keys.API_KEY_SK, self._key)

    def get_user(self, owner: str | None, user_id: str) -> User | None:
        return self._one(UserItem, keys.owner_pk(owner), keys.user_sk(user_id), self._user)

    def list_users(self, owner: str | None, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
        return self._page(UserItem, keys.owner_pk(owner), keys.USER_PREFIX, limit, cursor, self._user)

    def put_api_key(self, key: ApiKey) -> None:
        try:
            self._key_item(key).save(condition=ApiKeyItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("key already exists") from exc
            raise

    def list_api_keys(self, owner: str | None, user_id: str | None) -> list[ApiKey]:
        """A user's keys, or all keys of the owner (a handful per user, tens per merchant)."""
        condition = ApiKeyItem.user_id == user_id if user_id else None
        result = ApiKeyItem.gsi1.query(
            keys.owner_keys_gsi1pk(keys.owner_pk(owner)), filter_condition=cast(Condition | None, condition)
        )
        return [self._key(i) for i in result if isinstance(i, ApiKeyItem) and self._live(i)]

    def get_api_key_by_prefix(self, owner: str | None, prefix: str) -> ApiKey | None:
        result = ApiKeyItem.gsi2.query(
            keys.key_prefix_gsi2pk(keys.owner_pk(owner), prefix),
            ApiKeyItem.GSI2SK == keys.KEY_PREFIX_GSI2SK,
            limit=1,
        )
        for item in result:
            if isinstance(item, ApiKeyItem) and self._live(item):
                return self._key(item)
        return None

    def revoke_api_key(self, key: ApiKey, at: float) -> ApiKey:
        """Revoke now; also brings forward a revocation a rotation had scheduled for later."""
        item = ApiKeyItem(keys.api_key_pk(key.key_hash), keys.API_KEY_SK)
        try:
            item.update(
                actions=[ApiKeyItem.revoked_at.set(at)],
                condition=ApiKeyItem.PK.exists()
                & (ApiKeyItem.revoked_at.does_not_exist() | (ApiKeyItem.revoked_at > at)),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                raise Conflict("key is already revoked") from exc
            raise
        return ApiKey(**{**key.__dict__, "revoked_at": at})

    def rotate_api_key(self, old: ApiKey, new: ApiKey, revoke_old_at: float) -> None:
        """The new key and the old key's revocation time, together; a key is rotated once."""
        old_item = ApiKeyItem(keys.api_key_pk(old.key_hash), keys.API_KEY_SK)
        try:
            with TransactWrite(connection=self._tx_connection()) as tx:
                tx.save(self._key_item(new), condition=ApiKeyItem.PK.does_not_exist())
                tx.update(
                    old_item,
                    actions=[ApiKeyItem.revoked_at.set(revoke_old_at)],
                    condition=ApiKeyItem.PK.exists() & ApiKeyItem.revoked_at.does_not_exist(),
                )
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise Conflict("key was revoked or rotated meanwhile") from exc
            raise

    def touch_api_key(self, key_hash: str, at: float, resolution_s: float) -> None:
        """Record a key's last use, at most once per ``resolution_s`` (a write per request would cost)."""
        item = ApiKeyItem(keys.api_key_pk(key_hash), keys.API_KEY_SK)
        try:
            item.update(
                actions=[ApiKeyItem.last_used_at.set(at)],
                condition=ApiKeyItem.PK.exists()
                & (ApiKeyItem.last_used_at.does_not_exist() | (ApiKeyItem.last_used_at < at - resolution_s)),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    # --- warehouses -------------------------------------------------------------------------
    def create_warehouse(self, w: Warehouse) -> None:
        try:
            self._warehouse_item(w).save(condition=WarehouseItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("warehouse already exists") from exc
            raise

    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None:
        return self._one(WarehouseItem, keys.owner_pk(owner), keys.warehouse_sk(warehouse_id), self._warehouse)

    def list_warehouses(self, owner: str | None, limit: int, cursor: str | None) -> tuple[list[Warehouse], str | None]:
        pk = keys.owner_pk(owner)
        return self._page(WarehouseItem, pk, keys.WAREHOUSE_PREFIX, limit, cursor, self._warehouse)

    def update_warehouse(self, w: Warehouse, expected_version: int) -> Warehouse:
        """Optimistic: a concurrent change makes this one fail with 409 instead of being lost."""
        try:
            self._warehouse_item(w).save(condition=WarehouseItem.version == expected_version)
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("warehouse changed meanwhile; read it again") from exc
            raise
        return w

    def delete_warehouse(self, owner: str | None, warehouse_id: str) -> bool:
        item = WarehouseItem(keys.owner_pk(owner), keys.warehouse_sk(warehouse_id))
        try:
            item.delete(condition=WarehouseItem.PK.exists())
        except DeleteError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # --- carrier accounts, rate cards, routing rules ----------------------------------------------
    def create_carrier_account(self, a: CarrierAccount) -> None:
        try:
            self._carrier_account_item(a).save(condition=CarrierAccountItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("carrier account already exists") from exc
            raise

    def get_carrier_account(self, owner: str | None, account_id: str) -> CarrierAccount | None:
        return self._one(CarrierAccountItem, keys.owner_pk(owner), keys.carrier_account_sk(account_id),
                         self._carrier_account)

    def list_carrier_accounts(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[CarrierAccount], str | None]:
        return self._page(CarrierAccountItem, keys.owner_pk(owner), keys.CARRIER_ACCOUNT_PREFIX, limit, cursor,
                          self._carrier_account)

    def update_carrier_account(self, a: CarrierAccount, expected_version: int) -> CarrierAccount:
        try:
            self._carrier_account_item(a).save(condition=CarrierAccountItem.version == expected_version)
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("carrier account changed meanwhile; read it again") from exc
            raise
        return a

    def put_rate_card(self, card: RateCardRecord) -> None:
        """Each version is written once: two writers racing for the same version get 409."""
        item = RateCardItem(
            keys.owner_pk(card.owner), keys.rate_card_sk(card.card_id, card.version), card_id=card.card_id,
            owner_merchant_id=card.owner, account_id=card.account_id, service=card.service,
            card_version=card.version, body=dict(card.body), retired=card.retired, created_at=card.created_at,
        )
        try:
            item.save(condition=RateCardItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("rate card changed meanwhile; read it again") from exc
            raise

    def rate_card_versions(self, owner: str | None, card_id: str) -> list[RateCardRecord]:
        found = RateCardItem.query(keys.owner_pk(owner), RateCardItem.SK.startswith(keys.rate_card_prefix(card_id)))
        return [self._rate_card(i) for i in found if isinstance(i, RateCardItem)]

    def list_rate_cards(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[RateCardRecord], str | None]:
        """Every version of every card, oldest version first within a card."""
        return self._page(RateCardItem, keys.owner_pk(owner), keys.RATE_CARD_PREFIX, limit, cursor, self._rate_card)

    def create_rule(self, rule: RuleRecord) -> None:
        try:
            self._rule_item(rule).save(condition=RuleItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("rule already exists") from exc
            raise

    def get_rule(self, owner: str | None, rule_id: str) -> RuleRecord | None:
        return self._one(RuleItem, keys.owner_pk(owner), keys.rule_sk(rule_id), self._rule)

    def list_rules(self, owner: str | None) -> list[RuleRecord]:
        found = RuleItem.query(keys.owner_pk(owner), RuleItem.SK.startswith(keys.RULE_PREFIX))
        return [self._rule(i) for i in found if isinstance(i, RuleItem)]

    def update_rule(self, rule: RuleRecord, expected_version: int) -> RuleRecord:
        try:
            self._rule_item(rule).save(condition=RuleItem.version == expected_version)
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("rule changed meanwhile; read it again") from exc
            raise
        return rule

    def delete_rule(self, owner: str | None, rule_id: str) -> bool:
        try:
            RuleItem(keys.owner_pk(owner), keys.rule_sk(rule_id)).delete(condition=RuleItem.PK.exists())
        except DeleteError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    @staticmethod
    def _carrier_account_item(a: CarrierAccount) -> CarrierAccountItem:
        return CarrierAccountItem(
            keys.owner_pk(a.owner), keys.carrier_account_sk(a.account_id), account_id=a.account_id,
            owner_merchant_id=a.owner, carrier=a.carrier, name=a.name, country=a.country,
            environment=a.environment, settings=dict(a.settings), services=list(a.services),
            secret_name=a.secret_name, credential_fields=list(a.credential_fields), active=a.active,
            created_at=a.created_at, updated_at=a.updated_at, version=a.version,
        )

    @staticmethod
    def _carrier_account(i: CarrierAccountItem) -> CarrierAccount:
        return CarrierAccount(
            account_id=i.account_id, owner=i.owner_merchant_id, carrier=i.carrier, name=i.name, country=i.country,
            environment=i.environment, settings=dict(i.settings or {}), services=tuple(i.services or ()),
            secret_name=i.secret_name, active=bool(i.active), created_at=i.created_at, updated_at=i.updated_at,
            version=int(i.version or 0), credential_fields=tuple(i.credential_fields or ()),
        )

    @staticmethod
    def _rate_card(i: RateCardItem) -> RateCardRecord:
        return RateCardRecord(i.card_id, i.owner_merchant_id, i.account_id, i.service, int(i.card_version),
                              dict(i.body or {}), i.created_at, bool(i.retired))

    @staticmethod
    def _rule_item(r: RuleRecord) -> RuleItem:
        return RuleItem(
            keys.owner_pk(r.owner), keys.rule_sk(r.rule_id), rule_id=r.rule_id, owner_merchant_id=r.owner,
            priority=r.priority, shop_id=r.shop_id, body=dict(r.body), created_at=r.created_at,
            updated_at=r.updated_at, version=r.version,
        )

    @staticmethod
    def _rule(i: RuleItem) -> RuleRecord:
        return RuleRecord(i.rule_id, i.owner_merchant_id, int(i.priority), int(i.shop_id) if i.shop_id else None,
                          dict(i.body or {}), i.created_at, i.updated_at, int(i.version or 0))

    # --- purchase claims ----------------------------------------------------------------------
    def create_claim(self, claim: Claim) -> bool:
        """Claim a purchase attempt; False when it is already claimed (by anyone, in any state)."""
        try:
            self._claim_item(claim).save(condition=PurchaseClaimItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None:
        try:
            item = PurchaseClaimItem.get(keys.purchase_pk(package.identity), keys.purchase_sk(attempt),
                                         consistent_read=True)
        except PurchaseClaimItem.DoesNotExist:
            return None
        return self._claim(item)

    def move_claim(self, claim: Claim) -> bool:
        """Write the claim's next state if nobody moved it since the version the worker read."""
        try:
            self._claim_item(claim).save(condition=PurchaseClaimItem.version == claim.version - 1)
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def current_attempt(self, package: PackageRef) -> int:
        try:
            head = PurchaseHeadItem.get(keys.purchase_pk(package.identity), keys.PURCHASE_HEAD_SK,
                                        consistent_read=True)
        except PurchaseHeadItem.DoesNotExist:
            return 1
        return int(head.attempt or 1)

    def advance_attempt(self, package: PackageRef, from_attempt: int) -> int:
        """Move to attempt ``from_attempt + 1`` once (two operators clicking retry make one new attempt)."""
        head = PurchaseHeadItem(keys.purchase_pk(package.identity), keys.PURCHASE_HEAD_SK, attempt=from_attempt + 1)
        try:
            head.save(condition=PurchaseHeadItem.PK.does_not_exist() if from_attempt == 1
                      else PurchaseHeadItem.attempt == from_attempt)
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
        return self.current_attempt(package)

    def claims_by_state(
        self, merchant_id: str, state: str, limit: int, cursor: str | None
    ) -> tuple[list[Claim], str | None]:
        """A merchant's purchase claims in one state, most recently changed first (needs-attention lists)."""
        result = PurchaseClaimItem.gsi1.query(
            keys.purchases_by_state_gsi1pk(merchant_id, state), scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor),
        )
        items = [self._claim(i) for i in result if isinstance(i, PurchaseClaimItem)]
        return items, encode_cursor(result.last_evaluated_key)

    def claims_by_state_between(
        self, merchant_id: str, state: str, since: float, until: float, limit: int, cursor: str | None
    ) -> tuple[list[Claim], str | None]:
        """A merchant's claims in one state whose last change lies in [since, until], oldest first (pickups)."""
        result = PurchaseClaimItem.gsi1.query(
            keys.purchases_by_state_gsi1pk(merchant_id, state),
            PurchaseClaimItem.GSI1SK.between(keys.time_bound(since), keys.time_bound(until)),
            limit=limit, last_evaluated_key=decode_cursor(cursor),
        )
        items = [self._claim(i) for i in result if isinstance(i, PurchaseClaimItem)]
        return items, encode_cursor(result.last_evaluated_key)

    @staticmethod
    def _claim_item(c: Claim) -> PurchaseClaimItem:
        p = c.package
        return PurchaseClaimItem(
            keys.purchase_pk(p.identity), keys.purchase_sk(c.attempt), merchant_id=c.merchant_id, shop_id=p.shop_id,
            order_sn=p.order_sn, package_number=p.package_number, leg=p.leg, attempt=c.attempt, state=c.state.value,
            carrier=c.carrier, account_id=c.account_id, reference=c.reference, created_at=c.created_at,
            updated_at=c.updated_at, calling_until=c.calling_until, tracking_number=c.tracking_number,
            error=dict(c.error) or None, raw=dict(c.raw) or None, calls=c.calls, version=c.version,
            GSI1PK=keys.purchases_by_state_gsi1pk(c.merchant_id, c.state.value), GSI1SK=f"{c.updated_at:014.3f}",
        )

    @staticmethod
    def _claim(i: PurchaseClaimItem) -> Claim:
        return Claim(
            package=PackageRef(int(i.shop_id), i.order_sn, i.package_number, i.leg), attempt=int(i.attempt),
            merchant_id=i.merchant_id, state=ClaimState(i.state), carrier=i.carrier, account_id=i.account_id,
            reference=i.reference, created_at=i.created_at, updated_at=i.updated_at, calling_until=i.calling_until,
            tracking_number=i.tracking_number or "", error=dict(i.error or {}), raw=dict(i.raw or {}),
            calls=int(i.calls or 0), version=int(i.version or 0),
        )

    # --- carrier pickups -----------------------------------------------------------------------
    def get_pickup_booking(
        self, owner: str | None, warehouse_id: str, carrier: str, account_id: str, day: str
    ) -> PickupBooking | None:
        try:
            item = PickupBookingItem.get(keys.owner_pk(owner), keys.pickup_sk(day, warehouse_id, carrier, account_id),
                                         consistent_read=True)
        except PickupBookingItem.DoesNotExist:
            return None
        return self._pickup(item)

    def put_pickup_booking(self, b: PickupBooking) -> bool:
        """Version 1: create if absent; later versions: write if the stored one is ``version - 1``.
        False when someone else wrote first."""
        condition = (PickupBookingItem.PK.does_not_exist() if b.version <= 1
                     else PickupBookingItem.version == b.version - 1)
        try:
            self._pickup_item(b).save(condition=condition)
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def list_pickup_bookings(
        self, owner: str | None, day: str, warehouse_id: str | None = None
    ) -> list[PickupBooking]:
        """One owner's bookings of a day (of one warehouse); a day has a few per warehouse."""
        result = PickupBookingItem.query(keys.owner_pk(owner),
                                         PickupBookingItem.SK.startswith(keys.pickup_prefix(day, warehouse_id)))
        return [self._pickup(i) for i in result if isinstance(i, PickupBookingItem)]

    def pickup_bookings_on(
        self, day: str, warehouse_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[PickupBooking], str | None]:
        """Every owner's bookings of a day (operators), optionally of one warehouse."""
        sk = PickupBookingItem.GSI1SK.startswith(f"{warehouse_id}#") if warehouse_id else None
        result = PickupBookingItem.gsi1.query(keys.pickups_day_gsi1pk(day), sk, limit=limit,
                                              last_evaluated_key=decode_cursor(cursor))
        items = [self._pickup(i) for i in result if isinstance(i, PickupBookingItem)]
        return items, encode_cursor(result.last_evaluated_key)

    @staticmethod
    def _pickup_item(b: PickupBooking) -> PickupBookingItem:
        return PickupBookingItem(
            keys.owner_pk(b.warehouse_owner), keys.pickup_sk(b.day, b.warehouse_id, b.carrier, b.account_id),
            owner_merchant_id=b.warehouse_owner, warehouse_id=b.warehouse_id, carrier=b.carrier,
            account_id=b.account_id, day=b.day, state=b.state.value, parcels=b.parcels,
            latest_parcels=b.latest_parcels, merchants=dict(b.merchants), created_at=b.created_at,
            updated_at=b.updated_at, confirmation=b.confirmation, error=dict(b.error) or None,
            detail=dict(b.detail) or None, attempts=b.attempts, calling_until=b.calling_until, version=b.version,
            GSI1PK=keys.pickups_day_gsi1pk(b.day), GSI1SK=keys.pickups_day_gsi1sk(b.warehouse_id, b.carrier,
                                                                                   b.account_id),
        )

    @staticmethod
    def _pickup(i: PickupBookingItem) -> PickupBooking:
        return PickupBooking(
            warehouse_owner=i.owner_merchant_id, warehouse_id=i.warehouse_id, carrier=i.carrier,
            account_id=i.account_id, day=i.day, state=PickupState(i.state), parcels=int(i.parcels),
            latest_parcels=int(i.latest_parcels), merchants={str(k): int(v) for k, v in (i.merchants or {}).items()},
            created_at=i.created_at, updated_at=i.updated_at, confirmation=i.confirmation or "",
            error=dict(i.error or {}), detail=dict(i.detail or {}), attempts=int(i.attempts or 0),
            calling_until=i.calling_until, version=int(i.version or 0),
        )

    # --- document requests (domain/paperwork.py) ----------------------------------------------
    def create_document_request(self, req: DocumentRequest) -> None:
        """Record a requested document once (``Conflict`` if the id exists)."""
        try:
            self._document_item(req).save(condition=DocumentRequestItem.PK.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict(f"document {req.document_id} already exists") from exc
            raise

    def get_document_request(self, merchant_id: str, document_id: str) -> DocumentRequest | None:
        try:
            item = DocumentRequestItem.get(keys.merchant_pk(merchant_id), keys.document_sk(document_id),
                                           consistent_read=True)
        except DocumentRequestItem.DoesNotExist:
            return None
        return self._document(item) if self._live(item) else None

    def move_document_request(self, req: DocumentRequest) -> bool:
        """Write the request's next state (done or failed) if it is still the version read."""
        try:
            self._document_item(req).save(condition=DocumentRequestItem.version == req.version - 1)
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    @staticmethod
    def _document_item(r: DocumentRequest) -> DocumentRequestItem:
        return DocumentRequestItem(
            keys.merchant_pk(r.merchant_id), keys.document_sk(r.document_id), document_id=r.document_id,
            merchant_id=r.merchant_id, kind=r.kind, format=r.format, status=r.status.value,
            selection=dict(r.selection), shipments=list(r.shipments), options=dict(r.options) or None,
            skipped=[dict(s) for s in r.skipped] or None, created_at=r.created_at, updated_at=r.updated_at,
            key=r.key, error=r.error, printed=r.count, version=r.version, expires_at=int(r.expires_at),
        )

    @staticmethod
    def _document(i: DocumentRequestItem) -> DocumentRequest:
        return DocumentRequest(
            document_id=i.document_id, merchant_id=i.merchant_id, kind=i.kind, format=i.format,
            selection=dict(i.selection or {}), shipments=tuple(str(s) for s in i.shipments or ()),
            status=DocumentStatus(i.status), created_at=i.created_at, updated_at=i.updated_at,
            options=dict(i.options or {}), skipped=tuple({str(k): str(v) for k, v in s.items()}
                                                         for s in i.skipped or ()),
            key=i.key or "", error=i.error or "", count=int(i.printed or 0), version=int(i.version or 0),
        )

    # --- audit ------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        day = datetime.fromtimestamp(entry.at, tz=UTC).strftime("%Y-%m-%d")
        AuditItem(
            keys.audit_pk(entry.merchant_id),
            keys.audit_sk(entry.at, entry.audit_id),
            GSI1PK=keys.audit_day_gsi1pk(day),
            GSI1SK=keys.audit_sk(entry.at, entry.audit_id),
            **entry.__dict__,
        ).save(condition=AuditItem.PK.does_not_exist())

    def list_audit(self, q: AuditQuery, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        """One merchant's log (or the forwarder's own), newest first, within a time range."""
        lo = keys.time_bound(q.since or 0)
        hi = keys.time_bound(q.until or 99_999_999_999) + "#\uffff"
        filt = None
        if q.user_id:
            filt = AuditItem.user_id == q.user_id
        if q.action:
            act = AuditItem.action == q.action
            filt = act if filt is None else filt & act
        result = AuditItem.query(
            keys.audit_pk(q.merchant_id),
            AuditItem.SK.between(lo, hi),
            filter_condition=cast(Condition | None, filt),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
            scan_index_forward=False,
        )
        entries = [self._audit(i) for i in result if isinstance(i, AuditItem)]
        return entries, encode_cursor(result.last_evaluated_key)

    # --- one-time markers --------------------------------------------------------------------
    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool:
        """True the first time (scope, key) is seen; False ever after (until the marker expires)."""
        now = self._clock.time()
        item = OneTimeItem(
            keys.once_pk(scope, key), keys.ONCE_SK, created_at=now, expires_at=now + ttl_s if ttl_s else None
        )
        try:
            item.save(condition=OneTimeItem.PK.does_not_exist() | (OneTimeItem.expires_at < now))
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get_reconcile_cursor(self) -> tuple[str | None, str | None]:
        """(merchant id, order page cursor) where the last reconciler run stopped; (None, None) from the top."""
        found = self._one(ReconcileCursorItem, keys.RECONCILE_CURSOR_PK, keys.RECONCILE_CURSOR_SK, lambda i: i)
        return (found.merchant_id, found.order_cursor) if found is not None else (None, None)

    def save_reconcile_cursor(self, merchant_id: str | None, order_cursor: str | None) -> None:
        """Last writer wins: runs are a schedule apart, and a lost cursor only means walking a page twice."""
        ReconcileCursorItem(keys.RECONCILE_CURSOR_PK, keys.RECONCILE_CURSOR_SK, merchant_id=merchant_id,
                            order_cursor=order_cursor, updated_at=self._clock.time()).save()

    def forget_once(self, scope: str, key: str) -> None:
        OneTimeItem(keys.once_pk(scope, key), keys.ONCE_SK).delete()

    # --- shops ------------------------------------------------------------------------------
    def link_shop(self, shop: Shop) -> None:
        """Link a shop to a merchant: 409 when another merchant holds it; re-linking refreshes tokens."""
        link = ShopLinkItem(
            keys.shop_link_pk(shop.shop_id), keys.SHOP_LINK_SK, shop_id=shop.shop_id, merchant_id=shop.merchant_id
        )
        item = self._shop_item(shop)
        try:
            with TransactWrite(connection=self._tx_connection()) as tx:
                tx.save(
                    link, condition=ShopLinkItem.PK.does_not_exist() | (ShopLinkItem.merchant_id == shop.merchant_id)
                )
                tx.save(item)
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise Conflict(f"shop {shop.shop_id} is linked to another merchant") from exc
            raise

    def get_shop(self, merchant_id: str, shop_id: int) -> Shop | None:
        try:
            item = ShopItem.get(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id), consistent_read=True)
        except ShopItem.DoesNotExist:
            return None
        return self._shop(item)

    def shop_owner(self, shop_id: int) -> str | None:
        try:
            return str(ShopLinkItem.get(keys.shop_link_pk(shop_id), keys.SHOP_LINK_SK).merchant_id)
        except ShopLinkItem.DoesNotExist:
            return None

    def list_shops(self, merchant_id: str) -> list[Shop]:
        result = ShopItem.query(keys.merchant_pk(merchant_id), ShopItem.SK.startswith(keys.SHOP_PREFIX))
        return [self._shop(i) for i in result if isinstance(i, ShopItem)]

    def active_shops(self) -> list[tuple[str, int]]:
        """(merchant, shop) of every active shop: a sparse index holds only those."""
        result = ShopItem.gsi1.query(keys.ACTIVE_SHOPS_GSI1PK)
        return [(i.merchant_id, int(i.shop_id)) for i in result if isinstance(i, ShopItem)]

    def take_shop_lease(self, merchant_id: str, shop_id: int, owner: str, until: float, now: float) -> bool:
        item = ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id))
        try:
            item.update(
                actions=[ShopItem.lease_until.set(until), ShopItem.lease_owner.set(owner)],
                condition=ShopItem.PK.exists() & (ShopItem.lease_until.does_not_exist() | (ShopItem.lease_until < now)),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def take_sync_lease(self, merchant_id: str, shop_id: int, owner: str, until: float, now: float) -> bool:
        """One order sync per shop: free, expired, or already ours (a continuation renews it)."""
        item = ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id))
        try:
            item.update(
                actions=[ShopItem.sync_lease_until.set(until), ShopItem.sync_lease_owner.set(owner)],
                condition=ShopItem.PK.exists()
                & (
                    ShopItem.sync_lease_until.does_not_exist()
                    | (ShopItem.sync_lease_until < now)
                    | (ShopItem.sync_lease_owner == owner)
                ),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def release_sync_lease(self, merchant_id: str, shop_id: int, owner: str) -> None:
        item = ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id))
        try:
            item.update(
                actions=[ShopItem.sync_lease_until.remove(), ShopItem.sync_lease_owner.remove()],
                condition=ShopItem.sync_lease_owner == owner,
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    def save_tokens(
        self, shop: Shop, expected_version: int, access_ct: str, refresh_ct: str, expires_at: float
    ) -> bool:
        """The new pair, only if nobody saved one since we read ``expected_version``; frees the lease."""
        item = ShopItem(keys.merchant_pk(shop.merchant_id), keys.shop_sk(shop.shop_id))
        try:
            item.update(
                actions=[
                    ShopItem.access_token_ct.set(access_ct),
                    ShopItem.refresh_token_ct.set(refresh_ct),
                    ShopItem.access_expires_at.set(expires_at),
                    ShopItem.token_version.set(expected_version + 1),
                    ShopItem.lease_until.remove(),
                    ShopItem.lease_owner.remove(),
                    ShopItem.updated_at.set(self._clock.time()),
                ],
                condition=ShopItem.token_version == expected_version,
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def set_shop_status(self, merchant_id: str, shop_id: int, status: str, flags: dict[str, Any]) -> None:
        item = ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id))
        actions: list[Action] = [
            ShopItem.status.set(status),
            ShopItem.flags.set(flags),
            ShopItem.updated_at.set(self._clock.time()),
        ]
        if status == "active":
            actions += [ShopItem.GSI1PK.set(keys.ACTIVE_SHOPS_GSI1PK), ShopItem.GSI1SK.set(str(shop_id))]
        else:
            actions += [ShopItem.GSI1PK.remove(), ShopItem.GSI1SK.remove()]
        item.update(actions=actions, condition=ShopItem.PK.exists())

    def set_watermark(self, merchant_id: str, shop_id: int, watermark: float) -> None:
        """Moves only forward, so a slow, older sync cannot pull it back."""
        item = ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id))
        try:
            item.update(
                actions=[ShopItem.watermark.set(watermark)],
                condition=ShopItem.PK.exists()
                & (ShopItem.watermark.does_not_exist() | (ShopItem.watermark < watermark)),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    def block_shop_quota(self, merchant_id: str, shop_id: int, until: float) -> None:
        ShopItem(keys.merchant_pk(merchant_id), keys.shop_sk(shop_id)).update(
            actions=[ShopItem.quota_blocked_until.set(until)], condition=ShopItem.PK.exists()
        )

    # --- orders -----------------------------------------------------------------------------
    def upsert_order(self, order: Order) -> tuple[bool, Order | None]:
        """Write the order unless the stored copy is newer (Shopee's ``update_time``) or the same.

        ``update_time`` has whole seconds, so two changes within one second carry the same stamp:
        an equal stamp with different content is written (the sync overlap re-reads it anyway).
        """
        fp = order_fingerprint(order)
        previous = self.get_order(order.merchant_id, order.order_sn)
        if previous is not None and (
            previous.update_time > order.update_time
            or (previous.update_time == order.update_time and order_fingerprint(previous) == fp)
        ):
            return False, previous
        try:
            self._order_item(order).save(
                condition=OrderItem.PK.does_not_exist()
                | (OrderItem.update_time < order.update_time)
                | ((OrderItem.update_time == order.update_time) & (OrderItem.fingerprint != fp))
            )
        except PutError as exc:
            if _conditional_failed(exc):
                return False, previous
            raise
        return True, previous

    def get_order(self, merchant_id: str, order_sn: str) -> Order | None:
        return self._one(OrderItem, keys.merchant_pk(merchant_id), keys.order_sk(order_sn), self._order)

    def list_orders(
        self,
        merchant_id: str,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        shop_id: int | None = None,
        ship_by_before: int | None = None,
    ) -> tuple[list[Order], str | None]:
        """By status (sorted by ship-by date, the work queue) or all (newest first); shop as a filter."""
        filt = OrderItem.shop_id == shop_id if shop_id is not None else None
        if status:
            cond = (
                OrderItem.GSI2SK <= keys.orders_by_status_gsi2sk(ship_by_before, "\uffff") if ship_by_before else None
            )
            result = OrderItem.gsi2.query(
                keys.orders_by_status_gsi2pk(merchant_id, status),
                cast(Condition | None, cond),
                filter_condition=cast(Condition | None, filt),
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
            )
        else:
            if ship_by_before is not None:
                by = OrderItem.ship_by_date <= ship_by_before
                filt = by if filt is None else filt & by
            result = OrderItem.gsi1.query(
                keys.orders_gsi1pk(merchant_id),
                filter_condition=cast(Condition | None, filt),
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
                scan_index_forward=False,
            )
        orders = [self._order(i) for i in result if isinstance(i, OrderItem) and self._live(i)]
        return orders, encode_cursor(result.last_evaluated_key)

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

    # --- carrier rate limits ----------------------------------------------------------------
    def take_token(self, carrier: str, account_id: str, rate_per_s: float, burst: float) -> float:
        """Take one token from the account's bucket: 0.0 when taken, else the seconds until one is there.

        Read (consistent), refill by the time passed, then a write conditional on the version read (or
        on the bucket being absent or expired); a lost race reads again. An idle bucket expires once it
        would be full anyway, so the table keeps only buckets in use.
        """
        from kiriman.carriers.ratelimit import take

        pk, sk = keys.rate_bucket_pk(carrier, account_id), keys.RATE_BUCKET_SK
        for _ in range(5):
            now = self._clock.time()
            try:
                item: RateBucketItem | None = RateBucketItem.get(pk, sk, consistent_read=True)
            except RateBucketItem.DoesNotExist:
                item = None
            live = item is not None and self._live(item)
            tokens, at = (float(item.tokens), float(item.refilled_at)) if item is not None and live else (burst, now)
            left, wait = take(tokens, at, now, rate_per_s, burst)
            if wait > 0:
                return wait
            version = int(item.version) if item is not None else 0
            new = RateBucketItem(pk, sk, carrier=carrier, account_id=account_id, tokens=left, refilled_at=now,
                                 version=version + 1,
                                 expires_at=math.ceil(now + (burst - left) / rate_per_s) + 86400)
            if item is not None and live:
                condition = RateBucketItem.version == version
            else:
                condition = RateBucketItem.PK.does_not_exist() | (RateBucketItem.expires_at < now)
            try:
                new.save(condition=condition)
            except PutError as exc:
                if _conditional_failed(exc):
                    continue  # another worker took a token meanwhile: read again
                raise
            return 0.0
        return 1.0 / rate_per_s  # heavy contention: let the caller come back after about one token's time

    # --- health -----------------------------------------------------------------------------
    def ping(self) -> None:
        """Raises when the table cannot be reached (a cheap GetItem, no scan)."""
        Entity.exists()

    # --- shared reads -----------------------------------------------------------------------
    def _one(self, cls: type[E], pk: str, sk: str, mapper: Callable[[E], T]) -> T | None:
        """One live item by its key, mapped to its domain object."""
        try:
            item = cls.get(pk, sk)
        except cls.DoesNotExist:
            return None
        return mapper(item) if self._live(item) else None

    def _page(
        self, cls: type[E], pk: str, prefix: str, limit: int, cursor: str | None, mapper: Callable[[E], T]
    ) -> tuple[list[T], str | None]:
        """One page of a partition's items whose sort key starts with ``prefix``."""
        result = cls.query(pk, cls.SK.startswith(prefix), limit=limit, last_evaluated_key=decode_cursor(cursor))
        items = [mapper(i) for i in result if isinstance(i, cls) and self._live(i)]
        return items, encode_cursor(result.last_evaluated_key)

    # --- mapping ----------------------------------------------------------------------------
    def _tx_connection(self) -> Connection:
        if self._connection is None:
            meta = Entity.Meta
            self._connection = Connection(region=meta.region, host=meta.host)
        return self._connection

    @staticmethod
    def _merchant(i: MerchantItem) -> Merchant:
        return Merchant(i.merchant_id, i.name, i.contact_email, i.status, i.created_at,
                        bool(i.arrange_within_first_hour))

    @staticmethod
    def _shop_item(shop: Shop) -> ShopItem:
        active = shop.status == "active"
        return ShopItem(
            keys.merchant_pk(shop.merchant_id),
            keys.shop_sk(shop.shop_id),
            shop_id=shop.shop_id,
            merchant_id=shop.merchant_id,
            region=shop.region,
            name=shop.name,
            status=shop.status,
            cross_border=shop.cross_border,
            main_account_id=shop.main_account_id,
            access_token_ct=shop.access_token_ct,
            refresh_token_ct=shop.refresh_token_ct,
            access_expires_at=shop.access_expires_at,
            auth_expires_at=shop.auth_expires_at,
            token_version=shop.token_version,
            watermark=shop.watermark,
            flags=shop.flags or None,
            connected_at=shop.connected_at,
            updated_at=shop.updated_at,
            GSI1PK=keys.ACTIVE_SHOPS_GSI1PK if active else None,
            GSI1SK=str(shop.shop_id) if active else None,
        )

    @staticmethod
    def _shop(i: ShopItem) -> Shop:
        return Shop(
            shop_id=int(i.shop_id),
            merchant_id=i.merchant_id,
            region=i.region,
            name=i.name,
            status=i.status,
            cross_border=bool(i.cross_border),
            main_account_id=int(i.main_account_id) if i.main_account_id is not None else None,
            access_token_ct=i.access_token_ct,
            refresh_token_ct=i.refresh_token_ct,
            access_expires_at=i.access_expires_at,
            auth_expires_at=i.auth_expires_at,
            token_version=int(i.token_version or 0),
            connected_at=i.connected_at,
            updated_at=i.updated_at,
            watermark=i.watermark,
            quota_blocked_until=i.quota_blocked_until,
            flags=dict(i.flags or {}),
        )

    @staticmethod
    def _order_item(o: Order) -> OrderItem:
        return OrderItem(
            keys.merchant_pk(o.merchant_id),
            keys.order_sk(o.order_sn),
            merchant_id=o.merchant_id,
            shop_id=o.shop_id,
            order_sn=o.order_sn,
            order_status=o.order_status,
            region=o.region,
            currency=o.currency,
            cod=o.cod,
            total_amount=o.total_amount,
            create_time=o.create_time,
            update_time=o.update_time,
            pay_time=o.pay_time,
            ship_by_date=o.ship_by_date,
            days_to_ship=o.days_to_ship,
            shipping_carrier=o.shipping_carrier,
            fulfillment_flag=o.fulfillment_flag,
            booking_sn=o.booking_sn,
            advance_package=o.advance_package,
            pending_terms=o.pending_terms or None,
            split_up=o.split_up,
            items=o.items,
            packages=[p.__dict__ for p in o.packages],
            recipient=o.recipient,
            synced_at=o.synced_at,
            fingerprint=order_fingerprint(o),
            GSI1PK=keys.orders_gsi1pk(o.merchant_id),
            GSI1SK=keys.orders_gsi1sk(o.create_time, o.order_sn),
            GSI2PK=keys.orders_by_status_gsi2pk(o.merchant_id, o.order_status),
            GSI2SK=keys.orders_by_status_gsi2sk(o.ship_by_date, o.order_sn),
        )

    @staticmethod
    def _order(i: OrderItem) -> Order:
        return Order(
            merchant_id=i.merchant_id,
            shop_id=int(i.shop_id),
            order_sn=i.order_sn,
            order_status=i.order_status,
            region=i.region,
            currency=i.currency,
            cod=bool(i.cod),
            total_amount=i.total_amount,
            create_time=int(i.create_time),
            update_time=int(i.update_time),
            pay_time=int(i.pay_time) if i.pay_time is not None else None,
            ship_by_date=int(i.ship_by_date) if i.ship_by_date is not None else None,
            days_to_ship=int(i.days_to_ship) if i.days_to_ship is not None else None,
            shipping_carrier=i.shipping_carrier,
            fulfillment_flag=i.fulfillment_flag,
            booking_sn=i.booking_sn,
            advance_package=bool(i.advance_package),
            pending_terms=list(i.pending_terms or []),
            split_up=bool(i.split_up),
            items=list(i.items or []),
            packages=[Package(**p) for p in (i.packages or [])],
            recipient=i.recipient,
            synced_at=i.synced_at,
        )

    @staticmethod
    def _user(i: UserItem) -> User:
        return User(i.user_id, i.merchant_id, Role(i.role), i.display_name, i.warehouse_id, i.created_at)

    @staticmethod
    def _key(item: ApiKeyItem) -> ApiKey:
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

    @staticmethod
    def _warehouse_item(w: Warehouse) -> WarehouseItem:
        return WarehouseItem(
            keys.owner_pk(w.owner),
            keys.warehouse_sk(w.warehouse_id),
            warehouse_id=w.warehouse_id,
            owner_merchant_id=w.owner,
            name=w.name,
            address=dict(w.address.__dict__),
            markets=list(w.markets),
            active=w.active,
            created_at=w.created_at,
            updated_at=w.updated_at,
            version=w.version,
            bin_locations=dict(w.bin_locations) or None,
        )

    @staticmethod
    def _warehouse(i: WarehouseItem) -> Warehouse:
        return Warehouse(
            warehouse_id=i.warehouse_id,
            owner=i.owner_merchant_id,
            name=i.name,
            address=Address(**i.address),
            markets=tuple(i.markets),
            active=bool(i.active),
            created_at=i.created_at,
            updated_at=i.updated_at,
            version=int(i.version or 0),
            bin_locations=dict(i.bin_locations or {}),
        )

    @staticmethod
    def _audit(i: AuditItem) -> AuditEntry:
        return AuditEntry(
            audit_id=i.audit_id,
            at=i.at,
            user_id=i.user_id,
            role=i.role,
            key_prefix=i.key_prefix,
            merchant_id=i.merchant_id,
            action=i.action,
            target=i.target,
            status=int(i.status),
            request_id=i.request_id,
        )

    @staticmethod
    def _user_item(user: User) -> UserItem:
        owner = keys.owner_pk(user.merchant_id)
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
        owner = keys.owner_pk(key.merchant_id)
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
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            GSI1PK=keys.owner_keys_gsi1pk(owner),
            GSI1SK=keys.owner_keys_gsi1sk(key.created_at, key.prefix),
            GSI2PK=keys.key_prefix_gsi2pk(owner, key.prefix),
            GSI2SK=keys.KEY_PREFIX_GSI2SK,
        )

    @staticmethod
    def _due(i: DueTaskItem) -> DueTask:
        return DueTask(i.kind, i.ref, i.due_at, int(i.attempts or 0), i.payload, i.DUESK or "")


__all__ = ["PutError", "Store"]
