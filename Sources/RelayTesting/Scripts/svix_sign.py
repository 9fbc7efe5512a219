#!/usr/bin/env python3
"""Signs webhook requests with the official `svix` library (an independent signer for the tests).

stdin: a JSON list of {"secret", "msg_id", "timestamp", "body"}; stdout: a JSON list of signature header values.
"""
import json
import sys
from datetime import datetime, timezone

from svix.webhooks import Webhook

requests = json.load(sys.stdin)
signatures = [
    Webhook(r["secret"]).sign(r["msg_id"], datetime.fromtimestamp(r["timestamp"], tz=timezone.utc), r["body"])
    for r in requests
]
json.dump(signatures, sys.stdout)
