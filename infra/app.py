"""CDK app entry point: `cdk synth -c stage=prod -c region=...` (cdk.json runs this) or `make synth`.

Synthesizes without AWS credentials: the stack is account-agnostic and does no lookups. Exits non-zero
if cdk-nag reports an unsuppressed error, so `make synth` fails the way `cdk synth` does.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (`python infra/app.py`): make the repository root importable for `infra.*`.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aws_cdk import App

from infra.assembly import build, cdk_json_context, nag_findings
from infra.capabilities.layers import LayerContentMissing
from kiriman.manifest import MANIFEST


def main() -> int:
    app = App(context=cdk_json_context())
    try:
        build(app, MANIFEST)
    except LayerContentMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assembly = app.synth()
    errors = nag_findings(assembly)
    for finding in errors:
        print(f"cdk-nag error at {finding.path}: {finding.text}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} unsuppressed cdk-nag error(s); report in {assembly.directory}", file=sys.stderr)
        return 1
    print(f"synthesized {', '.join(s.stack_name for s in assembly.stacks)} into {assembly.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
