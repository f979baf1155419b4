"""The sandbox's in-memory state: the :class:`~.model.World`, its lock, ids, push emission, snapshots.

Every handler runs under ``state.lock`` (one re-entrant lock: simple and plenty fast for a test double).
"""

from __future__ import annotations

import json
import random
import secrets
import string
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from . import catalog
from .clock import SandboxClock
from .config import SandboxConfig
from .faults import FaultInjector, Faults
from .model import Order, Package, PushMessage, Shop, World
from .persist import from_jsonable, to_jsonable, update_from, write_json_atomic

_SN_ALPHABET = string.digits + string.ascii_uppercase


def dumps_compact(obj: Any) -> str:
    """Push bodies as Shopee sends them: compact JSON, UTF-8 (the published samples have no spaces)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class SandboxState:
    def __init__(
        self,
        *,
        partner_id: int,
        partner_key: str,
        clock: SandboxClock,
        seed: str = "demo",
        push_url: str | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.partner_id = partner_id
        self.partner_key = partner_key
        self.clock = clock
        self.seed_name = seed
        self.initial_push_url = push_url
        self.config = SandboxConfig()
        self.faults = FaultInjector()
        self.world = World(seed=seed, push_url=push_url)
        self.rng = random.Random(f"shopee-sandbox:{seed}")
        self.suppress_pushes = 0
        self.hold_until: dict[int, float] = {}  # out-of-order pushes: message_id -> monotonic release time
        self.wake = threading.Event()  # set when a push becomes due, so the engine does not wait its tick
        self.changes = 0  # bumped on every mutation; the engine snapshots when it moves

    # -- lifecycle of the whole world ----------------------------------------------------------------
    def reset(self, seed: str | None = None) -> None:
        from .seed import apply_seed  # late import: seed builds on lifecycle, which needs this module

        with self.lock:
            self.seed_name = seed or self.seed_name
            self.config = SandboxConfig()
            self.faults.reset()
            self.world = World(seed=self.seed_name, push_url=self.initial_push_url)
            self.rng = random.Random(f"shopee-sandbox:{self.seed_name}")
            self.hold_until.clear()
            apply_seed(self, self.seed_name, self.clock.now())
            self.changed()

    def changed(self) -> None:
        self.changes += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": 1,
                "partner_id": self.partner_id,
                "seed": self.seed_name,
                "world": to_jsonable(self.world),
                "config": to_jsonable(self.config),
                "faults": to_jsonable(self.faults.faults),
            }

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.snapshot())

    def load(self, path: Path) -> bool:
        if not path.exists():
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
        with self.lock:
            self.world = from_jsonable(World, data["world"])
            self.config = SandboxConfig()
            update_from(self.config, data.get("config", {}))
            self.faults.faults = from_jsonable(Faults, data.get("faults", {}))
            self.faults.reseed()
            self.seed_name = data.get("seed", self.seed_name)
            for msg in self.world.pushes:
                if msg.state == "in_flight":  # the process died mid-send: send it again
                    msg.state = "pending"
                msg.held = False
            self.rng = random.Random(f"shopee-sandbox:{self.seed_name}:{len(self.world.orders)}")
        return True

    # -- ids -----------------------------------------------------------------------------------------
    def request_id(self) -> str:
        return uuid.uuid4().hex

    def new_token(self) -> str:
        return secrets.token_hex(16)

    def new_int(self, digits: int) -> int:
        return self.rng.randrange(10 ** (digits - 1), 10**digits)

    def new_digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def new_order_sn(self, create_time: float) -> str:
        # Shopee order_sn: 6-digit date (YYMMDD, local UTC+8 here) + 8 characters, 14 in all (e.g. 2404098R48U37H)
        prefix = time.strftime("%y%m%d", time.gmtime(create_time + 8 * 3600))
        while True:
            sn = prefix + "".join(self.rng.choice(_SN_ALPHABET) for _ in range(8))
            if sn not in self.world.orders:
                return sn

    def new_package_number(self) -> str:
        while True:
            pn = "OFG" + self.new_digits(15)  # current samples: OFG + 15 digits
            if pn not in self.world.package_index:
                return pn

    def next_shop_id(self) -> int:
        ids = [s.shop_id for s in self.world.shops.values()]
        return max([220_000_000, *ids]) + 1

    # -- lookups -------------------------------------------------------------------------------------
    def shop(self, shop_id: int | None) -> Shop | None:
        if shop_id is None:
            return None
        return self.world.shops.get(str(shop_id))

    def order(self, order_sn: str) -> Order | None:
        return self.world.orders.get(order_sn)

    def shop_orders(self, shop_id: int) -> list[Order]:
        return [o for o in self.world.orders.values() if o.shop_id == shop_id]

    def package(self, package_number: str) -> tuple[Order, Package] | None:
        sn = self.world.package_index.get(package_number)
        order = self.world.orders.get(sn or "")
        if order is None:
            return None
        for pkg in order.packages:
            if pkg.package_number == package_number:
                return order, pkg
        return None

    def add_order(self, order: Order) -> None:
        self.world.orders[order.order_sn] = order
        for pkg in order.packages:
            self.world.package_index[pkg.package_number] = order.order_sn
        self.changed()

    def index_packages(self, order: Order) -> None:
        for pkg in order.packages:
            self.world.package_index[pkg.package_number] = order.order_sn

    @staticmethod
    def channel(channel_id: int) -> catalog.Channel | None:
        return catalog.CHANNELS.get(channel_id)

    # -- pushes --------------------------------------------------------------------------------------
    def emit_push(self, code: int, envelope: dict[str, Any], shop_id: int | None, at: float) -> PushMessage | None:
        """Queue one push. Only authorized shops get shop pushes (push mechanism guide)."""
        if self.suppress_pushes:
            return None
        w = self.world
        if code in w.push_codes_off:
            return None
        if shop_id is not None:
            shop = self.shop(shop_id)
            if shop is None or not shop.authorized or shop_id in w.blocked_shop_ids:
                return None
        body = dumps_compact(envelope)
        msg = self._new_push(code, shop_id, body, at, int(envelope.get("timestamp", int(at))))
        if self.faults.take("push_lost"):
            msg.state = "lost"
            msg.lost_reason = "fault"
            msg.lost_at = at
        elif not w.push_url:
            msg.state = "no_callback"
        else:
            if self.faults.take("push_out_of_order"):
                msg.held = True
                self.hold_until[msg.message_id] = time.monotonic() + self.faults.faults.push_hold_s
            if self.faults.take("push_duplicate"):
                dup = self._new_push(code, shop_id, body, at, msg.timestamp)
                dup.duplicate_of = msg.message_id
        self.wake.set()
        return msg

    def _new_push(self, code: int, shop_id: int | None, body: str, at: float, timestamp: int) -> PushMessage:
        w = self.world
        w.next_message_id += 1
        msg = PushMessage(
            message_id=w.next_message_id,
            code=code,
            shop_id=shop_id,
            body=body,
            created_at=at,
            timestamp=timestamp,
            next_attempt_at=at,
        )
        w.pushes.append(msg)
        self.changed()
        return msg


class suppressed_pushes:
    """``with suppressed_pushes(state):`` - used while seeding history that happened before start."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def __enter__(self) -> None:
        self.state.suppress_pushes += 1

    def __exit__(self, *exc: object) -> None:
        self.state.suppress_pushes -= 1
