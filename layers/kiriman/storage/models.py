"""PynamoDB models of the single table. One base model carries the key and index attributes; each
entity is a subclass told apart by the ``entity`` discriminator. Table name and endpoint come from
settings through :func:`bind`, never at import time, so moto can start before any client exists.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class _Gsi1(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class _Due(GlobalSecondaryIndex["Entity"]):
    """Sparse: only items with deferred work carry DUEPK/DUESK."""

    class Meta:
        index_name = "DUE"
        projection = AllProjection()

    DUEPK = UnicodeAttribute(hash_key=True)
    DUESK = UnicodeAttribute(range_key=True)


class Entity(Model):
    class Meta:
        table_name = "unbound"
        region = "ap-southeast-1"
        host: str | None = None
        billing_mode = "PAY_PER_REQUEST"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    DUEPK = UnicodeAttribute(null=True)
    DUESK = UnicodeAttribute(null=True)
    # TTL attribute (epoch seconds); reads also ignore expired items because moto applies no TTL.
    expires_at = NumberAttribute(null=True)
    version = NumberAttribute(default=0)

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()
    due = _Due()


class MerchantItem(Entity, discriminator="Merchant"):
    merchant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")
    created_at = NumberAttribute()
    arrange_within_first_hour = BooleanAttribute(default=False)


class UserItem(Entity, discriminator="User"):
    user_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute(null=True)  # None for operators
    role = UnicodeAttribute()
    display_name = UnicodeAttribute()
    warehouse_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()


class ApiKeyItem(Entity, discriminator="ApiKey"):
    key_hash = UnicodeAttribute()
    prefix = UnicodeAttribute()
    user_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    warehouse_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    last_used_at = NumberAttribute(null=True)
    revoked_at = NumberAttribute(null=True)
    label = UnicodeAttribute(null=True)


class WarehouseItem(Entity, discriminator="Warehouse"):
    warehouse_id = UnicodeAttribute()
    owner_merchant_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    address = JSONAttribute()
    markets = JSONAttribute()
    active = BooleanAttribute(default=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    bin_locations = JSONAttribute(null=True)  # SKU -> bin


class CarrierAccountItem(Entity, discriminator="CarrierAccount"):
    """A carrier contract; ``secret_name`` points at the credentials in Secrets Manager."""

    account_id = UnicodeAttribute()
    owner_merchant_id = UnicodeAttribute(null=True)
    carrier = UnicodeAttribute()
    name = UnicodeAttribute()
    country = UnicodeAttribute()
    environment = UnicodeAttribute()
    settings = JSONAttribute()
    services = JSONAttribute()
    secret_name = UnicodeAttribute()
    credential_fields = JSONAttribute()
    active = BooleanAttribute(default=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class RateCardItem(Entity, discriminator="RateCard"):
    """One version of a rate card; ``body`` is the validated document (zones, weights, surcharges)."""

    card_id = UnicodeAttribute()
    owner_merchant_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute()
    service = UnicodeAttribute()
    card_version = NumberAttribute()
    body = JSONAttribute()
    retired = BooleanAttribute(default=False)
    created_at = NumberAttribute()


class RuleItem(Entity, discriminator="RoutingRule"):
    rule_id = UnicodeAttribute()
    owner_merchant_id = UnicodeAttribute(null=True)
    priority = NumberAttribute()
    shop_id = NumberAttribute(null=True)
    body = JSONAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class PurchaseClaimItem(Entity, discriminator="PurchaseClaim"):
    """One purchase attempt of one package and leg; GSI1 lists a merchant's claims by state."""

    merchant_id = UnicodeAttribute()
    shop_id = NumberAttribute()
    order_sn = UnicodeAttribute()
    package_number = UnicodeAttribute()
    leg = UnicodeAttribute()
    attempt = NumberAttribute()
    state = UnicodeAttribute()
    carrier = UnicodeAttribute()
    account_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    calling_until = NumberAttribute(null=True)
    tracking_number = UnicodeAttribute(default="")
    error = JSONAttribute(null=True)
    raw = JSONAttribute(null=True)
    calls = NumberAttribute(default=0)


class PurchaseHeadItem(Entity, discriminator="PurchaseHead"):
    """The attempt number in force for a package and leg (raised after a void or a permanent failure)."""

    attempt = NumberAttribute(default=1)


class PickupBookingItem(Entity, discriminator="PickupBooking"):
    """One carrier pickup per warehouse, carrier, account and day (domain/pickups.py); GSI1 lists a day's."""

    owner_merchant_id = UnicodeAttribute(null=True)  # the warehouse's owner; None for the forwarder's
    warehouse_id = UnicodeAttribute()
    carrier = UnicodeAttribute()
    account_id = UnicodeAttribute()
    day = UnicodeAttribute()
    state = UnicodeAttribute()
    parcels = NumberAttribute()
    latest_parcels = NumberAttribute()
    merchants = JSONAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    confirmation = UnicodeAttribute(default="")
    error = JSONAttribute(null=True)
    detail = JSONAttribute(null=True)
    attempts = NumberAttribute(default=0)
    calling_until = NumberAttribute(null=True)


class AuditItem(Entity, discriminator="Audit"):
    audit_id = UnicodeAttribute()
    at = NumberAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    key_prefix = UnicodeAttribute()
    merchant_id = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    status = NumberAttribute()
    request_id = UnicodeAttribute()


class ShopItem(Entity, discriminator="Shop"):
    """A Shopee shop linked to a merchant. Tokens are KMS ciphertext, never plaintext."""

    shop_id = NumberAttribute()
    merchant_id = UnicodeAttribute()
    region = UnicodeAttribute(default="")
    name = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # active | revoked | expired
    cross_border = BooleanAttribute(default=False)
    main_account_id = NumberAttribute(null=True)
    access_token_ct = UnicodeAttribute(null=True)
    refresh_token_ct = UnicodeAttribute(null=True)
    access_expires_at = NumberAttribute(null=True)
    auth_expires_at = NumberAttribute(null=True)
    token_version = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    sync_lease_until = NumberAttribute(null=True)  # one order sync per shop at a time
    sync_lease_owner = UnicodeAttribute(null=True)
    watermark = NumberAttribute(null=True)  # update_time up to which orders are synced
    quota_blocked_until = NumberAttribute(null=True)
    flags = JSONAttribute(null=True)
    connected_at = NumberAttribute()
    updated_at = NumberAttribute()


class ShopLinkItem(Entity, discriminator="ShopLink"):
    """``SHOPLINK#<shop_id>``: which merchant owns a shop (one owner; pushes route through it)."""

    shop_id = NumberAttribute()
    merchant_id = UnicodeAttribute()


class ReconcileCursorItem(Entity, discriminator="ReconcileCursor"):
    """Where the fulfilment reconciler stopped: a merchant and its page cursor of READY_TO_SHIP orders."""

    merchant_id = UnicodeAttribute(null=True)
    order_cursor = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()


class OneTimeItem(Entity, discriminator="OneTime"):
    """A marker written once with a conditional put: used nonces, seen pushes, events emitted."""

    note = UnicodeAttribute(null=True)
    created_at = NumberAttribute()


class OrderItem(Entity, discriminator="Order"):
    merchant_id = UnicodeAttribute()
    shop_id = NumberAttribute()
    order_sn = UnicodeAttribute()
    order_status = UnicodeAttribute()
    region = UnicodeAttribute(default="")
    currency = UnicodeAttribute(default="")
    cod = BooleanAttribute(default=False)
    total_amount = NumberAttribute(null=True)
    create_time = NumberAttribute()
    update_time = NumberAttribute()
    pay_time = NumberAttribute(null=True)
    ship_by_date = NumberAttribute(null=True)
    days_to_ship = NumberAttribute(null=True)
    shipping_carrier = UnicodeAttribute(default="")
    fulfillment_flag = UnicodeAttribute(default="")
    booking_sn = UnicodeAttribute(null=True)
    advance_package = BooleanAttribute(default=False)
    pending_terms = JSONAttribute(null=True)
    split_up = BooleanAttribute(default=False)
    items = JSONAttribute()
    packages = JSONAttribute()
    recipient = JSONAttribute(null=True)  # personal data: expires with the order's retention
    synced_at = NumberAttribute()
    fingerprint = UnicodeAttribute(null=True)  # of what fulfilment reads; tells same-second updates apart


class DueTaskItem(Entity, discriminator="DueTask"):
    kind = UnicodeAttribute()
    ref = UnicodeAttribute()
    due_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    payload = JSONAttribute(null=True)


class RateBucketItem(Entity, discriminator="RateBucket"):
    """A carrier account's token bucket; an absent (or expired) bucket is a full one."""

    carrier = UnicodeAttribute()
    account_id = UnicodeAttribute()
    tokens = NumberAttribute()
    refilled_at = NumberAttribute()
    version = NumberAttribute(default=0)


class DocumentRequestItem(Entity, discriminator="DocumentRequest"):
    """One asked-for document (pick list, packing slips, customs forms, manifest) and how its rendering went."""

    document_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    format = UnicodeAttribute()
    status = UnicodeAttribute()
    selection = JSONAttribute()
    shipments = JSONAttribute()
    options = JSONAttribute(null=True)
    skipped = JSONAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    key = UnicodeAttribute(default="")
    error = UnicodeAttribute(default="")
    printed = NumberAttribute(default=0)  # shipments on the document ("count" would hide Model.count)


ALL_ENTITIES: tuple[type[Entity], ...] = (
    MerchantItem,
    UserItem,
    ApiKeyItem,
    WarehouseItem,
    AuditItem,
    ShopItem,
    ShopLinkItem,
    OneTimeItem,
    ReconcileCursorItem,
    OrderItem,
    DueTaskItem,
    RateBucketItem,
    PickupBookingItem,
    DocumentRequestItem,
)

__all__ = ["ALL_ENTITIES", "Entity"]


def bind(table_name: str, region: str, host: str | None = None) -> None:
    """Point every model at the stage's table; drops cached connections (tests rebind per moto)."""
    Entity.Meta.table_name = table_name
    Entity.Meta.region = region
    Entity.Meta.host = host
    classes: tuple[type[Entity], ...] = (Entity, *ALL_ENTITIES)
    for cls in classes:
        cls._connection = None


def table_schema() -> dict[str, Any]:
    """The table's keys and indexes as CloudFormation/boto3 would declare them (local stack, tests)."""
    attrs = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "DUEPK", "DUESK"]

    def gsi(name: str, pk: str, sk: str) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }

    return {
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        "GlobalSecondaryIndexes": [
            gsi("GSI1", "GSI1PK", "GSI1SK"),
            gsi("GSI2", "GSI2PK", "GSI2SK"),
            gsi("DUE", "DUEPK", "DUESK"),
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "TtlAttribute": "expires_at",
    }
