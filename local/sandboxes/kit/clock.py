"""The shared clock: wall time plus the offset the local stack writes to a file.

The file holds one decimal number of seconds (missing file = 0). It is re-read only when its
(mtime, size, inode) changes, so tests can jump days ahead by rewriting it. The sandbox only reads it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


class SandboxClock:
    def __init__(self, offset_file: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(offset_file) if offset_file else None
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._offset = 0.0

    @property
    def path(self) -> Path | None:
        return self._path

    def offset(self) -> float:
        if self._path is None:
            return 0.0
        try:
            st = self._path.stat()
        except FileNotFoundError:
            with self._lock:
                self._stamp = None
                self._offset = 0.0
            return 0.0
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                try:
                    text = self._path.read_text().strip()
                    value = float(text) if text else 0.0
                except (FileNotFoundError, ValueError):
                    return self._offset  # half-written file: keep the last good value, retry next time
                self._offset = value
                self._stamp = stamp
            return self._offset

    def now(self) -> float:
        return time.time() + self.offset()
