"""One in-process J&T sandbox per test module (free port, temporary clock file)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.sandboxes.jnt.server import JntSandbox

from .helpers import Api, Clock


@dataclass
class Env:
    sandbox: JntSandbox
    api: Api
    clock: Clock


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    folder: Path = tmp_path_factory.mktemp("jnt-sandbox")
    clock = Clock(folder / "clock-offset")
    sandbox = JntSandbox(clock_file=clock.path, seed="demo")
    sandbox.start()
    api = Api(sandbox.base_url, clock)
    try:
        yield Env(sandbox, api, clock)
    finally:
        api.close()
        sandbox.stop()


@pytest.fixture
def api(env: Env) -> Api:
    return env.api


@pytest.fixture
def clock(env: Env) -> Clock:
    return env.clock
