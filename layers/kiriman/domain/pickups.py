"""Carrier pickups: one booking a day per warehouse, carrier and account, with the day's parcel count.

The ``pickup_booking`` schedule runs :func:`book_due`. It reads every merchant's BOUGHT purchase claims of
the last two days (GSI1, by state and time, no scan), keeps outbound parcels whose label was bought for
the warehouse's pickup day that is running now, and groups them by (warehouse, carrier, account):

- a carrier that books pickups (``"book_pickup"`` in its operations; today Flash's ``/open/v1/notify``) is
  asked once per group and day. Flash takes no date, time window or amendment (it "calls a courier now",
  https://open-docs.flashexpress.com/ "notify"), so the booking is made only inside the day's pickup
  window and the parcel count is the one sent at booking; later parcels of the day show as
  ``latest_parcels`` and ride with that courier or the next one. Flash code 1010 ("an open pickup request
  already exists") means a courier is already coming: booked, not failed.
- a carrier that reserves the pickup from the order itself (``CarrierInfo.pickup_with_order``; Ninja Van:
  ``parcel_job.is_pickup_required`` with ``pickup_date``, ``pickup_timeslot`` and ``pickup_approx_volume``,
  https://api-docs.ninjavan.co/en "Create order") is recorded as ``with_order``: nothing is called, the
  count and the approx-volume band it falls in are kept up to date on every run.
- any other carrier (J&T, 4PX, Shopee logistics, whose pickups ``ship_order`` arranges) gets no booking.

A booking is one item per (warehouse, carrier, account, day), created with a conditional write and moved
only from the version read. While a run calls the carrier the booking is ``booking`` with a lease
(``calling_until``); a run that dies there leaves it to the next run after the lease, which asks again
(Flash then answers 1010 if the first call got through). A refusal is stored with the carrier's code and
message and asked again on the next run.

The pickup day is the warehouse's local day. Warehouses carry no time zone, so the country's standard
offset is used (none of these markets observes daylight saving); a country not listed uses UTC. A parcel
bought at or after the day's close time (18:00 local) belongs to the next day's pickup. Which instant a
parcel was bought is taken from its claim's last change (``updated_at``), because a BOUGHT claim changes
only to record its label and hand-back, minutes after the purchase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any, Protocol

from kiriman.carriers import catalog
from kiriman.carriers.base import Carrier, CarrierError, CarrierInfo, PickupAlreadyOpen, PickupRequest
from kiriman.clock import Clock
from kiriman.domain.errors import DomainError
from kiriman.domain.fulfilment import sender_of
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Warehouse
from kiriman.logs import get_logger

log = get_logger()

# Standard offsets (hours) of the markets' warehouses; none observes daylight saving. Indonesia and Brazil
# span several zones: the capital's (WIB, Brasília) is used, which is wrong for Bali/Papua or Manaus.
UTC_OFFSETS_H: dict[str, float] = {"SG": 8, "MY": 8, "PH": 8, "TW": 8, "TH": 7, "VN": 7, "ID": 7, "MM": 6.5,
                                   "BR": -3, "MX": -6, "CO": -5, "CL": -4}
READY_TIME = time(9, 0)  # PickupRequest's default window, and Ninja Van's 09-18 pickup timeslot
CLOSE_TIME = time(18, 0)
LOOKBACK_S = 2 * 86400  # claims older than this cannot belong to today's pickup
LEASE_S = 120.0  # how long a run that is calling the carrier keeps the booking
OUTBOUND = "outbound"

# Ninja Van's ``pickup_approx_volume`` values (Create order, ParcelJob). Only the first two name a count; the
# parcel counts of the others are not published: ours (UNCONFIRMED) - a trolley up to 30 parcels, half a van
# up to 100, a van up to 200.
APPROX_VOLUMES: tuple[tuple[int, str], ...] = (
    (3, "Less than 3 Parcels"),
    (10, "Less than 10 Parcels"),
    (30, "Trolley Required"),
    (100, "Half-Van Load"),
    (200, "Full-Van Load"),
)
LARGER_THAN_VAN = "Larger than Van Load"


class PickupState(StrEnum):
    BOOKING = "booking"  # a run is asking the carrier now (until calling_until)
    BOOKED = "booked"
    WITH_ORDER = "with_order"  # reserved by the orders themselves (Ninja Van)
    FAILED = "failed"  # the carrier refused or could not be reached; asked again next run


class Mode(StrEnum):
    BOOK = "book"
    WITH_ORDER = "with_order"


@dataclass(frozen=True)
class PickupBooking:
    warehouse_owner: str | None  # the warehouse's owner: a merchant id, or None for the forwarder's
    warehouse_id: str
    carrier: str
    account_id: str
    day: str  # YYYY-MM-DD, the warehouse's local pickup day
    state: PickupState
    parcels: int  # sent to the carrier at booking (with_order: the day's count so far)
    latest_parcels: int  # the day's count at the last run
    merchants: dict[str, int]  # the day's parcels per merchant (latest)
    created_at: float
    updated_at: float
    confirmation: str = ""  # the carrier's pickup id (Flash ticketPickupId)
    error: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)  # approx_volume, the carrier's answer, already_open
    attempts: int = 0  # carrier calls made for this booking
    calling_until: float | None = None
    version: int = 0  # 0: not stored yet; every write is conditional on the version read


class PickupStore(Protocol):
    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Any], str | None]: ...
    def claims_by_state_between(
        self, merchant_id: str, state: str, since: float, until: float, limit: int, cursor: str | None
    ) -> tuple[list[Claim], str | None]: ...
    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None: ...
    def get_pickup_booking(
        self, owner: str | None, warehouse_id: str, carrier: str, account_id: str, day: str
    ) -> PickupBooking | None: ...
    def put_pickup_booking(self, booking: PickupBooking) -> bool:
        """Create (version 1, absent) or move (stored version = ``booking.version - 1``); False on a race."""
        ...


CarrierFor = Callable[[str, str, str], Carrier]  # (carrier, account_id, merchant_id) -> adapter


# --- time -----------------------------------------------------------------------------------------------
def offset_of(country: str) -> timezone:
    return timezone(timedelta(hours=UTC_OFFSETS_H.get(country.upper(), 0)))


def local(at: float, country: str) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC).astimezone(offset_of(country))


def pickup_day(bought_at: float, country: str) -> date:
    """The local day whose pickup takes a parcel bought at ``bought_at``: the next day from close time on."""
    t = local(bought_at, country)
    return t.date() + timedelta(days=1) if t.time() >= CLOSE_TIME else t.date()


def in_window(now: float, country: str) -> bool:
    """Inside today's pickup window: a booking made now is for today's courier."""
    return READY_TIME <= local(now, country).time() < CLOSE_TIME


def approx_volume(parcels: int) -> str:
    for below, band in APPROX_VOLUMES:
        if parcels < below:
            return band
    return LARGER_THAN_VAN


def mode_of(info: CarrierInfo | None) -> Mode | None:
    """How a carrier takes pickups; None: it has none to book (branching on capabilities, not names)."""
    if info is None:
        return None
    if "book_pickup" in info.operations:
        return Mode.BOOK
    if info.pickup_with_order:
        return Mode.WITH_ORDER
    return None


# --- planning (pure) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    warehouse: Warehouse
    carrier: str
    account_id: str
    day: date
    mode: Mode
    merchants: dict[str, int]

    @property
    def parcels(self) -> int:
        return sum(self.merchants.values())


@dataclass
class Plan:
    groups: list[Group]
    unplaced: int = 0  # bought parcels whose claim names no warehouse (bought before warehouses were recorded)


WarehouseOf = Callable[[str | None, str], Warehouse | None]


def plan(claims: Iterable[Claim], warehouse_of: WarehouseOf, now: float,
         infos: Mapping[str, CarrierInfo] = catalog.CARRIERS) -> Plan:
    """Group the BOUGHT outbound parcels of today's pickup by (warehouse, carrier, account)."""
    buckets: dict[tuple[str | None, str, str, str], dict[str, int]] = {}
    places: dict[tuple[str | None, str], Warehouse] = {}
    unplaced = 0
    for c in claims:
        if c.state != ClaimState.BOUGHT or c.package.leg != OUTBOUND or not c.tracking_number:
            continue
        if mode_of(infos.get(c.carrier)) is None:
            continue
        warehouse_id = str(c.raw.get("warehouse_id") or "")
        if not warehouse_id:
            unplaced += 1
            continue
        owner = c.raw.get("warehouse_owner") or None
        w = places.get((owner, warehouse_id)) or warehouse_of(owner, warehouse_id)
        if w is None:
            unplaced += 1
            continue
        places[(owner, warehouse_id)] = w
        country = w.address.country
        if pickup_day(c.updated_at, country) != local(now, country).date():
            continue  # another day's pickup
        per_merchant = buckets.setdefault((owner, warehouse_id, c.carrier, c.account_id), {})
        per_merchant[c.merchant_id] = per_merchant.get(c.merchant_id, 0) + 1
    groups = []
    for (owner, warehouse_id, carrier, account_id), merchants in sorted(buckets.items(), key=lambda kv: str(kv[0])):
        w = places[(owner, warehouse_id)]
        mode = mode_of(infos.get(carrier))
        assert mode is not None
        groups.append(Group(w, carrier, account_id, local(now, w.address.country).date(), mode,
                            dict(sorted(merchants.items()))))
    return Plan(groups, unplaced)


# --- booking --------------------------------------------------------------------------------------------
def _next(b: PickupBooking, **changes: Any) -> PickupBooking:
    return replace(b, version=b.version + 1, **changes)


def _error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, CarrierError):
        return {"carrier": exc.carrier, "code": exc.code, "message": exc.message, "field": exc.field,
                "status": exc.status, "request_id": exc.request_id, "retryable": exc.retryable}
    return {"code": getattr(exc, "code", "") or type(exc).__name__, "message": str(exc), "retryable": True}


def book(store: PickupStore, carrier_for: CarrierFor, group: Group, clock: Clock) -> str:
    """Book (or record) one group's pickup for its day, once. Returns what happened, for the run's counts."""
    w = group.warehouse
    now = clock.time()
    key = (w.owner, w.warehouse_id, group.carrier, group.account_id, group.day.isoformat())
    existing = store.get_pickup_booking(*key)
    n, merchants = group.parcels, group.merchants
    if group.mode == Mode.WITH_ORDER:
        detail = {"approx_volume": approx_volume(n)}
        if existing is None:
            fresh = PickupBooking(w.owner, w.warehouse_id, group.carrier, group.account_id, key[4],
                                  PickupState.WITH_ORDER, n, n, merchants, now, now, detail=detail, version=1)
            return "with_order" if store.put_pickup_booking(fresh) else "raced"
        if (existing.parcels, existing.merchants, existing.detail) == (n, merchants, detail):
            return "unchanged"
        moved = _next(existing, parcels=n, latest_parcels=n, merchants=merchants, detail=detail, updated_at=now)
        return "with_order" if store.put_pickup_booking(moved) else "raced"

    if existing is not None and existing.state == PickupState.BOOKED:
        # Flash's notify has no amendment: the booked count stays; the latest one is recorded beside it.
        if (existing.latest_parcels, existing.merchants) == (n, merchants):
            return "unchanged"
        moved = _next(existing, latest_parcels=n, merchants=merchants, updated_at=now)
        return "booked_before" if store.put_pickup_booking(moved) else "raced"
    if existing is not None and existing.state == PickupState.BOOKING and (existing.calling_until or 0) > now:
        return "in_progress"
    if not in_window(now, w.address.country):
        return "outside_window"
    calling_until = now + LEASE_S
    if existing is None:
        calling = PickupBooking(w.owner, w.warehouse_id, group.carrier, group.account_id, key[4],
                                PickupState.BOOKING, n, n, merchants, now, now, attempts=1,
                                calling_until=calling_until, version=1)
    else:  # failed, or a run died mid-call: ask again (Flash answers 1010 if that call got through)
        calling = _next(existing, state=PickupState.BOOKING, parcels=n, latest_parcels=n, merchants=merchants,
                        attempts=existing.attempts + 1, calling_until=calling_until, updated_at=now)
    if not store.put_pickup_booking(calling):
        return "raced"
    request = PickupRequest(address=sender_of(w), pickup_date=group.day, parcels=n,
                            ready_time=READY_TIME.strftime("%H:%M"), close_time=CLOSE_TIME.strftime("%H:%M"))
    try:
        pickup = carrier_for(group.carrier, group.account_id, next(iter(merchants))).book_pickup(request)
    except PickupAlreadyOpen as exc:
        done = _next(calling, state=PickupState.BOOKED, confirmation=exc.ticket, calling_until=None, error={},
                     detail={"already_open": True, "message": exc.message}, updated_at=clock.time())
        result = "booked"
    except (CarrierError, DomainError, LookupError) as exc:  # refused, unreachable, or the account is gone
        log.warning("pickup not booked", extra={"warehouse_id": w.warehouse_id, "carrier": group.carrier,
                                                "account_id": group.account_id, "error": _error(exc)})
        done = _next(calling, state=PickupState.FAILED, calling_until=None, error=_error(exc),
                     updated_at=clock.time())
        result = "failed"
    else:
        done = _next(calling, state=PickupState.BOOKED, confirmation=pickup.confirmation, calling_until=None,
                     error={}, detail={"carrier": dict(pickup.raw)}, updated_at=clock.time())
        result = "booked"
    if not store.put_pickup_booking(done):
        return "raced"
    return result


def bought_claims(store: PickupStore, now: float, page: int = 100) -> Iterable[Claim]:
    """Every merchant's BOUGHT claims changed in the last :data:`LOOKBACK_S` (GSI1: state and time)."""
    cursor: str | None = None
    while True:
        merchants, cursor = store.list_merchants(page, cursor)
        for m in merchants:
            claims_cursor: str | None = None
            while True:
                claims, claims_cursor = store.claims_by_state_between(
                    m.merchant_id, ClaimState.BOUGHT.value, now - LOOKBACK_S, now, page, claims_cursor)
                yield from claims
                if not claims_cursor:
                    break
        if not cursor:
            return


def book_due(store: PickupStore, carrier_for: CarrierFor, clock: Clock) -> dict[str, int]:
    """The schedule's run: plan today's pickups and book each group once. One group's failure is its own."""
    now = clock.time()
    cache: dict[tuple[str | None, str], Warehouse | None] = {}

    def warehouse_of(owner: str | None, warehouse_id: str) -> Warehouse | None:
        if (owner, warehouse_id) not in cache:
            cache[(owner, warehouse_id)] = store.get_warehouse(owner, warehouse_id)
        return cache[(owner, warehouse_id)]

    planned = plan(bought_claims(store, now), warehouse_of, now)
    counts: dict[str, int] = {"groups": len(planned.groups), "unplaced": planned.unplaced}
    for group in planned.groups:
        try:
            result = book(store, carrier_for, group, clock)
        except Exception:  # the lease brings it back next run; the other groups go on
            log.exception("pickup booking crashed", extra={"warehouse_id": group.warehouse.warehouse_id,
                                                           "carrier": group.carrier})
            result = "errors"
        counts[result] = counts.get(result, 0) + 1
    return counts
