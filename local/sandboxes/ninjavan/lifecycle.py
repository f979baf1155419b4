"""The parcel lifecycle on the shared clock: a per-parcel event plan built from its scenario, materialised in
time order.

At creation a parcel gets its whole plan (``ParcelEvent`` list, times from ``config``); "Pending Pickup" happens at
once. :func:`advance` then marks every planned event whose time has come as done, across all parcels, strictly in
time order (so a clock jump of days replays each step at its own time): the event becomes visible to the
tracking pull API and its v2 webhook is emitted. Changing a parcel's scenario re-plans only its future.

Default plan (``delivered``), offsets from creation: +0 Pending Pickup; +4 h "Picked Up, In Transit To Origin
Hub"; +8 h "Arrived at Origin Hub"; +16 h "In Transit to Next Sorting Hub"; +24 h "Arrived at Destination Hub";
+36 h "On Vehicle for Delivery"; +40 h "Delivered, Received by Customer". Other scenarios: ``attempt_fail``,
``rts``, ``lost``, ``measurement``, ``pickup_fail`` (see :func:`build_plan`).

Event names are from the v2 event list seen in public integrations; the coarse ``status`` for each, and the
``state`` inside the typed sub-objects (the part after the comma of the event name), are UNCONFIRMED.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import pricing, webhooks
from .config import COUNTRIES, SCENARIOS, SandboxConfig
from .events import local_date
from .model import (
    ARRIVED_AT_DESTINATION_HUB,
    ARRIVED_AT_ORIGIN_HUB,
    CANCELLED,
    DELIVERED,
    DELIVERY_EXCEPTION,
    IN_TRANSIT_TO_NEXT_HUB,
    MEASUREMENTS_UPDATE,
    ON_VEHICLE,
    PENDING_PICKUP,
    PICKED_UP,
    PICKUP_EXCEPTION,
    RETURNED_TO_SENDER,
    Parcel,
    ParcelEvent,
)
from .state import SandboxState


def _party(parcel: Parcel, side: str) -> dict[str, Any]:
    value = parcel.order.get(side)
    return value if isinstance(value, dict) else {}


def _city(parcel: Parcel, side: str) -> str:
    address = _party(parcel, side).get("address")
    if isinstance(address, dict):
        for key in ("city", "district", "state", "area"):
            value = address.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return COUNTRIES[parcel.country].city


def _proof(parcel: Parcel, side: str, kind: str, relationship: str) -> dict[str, Any]:
    who = _party(parcel, side)
    base = f"https://pod.sandbox.invalid/{parcel.tracking_number}/{kind}"
    return {
        "signature_uri": f"{base}/signature.png",
        "image_uris": [f"{base}/photo-1.jpg"],
        "signed_by": {
            "name": str(who.get("name") or ""),
            "contact": str(who.get("phone_number") or who.get("email") or ""),
            "relationship": relationship,
        },
    }


def _declared_dimensions(parcel: Parcel) -> dict[str, Any]:
    job = parcel.order.get("parcel_job")
    dims = job.get("dimensions") if isinstance(job, dict) else None
    return dims if isinstance(dims, dict) else {}


def measured(parcel: Parcel, cfg: SandboxConfig) -> dict[str, Any]:
    """``parcel_measurements_information`` for the ``measurement`` scenario: heavier and bigger than declared.
    Field names inside it beyond ``weight`` / ``dimensions`` are UNCONFIRMED."""
    dims = _declared_dimensions(parcel)
    sides = {}
    for name, default in (("length", 20.0), ("width", 15.0), ("height", 10.0)):
        value = dims.get(name)
        base = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
        sides[name] = round(base + 5.0, 1)
    return {
        "weight": round(parcel.weight * cfg.measurement_weight_factor + 0.5, 2),
        "dimensions": {**sides, "size": "L"},
    }


def build_plan(parcel: Parcel, scenario: str, cfg: SandboxConfig) -> list[ParcelEvent]:
    """The full event list of a parcel created at ``parcel.created_at`` under ``scenario`` (sorted by time)."""
    t0 = parcel.created_at
    country = COUNTRIES[parcel.country]
    origin_hub = {"country": country.code, "city": _city(parcel, "from"), "hub": country.hub}
    dest_city = _city(parcel, "to")
    dest_hub = {"country": country.code, "city": dest_city, "hub": f"{country.code} {dest_city} Delivery Hub"}
    plan: list[ParcelEvent] = []

    def add(key: str, at: float, status: str, event: str, comments: str = "", rts: bool = False, **info: Any) -> None:
        plan.append(ParcelEvent(key=key, at=at, status=status, event=event, rts=rts, comments=comments, info=info))

    add("pending", t0, PENDING_PICKUP, "Pending Pickup", "Order created")
    shift = 0.0
    if scenario == "pickup_fail":
        at = t0 + cfg.pickup_after_s
        add(
            "pickup_exception",
            at,
            PICKUP_EXCEPTION,
            "Pickup Exception, Pending Reschedule",
            "Pickup failed: shipper not available",
            pickup_exception={
                "state": "Pending Reschedule",
                "failure_reason": "Shipper not available",
                "rescheduled_date": local_date(at + cfg.reschedule_delay_s, parcel.country),
                "is_liable": False,
                "proof": _proof(parcel, "from", "pickup-exception", "Shipper"),
            },
        )
        shift = cfg.reschedule_delay_s
    add(
        "picked_up",
        t0 + cfg.pickup_after_s + shift,
        PICKED_UP,
        "Picked Up, In Transit To Origin Hub",
        "Parcel picked up from shipper",
        picked_up_information={
            "state": "In Transit To Origin Hub",
            "proof": _proof(parcel, "from", "pickup", "Shipper"),
        },
    )
    add(
        "origin_hub",
        t0 + cfg.origin_hub_after_s + shift,
        ARRIVED_AT_ORIGIN_HUB,
        "Arrived at Origin Hub",
        f"Arrived at {origin_hub['hub']}",
        arrived_at_origin_hub_information=dict(origin_hub),
    )
    if scenario == "measurement":
        add(
            "measurement",
            t0 + cfg.measurement_after_s + shift,
            MEASUREMENTS_UPDATE,
            "Parcel Measurements Update",
            "Parcel re-measured at origin hub",
            parcel_measurements_information=measured(parcel, cfg),
        )
    add(
        "next_hub",
        t0 + cfg.next_hub_after_s + shift,
        IN_TRANSIT_TO_NEXT_HUB,
        "In Transit to Next Sorting Hub",
        f"In transit to {dest_hub['hub']}",
        in_transit_to_next_sorting_hub_information=dict(dest_hub),
    )
    if scenario == "lost":
        add(
            "lost",
            t0 + cfg.destination_hub_after_s + shift,
            DELIVERY_EXCEPTION,
            "Delivery Exception, Parcel Lost",
            "Parcel lost in transit",
            delivery_exception={"state": "Parcel Lost", "failure_reason": "Parcel lost in transit", "is_liable": True},
        )
        return sorted(plan, key=lambda e: e.at)
    add(
        "dest_hub",
        t0 + cfg.destination_hub_after_s + shift,
        ARRIVED_AT_DESTINATION_HUB,
        "Arrived at Destination Hub",
        f"Arrived at {dest_hub['hub']}",
        arrived_at_destination_hub_information=dict(dest_hub),
    )
    failures = {"attempt_fail": 1, "rts": max(1, cfg.rts_delivery_attempts)}.get(scenario, 0)
    attempts = failures if scenario == "rts" else failures + 1
    last_fail = t0
    for i in range(attempts):
        n = i + 1
        step = i * cfg.reschedule_delay_s + shift
        add(
            f"on_vehicle_{n}",
            t0 + cfg.on_vehicle_after_s + step,
            ON_VEHICLE,
            "On Vehicle for Delivery",
            f"Out for delivery (attempt {n})",
            on_vehicle_information={"allow_doorstep_dropoff": False},
        )
        at = t0 + cfg.delivered_after_s + step
        if i < failures:
            final = scenario == "rts" and n == failures
            state = "Max Attempts Reached" if final else "Pending Reschedule"
            exception: dict[str, Any] = {
                "state": state,
                "failure_reason": "Recipient not available",
                "is_liable": False,
                "proof": _proof(parcel, "to", f"delivery-exception-{n}", "Recipient"),
            }
            if not final:
                exception["rescheduled_date"] = local_date(at + cfg.reschedule_delay_s, parcel.country)
            add(
                f"delivery_fail_{n}",
                at,
                DELIVERY_EXCEPTION,
                f"Delivery Exception, {state}",
                f"Delivery attempt {n} failed",
                delivery_exception=exception,
            )
            last_fail = at
        else:
            add(
                "delivered",
                at,
                DELIVERED,
                "Delivered, Received by Customer",
                "Parcel delivered",
                delivery_information={
                    "state": "Received by Customer",
                    "left_in_safe_place": False,
                    "proof": _proof(parcel, "to", "delivery", "Self"),
                },
            )
    if scenario == "rts":
        add(
            "rts_initiated",
            last_fail + cfg.rts_initiated_after_s,
            DELIVERY_EXCEPTION,
            "Delivery Exception, Return to Sender Initiated",
            "Returning parcel to sender",
            rts=True,
            delivery_exception={
                "state": "Return to Sender Initiated",
                "failure_reason": "Maximum delivery attempts reached",
                "is_liable": False,
            },
            rts_reason="Maximum delivery attempts reached",
        )
        add(
            "rts_transit",
            last_fail + cfg.rts_leg_transit_after_s,
            IN_TRANSIT_TO_NEXT_HUB,
            "In Transit to Next Sorting Hub",
            f"Return leg: in transit to {origin_hub['hub']}",
            rts=True,
            in_transit_to_next_sorting_hub_information=dict(origin_hub),
        )
        add(
            "rts_origin_hub",
            last_fail + cfg.rts_leg_hub_after_s,
            ARRIVED_AT_ORIGIN_HUB,
            "Arrived at Origin Hub",
            f"Return leg: arrived at {origin_hub['hub']}",
            rts=True,
            arrived_at_origin_hub_information=dict(origin_hub),
        )
        add(
            "rts_on_vehicle",
            last_fail + cfg.rts_leg_on_vehicle_after_s,
            ON_VEHICLE,
            "On Vehicle for Delivery",
            "Return leg: out for delivery to sender",
            rts=True,
            on_vehicle_information={"allow_doorstep_dropoff": False},
        )
        at = last_fail + cfg.rts_leg_returned_after_s
        if cfg.rts_final in ("both", "delivered"):
            add(
                "rts_delivered",
                at,
                DELIVERED,
                "Delivered, Received by Customer",
                "Parcel delivered back to sender",
                rts=True,
                delivery_information={
                    "state": "Received by Customer",
                    "left_in_safe_place": False,
                    "proof": _proof(parcel, "from", "rts-delivery", "Shipper"),
                },
            )
        if cfg.rts_final in ("both", "returned_to_sender"):
            add(
                "returned",
                at + (60.0 if cfg.rts_final == "both" else 0.0),
                RETURNED_TO_SENDER,
                "Returned to Sender",
                "Parcel returned to sender",
                rts=True,
            )
    return sorted(plan, key=lambda e: e.at)


def pick_scenario(state: SandboxState, tracking_number: str, requested: str) -> str:
    """A scenario set in advance for this parcel, else ``scenario_mix`` by a hash of the tracking number, else
    ``default_scenario``."""
    w = state.world
    preset = w.pending_scenarios.pop(f"tn:{tracking_number}", None)
    preset_rtn = w.pending_scenarios.pop(f"rtn:{requested}", None)
    if preset or preset_rtn:
        return preset or preset_rtn or "delivered"
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
    """Switch scenario: done events stay; the new plan continues after the latest step already done."""
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


def materialize(state: SandboxState, parcel: Parcel, ev: ParcelEvent) -> None:
    ev.done = True
    if ev.status != MEASUREMENTS_UPDATE:  # a measurement update does not move the parcel
        parcel.status = ev.status
    if ev.key == "measurement":
        info = ev.info.get("parcel_measurements_information")
        if isinstance(info, dict):
            parcel.measured = dict(info)
            job = parcel.order.get("parcel_job")
            job = job if isinstance(job, dict) else {}
            insured = job.get("insured_value")
            parcel.adjusted_charge = pricing.quote(
                parcel.country,
                float(info.get("weight") or parcel.weight),
                parcel.service_level,
                parcel.cod,
                float(insured) if isinstance(insured, int | float) and not isinstance(insured, bool) else 0.0,
            )
    webhooks.emit(state, parcel, ev)
    state.changed()


def advance(state: SandboxState, now: float) -> int:
    """Materialise every planned event due at or before ``now``, across parcels, in time order."""
    due: list[tuple[float, int, int, Parcel, ParcelEvent]] = []
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


def cancel(state: SandboxState, parcel: Parcel, now: float, reason: str) -> ParcelEvent:
    parcel.events = [e for e in parcel.events if e.done]
    ev = ParcelEvent(
        key="cancelled",
        at=now,
        status=CANCELLED,
        event="Cancelled",
        comments=reason,
        info={"cancellation_information": {"reason": reason}},
    )
    parcel.events.append(ev)
    parcel.cancelled_at = now
    materialize(state, parcel, ev)
    return ev
