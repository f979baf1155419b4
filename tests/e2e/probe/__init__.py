"""Test-only functions the e2e suite adds to the local stack with ``--extra-manifest``."""
