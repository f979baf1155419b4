"""The stage's stack: one construct per capability, every function, queue and trigger from the manifest.

The manifest is an argument (the app passes ``kiriman.manifest.MANIFEST``; tests pass a manifest with
extra fixture functions), and so are the paths, so the stack builds in a test without the real layer
build or function folders that do not exist yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra.capabilities.alarms import Alarms
from infra.capabilities.api import Api
from infra.capabilities.data import Data
from infra.capabilities.encryption import Encryption
from infra.capabilities.functions import Functions, Resources
from infra.capabilities.layers import Layers
from infra.capabilities.messaging import Messaging
from infra.capabilities.secrets import Secrets
from infra.capabilities.storage import Storage
from infra.config import StageConfig
from kiriman.wiring import Manifest, physical_name


class KirimanStack(Stack):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        manifest: Manifest,
        config: StageConfig,
        repo_root: Path,
        layers_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, cid, **kwargs)
        self.manifest = manifest
        self.config = config
        app = manifest.app
        Tags.of(self).add("app", app)
        Tags.of(self).add("stage", config.stage)

        self.encryption = Encryption(self, "Encryption", app_name=app, config=config)
        key = self.encryption.key
        self.data = Data(self, "Data", app_name=app, config=config, key=key)
        self.storage = Storage(self, "Storage", config=config, key=key)
        self.messaging = Messaging(self, "Messaging", manifest=manifest, config=config, key=key)
        self.secrets = Secrets(self, "Secrets", manifest=manifest, config=config, key=key)
        self.layers = Layers(
            self, "Layers", layers_dir=layers_dir, name_prefix=physical_name(app, config.stage, "layer")
        )
        self.api = Api(self, "Api", manifest=manifest, config=config)
        self.functions = Functions(
            self,
            "Functions",
            manifest=manifest,
            config=config,
            resources=Resources(
                key=key,
                table=self.data.table,
                bucket=self.storage.bucket,
                bus=self.messaging.bus,
                queues=self.messaging.queues,
                public_api_url=self.api.base_url,
            ),
            layers=self.layers,
            repo_root=repo_root,
        )
        self.messaging.connect(self.functions.by_name)
        self.api.connect(self.functions.by_name)
        self.alarms = Alarms(
            self,
            "Alarms",
            app_name=app,
            config=config,
            key=key,
            functions=self.functions.by_name,
            queues=self.messaging.queues,
            dlqs={**self.messaging.dlqs, "async": self.messaging.async_dlq},
            rest_api=self.api.rest_api,
            metric_alarms=manifest.metric_alarms,
        )

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the API stage")
        CfnOutput(self, "TableName", value=self.data.table.table_name)
        CfnOutput(self, "DocumentsBucket", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "EventBusName", value=self.messaging.bus.event_bus_name)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn, description="Subscribe to get alarms")
        # Last: every grant (including those the triggers and the API added) is in place now.
        self.functions.review_wildcards()
