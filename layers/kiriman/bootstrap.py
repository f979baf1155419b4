"""First operator key for a new stage (the local stack calls this; on AWS run ``python -m kiriman.bootstrap``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from unittest import mock

from kiriman.domain.access import Role
from kiriman.domain.merchants import create_operator
from kiriman.runtime import Runtime
from kiriman.settings import TableSettings, load


def bootstrap_operator(env: Mapping[str, str], display_name: str = "bootstrap operator") -> str:
    """Create an admin operator and return its plaintext key (shown once, stored as a hash)."""
    with mock.patch.dict(os.environ, dict(env)):
        settings = load(TableSettings)
    runtime = Runtime(settings)
    return create_operator(runtime.store, runtime.clock, display_name, Role.ADMIN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="bootstrap operator")
    args = parser.parse_args()
    print(bootstrap_operator(os.environ, args.name))


if __name__ == "__main__":
    main()
