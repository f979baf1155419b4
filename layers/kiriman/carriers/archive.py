"""The raw carrier archive: every HTTP exchange of a purchase job, kept as the carrier saw it.

A refused purchase keeps the carrier's own code, message and field on the claim; the request we sent
and the answer we got go to the documents bucket under ``raw/`` so an operator (or the carrier's
support desk) can see exactly what happened. Objects are stored unmasked apart from credentials and
signatures (see :mod:`kiriman.carriers.transport`): the bucket is private, KMS-encrypted and expires
``raw/`` after ``raw_retention_days`` (infra/capabilities/storage.py). Log lines never carry them.

Writing to the archive can never fail or repeat a purchase: a failed write is a warning and the key is
simply not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from kiriman.carriers.base import Carrier, CarrierError
from kiriman.carriers.transport import Exchange, recording
from kiriman.carriers.wrapping import CarrierWrapper
from kiriman.clock import Clock
from kiriman.logs import get_logger

log = get_logger()
RAW_PREFIX = "raw/"  # infra/capabilities/storage.py expires this prefix after raw_retention_days
T = TypeVar("T")


class RawArchive(Protocol):
    def put(self, key: str, exchange: Mapping[str, Any]) -> str:
        """Store one exchange as JSON under ``key``; returns the key written."""
        ...


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._|:-]", "_", part) or "-"


def raw_key(carrier: str, at: float, reference: str, seq: str, op: str) -> str:
    """``raw/<carrier>/<yyyy>/<mm>/<dd>/<purchase reference>/<seq>-<op>.json`` (UTC day)."""
    day = datetime.fromtimestamp(at, tz=UTC)
    return f"{RAW_PREFIX}{_safe(carrier)}/{day:%Y/%m/%d}/{_safe(reference)}/{seq}-{_safe(op)}.json"


class _Buffer:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)


class ArchivingCarrier(CarrierWrapper):
    """A :class:`Carrier` that records every exchange of its money-spending and look-up operations
    (create, find, label, cancel) into a :class:`RawArchive`.

    ``last_keys`` holds the keys of the latest operation; on a :class:`CarrierError` the keys are also
    attached to the exception as ``raw_keys``, which the claim machine copies into the FAILED claim's error.
    """

    ARCHIVED = frozenset({"create_shipment", "find_by_reference", "get_label", "cancel"})

    def __init__(self, inner: Carrier, archive: RawArchive, clock: Clock) -> None:
        super().__init__(inner)
        self._archive = archive
        self._clock = clock
        self._n = 0
        self.last_keys: list[str] = []

    def _around(self, operation: str, reference: str, call: Callable[[], T]) -> T:
        return self._recorded(operation, reference, call) if operation in self.ARCHIVED else call()

    def _recorded(self, op: str, reference: str, call: Callable[[], T]) -> T:
        buffer = _Buffer()
        try:
            with recording(buffer):
                result = call()
        except CarrierError as exc:
            keys = self._flush(op, reference, buffer.exchanges)
            exc.raw_keys = [*getattr(exc, "raw_keys", []), *keys]  # type: ignore[attr-defined]
            raise
        except Exception:
            self._flush(op, reference, buffer.exchanges)
            raise
        self._flush(op, reference, buffer.exchanges)
        return result

    def _flush(self, op: str, reference: str, exchanges: list[Exchange]) -> list[str]:
        keys: list[str] = []
        for exchange in exchanges:
            self._n += 1
            now = self._clock.time()
            # milliseconds then a per-adapter counter: keys sort in the order sent, and a redelivered job
            # (a new adapter) never overwrites an earlier one's exchange
            seq = f"{int(now * 1000):013d}-{self._n:03d}"
            key = raw_key(self.info.slug, now, reference, seq, op)
            body = {"operation": op, "reference": reference, "account_id": self.account_id, **exchange.to_json()}
            try:
                keys.append(self._archive.put(key, body))
            except Exception as exc:  # never fail or repeat a purchase over its archive copy
                log.warning("raw exchange not archived", extra={"carrier": self.info.slug, "operation": op,
                                                                "key": key, "error": repr(exc)})
        self.last_keys = keys
        return keys
