"""The parcel lifecycle on the shared clock: each parcel gets a scan plan at creation; every planned scan becomes
visible (trace + callback) at its own due time, in time order across parcels, even after a jump of days.

Default (``delivered``), seconds from creation: +4 h 10 Pick Up (200 Collected for serviceType 6 drop-off);
+6 h 20 Departure (origin network); +8 h 30 Arrival (sorting centre); +16 h 20 Departure (sorting centre);
+24 h 30 Arrival (delivery network); +36 h 94 On Delivery; +40 h 100 Delivery Signature.
Other scenarios: ``attempt_fail``, ``rts``, ``lost``, ``measurement``, ``pickup_fail`` (see :func:`build_plan`).

J&T has no scan for "order created", "cancelled", "re-weighed" or "pickup failed" (UNCONFIRMED that none
exists): a new order has an empty trace; cancelling adds no scan; ``measurement`` shows as a heavier
``realWeight`` from the sorting centre's scan on; ``pickup_fail`` shows as a pickup one day late.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import pricing, webhooks
from .config import COUNTRIES, SCENARIOS, SandboxConfig
from .events import kg
from .model import (
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    LOST,
    OUT_FOR_DELIVERY,
    PICKED_UP,
    PROBLEM,
    RETURNED,
    RETURNING,
    Parcel,
    ScanEvent,
)
from .state import SandboxState


def _party(parcel: Parcel, side: str) -> dict[str, Any]:
    value = parcel.order.get(side)
    return value if isinstance(value, dict) else {}


def _place(parcel: Parcel, side: str) -> tuple[str, str, str]:
    """(province, city, area) of a party, falling back to the account country's defaults."""
    party = _party(parcel, side)
    country = COUNTRIES[parcel.country]
    prov = str(party.get("prov") or country.province)
    city = str(party.get("city") or country.city)
    area = str(party.get("area") or city)
    return prov, city, area


def measured_weight(parcel: Parcel, cfg: SandboxConfig) -> float:
    return round(parcel.weight * cfg.measurement_weight_factor + 0.5, 2)


def build_plan(parcel: Parcel, scenario: str, cfg: SandboxConfig) -> list[ScanEvent]:
    """The full scan list of a parcel created at ``parcel.created_at`` under ``scenario`` (sorted by time)."""
    t0 = parcel.created_at
    country = COUNTRIES[parcel.country]
    o_prov, o_city, o_area = _place(parcel, "sender")
    d_prov, d_city, d_area = _place(parcel, "receiver")
    origin = {
        "network": f"{o_city} DP",
        "networkId": 1001,
        "networkType": "网点",
        "province": o_prov,
        "city": o_city,
        "area": o_area,
        "networkContact": "0300000001",
    }
    centre = {
        "network": country.hub,
        "networkId": 2001,
        "networkType": "中心",
        "province": country.province,
        "city": country.city,
        "area": country.city,
        "networkContact": "0300000002",
    }
    dest = {
        "network": f"{d_city} DP",
        "networkId": 1002,
        "networkType": "网点",
        "province": d_prov,
        "city": d_city,
        "area": d_area,
        "networkContact": "0300000003",
    }
    receiver = _party(parcel, "receiver")
    sender = _party(parcel, "sender")
    weight = kg(parcel.weight)
    heavy = kg(measured_weight(parcel, cfg)) if scenario == "measurement" else weight
    pod = f"https://pod.sandbox.invalid/{parcel.tracking_number}"
    plan: list[ScanEvent] = []

    def add(key: str, at: float, code: str, status: str, where: dict[str, Any], desc: str, **info: Any) -> None:
        plan.append(ScanEvent(key=key, at=at, code=code, status=status, info={**where, "desc": desc, **info}))

    shift = cfg.reschedule_delay_s if scenario == "pickup_fail" else 0.0
    drop_off = parcel.service_type == "6"
    add(
        "pickup",
        t0 + cfg.pickup_after_s + shift,
        "200" if drop_off else "10",
        PICKED_UP,
        origin,
        f"[{origin['network']}] parcel {'dropped off by the sender' if drop_off else 'picked up by courier'}",
        realWeight=weight,
        staffName="Sandbox Rider 01",
        staffContact="0123000001",
    )
    add(
        "origin_departure",
        t0 + cfg.origin_departure_after_s + shift,
        "20",
        IN_TRANSIT,
        origin,
        f"[{origin['network']}] parcel departed to {centre['network']}",
        realWeight=weight,
        nextStopName=centre["network"],
    )
    add(
        "origin_hub",
        t0 + cfg.origin_hub_after_s + shift,
        "30",
        IN_TRANSIT,
        centre,
        f"[{centre['network']}] parcel arrived at the sorting centre",
        realWeight=heavy,
    )
    add(
        "next_hub",
        t0 + cfg.next_hub_after_s + shift,
        "20",
        IN_TRANSIT,
        centre,
        f"[{centre['network']}] parcel departed to {dest['network']}",
        realWeight=heavy,
        nextStopName=dest["network"],
    )
    if scenario == "lost":
        add(
            "lost",
            t0 + cfg.destination_hub_after_s + shift,
            "301",
            LOST,
            centre,
            f"[{centre['network']}] parcel lost",
            realWeight=heavy,
        )
        return sorted(plan, key=lambda e: e.at)
    add(
        "dest_hub",
        t0 + cfg.destination_hub_after_s + shift,
        "30",
        IN_TRANSIT,
        dest,
        f"[{dest['network']}] parcel arrived at the delivery network",
        realWeight=heavy,
    )
    failures = {"attempt_fail": 1, "rts": max(1, cfg.rts_delivery_attempts)}.get(scenario, 0)
    attempts = failures if scenario == "rts" else failures + 1
    last_fail = t0
    for i in range(attempts):
        n = i + 1
        step = i * cfg.reschedule_delay_s + shift
        add(
            f"on_delivery_{n}",
            t0 + cfg.on_vehicle_after_s + step,
            "94",
            OUT_FOR_DELIVERY,
            dest,
            f"[{dest['network']}] courier Sandbox Rider 02 is delivering your parcel (attempt {n})",
            realWeight=heavy,
            staffName="Sandbox Rider 02",
            staffContact="0123000002",
        )
        at = t0 + cfg.delivered_after_s + step
        if i < failures:
            add(
                f"fail_{n}",
                at,
                "110",
                PROBLEM,
                dest,
                f"[{dest['network']}] delivery failed: recipient not available (attempt {n})",
                realWeight=heavy,
                problemType="Recipient not available",
                sigPicUrl=f"{pod}/problem-{n}.jpg",
                longitude="101.5183",
                latitude="3.0738",
            )
            last_fail = at
        else:
            add(
                "delivered",
                at,
                "100",
                DELIVERED,
                dest,
                f"[{dest['network']}] parcel delivered, signed by {receiver.get('name') or 'recipient'}",
                realWeight=heavy,
                sigPicUrl=f"{pod}/signature.png,{pod}/photo-1.jpg",
            )
    if scenario == "rts":
        back = f"{sender.get('name') or 'sender'}"
        add(
            "rts_initiated",
            last_fail + cfg.rts_initiated_after_s,
            "172",
            RETURNING,
            dest,
            f"[{dest['network']}] parcel is being returned to {back}",
            realWeight=heavy,
        )
        add(
            "rts_transit",
            last_fail + cfg.rts_leg_transit_after_s,
            "20",
            RETURNING,
            dest,
            f"[{dest['network']}] returned parcel departed to {origin['network']}",
            realWeight=heavy,
            nextStopName=origin["network"],
        )
        add(
            "rts_origin_hub",
            last_fail + cfg.rts_leg_hub_after_s,
            "30",
            RETURNING,
            origin,
            f"[{origin['network']}] returned parcel arrived",
            realWeight=heavy,
        )
        add(
            "rts_on_delivery",
            last_fail + cfg.rts_leg_on_vehicle_after_s,
            "94",
            RETURNING,
            origin,
            f"[{origin['network']}] courier is returning the parcel to {back}",
            realWeight=heavy,
            staffName="Sandbox Rider 01",
            staffContact="0123000001",
        )
        add(
            "returned",
            last_fail + cfg.rts_leg_returned_after_s,
            "173",
            RETURNED,
            origin,
            f"[{origin['network']}] returned parcel signed for by {back}",
            realWeight=heavy,
            sigPicUrl=f"{pod}/return-signature.png",
        )
    return sorted(plan, key=lambda e: e.at)


def pick_scenario(state: SandboxState, tracking_number: str, reference: str) -> str:
    """A scenario set in advance for this parcel, else ``scenario_mix`` by a hash of the billCode, else
    ``default_scenario``."""
    w = state.world
    by_tn = w.pending_scenarios.pop(f"tn:{tracking_number}", None)
    by_ref = w.pending_scenarios.pop(f"ref:{reference}", None)
    if by_tn or by_ref:
        return by_tn or by_ref or "delivered"
    cfg = state.config
    mix = sorted((k, v) for k, v in cfg.scenario_mix.items() if k in SCENARIOS and v > 0)
    total = sum(v for _, v in mix)
    if total > 0:
        digest = hashlib.sha256(tracking_number.encode("utf-8")).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * total
        for name, weight in mix:
            if point < weight:
                return name
            point -= weight
        return mix[-1][0]
    return cfg.default_scenario


def plan_new(state: SandboxState, parcel: Parcel, scenario: str) -> None:
    parcel.scenario = scenario
    parcel.events = build_plan(parcel, scenario, state.config)


def replan(state: SandboxState, parcel: Parcel, scenario: str) -> None:
    """Switch scenario: done scans stay; the new plan continues after the latest step already done."""
    done = [e for e in parcel.events if e.done]
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
    parcel.events = done + future
    state.changed()


def has_future(parcel: Parcel) -> bool:
    return any(not e.done for e in parcel.events)


def materialize(state: SandboxState, parcel: Parcel, ev: ScanEvent) -> None:
    ev.done = True
    parcel.status = ev.status
    if parcel.scenario == "measurement" and ev.key == "origin_hub" and parcel.measured is None:
        weight = float(pricing.number(ev.info.get("realWeight")) or parcel.weight)
        parcel.measured = {"realWeight": kg(weight), "weight": weight, "at": ev.at}
        job = parcel.order
        offer = job.get("offerFeeInfo") if isinstance(job.get("offerFeeInfo"), dict) else {}
        insured = pricing.number((offer or {}).get("offerValue")) or 0.0
        parcel.adjusted_charge = pricing.quote(
            parcel.country, max(weight, parcel.chargeable_weight), parcel.express_type, parcel.cod, insured
        )
    webhooks.emit(state, parcel, ev)
    state.changed()


def advance(state: SandboxState, now: float) -> int:
    """Materialise every planned scan due at or before ``now``, across parcels, in time order."""
    due: list[tuple[float, int, int, Parcel, ScanEvent]] = []
    for order, parcel in enumerate(state.world.parcels.values()):
        for idx, ev in enumerate(parcel.events):
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


def cancel(state: SandboxState, parcel: Parcel, now: float, reason: str) -> None:
    """Drop the remaining plan (J&T publishes no cancellation scan, so nothing is pushed)."""
    parcel.events = [e for e in parcel.events if e.done]
    parcel.status = CANCELLED
    parcel.cancelled_at = now
    parcel.cancel_reason = reason
    state.changed()
