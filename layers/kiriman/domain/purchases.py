"""Buying a label exactly once: the purchase claim machine (docs/decisions.md, "Money is spent once").

A purchase is claimed per (shop, order_sn, package_number, leg, attempt) with a conditional write. The
claim moves CLAIMED -> CALLING -> BOUGHT | FAILED | UNKNOWN, every step a conditional write on the
state the worker read. The carrier reference is a short hash of the claim key, so every retry, every
redelivered message and every crashed worker's successor sends the same reference. A worker that finds
a claim already CALLING (someone may have reached the carrier) asks the carrier for that reference
before creating anything; a carrier that cannot be searched parks the package as UNKNOWN
(``purchase_unknown``) for an operator and it is never bought again automatically. The attempt number
goes up only after a recorded void or a permanent failure.

Powertools' idempotency utility cannot do this alone: its in-progress record expires when a function
times out, which is exactly when the carrier may have sold the label.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from kiriman.carriers.base import (
    Carrier,
    CarrierError,
    CarrierRejected,
    CarrierThrottled,
    CreatedShipment,
    DuplicateReference,
    NotSupported,
    PackageRef,
    ShipmentRequest,
)
from kiriman.clock import Clock
from kiriman.domain.errors import Conflict


class ClaimState(StrEnum):
    CLAIMED = "CLAIMED"
    CALLING = "CALLING"
    BOUGHT = "BOUGHT"
    FAILED = "FAILED"  # permanent: the carrier refused; a new attempt may follow after a fix
    UNKNOWN = "UNKNOWN"  # purchase_unknown: the carrier may have sold it and cannot tell us; an operator decides
    VOIDED = "VOIDED"


FINAL = frozenset({ClaimState.BOUGHT, ClaimState.FAILED, ClaimState.UNKNOWN, ClaimState.VOIDED})
REFERENCE_LEN = 14  # [A-Z0-9], within every carrier's limit (Ninja Van needs >= 9, J&T <= 50)


def reference_for(package: PackageRef, attempt: int) -> str:
    """Base32 of SHA-256 over the claim key: deterministic, short, upper-case letters and digits."""
    key = f"{package.identity}|{attempt}".encode()
    return "K" + base64.b32encode(hashlib.sha256(key).digest()).decode().rstrip("=")[: REFERENCE_LEN - 1]


@dataclass(frozen=True)
class Claim:
    package: PackageRef
    attempt: int
    merchant_id: str
    state: ClaimState
    carrier: str
    account_id: str
    reference: str
    created_at: float
    updated_at: float
    calling_until: float | None = None  # a CALLING claim is someone's until then (the function's timeout)
    tracking_number: str = ""
    error: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    calls: int = 0  # create calls sent to the carrier under this claim
    version: int = 0  # every move is conditional on the version the worker read

    @property
    def key(self) -> str:
        return f"{self.package.identity}|{self.attempt}"


class ClaimStore(Protocol):
    def create_claim(self, claim: Claim) -> bool: ...
    def get_claim(self, package: PackageRef, attempt: int) -> Claim | None: ...
    def move_claim(self, claim: Claim) -> bool:
        """Write ``claim`` if the stored version is ``claim.version - 1``; False if someone moved it first."""
        ...
    def current_attempt(self, package: PackageRef) -> int: ...
    def advance_attempt(self, package: PackageRef, from_attempt: int) -> int: ...


class PurchaseInProgress(Exception):
    """Another worker is calling the carrier for this claim right now: try again after its deadline."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"purchase in progress; retry in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    created: bool  # this call bought the label (False: found, already bought, failed or parked)


Crash = Callable[[str], None]  # test hook: raises at a named point, as a killed worker would stop there


def _no_crash(point: str) -> None:
    return None


def _next(claim: Claim, **changes: Any) -> Claim:
    return replace(claim, version=claim.version + 1, **changes)


def purchase(
    store: ClaimStore,
    carrier: Carrier,
    request: ShipmentRequest,
    merchant_id: str,
    clock: Clock,
    call_budget_s: float,
    crash: Crash = _no_crash,
) -> Outcome:
    """Buy the label for ``request.package`` under its current attempt, at most once.

    ``call_budget_s`` is how long this worker may still run: a CALLING claim is ours until then.
    Raises :class:`PurchaseInProgress` (retry later), or the carrier's retryable error (the claim stays
    where it is and the message comes back); never a second purchase.
    """
    pkg = request.package
    attempt = store.current_attempt(pkg)
    now = clock.time()
    reference = pkg.identity if carrier.info.reference_is_package else reference_for(pkg, attempt)
    fresh = Claim(pkg, attempt, merchant_id, ClaimState.CLAIMED, carrier.info.slug, carrier.account_id, reference,
                  now, now)
    if not store.create_claim(fresh):
        claim = store.get_claim(pkg, attempt)
        if claim is None:
            raise Conflict("claim vanished; retry")
    else:
        claim = fresh
    crash("after_claim")
    if claim.state in FINAL:
        return Outcome(claim, False)
    if claim.account_id and claim.account_id != carrier.account_id:
        # Never the same package at two carriers: the claim's account is the only one that may buy it.
        raise Conflict(f"claim {claim.key} belongs to account {claim.account_id}, not {carrier.account_id}")
    if claim.state == ClaimState.CALLING:
        if claim.calling_until is not None and claim.calling_until > now:
            raise PurchaseInProgress(claim.calling_until - now)
        resolved = _resolve(store, carrier, claim, clock)
        if resolved is not None:
            return Outcome(resolved, False)
        # Not found (or the carrier cannot be searched): send the SAME reference again. The carrier refuses a
        # reused reference, so this cannot buy twice; a refusal then means "sold, but unfindable" -> parked.
    request = replace(request, reference=claim.reference)
    calling = _next(claim, state=ClaimState.CALLING, calling_until=now + call_budget_s, updated_at=now,
                    calls=claim.calls + 1)
    if not store.move_claim(calling):
        raise PurchaseInProgress(5.0)  # another worker moved it first
    try:
        created = carrier.create_shipment(request)
    except DuplicateReference:
        # The carrier already has this reference: a previous call got through. Look it up, never buy again.
        found = _lookup(carrier, calling)
        if found is None:
            return Outcome(_park(store, calling, clock, "the carrier has this reference but cannot find it"), False)
        return Outcome(_bought(store, calling, found, clock), False)
    except CarrierThrottled:
        store.move_claim(_next(calling, state=ClaimState.CLAIMED, calling_until=None, updated_at=clock.time()))
        # a 429 sold nothing
        raise
    except CarrierRejected as exc:
        failed = _next(calling, state=ClaimState.FAILED, calling_until=None, updated_at=clock.time(),
                       error=_error(exc))
        if not store.move_claim(failed):
            raise Conflict(f"claim {claim.key} moved while recording a refusal") from exc
        return Outcome(failed, False)
    # CarrierUnavailable (timeout, 5xx) and crashes leave the claim CALLING: the next worker asks first.
    crash("after_carrier_accepted")
    # (between the carrier's answer and our write, a killed worker loses the tracking number: the next
    # worker finds the claim CALLING and asks the carrier for the reference)
    crash("before_save")
    return Outcome(_bought(store, calling, created, clock), True)


def _error(exc: CarrierError) -> dict[str, Any]:
    # raw_keys: the archived request/response of the refused call (carriers/archive.py), when archived
    return {"carrier": exc.carrier, "code": exc.code, "message": exc.message, "field": exc.field,
            "status": exc.status, "request_id": exc.request_id, "retryable": exc.retryable,
            "raw_keys": [str(k) for k in getattr(exc, "raw_keys", None) or []]}


def _lookup(carrier: Carrier, claim: Claim) -> CreatedShipment | None:
    try:
        return carrier.find_by_reference(claim.reference)
    except NotSupported:
        return None


def _resolve(store: ClaimStore, carrier: Carrier, claim: Claim, clock: Clock) -> Claim | None:
    """A CALLING claim whose worker is gone: did the carrier sell it? None: not as far as we can tell."""
    if not carrier.info.searchable_by_reference:
        return None
    found = carrier.find_by_reference(claim.reference)
    if found is not None:
        return _bought(store, claim, found, clock)
    return None


def _bought(store: ClaimStore, claim: Claim, created: CreatedShipment, clock: Clock) -> Claim:
    bought = _next(claim, state=ClaimState.BOUGHT, calling_until=None, tracking_number=created.tracking_number,
                   updated_at=clock.time(), raw=dict(created.raw))
    if not store.move_claim(bought):
        current = store.get_claim(claim.package, claim.attempt)
        if current is not None and current.state == ClaimState.BOUGHT:
            return current
        raise Conflict(f"claim {claim.key} moved while saving the purchase")
    return bought


def _park(store: ClaimStore, claim: Claim, clock: Clock, why: str) -> Claim:
    parked = _next(claim, state=ClaimState.UNKNOWN, calling_until=None, updated_at=clock.time(),
                   error={"code": "purchase_unknown", "message": why})
    if not store.move_claim(parked):
        current = store.get_claim(claim.package, claim.attempt)
        if current is not None:
            return current
    return parked


@dataclass(frozen=True)
class Voided:
    claim: Claim
    at_carrier: bool  # False: the carrier has no void (Shopee logistics); only our record changed
    next_attempt: int


def void(store: ClaimStore, carrier: Carrier, package: PackageRef, clock: Clock, reason: str) -> Voided:
    """Void the bought label of ``package`` before handover, then open the next attempt.

    A carrier without a void operation is never asked through another door: for Shopee logistics the
    only undo would be ``cancel_order``, which cancels the buyer's order, so the void is recorded here
    and nothing is sent to Shopee.
    """
    attempt = store.current_attempt(package)
    claim = store.get_claim(package, attempt)
    if claim is None or claim.state != ClaimState.BOUGHT:
        raise Conflict(f"nothing bought to void for {package.identity} (attempt {attempt})")
    at_carrier = True
    try:
        carrier.cancel(claim.tracking_number, package, claim.reference)
    except NotSupported:
        at_carrier = False
    voided = _next(claim, state=ClaimState.VOIDED, updated_at=clock.time(),
                   error={"code": "voided", "message": reason, "at_carrier": at_carrier})
    if not store.move_claim(voided):
        raise Conflict(f"claim {claim.key} moved while voiding; read it again")
    nxt = store.advance_attempt(package, attempt)
    return Voided(voided, at_carrier, nxt)
