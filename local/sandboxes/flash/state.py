"""The in-memory state: the :class:`~.model.World`, its lock, config, faults, seeding and snapshots.

Every handler runs under ``state.lock`` (one re-entrant lock: simple and plenty fast for a test double).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ..kit.clock import SandboxClock
from ..kit.persist import from_jsonable, to_jsonable, write_json_atomic
from .config import SandboxConfig
from .faults import FaultInjector
from .model import Account, Warehouse, World

SNAPSHOT_VERSION = 1

DEMO_WAREHOUSES = (
    # (province, city/amphoe, district/tambon, postcode, address, phone, contact)
    ("กรุงเทพมหานคร", "คลองเตย", "คลองตัน", "10110", "99/9 ถนนสุขุมวิท ซอย 24", "0812345601", "Demo Shop One"),
    ("เชียงใหม่", "เมืองเชียงใหม่", "ศรีภูมิ", "50200", "12 ถนนราชดำเนิน", "0812345602", "Demo Shop Two"),
)


def demo_accounts(webhook_url: str | None) -> list[Account]:
    """Two merchants with deterministic credentials: ``FLDEMO01`` / ``flash-demo-01-key`` (Bangkok warehouse
    ``FLDEMO01_001``) and ``FLDEMO02`` / ``flash-demo-02-key`` (Chiang Mai warehouse ``FLDEMO02_001``)."""
    out = []
    for n, (province, city, district, postcode, address, phone, contact) in enumerate(DEMO_WAREHOUSES, start=1):
        mch_id = f"FLDEMO{n:02d}"
        out.append(
            Account(
                mch_id=mch_id,
                key=f"flash-demo-{n:02d}-key",
                countries=["th"],
                webhook_url=webhook_url,
                name=f"Flash demo merchant {n}",
                warehouses=[
                    Warehouse(
                        warehouse_no=f"{mch_id}_001",
                        name=f"{mch_id}_001",
                        province=province,
                        city=city,
                        district=district,
                        postal_code=postcode,
                        detail_address=address,
                        phone=phone,
                        src_name=contact,
                    )
                ],
            )
        )
    return out


class SandboxState:
    def __init__(self, *, clock: SandboxClock, seed: str = "demo", webhook_url: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed_name = seed
        self.initial_webhook_url = webhook_url
        self.config = SandboxConfig()
        self.faults = FaultInjector()
        self.world = World(seed=seed)
        self.hold_until: dict[int, float] = {}  # out-of-order webhooks: message id -> monotonic release time
        self.wake = threading.Event()  # set when a webhook may be due, so the engine does not wait its tick
        self.changes = 0  # bumped on every mutation; the engine snapshots when it moves

    def reset(self, seed: str | None = None) -> None:
        with self.lock:
            self.seed_name = seed or self.seed_name
            self.config = SandboxConfig()
            self.faults.reset()
            self.world = World(seed=self.seed_name)
            self.hold_until.clear()
            if self.seed_name == "demo":
                for account in demo_accounts(self.initial_webhook_url):
                    self.world.accounts[account.mch_id] = account
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
            self.hold_until.clear()
            for msg in world.webhooks:  # deliveries cut short by the restart are retried
                if msg.state == "in_flight":
                    msg.state = "pending"
                msg.held = False
            self.changed()
        return True
