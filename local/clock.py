"""The runner's side of the shared clock: the only writer of the offset file.

Every process (runner, workers, sandboxes) reads the file through ``kiriman.clock.SystemClock``, which
re-reads it only when its (mtime, size) changes. Two quick advances could leave both unchanged (same
length text, same coarse mtime), so each write also sets a strictly increasing mtime.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path


class SharedClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0.0
        self._last_mtime_ns = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._generation = 0

    def reset(self) -> None:
        """Back to wall time (``up`` starts here)."""
        with self._lock:
            self._write(0.0)

    def advance(self, seconds: float) -> float:
        if not seconds > 0:
            raise ValueError("seconds must be > 0")
        with self._lock:
            self._write(self._offset + seconds)
            return self._offset

    def offset(self) -> float:
        return self._offset

    def time(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def generation(self) -> int:
        return self._generation

    def wait_for_change(self, generation: int, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds, waking early if the clock moves after ``generation``."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != generation, timeout=max(0.0, timeout))

    def _write(self, offset: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(f"{offset!r}\n")
        mtime_ns = max(time.time_ns(), self._last_mtime_ns + 1_000_000)
        os.utime(tmp, ns=(mtime_ns, mtime_ns))
        os.replace(tmp, self.path)
        self._last_mtime_ns = mtime_ns
        self._offset = offset
        self._generation += 1
        self._changed.notify_all()
