"""The in-memory state: the :class:`~.model.World`, its lock, config, faults, seeding and snapshots.

Every handler runs under ``state.lock`` (one re-entrant lock: simple and plenty fast for a test double).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any

from ..kit.clock import SandboxClock
from ..kit.persist import from_jsonable, to_jsonable, write_json_atomic
from .config import COUNTRIES, SandboxConfig
from .faults import FaultInjector
from .model import Account, World

SNAPSHOT_VERSION = 1

# (country, api_account, business_auth, bill_prefix): deterministic demo tenants. MY and VN use the business
# password; the CN account uses the CN/EG business digest, so both variants can be exercised.
DEMO_TENANTS = (
    ("my", "640000000000000101", "password", "63"),
    ("vn", "640000000000000102", "password", "80"),
    ("cn", "640000000000000103", "digest", "JT"),
)


def demo_accounts(webhook_url: str | None) -> list[Account]:
    """``api_account`` 6400000000000001xx, ``private_key`` ``jnt-demo-<cc>-private-key``, ``customer_code``
    ``KRMDEMO<CC>``, ``password`` ``jnt-demo-<cc>-pass``."""
    out = []
    for cc, api_account, business_auth, prefix in DEMO_TENANTS:
        country = COUNTRIES[cc]
        out.append(
            Account(
                api_account=api_account,
                private_key=f"jnt-demo-{cc}-private-key",
                customer_code=f"KRMDEMO{cc.upper()}",
                password=f"jnt-demo-{cc}-pass",
                countries=[cc],
                business_auth=business_auth,
                country_iso3=country.iso3,
                currency=country.currency,
                bill_prefix=prefix,
                webhook_url=webhook_url,
            )
        )
    return out


class SandboxState:
    def __init__(self, *, clock: SandboxClock, seed: str = "demo", webhook_url: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed_name = seed
        self.initial_webhook_url = webhook_url
        self.base_url = ""  # set by the server once it listens (printOrder's urlContent points here)
        self.config = SandboxConfig()
        self.faults = FaultInjector()
        self.world = World(seed=seed)
        self.hold_until: dict[int, float] = {}  # out-of-order callbacks: message id -> monotonic release time
        self.wake = threading.Event()  # set when a callback may be due, so the engine does not wait its tick
        self.changes = 0  # bumped on every mutation; the engine snapshots when it moves

    def reset(self, seed: str | None = None) -> None:
        with self.lock:
            self.seed_name = seed or self.seed_name
            self.config = SandboxConfig()
            self.faults.reset()
            self.world = World(seed=self.seed_name, bill_base=secrets.randbelow(10**9) * 10)
            self.hold_until.clear()
            if self.seed_name == "demo":
                for account in demo_accounts(self.initial_webhook_url):
                    self.world.accounts[account.api_account] = account
            self.changed()

    def changed(self) -> None:
        self.changes += 1

    @staticmethod
    def request_id() -> str:
        return uuid.uuid4().hex  # J&T's requestId looks like "9e150ccfeda34150b900b4262cc085d1"

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
            for msg in world.webhooks:  # pushes cut short by the restart are retried
                if msg.state == "in_flight":
                    msg.state = "pending"
                msg.held = False
            for delivery in world.deliveries:
                if not delivery.done:
                    delivery.done = True
                    delivery.error = "interrupted by a restart"
            self.changed()
        return True
