"""The composition root: settings in, lazily built clients and repositories out.

Nothing here runs at import time beyond reading settings, so tests can start moto first and
handlers can take a ``Runtime`` (or a fake) as an optional argument.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Generic, TypeVar

from kiriman.clock import Clock, SystemClock
from kiriman.settings import (
    Base,
    BucketSettings,
    BusSettings,
    CarrierSettings,
    KmsSettings,
    QueueSettings,
    SecretSettings,
    ShopeeSettings,
    TableSettings,
)

S = TypeVar("S", bound=Base)


class Runtime(Generic[S]):
    def __init__(self, settings: S, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock(settings.clock_offset_file)

    @cached_property
    def _session(self) -> Any:
        import boto3

        return boto3.session.Session(region_name=self.settings.region)

    def warm(self) -> Runtime[S]:
        """Build every client this function's settings allow, at cold start.

        Lambda runs module code in its init phase, which is not counted against the invocation timeout
        (AWS Lambda developer guide, "Best practices: take advantage of execution environment reuse ...
        initialize SDK clients outside of the function handler"). Importing boto3 and building clients
        costs hundreds of milliseconds; paid inside the first request it can push a short-timeout
        function (the Shopee push endpoint has 5 s) past its limit on a busy host. No network calls.
        """
        wanted = (
            (TableSettings, "store"),
            (BusSettings, "events"),
            (QueueSettings, "dispatcher"),
            (SecretSettings, "secrets"),
            (CarrierSettings, "vault"),
            (BucketSettings, "labels"),
            (BucketSettings, "documents"),
            (KmsSettings, "cipher"),
        )
        for kind, name in wanted:
            if isinstance(self.settings, kind):
                getattr(self, name)
        return self

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client; the endpoint comes from AWS_ENDPOINT_URL when the local stack sets it."""
        return self._session.client(service, endpoint_url=self.settings.aws_endpoint_url, **options)

    @cached_property
    def store(self) -> Any:
        from kiriman.storage.models import bind
        from kiriman.storage.repository import Store

        if not isinstance(self.settings, TableSettings):
            raise RuntimeError("this function has no table access in the manifest")
        bind(self.settings.table_name, self.settings.region, self.settings.aws_endpoint_url)
        return Store(self.clock)

    @cached_property
    def events(self) -> Any:
        from kiriman.adapters.aws import EventPublisher

        if not isinstance(self.settings, BusSettings):
            raise RuntimeError("this function has no bus access in the manifest")
        return EventPublisher(self.client("events"), self.settings.event_bus_name, self.clock)

    @cached_property
    def dispatcher(self) -> Any:
        from kiriman.adapters.aws import SqsDispatcher

        if not isinstance(self.settings, QueueSettings):
            raise RuntimeError("this function may send to no queue")
        return SqsDispatcher(self.client("sqs"), self.settings.queue_urls)

    @cached_property
    def secrets(self) -> Any:
        from kiriman.adapters.aws import Secrets

        if not isinstance(self.settings, SecretSettings):
            raise RuntimeError("this function reads no secrets")
        return Secrets(self.client("secretsmanager"), self.settings.secrets_prefix)

    @cached_property
    def vault(self) -> Any:
        from kiriman.adapters.aws import SecretsVault

        if not isinstance(self.settings, CarrierSettings):
            raise RuntimeError("this function has no carrier access")
        s = self.settings
        return SecretsVault(self.client("secretsmanager"), s.secrets_prefix, s.kms_key_id, s.credentials_cache_s)

    def carrier_factory(self) -> Any:
        """Builds an adapter for an account; hosts come from CARRIER_ENDPOINTS or the account's environment."""
        from kiriman.carriers import registry
        from kiriman.carriers.base import AccountConfig, Carrier
        from kiriman.retry import RetryPolicy

        if not isinstance(self.settings, CarrierSettings):
            raise RuntimeError("this function has no carrier access")
        s = self.settings
        policy = RetryPolicy(attempts=s.carrier_retry_attempts, base_delay_s=s.carrier_retry_base_s,
                             timeout_s=s.carrier_timeout_s, deadline_s=s.carrier_deadline_s)

        def build(account: AccountConfig, credentials: Any) -> Carrier:
            if account.carrier == "shopee":  # speaks through the shop's Shopee authorization
                from kiriman.carriers.shopee.client import ShopeeLogistics

                return ShopeeLogistics(account, self.shopee)
            return registry.build(account, credentials, s.carrier_endpoints, policy)

        return build

    @cached_property
    def labels(self) -> Any:
        from kiriman.adapters.aws import S3Labels

        if not isinstance(self.settings, BucketSettings):
            raise RuntimeError("this function has no bucket access")
        return S3Labels(self.client("s3"), self.settings.bucket_name)

    @cached_property
    def documents(self) -> Any:
        from kiriman.adapters.aws import S3Documents

        if not isinstance(self.settings, BucketSettings):
            raise RuntimeError("this function has no bucket access")
        from botocore.config import Config

        # Presigned URLs with SigV4 (SigV2 query signing is deprecated and refused by newer regions), path-style
        # against the local stack's endpoint (http://bucket.127.0.0.1:port would not resolve).
        if self.settings.aws_endpoint_url:
            config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        else:
            config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
        return S3Documents(self.client("s3", config=config), self.settings.bucket_name)

    @cached_property
    def raw_archive(self) -> Any:
        from kiriman.adapters.aws import S3RawArchive

        if not isinstance(self.settings, BucketSettings):
            raise RuntimeError("this function has no bucket access")
        return S3RawArchive(self.client("s3"), self.settings.bucket_name)

    def purchase_carrier(self, carrier: str, account_id: str, merchant_id: str) -> Any:
        """The adapter a purchase job uses: every exchange archived under ``raw/`` (carriers/archive.py),
        and a token taken from the account's bucket before each call (carriers/ratelimit.py).

        Shopee logistics is neither: it speaks through the Shopee client, which has its own quota circuit
        and is not a :class:`~kiriman.carriers.transport.CarrierHttp`.
        """
        from kiriman.carriers.archive import ArchivingCarrier
        from kiriman.carriers.ratelimit import RateLimitedCarrier, limit_for
        from kiriman.domain import carrier_accounts

        if carrier == "shopee":
            return self.carrier(carrier, account_id, merchant_id)
        account = self._carrier_account(account_id, merchant_id)
        adapter = carrier_accounts.adapter(account, self.vault, self.carrier_factory())
        archived = ArchivingCarrier(adapter, self.raw_archive, self.clock)
        return RateLimitedCarrier(archived, self.store, limit_for(carrier, account.settings))

    def _carrier_account(self, account_id: str, merchant_id: str) -> Any:
        """The merchant's own account, or the forwarder's."""
        from kiriman.domain import carrier_accounts

        return self.store.get_carrier_account(merchant_id, account_id) or carrier_accounts.get(
            self.store, None, account_id
        )

    def carrier(self, carrier: str, account_id: str, merchant_id: str) -> Any:
        """The adapter for the account a shipment was bought with (the merchant's own, or the forwarder's)."""
        from kiriman.carriers.base import AccountConfig
        from kiriman.domain import carrier_accounts

        build = self.carrier_factory()
        if carrier == "shopee":
            return build(AccountConfig(account_id, "shopee", ""), {})
        return carrier_accounts.adapter(self._carrier_account(account_id, merchant_id), self.vault, build)

    @cached_property
    def cipher(self) -> Any:
        from kiriman.adapters.aws import KmsTokenCipher

        if not isinstance(self.settings, KmsSettings):
            raise RuntimeError("this function has no KMS access")
        return KmsTokenCipher(self.client("kms"), self.settings.kms_key_id)

    @cached_property
    def shopee(self) -> Any:
        """The Shopee client for the configured partner, with per-shop tokens and quota circuit."""
        import os

        from kiriman.domain.shops import ShopTokens
        from kiriman.retry import RetryPolicy
        from kiriman.shopee.client import ShopeeClient

        if not isinstance(self.settings, ShopeeSettings):
            raise RuntimeError("this function has no Shopee access")
        s = self.settings
        cfg = self.secrets.get("shopee")
        policy = RetryPolicy(
            attempts=s.shopee_retry_attempts,
            base_delay_s=s.shopee_retry_base_s,
            timeout_s=s.shopee_timeout_s,
            deadline_s=s.shopee_deadline_s,
        )
        client = ShopeeClient(cfg["host"], int(cfg["partner_id"]), str(cfg["partner_key"]), self.clock, policy=policy)
        owner = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or f"pid-{os.getpid()}"
        client.use_tokens(ShopTokens(self.store, self.cipher, client, self.clock, owner))
        return client
