"""Shared by the probe handlers: write one observation into the table for the test to read.

Items live under ``PK = PROBE#<nonce>`` (the test's fresh id), ``SK = <kind>#<time>#<uuid>``, with
the observation as JSON in ``data``. The client is built at cold start so that the first
invocation stays well inside the scaled timeout.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import boto3

from kiriman.settings import TableSettings, load

SETTINGS = load(TableSettings)
# Endpoint, region and credentials come from the function's environment (AWS_ENDPOINT_URL et al.).
DDB = boto3.client("dynamodb")


def record(nonce: str, kind: str, **data: Any) -> None:
    item = {
        "PK": {"S": f"PROBE#{nonce}"},
        "SK": {"S": f"{kind}#{time.time():.6f}#{uuid.uuid4().hex}"},
        "kind": {"S": kind},
        "data": {"S": json.dumps({**data, "pid": os.getpid(), "wall": time.time()}, sort_keys=True, default=str)},
    }
    DDB.put_item(TableName=SETTINGS.table_name, Item=item)


def exists(nonce: str, sk: str) -> bool:
    resp = DDB.get_item(TableName=SETTINGS.table_name, Key={"PK": {"S": f"PROBE#{nonce}"}, "SK": {"S": sk}})
    return "Item" in resp
