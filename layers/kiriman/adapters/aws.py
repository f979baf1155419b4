"""Small adapters over boto3 clients, created by the composition root."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

from kiriman.clock import Clock


class SqsDispatcher:
    """Sends messages to manifest queues by short name (``QUEUE_URLS``), ten at a time."""

    def __init__(self, client: Any, queue_urls: Mapping[str, str]) -> None:
        self._client = client
        self._urls = queue_urls

    def send(self, queue: str, messages: list[dict[str, Any]], delay_s: int = 0) -> None:
        """``delay_s`` (0..900, SQS's limit) holds the messages back: how a throttled job waits without
        burning a receive count."""
        delay = max(0, min(900, int(delay_s)))
        try:
            url = self._urls[queue]
        except KeyError as exc:
            raise RuntimeError(f"this function may not send to queue {queue!r} (not in QUEUE_URLS)") from exc
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            resp = self._client.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "MessageBody": json.dumps(m, sort_keys=True), "DelaySeconds": delay}
                    for n, m in enumerate(chunk)
                ],
            )
            if resp.get("Failed"):
                raise RuntimeError(f"SQS refused {len(resp['Failed'])} message(s) for {queue}: {resp['Failed'][0]}")


class EventPublisher:
    """Publishes domain events to the bus (``EVENT_BUS_NAME``)."""

    def __init__(self, client: Any, bus_name: str, clock: Clock, source: str = "kiriman") -> None:
        self._client = client
        self._bus = bus_name
        self._clock = clock
        self._source = source

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> None:
        resp = self._client.put_events(
            Entries=[
                {
                    "Source": self._source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, sort_keys=True, default=str),
                    "EventBusName": self._bus,
                    "Time": self._clock.now(),
                }
            ]
        )
        if resp.get("FailedEntryCount"):
            raise RuntimeError(f"event bus refused {detail_type}: {resp['Entries']}")

    def ping(self) -> None:
        self._client.describe_event_bus(Name=self._bus)


class KmsTokenCipher:
    """Shop tokens as KMS ciphertext (base64), bound to the shop by the encryption context."""

    def __init__(self, client: Any, key_id: str) -> None:
        self._client = client
        self._key = key_id

    def encrypt(self, plaintext: str, context: dict[str, str]) -> str:
        import base64

        blob = self._client.encrypt(KeyId=self._key, Plaintext=plaintext.encode(), EncryptionContext=context)
        return base64.b64encode(blob["CiphertextBlob"]).decode()

    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str:
        import base64

        out = self._client.decrypt(CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=context)
        return bytes(out["Plaintext"]).decode()


class Secrets:
    """JSON secrets from Secrets Manager under the stage's prefix, read once per container."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._cache: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            raw = self._client.get_secret_value(SecretId=self._prefix + name)["SecretString"]
            value = json.loads(raw)
            if not isinstance(value, dict):
                raise RuntimeError(f"secret {self._prefix}{name} must hold a JSON object")
            self._cache[name] = value
        return self._cache[name]


class SecretsVault:
    """Carrier credentials in Secrets Manager: one JSON secret per account, encrypted with the stage key.

    Reads are cached for ``max_age_s`` so a rotated credential reaches every container within minutes.
    """

    def __init__(self, client: Any, prefix: str, kms_key_id: str | None = None, max_age_s: float = 300.0) -> None:
        self._client = client
        self._prefix = prefix
        self._kms_key_id = kms_key_id
        self._max_age_s = max_age_s
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}

    def put(self, name: str, value: Mapping[str, str]) -> None:
        text = json.dumps(dict(value))
        full = self._prefix + name
        try:
            kw: dict[str, Any] = {"Name": full, "SecretString": text}
            if self._kms_key_id:
                kw["KmsKeyId"] = self._kms_key_id
            self._client.create_secret(**kw)
        except self._client.exceptions.ResourceExistsException:
            self._client.put_secret_value(SecretId=full, SecretString=text)
        self._cache.pop(name, None)

    def get(self, name: str) -> dict[str, str]:
        cached = self._cache.get(name)
        if cached and time.monotonic() - cached[0] < self._max_age_s:
            return cached[1]
        raw = self._client.get_secret_value(SecretId=self._prefix + name)["SecretString"]
        value = {str(k): str(v) for k, v in json.loads(raw).items()}
        self._cache[name] = (time.monotonic(), value)
        return value

    def delete(self, name: str) -> None:
        """Recoverable for 7 days (the minimum Secrets Manager allows), in case it was a mistake."""
        self._cache.pop(name, None)
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.delete_secret(SecretId=self._prefix + name, RecoveryWindowInDays=7)


class S3Labels:
    """Labels as the carrier sent them (PDF), one object per purchase attempt; the bucket encrypts them."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put_label(self, key: str, label: Any) -> str:
        content_type = {"pdf": "application/pdf", "zpl": "text/plain", "png": "image/png"}.get(label.format,
                                                                                            "application/octet-stream")
        self._client.put_object(Bucket=self._bucket, Key=key, Body=label.content, ContentType=content_type,
                                Metadata={"tracking-number": label.tracking_number, "size": label.size})
        return key


class S3RawArchive:
    """Raw carrier exchanges (``raw/...`` keys) in the documents bucket: private, KMS-encrypted by the
    bucket's default, expired by its ``raw/`` lifecycle rule after ``raw_retention_days``."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, key: str, exchange: Mapping[str, Any]) -> str:
        body = json.dumps(dict(exchange), sort_keys=True, default=str, ensure_ascii=False).encode()
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        return key


class S3Documents:
    """Rendered documents (``documents/...``) in the private documents bucket, handed out as presigned GET URLs.

    A presigned URL carries the signer's permission for ``expires_s`` seconds (S3 user guide, "Sharing objects
    with presigned URLs"; SigV4 query signing allows at most 7 days, we use minutes). The bucket stays private:
    no public ACL or policy is involved.
    """

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except self._client.exceptions.NoSuchKey:
            return None

    def url(self, key: str, expires_s: int, filename: str) -> str:
        params = {"Bucket": self._bucket, "Key": key,
                  "ResponseContentDisposition": f'inline; filename="{filename}"'}
        return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires_s)))
