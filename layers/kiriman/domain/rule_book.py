"""Routing rules as stored documents, one item per rule, ordered by priority (merchant- or shop-wide)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import Conflict, NotFound
from kiriman.ids import new_id


@dataclass(frozen=True)
class RuleRecord:
    rule_id: str
    owner: str | None
    priority: int
    shop_id: int | None
    body: Mapping[str, Any]
    created_at: float
    updated_at: float
    version: int = 0


class RuleStore(Protocol):
    def create_rule(self, rule: RuleRecord) -> None: ...
    def get_rule(self, owner: str | None, rule_id: str) -> RuleRecord | None: ...
    def list_rules(self, owner: str | None) -> list[RuleRecord]: ...
    def update_rule(self, rule: RuleRecord, expected_version: int) -> RuleRecord: ...
    def delete_rule(self, owner: str | None, rule_id: str) -> bool: ...


def create(store: RuleStore, clock: Clock, owner: str | None, body: Mapping[str, Any]) -> RuleRecord:
    now = clock.time()
    rule = RuleRecord(new_id("rl", now), owner, int(body.get("priority") or 0), body.get("shop_id"), dict(body),
                      now, now)
    store.create_rule(rule)
    return rule


def get(store: RuleStore, owner: str | None, rule_id: str) -> RuleRecord:
    rule = store.get_rule(owner, rule_id)
    if rule is None:
        raise NotFound("rule not found")
    return rule


def ordered(store: RuleStore, owner: str | None) -> list[RuleRecord]:
    return sorted(store.list_rules(owner), key=lambda r: (r.priority, r.created_at, r.rule_id))


def replace_body(store: RuleStore, clock: Clock, owner: str | None, rule_id: str, body: Mapping[str, Any],
                 expected_version: int | None = None) -> RuleRecord:
    current = get(store, owner, rule_id)
    if expected_version is not None and expected_version != current.version:
        raise Conflict("rule changed meanwhile; read it again")
    updated = replace(current, priority=int(body.get("priority") or 0), shop_id=body.get("shop_id"),
                      body=dict(body), updated_at=clock.time(), version=current.version + 1)
    return store.update_rule(updated, current.version)


def delete(store: RuleStore, owner: str | None, rule_id: str) -> None:
    if not store.delete_rule(owner, rule_id):
        raise NotFound("rule not found")
