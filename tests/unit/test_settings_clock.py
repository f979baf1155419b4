"""Settings fail at start naming the variable; the shared clock reads its offset file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from unittest import mock

import pytest

from kiriman.clock import FixedClock, SystemClock
from kiriman.settings import ApiSettings, DueSweepSettings, SettingsError, load


def test_missing_setting_is_named() -> None:
    with mock.patch.dict(os.environ, {"STAGE": "x"}, clear=True), pytest.raises(SettingsError) as err:
        load(ApiSettings)
    assert "TABLE_NAME" in str(err.value) and "EVENT_BUS_NAME" in str(err.value)


def test_invalid_setting_is_named() -> None:
    env = {"STAGE": "x", "TABLE_NAME": "tbl", "QUEUE_URLS": "not json"}
    with mock.patch.dict(os.environ, env, clear=True), pytest.raises(SettingsError, match="QUEUE_URLS"):
        load(DueSweepSettings)


def test_settings_parse_json_maps() -> None:
    env = {"STAGE": "x", "TABLE_NAME": "tbl", "QUEUE_URLS": '{"a": "u"}', "DUE_ROUTES": '{"k": "a"}'}
    with mock.patch.dict(os.environ, env, clear=True):
        s = load(DueSweepSettings)
    assert s.queue_urls == {"a": "u"} and s.due_routes == {"k": "a"} and s.due_shards == 16


def test_system_clock_follows_the_offset_file(tmp_path: Path) -> None:
    f = tmp_path / "clock-offset"
    c = SystemClock(f)
    assert abs(c.time() - time.time()) < 1
    f.write_text("3600")
    assert abs(c.time() - time.time() - 3600) < 1
    f.write_text("7200.5")
    assert abs(c.offset() - 7200.5) < 1e-9
    assert c.now().tzinfo is not None


def test_fixed_clock() -> None:
    c = FixedClock(100.0)
    c.advance(5)
    assert c.time() == 105.0
