"""EventBridge schedules on the shared clock.

``rate(N unit)`` fires every N seconds of shared time from the stack's start; ``cron(...)`` uses
EventBridge's six fields (converted for croniter). When the clock jumps past one or more fire times
the schedule fires once, not once per missed period, then continues from the new time. A clock
advance wakes the scheduler at once, so due schedules fire within a fraction of a second.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from kiriman.wiring import Manifest, ScheduleTrigger, physical_name
from local.clock import SharedClock
from local.config import ACCOUNT, REGION, STAGE
from local.workers import Invoker

log = logging.getLogger("local.scheduler")
ASYNC_RETRY_DELAYS_S = (60.0, 120.0)  # Lambda's asynchronous retries, multiplied by the time scale


def _convert_dow(field: str) -> str:
    """EventBridge day-of-week (1-7 = SUN-SAT, ``?``, ``nL``) to croniter's (0-6 = SUN-SAT, ``Ln``)."""
    if field == "?":
        return "*"
    if field == "L":
        return "6"
    parts = []
    for token in field.split(","):
        if token.endswith("L") and token[:-1].isdigit():
            parts.append(f"L{int(token[:-1]) - 1}")
            continue
        base, hash_, nth = token.partition("#")
        base, slash, step = base.partition("/")
        base = "-".join(str(int(p) - 1) if p.isdigit() else p for p in base.split("-"))
        parts.append(base + slash + step + hash_ + nth)
    return ",".join(parts)


def _year_matches(field: str, year: int) -> bool:
    if field in ("*", "?"):
        return True
    for token in field.split(","):
        base, _, step = token.partition("/")
        lo_s, _, hi_s = base.partition("-")
        lo = int(lo_s) if lo_s != "*" else 1970
        hi = int(hi_s) if hi_s else (9999 if step or lo_s == "*" else lo)
        if lo <= year <= hi and (year - lo) % (int(step) if step else 1) == 0:
            return True
    return False


def parse_cron(expression: str) -> tuple[str, str]:
    """``cron(m h dom mon dow year)`` -> (five-field croniter expression, year field)."""
    inner = expression.strip()[len("cron(") : -1]
    fields = inner.split()
    if len(fields) != 6:
        raise ValueError(f"expected six cron fields: {expression!r}")
    minute, hour, dom, month, dow, year = fields
    if "W" in dom:
        raise ValueError(f"'W' (nearest weekday) is not supported locally: {expression!r}")
    dom = "*" if dom == "?" else dom
    return " ".join((minute, hour, dom, month, _convert_dow(dow))), year


def next_cron(expression: str, after: float) -> float:
    """The first fire time of an EventBridge cron strictly after ``after`` (inf when there is none)."""
    five, year = parse_cron(expression)
    start = datetime.fromtimestamp(after, tz=UTC)
    for _ in range(1000):
        t = float(croniter(five, start).get_next(float))
        fire_year = datetime.fromtimestamp(t, tz=UTC).year
        if _year_matches(year, fire_year):
            return t
        # Skip straight to the next year the year field allows, instead of walking every minute.
        later = next((y for y in range(fire_year + 1, 2200) if _year_matches(year, y)), None)
        if later is None:
            return float("inf")
        start = datetime(later, 1, 1, tzinfo=UTC) - timedelta(seconds=1)
    return float("inf")


@dataclass
class Schedule:
    function: str
    trigger: ScheduleTrigger
    rule_arn: str
    start: float
    next_fire: float = 0.0

    def following(self, now: float) -> float:
        """The first fire time strictly after ``now`` (rates stay on their grid from ``start``)."""
        rate = self.trigger.rate_seconds()
        if rate is not None:
            periods = int((now - self.start) // rate) + 1
            return self.start + periods * rate
        return next_cron(self.trigger.expression, now)


def scheduled_event(rule_arn: str, at: float) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


class Scheduler:
    def __init__(
        self, manifest: Manifest, clock: SharedClock, invoker: Invoker, stop: threading.Event, time_scale: float
    ) -> None:
        self.clock = clock
        self.invoker = invoker
        self.stop = stop
        self.time_scale = time_scale
        now = clock.time()
        self.schedules: list[Schedule] = []
        for fn in manifest.functions:
            for i, trig in enumerate(fn.triggers_of(ScheduleTrigger)):
                rule = physical_name(manifest.app, STAGE, f"{fn.name}-schedule{i}")
                s = Schedule(fn.name, trig, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}", start=now)
                s.next_fire = s.following(now)
                self.schedules.append(s)
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._firing: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.schedules:
            self._thread.start()

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._lock:
            firing = list(self._firing)
        for t in firing:
            t.join(max(0.0, end - time.monotonic()))

    def _loop(self) -> None:
        while not self.stop.is_set():
            generation = self.clock.generation()
            now = self.clock.time()
            for s in self.schedules:
                if now >= s.next_fire:
                    at = now if now - s.next_fire > 1.0 else s.next_fire
                    self._spawn(s, at)
                    s.next_fire = s.following(now)
            wait = min(s.next_fire for s in self.schedules) - self.clock.time()
            self.clock.wait_for_change(generation, min(max(wait, 0.01), 1.0))

    def _spawn(self, s: Schedule, at: float) -> None:
        """Each fire in its own thread: a slow function must not hold back the other schedules."""

        def run() -> None:
            try:
                self._fire(s, at)
            finally:
                with self._lock:
                    self._firing.discard(threading.current_thread())

        t = threading.Thread(target=run, name=f"fire-{s.function}", daemon=True)
        with self._lock:
            self._firing.add(t)
        t.start()

    def _fire(self, s: Schedule, at: float) -> None:
        """Invoke asynchronously, as EventBridge does: an error is retried twice, then dropped."""
        event = scheduled_event(s.rule_arn, at)
        for attempt in range(len(ASYNC_RETRY_DELAYS_S) + 1):
            if self.stop.is_set():
                return
            try:
                res = self.invoker.invoke(s.function, event, "schedule")
            except Exception:
                if not self.stop.is_set():
                    log.exception("%s: could not invoke", s.function)
                return
            if res.ok:
                return
            if attempt < len(ASYNC_RETRY_DELAYS_S):
                log.info("%s failed (%s); retrying", s.function, res.error_message)
                if self.stop.wait(ASYNC_RETRY_DELAYS_S[attempt] * self.time_scale):
                    return
        log.warning("%s: scheduled event %s dropped after retries", s.function, event["id"])
