"""The in-memory state: the :class:`~.model.World`, its lock, config, faults, seeding and snapshots.

Every handler runs under ``state.lock`` (one re-entrant lock: simple and plenty fast for a test double).
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any

from ..kit.clock import SandboxClock
from ..kit.persist import from_jsonable, to_jsonable, write_json_atomic
from .config import DESTINATIONS, SandboxConfig
from .faults import FaultInjector
from .model import Account, World

SNAPSHOT_VERSION = 1


def demo_accounts(webhook_url: str | None) -> list[Account]:
    """One account per destination (``fpx-demo-<cc>`` / ``fpx-demo-<cc>-secret``), then ``fpx-demo-sea`` for all
    six - a real 4PX account usually ships to every destination its products serve."""
    accounts = [
        Account(app_key=f"fpx-demo-{cc}", app_secret=f"fpx-demo-{cc}-secret", countries=[cc], webhook_url=webhook_url)
        for cc in DESTINATIONS
    ]
    accounts.append(
        Account(
            app_key="fpx-demo-sea",
            app_secret=f"fpx-demo-{'sea'}-secret",
            countries=list(DESTINATIONS),
            webhook_url=webhook_url,
        )
    )
    return accounts


class SandboxState:
    def __init__(self, *, clock: SandboxClock, seed: str = "demo", webhook_url: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed_name = seed
        self.initial_webhook_url = webhook_url
        self.config = SandboxConfig()
        self.faults = FaultInjector()
        self.world = World(seed=seed)
        self.wake = threading.Event()  # set after a request, so the engine catches up without waiting its tick
        self.changes = 0  # bumped on every mutation; the engine snapshots when it moves

    def reset(self, seed: str | None = None) -> None:
        with self.lock:
            self.seed_name = seed or self.seed_name
            self.config = SandboxConfig()
            self.faults.reset()
            self.world = World(seed=self.seed_name, number_salt=10000 + secrets.randbelow(90000))
            if self.seed_name == "demo":
                for account in demo_accounts(self.initial_webhook_url):
                    self.world.accounts[account.app_key] = account
            self.changed()

    def changed(self) -> None:
        self.changes += 1

    # -- snapshots (--state-dir) --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": SNAPSHOT_VERSION,
                "seed": self.seed_name,
                "world": to_jsonable(self.world),
                "config": to_jsonable(self.config),
            }

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.snapshot())

    def load(self, path: Path) -> bool:
        """Restore a snapshot; False when there is none (or it is unreadable: start fresh then)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return False
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            return False
        try:
            world = from_jsonable(World, data["world"])
            config = from_jsonable(SandboxConfig, data.get("config") or {})
        except (KeyError, TypeError, ValueError):
            return False
        with self.lock:
            self.seed_name = str(data.get("seed") or self.seed_name)
            self.world = world
            self.config = config
            self.faults.reset()
            self.changed()
        return True
