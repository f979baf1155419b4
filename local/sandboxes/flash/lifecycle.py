"""The parcel lifecycle on the shared clock: a per-parcel route plan built from its scenario, materialised in
time order.

A new order has no route yet (state 0): Flash's first route is the pickup scan. :func:`advance` marks every
planned route whose time has come as done, across all parcels, strictly in time order (so a clock jump of days
replays each step at its own time): the route shows in ``/routes`` and its webhooks are emitted - routes (4)
always, status (0) when the parcel's ``state`` changes, weight (1) / price (2) for re-weighs and returns.

Default plan (``delivered``), offsets from creation: +4 h RECEIVED (state 1); +8 h RECEIVE_WAREHOUSE_SCAN (2);
+16 h SHIPMENT_WAREHOUSE_SCAN (2); +24 h ARRIVAL_WAREHOUSE_SCAN (2); +36 h DELIVERY_TICKET_CREATION_SCAN (3);
+40 h DELIVERY_CONFIRM (5). Other scenarios: ``attempt_fail``, ``rts``, ``lost``, ``measurement``,
``pickup_fail`` (see :func:`build_plan`). Which routeAction Flash uses for each physical step, and the state that
goes with it, follow the published routeAction list and the state table (1-9); the exact sequences are the
sandbox's (UNCONFIRMED).
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import pricing, webhooks
from .config import (
    ARRIVAL_WAREHOUSE_SCAN,
    CANCEL_PARCEL,
    DELIVERY_CONFIRM,
    DELIVERY_TICKET_CREATION_SCAN,
    DIFFICULTY_FINISH_INDEMNITY,
    DIFFICULTY_HANDOVER,
    PRICE,
    RECEIVE_WAREHOUSE_SCAN,
    RECEIVED,
    ROUTES,
    SCENARIOS,
    SHIPMENT_WAREHOUSE_SCAN,
    STATE_CANCELLED,
    STATUS,
    SYSTEM_AUTO_RETURN,
    WEIGHT,
    SandboxConfig,
)
from .events import price_payload, route_payload, weight_payload
from .model import Parcel, RouteEvent
from .state import SandboxState

MARKER_RECIPIENT_NOT_AVAILABLE = 1  # markerCategory of a failed handover (the value is the sandbox's)


def store_name(address: dict[str, str]) -> str:
    place = address.get("district") or address.get("city") or address.get("province") or "Bangkok"
    return f"{place} DC"


def measured(parcel: Parcel, cfg: SandboxConfig) -> dict[str, Any]:
    """What the re-weigh finds (scenario ``measurement``): heavier and bigger than declared."""
    sides = {
        name: parcel.dims.get(name) or default for name, default in (("length", 20), ("width", 15), ("height", 10))
    }
    return {
        "weight": round(parcel.weight_g * cfg.measurement_weight_factor) + 500,
        "length": sides["length"] + 5,
        "width": sides["width"] + 5,
        "height": sides["height"] + 5,
        "originalWeight": parcel.weight_g,
    }


def _requote(parcel: Parcel, cfg: SandboxConfig, weight_g: int, dims: dict[str, int]) -> dict[str, Any]:
    return pricing.quote(
        cfg,
        weight_g=weight_g,
        dims=dims,
        express_category=parcel.express_category,
        dst_postal_code=parcel.dst.get("postal_code", ""),
        cod_amount=parcel.cod_amount,
        insure_declare_value=parcel.insure_declare_value,
    )


def build_plan(parcel: Parcel, scenario: str, cfg: SandboxConfig) -> list[RouteEvent]:
    """The full route list of a parcel created at ``parcel.created_at`` under ``scenario`` (sorted by time)."""
    t0 = parcel.created_at
    origin, dest = store_name(parcel.src), store_name(parcel.dst)
    src_province = parcel.src.get("province", "")
    dst_province = parcel.dst.get("province", "")
    plan: list[RouteEvent] = []

    def add(
        key: str,
        at: float,
        action: str,
        state: int,
        message: str,
        *,
        province: str = "",
        returned: bool = False,
        marker: int | None = None,
        **extra: Any,
    ) -> None:
        plan.append(
            RouteEvent(
                key=key,
                at=at,
                action=action,
                state=state,
                message=message,
                returned=returned,
                province=province,
                marker_category=marker,
                extra=extra,
            )
        )

    # pickup_fail: Flash publishes no route for a missed pickup, so the parcel simply stays at state 0 a day
    # longer (still cancellable) and everything after shifts by reschedule_delay_s.
    shift = cfg.reschedule_delay_s if scenario == "pickup_fail" else 0.0
    add(
        "picked_up",
        t0 + cfg.pickup_after_s + shift,
        RECEIVED,
        1,
        f"Your parcel has been picked up by the courier of {origin}",
        province=src_province,
    )
    add(
        "origin_hub",
        t0 + cfg.origin_hub_after_s + shift,
        RECEIVE_WAREHOUSE_SCAN,
        2,
        f"Your parcel has arrived at {origin}",
        province=src_province,
    )
    if scenario == "measurement":
        info = measured(parcel, cfg)
        dims = {k: int(info[k]) for k in ("length", "width", "height")}
        new = _requote(parcel, cfg, int(info["weight"]), dims)
        add(
            "measurement",
            t0 + cfg.measurement_after_s + shift,
            cfg.measurement_route_action,
            2,
            f"Parcel re-weighed at {origin}: {info['weight']} g ({info['length']}x{info['width']}x{info['height']} cm)",
            province=src_province,
            weight=info,
            price={
                "estimatePrice": new["freight_satang"],
                "upCountryAmount": new["upcountry_satang"],
                "originalPrice": parcel.charge.get("freight_satang", 0),
                "reason": "reweigh",
                "charge": new,
            },
        )
    add(
        "next_hub",
        t0 + cfg.next_hub_after_s + shift,
        SHIPMENT_WAREHOUSE_SCAN,
        2,
        f"Your parcel has left {origin} for {dest}",
        province=src_province,
    )
    if scenario == "lost":
        add(
            "lost",
            t0 + cfg.destination_hub_after_s + shift,
            DIFFICULTY_FINISH_INDEMNITY,
            8,
            "Your parcel was lost in transit; the case is closed with indemnity",
            province=src_province,
        )
        return sorted(plan, key=lambda e: e.at)
    add(
        "dest_hub",
        t0 + cfg.destination_hub_after_s + shift,
        ARRIVAL_WAREHOUSE_SCAN,
        2,
        f"Your parcel has arrived at {dest}",
        province=dst_province,
    )
    failures = {"attempt_fail": 1, "rts": max(1, cfg.rts_delivery_attempts)}.get(scenario, 0)
    attempts = failures if scenario == "rts" else failures + 1
    last_fail = t0
    recipient = parcel.dst.get("name", "")
    for i in range(attempts):
        n = i + 1
        step = i * cfg.reschedule_delay_s + shift
        add(
            f"on_vehicle_{n}",
            t0 + cfg.on_vehicle_after_s + step,
            DELIVERY_TICKET_CREATION_SCAN,
            3,
            f"Your parcel is out for delivery from {dest}, please wait for the courier's call",
            province=dst_province,
        )
        at = t0 + cfg.delivered_after_s + step
        if i < failures:
            add(
                f"delivery_fail_{n}",
                at,
                DIFFICULTY_HANDOVER,
                6,
                f"Delivery attempt {n} failed: the recipient could not be reached",
                province=dst_province,
                marker=MARKER_RECIPIENT_NOT_AVAILABLE,
            )
            last_fail = at
        else:
            add(
                "delivered",
                at,
                DELIVERY_CONFIRM,
                5,
                f"Your parcel has been signed for by {recipient}",
                province=dst_province,
            )
    if scenario == "rts":
        freight = int(parcel.charge.get("freight_satang", 0))
        fee = round(freight * cfg.rts_fee_rate)
        add(
            "rts_initiated",
            last_fail + cfg.rts_initiated_after_s,
            SYSTEM_AUTO_RETURN,
            2,
            "Maximum delivery attempts reached: the parcel is being returned to the sender",
            province=dst_province,
            returned=True,
            price={
                "estimatePrice": freight + fee,
                "upCountryAmount": parcel.charge.get("upcountry_satang", 0),
                "originalPrice": freight,
                "reason": "return",
                "return_fee_satang": fee,
            },
        )
        add(
            "rts_transit",
            last_fail + cfg.rts_leg_transit_after_s,
            SHIPMENT_WAREHOUSE_SCAN,
            2,
            f"Return: your parcel has left {dest} for {origin}",
            province=dst_province,
            returned=True,
        )
        add(
            "rts_hub",
            last_fail + cfg.rts_leg_hub_after_s,
            ARRIVAL_WAREHOUSE_SCAN,
            2,
            f"Return: your parcel has arrived at {origin}",
            province=src_province,
            returned=True,
        )
        add(
            "rts_on_vehicle",
            last_fail + cfg.rts_leg_on_vehicle_after_s,
            DELIVERY_TICKET_CREATION_SCAN,
            3,
            f"Return: your parcel is out for delivery to the sender from {origin}",
            province=src_province,
            returned=True,
        )
        add(
            "returned",
            last_fail + cfg.rts_leg_returned_after_s,
            DELIVERY_CONFIRM,
            7,
            f"Your parcel has been returned and signed for by the sender {parcel.src.get('name', '')}",
            province=src_province,
            returned=True,
        )
    return sorted(plan, key=lambda e: e.at)


def pick_scenario(state: SandboxState, pno: str, out_trade_no: str) -> str:
    """A scenario set in advance for this parcel, else ``scenario_mix`` by a hash of the pno, else
    ``default_scenario``."""
    w = state.world
    preset = w.pending_scenarios.pop(f"tn:{pno}", None)
    preset_ref = w.pending_scenarios.pop(f"ref:{out_trade_no}", None)
    if preset or preset_ref:
        return preset or preset_ref or "delivered"
    cfg = state.config
    mix = sorted((k, v) for k, v in cfg.scenario_mix.items() if k in SCENARIOS and v > 0)
    total = sum(v for _, v in mix)
    if total > 0:
        digest = hashlib.sha256(pno.encode("utf-8")).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * total
        for name, weight in mix:
            if point < weight:
                return name
            point -= weight
        return mix[-1][0]
    return cfg.default_scenario


def plan_new(state: SandboxState, parcel: Parcel, scenario: str) -> None:
    parcel.scenario = scenario
    parcel.routes = build_plan(parcel, scenario, state.config)


def replan(state: SandboxState, parcel: Parcel, scenario: str) -> None:
    """Switch scenario: done routes stay; the new plan continues after the latest step already done."""
    done = [e for e in parcel.routes if e.done]
    done_keys = {e.key for e in done}
    new = build_plan(parcel, scenario, state.config)
    idx = max((i for i, e in enumerate(new) if e.key in done_keys), default=-1)
    last_at = max((e.at for e in done), default=parcel.created_at)
    delta = last_at - new[idx].at if idx >= 0 else 0.0
    floor = last_at
    future = []
    for ev in new[idx + 1 :]:
        if ev.key in done_keys:
            continue
        ev.at = max(ev.at + delta, floor + 1.0)
        floor = ev.at
        future.append(ev)
    parcel.scenario = scenario
    parcel.routes = done + future
    state.changed()


def has_future(parcel: Parcel) -> bool:
    return any(not e.done for e in parcel.routes)


def materialize(state: SandboxState, parcel: Parcel, ev: RouteEvent) -> None:
    ev.done = True
    previous = parcel.state
    parcel.state = ev.state
    if ev.state != previous:
        parcel.state_changed_at = ev.at
    if ev.returned and parcel.returned_pno is None:
        # The return leg's number (Flash issues a new pno for the return; the "R" suffix is the sandbox's).
        parcel.returned_pno = parcel.pno + "R"
        state.world.aliases[parcel.returned_pno] = parcel.pno
    weight = ev.extra.get("weight")
    price = ev.extra.get("price")
    if isinstance(weight, dict):
        parcel.measured = {k: weight[k] for k in ("weight", "length", "width", "height")}
    if isinstance(price, dict):
        charge = price.get("charge")
        if isinstance(charge, dict):
            parcel.adjusted_charge = dict(charge)
        else:
            base = dict(parcel.adjusted_charge or parcel.charge)
            fee = int(price.get("return_fee_satang", 0))
            base["return_fee_satang"] = fee
            base["amount_satang"] = int(base.get("amount_satang", 0)) + fee
            base["amount"] = round(base["amount_satang"] / 100, 2)
            parcel.adjusted_charge = base
    payload = route_payload(parcel, ev)
    webhooks.emit(state, parcel.mch_id, parcel.pno, ROUTES, ev.action, ev.at, payload)
    if ev.state != previous:
        webhooks.emit(state, parcel.mch_id, parcel.pno, STATUS, ev.action, ev.at, payload)
    if isinstance(weight, dict):
        webhooks.emit(state, parcel.mch_id, parcel.pno, WEIGHT, "weight", ev.at, weight_payload(parcel, ev, weight))
    if isinstance(price, dict):
        webhooks.emit(state, parcel.mch_id, parcel.pno, PRICE, "price", ev.at, price_payload(parcel, ev, price))
    state.changed()


def advance(state: SandboxState, now: float) -> int:
    """Materialise every planned route due at or before ``now``, across parcels, in time order."""
    due: list[tuple[float, int, int, Parcel, RouteEvent]] = []
    for order, parcel in enumerate(state.world.parcels.values()):
        for idx, ev in enumerate(parcel.routes):
            if ev.done:
                continue
            if ev.at > now:
                break  # plans are sorted by time
            due.append((ev.at, order, idx, parcel, ev))
    due.sort(key=lambda d: (d[0], d[1], d[2]))
    for _, _, _, parcel, ev in due:
        if not ev.done:
            materialize(state, parcel, ev)
    return len(due)


def cancel(state: SandboxState, parcel: Parcel, now: float) -> RouteEvent:
    parcel.routes = [e for e in parcel.routes if e.done]
    ev = RouteEvent(
        key="cancelled",
        at=now,
        action=CANCEL_PARCEL,
        state=STATE_CANCELLED,
        message="The order has been cancelled by the merchant",
        province=parcel.src.get("province", ""),
    )
    parcel.routes.append(ev)
    parcel.cancelled_at = now
    materialize(state, parcel, ev)
    return ev
