"""Stage settings read from CDK context (``-c stage=prod -c region=...``), validated once.

Every knob the stack has lives here with its default, so ``docs/deploy.md`` and the tests read one list.
Values given with ``-c`` arrive as strings; pydantic turns them into the declared types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_STAGE = "dev"
DEFAULT_REGION = "ap-southeast-1"
# Stages that keep their data when the stack is deleted unless `-c retain=false` says otherwise.
RETAINED_STAGES = frozenset({"prod", "production", "live"})

_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


class StageConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(DEFAULT_STAGE, pattern=r"^[a-z][a-z0-9]{1,11}$")
    region: str = Field(DEFAULT_REGION, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    # None: decided by the stage name (RETAINED_STAGES).
    retain: bool | None = None
    label_retention_days: int = Field(180, ge=1)
    raw_retention_days: int = Field(30, ge=1)
    access_log_retention_days: int = Field(90, ge=1)
    noncurrent_version_days: int = Field(30, ge=1)
    log_retention_days: int = 30
    api_rate_limit: float = Field(50, gt=0)
    api_burst_limit: int = Field(100, ge=1)
    oldest_message_alarm_s: int = Field(900, ge=60)
    alarm_email: str | None = None

    @model_validator(mode="after")
    def _retention_is_a_cloudwatch_value(self) -> StageConfig:
        if self.log_retention_days not in _RETENTION:
            raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION)}")
        return self

    @property
    def retains_data(self) -> bool:
        return self.stage in RETAINED_STAGES if self.retain is None else self.retain

    @property
    def removal_policy(self) -> RemovalPolicy:
        """For the table, the key, secrets and log groups. Buckets are always retained (see storage)."""
        return RemovalPolicy.RETAIN if self.retains_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> StageConfig:
        """Build from a context getter (``node.try_get_context``); unset keys take the defaults."""
        values = {name: get(name) for name in cls.model_fields}
        return cls.model_validate({k: v for k, v in values.items() if v is not None and v != ""})
