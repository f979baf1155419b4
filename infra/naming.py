"""Construct ids derived from manifest names, so a rename shows up as one clear replacement."""

from __future__ import annotations


def construct_id(name: str) -> str:
    """``due_sweep`` -> ``DueSweep``, ``shop-sync`` -> ``ShopSync``."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)
