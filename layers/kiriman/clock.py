"""The clock port: the one place domain code asks what time it is.

On AWS the offset file is absent and this is the wall clock. On the local stack every process (the
runner, each worker, each sandbox) reads the same offset file, so tests can jump hours ahead without
sleeping. The file holds one decimal number of seconds and is only changed by the runner's
``POST /_local/clock/advance``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    """Wall clock plus an optional shared offset (re-read only when the file changes)."""

    def __init__(self, offset_file: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(offset_file) if offset_file else None
        self._stamp: tuple[int, int] | None = None
        self._offset = 0.0

    def offset(self) -> float:
        if self._path is None:
            return 0.0
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return 0.0
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            text = self._path.read_text().strip()
            self._offset = float(text) if text else 0.0
            self._stamp = stamp
        return self._offset

    def time(self) -> float:
        return time.time() + self.offset()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._t = start

    def time(self) -> float:
        return self._t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._t, tz=UTC)

    def advance(self, seconds: float) -> None:
        self._t += seconds
