"""Settings: each function parses its environment once, at start, into one of these models.

A missing or malformed setting fails the cold start with the variable's name, rather than the first
request that happens to need it. The models are small mixins so a function asks only for what its
manifest entry grants (``kiriman.wiring.function_environment`` sets exactly these variables).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError


class SettingsError(RuntimeError):
    """A function cannot start: names every missing or invalid variable."""


class Base(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    app_name: str = "kiriman"
    stage: str = Field(min_length=1)
    powertools_service_name: str = "kiriman"
    aws_region: str | None = Field(None, validation_alias="AWS_REGION")
    aws_default_region: str | None = None
    # Only the local stack sets these: an endpoint for every AWS client, and the shared clock file.
    aws_endpoint_url: str | None = None
    clock_offset_file: str | None = None
    function_timeout_s: int = 30

    @property
    def region(self) -> str:
        return self.aws_region or self.aws_default_region or "ap-southeast-1"


class TableSettings(Base):
    table_name: str = Field(min_length=3)


class BusSettings(Base):
    event_bus_name: str = Field(min_length=1)


class QueueSettings(Base):
    queue_urls: dict[str, str] = Field(default_factory=dict)
    due_routes: dict[str, str] = Field(default_factory=dict)


class SecretSettings(Base):
    secrets_prefix: str = Field(min_length=1)


class KmsSettings(Base):
    kms_key_id: str = Field(min_length=1)


class ShopeeSettings(TableSettings, SecretSettings, KmsSettings):
    """Shopee access: partner credentials and push callback come from the ``shopee`` secret."""

    shopee_retry_attempts: int = Field(4, ge=1, le=10)
    shopee_retry_base_s: float = Field(0.5, ge=0)
    shopee_timeout_s: float = Field(8.0, gt=0)
    shopee_deadline_s: float = Field(20.0, gt=0)


class CarrierSettings(TableSettings, SecretSettings, KmsSettings):
    """Carrier access: credentials per carrier account in Secrets Manager under ``carrier-accounts/``.

    ``carrier_endpoints`` (JSON, slug -> base URL) overrides a carrier's host; the local stack points
    it at the sandboxes. Empty in AWS, where each account's environment picks the carrier's host.
    """

    carrier_endpoints: dict[str, str] = Field(default_factory=dict)
    carrier_retry_attempts: int = Field(4, ge=1, le=10)
    carrier_retry_base_s: float = Field(0.5, ge=0)
    carrier_timeout_s: float = Field(10.0, gt=0)
    carrier_deadline_s: float = Field(25.0, gt=0)
    credentials_cache_s: float = Field(300.0, ge=0)


class BucketSettings(Base):
    bucket_name: str = Field(min_length=3)


class DocumentSettings(BucketSettings):
    """Rendered documents in the private bucket, handed out as presigned URLs valid this long (minutes)."""

    document_url_ttl_s: int = Field(300, ge=30, le=3600)


class FulfilSettings(ShopeeSettings, CarrierSettings, QueueSettings):
    """PackageReadyToShip -> allocate, rate and route, queue one purchase job per package."""


class LabelPurchaseSettings(ShopeeSettings, CarrierSettings, BucketSettings, QueueSettings):
    """One purchase per message: claim, buy, store the label, tell Shopee."""

    # Shopee: poll get_tracking_number no faster than every 5 minutes. The local stack runs its clock
    # faster (TIME_SCALE), so waits expressed in SQS delays shrink with it.
    tracking_poll_s: float = Field(300.0, ge=1)
    time_scale: float = Field(1.0, gt=0, le=1)


class ReconcilerSettings(TableSettings, BusSettings):
    # A READY_TO_SHIP package not bought this long after its last change is re-published.
    reconcile_after_s: float = Field(900.0, ge=60)
    # ... and again only after this long with its claim standing still (a queued job is not lost).
    reconcile_again_after_s: float = Field(3600.0, ge=60)


class PickupBookingSettings(CarrierSettings):
    """Books each carrier's daily pickup per warehouse (domain/pickups.py): table and carrier accounts."""


class ApiSettings(ShopeeSettings, CarrierSettings, BusSettings, QueueSettings, DocumentSettings):
    # Bodies larger than this get 413 before any parsing.
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    public_api_url: str = Field(min_length=1)


class DocumentRenderSettings(TableSettings, DocumentSettings):
    """The renderer (``document_render``): reads claims, orders and warehouses, writes documents and their keys."""

    # wkhtmltopdf is killed after this long (a batch of 50 labels takes well under a second on the reference
    # machine); below the function's timeout so the batch can still fall back to one label at a time.
    render_timeout_s: float = Field(20.0, gt=0, le=600)


class ShopeeWebhookSettings(TableSettings, QueueSettings, SecretSettings):
    max_body_bytes: int = Field(64 * 1024, ge=1024)


class ShopWorkerSettings(ShopeeSettings, BusSettings, QueueSettings):
    sync_overlap_s: int = Field(600, ge=0)
    sync_lookback_s: int = Field(14 * 86400, ge=60)


class ShopSchedulerSettings(TableSettings, QueueSettings):
    pass


class AuthorizerSettings(TableSettings):
    pass


class DueSweepSettings(TableSettings, QueueSettings):
    due_shards: int = Field(16, ge=1, le=256)
    # How long a dispatched item stays leased before the sweep offers it again.
    due_lease_s: int = Field(300, ge=1)
    due_batch_limit: int = Field(500, ge=1)


S = TypeVar("S", bound=Base)


def load(model: type[S], **overrides: Any) -> S:
    """Parse the environment into ``model``; raise SettingsError naming each bad variable."""
    try:
        return model(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError(f"{model.__name__} cannot start: " + "; ".join(problems)) from exc
    except SourceError as exc:  # e.g. a JSON-typed variable that is not JSON
        raise SettingsError(f"{model.__name__} cannot start: {str(exc).upper()}") from exc
