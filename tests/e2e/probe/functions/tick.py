"""Schedule target: records each fire with the event and the shared clock's time."""

from __future__ import annotations

from typing import Any

from record import SETTINGS, record

from kiriman.clock import SystemClock

CLOCK = SystemClock(SETTINGS.clock_offset_file)


def handler(event: dict[str, Any], context: Any) -> None:
    record("tick", "fire", event=event, shared_now=CLOCK.time(), request_id=context.aws_request_id)
