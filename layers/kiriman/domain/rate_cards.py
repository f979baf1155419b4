"""Rate cards as stored documents: versioned per card, never edited in place.

A new price list is a new version with its own ``valid_from``; older versions stay so that a quote or
an invoice check for a past date uses the prices of that date. The document is validated at the edge
(``kiriman.schemas.shipping``) before it gets here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.ids import new_id


@dataclass(frozen=True)
class RateCardRecord:
    card_id: str
    owner: str | None
    account_id: str
    service: str
    version: int
    body: Mapping[str, Any]
    created_at: float
    retired: bool = False


class RateCardStore(Protocol):
    def put_rate_card(self, card: RateCardRecord) -> None: ...
    def rate_card_versions(self, owner: str | None, card_id: str) -> list[RateCardRecord]: ...
    def list_rate_cards(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[RateCardRecord], str | None]: ...


def create(store: RateCardStore, clock: Clock, owner: str | None, account_id: str, service: str,
           body: Mapping[str, Any]) -> RateCardRecord:
    now = clock.time()
    card = RateCardRecord(new_id("rc", now), owner, account_id, service, 1, dict(body), now)
    store.put_rate_card(card)
    return card


def versions(store: RateCardStore, owner: str | None, card_id: str) -> list[RateCardRecord]:
    found = store.rate_card_versions(owner, card_id)
    if not found:
        raise NotFound("rate card not found")
    return found


def get(store: RateCardStore, owner: str | None, card_id: str, version: int | None = None) -> RateCardRecord:
    found = versions(store, owner, card_id)
    if version is None:
        return found[-1]
    for card in found:
        if card.version == version:
            return card
    raise NotFound(f"rate card {card_id} has no version {version}")


def add_version(store: RateCardStore, clock: Clock, owner: str | None, card_id: str, account_id: str,
                service: str, body: Mapping[str, Any]) -> RateCardRecord:
    """The account and service are the card's identity; a new price list for another pair is a new card."""
    latest = get(store, owner, card_id)
    if (account_id, service) != (latest.account_id, latest.service):
        raise InvalidInput("account_id", "a card's account and service cannot change; create a new card")
    card = RateCardRecord(card_id, owner, account_id, service, latest.version + 1, dict(body), clock.time())
    store.put_rate_card(card)  # conditional on the version not existing: two writers cannot both win
    return card


def retire(store: RateCardStore, clock: Clock, owner: str | None, card_id: str) -> RateCardRecord:
    """Retiring writes a last version marked retired, so history stays readable."""
    latest = get(store, owner, card_id)
    card = replace(latest, version=latest.version + 1, retired=True, created_at=clock.time())
    store.put_rate_card(card)
    return card
