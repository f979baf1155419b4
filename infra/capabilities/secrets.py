"""Secrets Manager secrets and SSM parameters the manifest declares, all under ``/<app>/<stage>/``.

Secrets are created with a placeholder JSON value; the operator sets the real one after the first
deploy (``docs/deploy.md``). Functions read them only if their ``Access.secrets`` / ``parameters``
prefixes cover the name (see :mod:`infra.capabilities.functions`).
"""

from __future__ import annotations

import json

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import StageConfig
from infra.nag import suppress
from infra.naming import construct_id
from kiriman.wiring import Manifest


def prefix(app_name: str, stage: str) -> str:
    """The same prefix ``function_environment`` hands to functions as SECRETS_PREFIX."""
    return f"/{app_name}/{stage}/"


class Secrets(Construct):
    def __init__(self, scope: Construct, cid: str, *, manifest: Manifest, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, cid)
        base = prefix(manifest.app, config.stage)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        self.parameters: dict[str, ssm.StringParameter] = {}
        for name in manifest.secrets:
            secret = secretsmanager.Secret(
                self,
                f"{construct_id(name)}Secret",
                secret_name=f"{base}{name}",
                description=f"{manifest.app} {config.stage}: {name} (set the value after deploying)",
                encryption_key=key,
                removal_policy=config.removal_policy,
                # A JSON object from the start (functions read secrets as JSON objects), with a random
                # placeholder member, so nothing usable exists until the operator sets the real value.
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps({"set_me": "see docs/deploy.md"}),
                    generate_string_key="placeholder",
                    exclude_punctuation=True,
                ),
            )
            suppress(
                secret,
                "SMG4",
                "Holds third-party credentials (Shopee partner key, carrier API keys) that only the vendor "
                "can rotate; the operator replaces the value by hand, as docs/deploy.md describes.",
            )
            self.secrets[name] = secret
        for name, value in sorted(manifest.parameters.items()):
            self.parameters[name] = ssm.StringParameter(
                self,
                f"{construct_id(name)}Parameter",
                parameter_name=f"{base}{name}",
                string_value=value,
                description=f"{manifest.app} {config.stage}: {name}",
            )
