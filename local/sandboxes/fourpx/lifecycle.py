"""The consignment lifecycle on the shared clock: a per-order milestone plan built from its scenario,
materialised in time order.

At creation an order gets its whole plan (times from ``config``); ``OR10`` happens at once. :func:`advance` then
marks every planned milestone whose time has come as done, across all orders, strictly in time order (so a clock
jump of days replays each step at its own time): it becomes visible to ``tr.order.tracking.get`` and moves the
consignment status of ``ds.xms.order.get`` (P forecast -> V handed over -> H in warehouse -> C out of warehouse
-> F finished / R returned; X closed when cancelled). Changing a scenario re-plans only the future.

Default plan (``delivered``), hours after creation: OR10 0, PU10 4, SC10 8 (weighed), SC40 10 (last-mile carrier
and ``logistics_channel_no`` assigned), EC10 14, EC20 18, SC20 20, LH10 26, LH20 30, LH50 42, IC50 46, IC60 54,
LM10 60, LM25 78, LM40 84. Other scenarios: see :func:`build_plan`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import pricing
from .config import DESTINATIONS, ORIGIN_HUB, SCENARIOS, SandboxConfig
from .model import (
    CLOSED,
    FINISHED,
    FORECAST,
    HANDED_OVER,
    IN_WAREHOUSE,
    OUT_OF_WAREHOUSE,
    RETURNED,
    Milestone,
    Order,
)
from .state import SandboxState

# businessLinkCode -> (consignment status or None to keep it, coarse ledger status)
EFFECTS: dict[str, tuple[str | None, str]] = {
    "OR10": (FORECAST, "forecast"),
    "PU30": (None, "pickup_failed"),
    "PU10": (HANDED_OVER, "handed_over"),
    "SC10": (IN_WAREHOUSE, "in_warehouse"),
    "SC40": (None, "in_warehouse"),
    "EC10": (None, "export_customs"),
    "EC20": (None, "export_customs"),
    "EC30": (None, "export_failed"),
    "SC20": (OUT_OF_WAREHOUSE, "out_of_warehouse"),
    "LH10": (None, "in_transit"),
    "LH20": (None, "in_transit"),
    "LH50": (None, "in_transit"),
    "IC50": (None, "import_customs"),
    "IC60": (None, "import_customs"),
    "IC70": (None, "import_failed"),
    "LM10": (None, "at_distribution_centre"),
    "LM25": (None, "out_for_delivery"),
    "LM30": (None, "available_for_pickup"),
    "LM40": (FINISHED, "delivered"),
    "LM50": (None, "delivery_failed"),
    "LM75": (None, "refused"),
    "LM85": (None, "lost"),
    "LM90": (RETURNED, "returned"),
    "OR30": (CLOSED, "cancelled"),
}


def channel_number(order: Order) -> str:
    digits = int.from_bytes(hashlib.sha256(order.tracking_number.encode()).digest()[:8], "big") % 10**10
    return f"{DESTINATIONS[order.destination].channel_prefix}{digits:010d}"


def assign_channel(order: Order) -> None:
    if not order.channel_no:
        order.channel_no = channel_number(order)
        order.channel_name = DESTINATIONS[order.destination].partner


def _recipient_place(order: Order) -> str:
    recipient = order.request.get("recipient_info")
    city = recipient.get("city") if isinstance(recipient, dict) else None
    dest = DESTINATIONS[order.destination]
    return f"{city.strip() if isinstance(city, str) and city.strip() else dest.city}, {dest.code}"


def _deliver_type(order: Order) -> str:
    info = order.request.get("deliver_type_info")
    value = info.get("deliver_type") if isinstance(info, dict) else None
    return str(value) if value not in (None, "") else "1"


def weighed(order: Order, cfg: SandboxConfig, heavier: bool) -> dict[str, Any]:
    """What the warehouse scale says at SC10: the declared weight, or (scenario ``measurement``) more."""
    grams = order.weight_g
    if heavier:
        grams = round(order.weight_g * cfg.measurement_weight_factor) + cfg.measurement_extra_g
    dims = list(order.dimensions) if order.dimensions else None
    if heavier and dims:
        dims = [round(d + 5.0, 1) for d in dims]
    return {"weight_g": grams, "dimensions": dims}


def build_plan(order: Order, scenario: str, cfg: SandboxConfig) -> list[Milestone]:
    """The full milestone list of an order created at ``order.created_at`` under ``scenario`` (sorted by time)."""
    t0 = order.created_at
    dest = DESTINATIONS[order.destination]
    sender_place = f"{order.sender_city}, {order.sender_country}"
    dest_place = f"{dest.city}, {dest.code}"
    local = _recipient_place(order)
    plan: list[Milestone] = []

    def add(key: str, at: float, code: str, en: str, cn: str, location: str) -> None:
        plan.append(Milestone(key=key, at=at, code=code, en=en, cn=cn, location=location))

    add("created", t0, "OR10", "Shipment information received", "订单信息已接收（已预报）", sender_place)
    shift = 0.0
    if scenario == "pickup_fail":
        add("pickup_failed", t0 + cfg.pickup_after_s, "PU30", "Pickup failed: shipper not available, rescheduled",
            "揽收失败：发件人不在，已重新预约", sender_place)  # fmt: skip
        shift = cfg.reschedule_delay_s
    if _deliver_type(order) == "1":
        add("picked_up", t0 + cfg.pickup_after_s + shift, "PU10", "Picked up by 4PX courier", "4PX已揽收",
            sender_place)  # fmt: skip
    else:
        add("picked_up", t0 + cfg.pickup_after_s + shift, "PU10", "Parcel received at 4PX warehouse",
            "4PX仓库已收货", ORIGIN_HUB)  # fmt: skip
    scale = weighed(order, cfg, heavier=scenario == "measurement")
    kg = scale["weight_g"] / 1000
    add("processed", t0 + cfg.processed_after_s + shift, "SC10",
        f"Processed at 4PX Shenzhen sorting centre, weight {kg:.3f} kg",
        f"已在4PX深圳分拣中心完成处理，称重{kg:.3f}kg", ORIGIN_HUB)  # fmt: skip
    add("channel_assigned", t0 + cfg.channel_assigned_after_s + shift, "SC40",
        f"Last-mile carrier assigned: {dest.partner} {channel_number(order)}",
        f"已分配尾程服务商：{dest.partner} {channel_number(order)}", ORIGIN_HUB)  # fmt: skip
    add("export_declared", t0 + cfg.export_declared_after_s + shift, "EC10", "Export customs declaration submitted",
        "出口报关已提交", ORIGIN_HUB)  # fmt: skip
    if scenario == "export_fail":
        add("export_failed", t0 + cfg.export_released_after_s + shift, "EC30",
            "Export customs clearance failed: goods held by customs", "出口清关失败：货物被海关扣留",
            ORIGIN_HUB)  # fmt: skip
        return sorted(plan, key=lambda e: e.at)
    add("export_released", t0 + cfg.export_released_after_s + shift, "EC20", "Export customs clearance completed",
        "出口清关完成", ORIGIN_HUB)  # fmt: skip
    add("left_facility", t0 + cfg.left_facility_after_s + shift, "SC20", "Departed 4PX facility", "已离开4PX处理中心",
        ORIGIN_HUB)  # fmt: skip
    add("handed_to_airline", t0 + cfg.handed_to_airline_after_s + shift, "LH10", "Handed over to airline",
        "已交航空公司", ORIGIN_HUB)  # fmt: skip
    add("flight_departed", t0 + cfg.flight_departed_after_s + shift, "LH20", "Flight departed from origin",
        "航班已起飞", ORIGIN_HUB)  # fmt: skip
    if scenario == "lost":
        add("lost", t0 + cfg.lost_after_s + shift, "LM85", "Parcel lost in transit", "包裹运输途中丢失", dest_place)
        return sorted(plan, key=lambda e: e.at)
    add("arrived_destination", t0 + cfg.arrived_destination_after_s + shift, "LH50",
        f"Arrived in destination country ({dest.code})", f"已到达目的国（{dest.code}）", dest_place)  # fmt: skip
    add("import_started", t0 + cfg.import_started_after_s + shift, "IC50", "Import customs clearance started",
        "进口清关开始", dest_place)  # fmt: skip
    if scenario == "import_fail":
        add("import_failed", t0 + cfg.import_released_after_s + shift, "IC70",
            "Import customs clearance failed: documents required", "进口清关失败：需补充资料", dest_place)  # fmt: skip
        return sorted(plan, key=lambda e: e.at)
    add("import_released", t0 + cfg.import_released_after_s + shift, "IC60", "Import customs clearance completed",
        "进口清关完成", dest_place)  # fmt: skip
    add("distribution_centre", t0 + cfg.distribution_centre_after_s + shift, "LM10",
        f"Arrived at {dest.partner} distribution centre", f"已到达{dest.partner}派送中心", local)  # fmt: skip
    ofd = t0 + cfg.out_for_delivery_after_s + shift
    end = t0 + cfg.delivered_after_s + shift
    delay = cfg.reschedule_delay_s
    if scenario == "collection_point":
        add("available_for_pickup", ofd, "LM30", "Available for pickup at collection point",
            "已到达自提点，等待收件人领取", local)  # fmt: skip
        add("delivered", end + delay, "LM40", "Delivered: collected by recipient", "已签收（收件人自提）", local)
        return sorted(plan, key=lambda e: e.at)
    add("out_for_delivery_1", ofd, "LM25", f"Out for delivery ({dest.partner})", "派送中", local)
    if scenario in ("attempt_fail", "rts"):
        add("delivery_failed_1", end, "LM50", "Delivery attempt failed: recipient not available",
            "派送失败：收件人不在", local)  # fmt: skip
        add("out_for_delivery_2", ofd + delay, "LM25", f"Out for delivery ({dest.partner}), attempt 2",
            "第二次派送中", local)  # fmt: skip
        if scenario == "rts":
            add("refused", end + delay, "LM75", "Refused by recipient", "收件人拒收", local)
            add("returned", end + delay + cfg.rts_returned_after_s, "LM90", "Returned to sender",
                "已退回发件人", sender_place)  # fmt: skip
            return sorted(plan, key=lambda e: e.at)
        add("delivered", end + delay, "LM40", "Delivered", "已签收", local)
        return sorted(plan, key=lambda e: e.at)
    add("delivered", end, "LM40", "Delivered", "已签收", local)
    return sorted(plan, key=lambda e: e.at)


def pick_scenario(state: SandboxState, tracking_number: str, ref_no: str) -> str:
    """A scenario set in advance for this order, else ``scenario_mix`` by a hash of the 4PX number, else
    ``default_scenario``."""
    w = state.world
    preset = w.pending_scenarios.pop(f"tn:{tracking_number}", None)
    preset_ref = w.pending_scenarios.pop(f"ref:{ref_no}", None)
    if preset or preset_ref:
        return preset or preset_ref or "delivered"
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


def plan_new(state: SandboxState, order: Order, scenario: str) -> None:
    order.scenario = scenario
    order.events = build_plan(order, scenario, state.config)


def replan(state: SandboxState, order: Order, scenario: str) -> None:
    """Switch scenario: done milestones stay; the new plan continues after the latest step already done."""
    done = [e for e in order.events if e.done]
    done_keys = {e.key for e in done}
    new = build_plan(order, scenario, state.config)
    idx = max((i for i, e in enumerate(new) if e.key in done_keys), default=-1)
    last_at = max((e.at for e in done), default=order.created_at)
    delta = last_at - new[idx].at if idx >= 0 else 0.0
    floor = last_at
    future = []
    for ev in new[idx + 1 :]:
        if ev.key in done_keys:
            continue
        ev.at = max(ev.at + delta, floor + 1.0)
        floor = ev.at
        future.append(ev)
    order.scenario = scenario
    order.events = done + future
    state.changed()


def has_future(order: Order) -> bool:
    return any(not e.done for e in order.events)


def materialize(state: SandboxState, order: Order, ev: Milestone) -> None:
    ev.done = True
    ev.seq = state.world.next_event_seq
    state.world.next_event_seq += 1
    consignment, status = EFFECTS.get(ev.code, (None, order.status))
    if consignment is not None:
        order.consignment_status = consignment
    order.status = status
    order.last_code = ev.code
    if ev.code == "PU10" and order.inbound_at is None:
        order.inbound_at = ev.at
    elif ev.code == "SC10":
        scale = weighed(order, state.config, heavier=order.scenario == "measurement")
        order.confirmed = scale
        if scale["weight_g"] != order.weight_g:
            order.measured = dict(scale)
            order.adjusted_charge = pricing.quote(
                order.destination, order.product_code, int(scale["weight_g"]), scale["dimensions"]
            )
    elif ev.code == "SC40":
        assign_channel(order)
    elif ev.code == "SC20":
        order.outbound_at = ev.at
    state.changed()


def advance(state: SandboxState, now: float) -> int:
    """Materialise every planned milestone due at or before ``now``, across orders, in time order."""
    due: list[tuple[float, int, int, Order, Milestone]] = []
    for position, order in enumerate(state.world.orders.values()):
        for idx, ev in enumerate(order.events):
            if ev.done:
                continue
            if ev.at > now:
                break  # plans are sorted by time
            due.append((ev.at, position, idx, order, ev))
    due.sort(key=lambda d: (d[0], d[1], d[2]))
    for _, _, _, order, ev in due:
        if not ev.done:
            materialize(state, order, ev)
    return len(due)


def cancel(state: SandboxState, order: Order, now: float, reason: str) -> Milestone:
    order.events = [e for e in order.events if e.done]
    en = f"Order cancelled: {reason}" if reason else "Order cancelled"
    cn = f"订单已取消：{reason}" if reason else "订单已取消"
    place = f"{order.sender_city}, {order.sender_country}"
    ev = Milestone(key="cancelled", at=now, code="OR30", en=en, cn=cn, location=place)
    order.events.append(ev)
    order.cancelled_at = now
    materialize(state, order, ev)
    return ev
