"""Planning and booking the day's carrier pickups (kiriman.domain.pickups), against in-memory fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from kiriman.carriers.base import (
    CarrierRejected,
    CarrierUnavailable,
    PackageRef,
    Pickup,
    PickupAlreadyOpen,
    PickupRequest,
)
from kiriman.clock import FixedClock
from kiriman.domain import pickups
from kiriman.domain.merchants import Merchant
from kiriman.domain.pickups import Mode, PickupBooking, PickupState, approx_volume, book_due, pickup_day, plan
from kiriman.domain.purchases import Claim, ClaimState
from kiriman.domain.warehouses import Address, Warehouse

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z = 07:00 in Bangkok, 08:00 in Singapore
H = 3600.0
BKK_10AM = T0 + 3 * H


def warehouse(wid: str = "wh_th", country: str = "TH", owner: str | None = None) -> Warehouse:
    addr = Address("Kiriman TH", "+6620000001", "123 Silom Road", None, "Bang Rak", "Bangkok", "10500", country)
    return Warehouse(wid, owner, f"WH {wid}", addr, (country,), True, 0.0, 0.0)


def claim(n: int, at: float, *, carrier: str = "flash", account: str = "ca_fl", merchant: str = "mA",
          wid: str | None = "wh_th", owner: str | None = None, leg: str = "outbound",
          state: ClaimState = ClaimState.BOUGHT, tracking: str = "TH0001") -> Claim:
    raw: dict[str, Any] = {"label_key": "k", "handed_back": True}
    if wid is not None:
        raw.update(warehouse_id=wid, warehouse_owner=owner)
    return Claim(PackageRef(1, f"SN{n}", "PKG", leg), 1, merchant, state, carrier, account, f"K{n}", at, at,
                 tracking_number=tracking, raw=raw, version=3)


class FakeStore:
    def __init__(self, claims: list[Claim], warehouses: list[Warehouse]) -> None:
        self.claims = claims
        self.warehouses = {(w.owner, w.warehouse_id): w for w in warehouses}
        self.bookings: dict[tuple[Any, ...], PickupBooking] = {}
        self.lose_next_write = False

    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Merchant], str | None]:
        ids = sorted({c.merchant_id for c in self.claims})
        start = int(cursor or 0)
        page = ids[start:start + limit]
        more = start + limit < len(ids)
        return [Merchant(m, m, None, "active", 0.0) for m in page], str(start + limit) if more else None

    def claims_by_state_between(self, merchant_id: str, state: str, since: float, until: float, limit: int,
                                cursor: str | None) -> tuple[list[Claim], str | None]:
        found = sorted((c for c in self.claims if c.merchant_id == merchant_id and c.state.value == state
                        and since <= c.updated_at <= until), key=lambda c: c.updated_at)
        start = int(cursor or 0)
        return found[start:start + limit], str(start + limit) if start + limit < len(found) else None

    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None:
        return self.warehouses.get((owner, warehouse_id))

    @staticmethod
    def _key(b: PickupBooking) -> tuple[Any, ...]:
        return (b.warehouse_owner, b.warehouse_id, b.carrier, b.account_id, b.day)

    def get_pickup_booking(self, owner: str | None, warehouse_id: str, carrier: str, account_id: str,
                           day: str) -> PickupBooking | None:
        return self.bookings.get((owner, warehouse_id, carrier, account_id, day))

    def put_pickup_booking(self, b: PickupBooking) -> bool:
        if self.lose_next_write:
            self.lose_next_write = False
            return False
        current = self.bookings.get(self._key(b))
        if (current is None and b.version != 1) or (current is not None and current.version != b.version - 1):
            return False
        self.bookings[self._key(b)] = b
        return True

    def only(self) -> PickupBooking:
        assert len(self.bookings) == 1, self.bookings
        return next(iter(self.bookings.values()))


class FakeFlash:
    def __init__(self) -> None:
        self.requests: list[PickupRequest] = []
        self.fail_with: Exception | None = None

    def book_pickup(self, request: PickupRequest) -> Pickup:
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        return Pickup(confirmation=f"T{len(self.requests)}", pickup_date=request.pickup_date,
                      raw={"ticketPickupId": len(self.requests)})


@pytest.fixture
def flash() -> FakeFlash:
    return FakeFlash()


def carriers(flash: FakeFlash) -> Any:
    def carrier_for(slug: str, account_id: str, merchant_id: str) -> Any:
        assert slug == "flash", f"{slug} must not be called: its pickup comes with the order"
        return flash

    return carrier_for


# --- time and bands ---------------------------------------------------------------------------------
def test_the_pickup_day_is_the_warehouse_local_day_and_turns_at_close_time() -> None:
    assert pickup_day(T0, "TH") == date(2026, 1, 1)  # 07:00 Bangkok
    assert pickup_day(T0 - 8 * H, "TH") == date(2026, 1, 1)  # 23:00 the evening before: next day's pickup
    assert pickup_day(T0 + 10 * H, "TH") == date(2026, 1, 1)  # 17:00
    assert pickup_day(T0 + 11 * H, "TH") == date(2026, 1, 2)  # 18:00: tomorrow's
    assert pickup_day(T0 + 9 * H, "SG") == date(2026, 1, 1)  # 17:00 in Singapore
    assert pickup_day(T0 + 10 * H, "SG") == date(2026, 1, 2)  # 18:00 Singapore
    assert pickup_day(T0 - 7 * H, "XX") == date(2025, 12, 31)  # unknown country: UTC, 17:00
    assert pickup_day(T0 - 6 * H, "XX") == date(2026, 1, 1)


def test_ninja_van_approx_volume_bands() -> None:
    assert [approx_volume(n) for n in (1, 2, 3, 9, 10, 29, 30, 99, 100, 199, 200, 5000)] == [
        "Less than 3 Parcels", "Less than 3 Parcels", "Less than 10 Parcels", "Less than 10 Parcels",
        "Trolley Required", "Trolley Required", "Half-Van Load", "Half-Van Load", "Full-Van Load",
        "Full-Van Load", "Larger than Van Load", "Larger than Van Load"]


# --- planning ---------------------------------------------------------------------------------------
def test_plan_groups_todays_outbound_parcels_by_warehouse_carrier_and_account() -> None:
    whs = {(None, "wh_th"): warehouse(), (None, "wh_2"): warehouse("wh_2")}
    claims = [
        claim(1, T0), claim(2, T0 + H, merchant="mB"), claim(3, T0 + 2 * H),
        claim(4, T0, account="ca_fl2"),  # another account: its own pickup
        claim(5, T0, wid="wh_2"),  # another warehouse
        claim(6, T0, carrier="ninjavan", account="ca_nv"),
        claim(7, T0, carrier="jnt", account="ca_jt"),  # J&T books no pickup
        claim(8, T0, carrier="shopee", account="shopee"),  # ship_order arranged it
        claim(9, T0, leg="return:R1"),  # not outbound
        claim(10, T0, state=ClaimState.VOIDED),
        claim(11, T0 - 14 * H),  # bought yesterday 17:00, before close: yesterday's pickup
        claim(12, T0 - 8 * H),  # yesterday after close: today's
        claim(13, T0, wid=None),  # bought before warehouses were recorded
        claim(14, T0, wid="wh_gone"),
    ]
    planned = plan(claims, lambda owner, wid: whs.get((owner, wid)), BKK_10AM)
    got = {(g.warehouse.warehouse_id, g.carrier, g.account_id): (g.mode, g.merchants) for g in planned.groups}
    assert got == {
        ("wh_th", "flash", "ca_fl"): (Mode.BOOK, {"mA": 3, "mB": 1}),
        ("wh_th", "flash", "ca_fl2"): (Mode.BOOK, {"mA": 1}),
        ("wh_2", "flash", "ca_fl"): (Mode.BOOK, {"mA": 1}),
        ("wh_th", "ninjavan", "ca_nv"): (Mode.WITH_ORDER, {"mA": 1}),
    }
    assert planned.unplaced == 2
    assert {g.day for g in planned.groups} == {date(2026, 1, 1)}


# --- booking ----------------------------------------------------------------------------------------
def test_booked_once_a_day_and_the_count_is_the_one_sent(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0), claim(2, T0 + H)], [warehouse()])
    clock = FixedClock(BKK_10AM)
    counts = book_due(store, carriers(flash), clock)
    assert counts["booked"] == 1
    assert len(flash.requests) == 1 and flash.requests[0].parcels == 2
    assert flash.requests[0].pickup_date == date(2026, 1, 1) and flash.requests[0].address.postcode == "10500"
    b = store.only()
    assert (b.state, b.parcels, b.confirmation, b.day, b.attempts) == (PickupState.BOOKED, 2, "T1", "2026-01-01", 1)
    # a third parcel later that day: no second call (Flash has no amendment); the latest count is kept beside
    store.claims.append(claim(3, BKK_10AM + 60))
    clock.advance(1800)
    assert book_due(store, carriers(flash), clock)["booked_before"] == 1
    assert len(flash.requests) == 1
    b = store.only()
    assert (b.state, b.parcels, b.latest_parcels) == (PickupState.BOOKED, 2, 3)
    clock.advance(1800)
    assert book_due(store, carriers(flash), clock)["unchanged"] == 1 and len(flash.requests) == 1


def test_a_refusal_is_stored_with_the_carriers_words_and_asked_again_next_run(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0)], [warehouse()])
    clock = FixedClock(BKK_10AM)
    flash.fail_with = CarrierRejected("flash", "srcPostalCode 10500 is outside the service area", code="1022",
                                      field="sender")
    assert book_due(store, carriers(flash), clock)["failed"] == 1
    b = store.only()
    assert b.state == PickupState.FAILED and b.calling_until is None
    assert (b.error["code"], b.error["field"], b.error["carrier"]) == ("1022", "sender", "flash")
    assert "outside the service area" in b.error["message"]
    flash.fail_with = None
    clock.advance(1800)
    assert book_due(store, carriers(flash), clock)["booked"] == 1
    b = store.only()
    assert (b.state, b.attempts, b.error, b.confirmation) == (PickupState.BOOKED, 2, {}, "T2")


def test_an_unreachable_carrier_or_a_missing_account_is_a_failure_too(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0)], [warehouse()])
    flash.fail_with = CarrierUnavailable("flash", "HTTP 503", code="http_503", status=503)
    assert book_due(store, carriers(flash), FixedClock(BKK_10AM))["failed"] == 1
    assert store.only().error["retryable"] is True

    def no_account(*_: Any) -> Any:
        raise LookupError("carrier account ca_fl is gone")

    store2 = FakeStore([claim(1, T0)], [warehouse()])
    assert book_due(store2, no_account, FixedClock(BKK_10AM))["failed"] == 1
    assert "gone" in store2.only().error["message"]


def test_flash_1010_an_open_request_counts_as_booked(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0)], [warehouse()])
    err = PickupAlreadyOpen("flash", "an open pickup request already exists (ticket 77): still open", code="1010",
                            field="pickup")
    err.ticket = "77"
    flash.fail_with = err
    assert book_due(store, carriers(flash), FixedClock(BKK_10AM))["booked"] == 1
    b = store.only()
    assert (b.state, b.confirmation, b.detail["already_open"], b.error) == (PickupState.BOOKED, "77", True, {})


def test_ninja_van_is_recorded_with_its_orders_and_kept_up_to_date(flash: FakeFlash) -> None:
    store = FakeStore([claim(n, T0 - 3 * H, carrier="ninjavan", account="ca_nv") for n in range(3)], [warehouse()])
    clock = FixedClock(T0 - 2 * H)  # 05:00 local: recording calls nobody, so no window applies
    assert book_due(store, carriers(flash), clock)["with_order"] == 1
    b = store.only()
    assert (b.state, b.parcels, b.detail["approx_volume"]) == (PickupState.WITH_ORDER, 3, "Less than 10 Parcels")
    store.claims += [claim(n, T0 - 2.5 * H, carrier="ninjavan", account="ca_nv") for n in range(3, 10)]
    assert book_due(store, carriers(flash), clock)["with_order"] == 1
    b = store.only()
    assert (b.parcels, b.latest_parcels, b.detail["approx_volume"], b.version) == (10, 10, "Trolley Required", 2)
    assert book_due(store, carriers(flash), clock)["unchanged"] == 1
    assert flash.requests == []


def test_no_booking_outside_the_days_pickup_window(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0 - 3 * H)], [warehouse()])  # bought 04:00 local
    assert book_due(store, carriers(flash), FixedClock(T0 + H))["outside_window"] == 1  # 08:00: too early
    assert store.bookings == {} and flash.requests == []
    assert book_due(store, carriers(flash), FixedClock(T0 + 2 * H))["booked"] == 1  # 09:00


def test_a_run_that_died_mid_call_is_asked_again_after_its_lease(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0)], [warehouse()])
    clock = FixedClock(BKK_10AM)
    w = warehouse()
    stuck = PickupBooking(None, w.warehouse_id, "flash", "ca_fl", "2026-01-01", PickupState.BOOKING, 1, 1,
                          {"mA": 1}, BKK_10AM, BKK_10AM, attempts=1, calling_until=BKK_10AM + pickups.LEASE_S,
                          version=1)
    store.bookings[FakeStore._key(stuck)] = stuck
    assert book_due(store, carriers(flash), clock)["in_progress"] == 1 and flash.requests == []
    clock.advance(pickups.LEASE_S + 1)
    assert book_due(store, carriers(flash), clock)["booked"] == 1
    assert store.only().attempts == 2 and len(flash.requests) == 1


def test_a_run_that_loses_the_race_calls_nobody(flash: FakeFlash) -> None:
    store = FakeStore([claim(1, T0)], [warehouse()])
    store.lose_next_write = True  # another run created the booking first
    assert book_due(store, carriers(flash), FixedClock(BKK_10AM))["raced"] == 1
    assert flash.requests == []


def test_forwarder_and_merchant_warehouses_are_told_apart(flash: FakeFlash) -> None:
    own = replace(warehouse("wh_m"), owner="mA")
    store = FakeStore([claim(1, T0, wid="wh_m", owner="mA"), claim(2, T0, merchant="mB")], [own, warehouse()])
    assert book_due(store, carriers(flash), FixedClock(BKK_10AM))["booked"] == 2
    owners = sorted((b.warehouse_owner or "-", b.warehouse_id, tuple(b.merchants)) for b in store.bookings.values())
    assert owners == [("-", "wh_th", ("mB",)), ("mA", "wh_m", ("mA",))]


def test_many_merchants_and_claims_are_paged(flash: FakeFlash) -> None:
    claims = [claim(n, T0 + n, merchant=f"m{n % 7}") for n in range(250)]
    store = FakeStore(claims, [warehouse()])
    got = list(pickups.bought_claims(store, BKK_10AM, page=5))
    assert len(got) == 250
    assert book_due(store, carriers(flash), FixedClock(BKK_10AM))["booked"] == 1
    assert flash.requests[0].parcels == 250
